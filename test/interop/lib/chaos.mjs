// Chaos runs for the ops cases: four real clients edit shared maps and lists at random
// while their connections drop and come back and servers are killed (SIGKILL) and
// restarted on their databases; afterwards every client, and a fresh one on every
// server, must hold exactly the same transactions of every CoValue.
//   MOAI_CHAOS_SECONDS  how long the chaos lasts (default 20)
//   MOAI_CHAOS_SEED     replays a run (the seed is logged)
import assert from "node:assert/strict";
import { loadOrFail, log, newClient, reconnect, seededRandom, sleep, waitFor } from "./harness.mjs";
import { metric, scrape } from "./prometheus.mjs";

const sessionsOf = (value) => JSON.stringify(Object.entries(value.core.knownState().sessions).sort());

// `topology`:
//   servers()         the servers running now
//   urlFor(i)         where client i (0–3) connects
//   restartOne(pick)  kills one server (chosen with `pick(list)`) with SIGKILL and starts
//                     it again on its database and port
export async function chaos(ctx, topology) {
  const seconds = Number(process.env.MOAI_CHAOS_SECONDS ?? 20);
  const seed = Number(process.env.MOAI_CHAOS_SEED ?? Date.now() % 1e9);
  const rand = seededRandom(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  log(`chaos for ${seconds} s, seed ${seed}`);

  // Counters summed over every server process (each kill starts them again at zero):
  // the last reading of each process, by pid, counts.
  const readings = new Map();
  const noteCounters = async () => {
    if (ctx.kind !== "moai") return;
    for (const server of topology.servers()) {
      const text = await scrape(server);
      readings.set(server.pid, {
        heldBack: metric(text, "moai_content_held_back_total"),
        cutOff: metric(text, "moai_slow_consumers_disconnected_total"),
      });
    }
  };
  const total = (name) => [...readings.values()].reduce((sum, r) => sum + r[name], 0);

  const owner = await newClient(ctx, topology.urlFor(0), "Owner");
  const group = owner.node.createGroup();
  group.addMember("everyone", "writer");
  const ids = [];
  for (let i = 0; i < 12; i++) ids.push(group.createMap().id);
  for (let i = 0; i < 3; i++) ids.push(group.createList().id);
  await Promise.all(ids.map(async (id) => (await loadOrFail(owner.node, id, id)).core.waitForSync()));

  const clients = [];
  for (const [i, name] of ["A", "B", "C", "D"].entries()) {
    const client = await newClient(ctx, topology.urlFor(i), name);
    client.index = i;
    client.values = await Promise.all(ids.map((id) => loadOrFail(client.node, id, `${id} for ${name}`)));
    client.online = true;
    clients.push(client);
  }
  const disconnect = (client) => {
    for (const peer of Object.values(client.node.syncManager.peers)) peer.gracefulShutdown();
    client.online = false;
  };

  let edits = 0;
  let drops = 0;
  let kills = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const client = pick(clients);
    const value = pick(client.values);
    // Mostly small edits, now and then one of 8–40 KB (past a 64 KiB queue in bursts).
    const text = rand() < 0.08 ? "x".repeat(8000 + Math.floor(rand() * 32000)) : `${client.name}-${edits}`;
    if (value.core.verified.header.type === "colist") value.append(text);
    else value.set(`k${Math.floor(rand() * 6)}`, text);
    edits++;
    const event = rand();
    if (event < 0.01) {
      disconnect(client);
      drops++;
    } else if (event < 0.05) {
      for (const c of clients.filter((c) => !c.online)) {
        reconnect(c.node, topology.urlFor(c.index));
        c.online = true;
      }
    } else if (event < 0.056) {
      await noteCounters();
      await topology.restartOne(pick);
      kills++;
    }
    await sleep(rand() < 0.2 ? 30 : 2);
  }
  log(`${edits} edits, ${drops} dropped connections, ${kills} server kills; converging`);

  // Everyone on a fresh connection (none of them should have been cut off: checked below).
  for (const c of clients) {
    if (c.online) disconnect(c);
    reconnect(c.node, topology.urlFor(c.index));
  }
  await waitFor(() => ids.every((_, i) => new Set(clients.map((c) => sessionsOf(c.values[i]))).size === 1), {
    timeout: 60000,
    what: "every client to hold the same transactions of every CoValue",
  });
  log("the clients agree; a fresh client on every server loads everything");
  for (const server of topology.servers()) {
    const fresh = await newClient(ctx, server.url, "Fresh");
    const loaded = await Promise.race([
      Promise.all(ids.map((id) => loadOrFail(fresh.node, id, `${id} for a fresh client`))),
      sleep(30000).then(() => {
        throw new Error(`a fresh client of ${server.url} could not load every CoValue in 30 s`);
      }),
    ]);
    await waitFor(() => loaded.every((v, i) => sessionsOf(v) === sessionsOf(clients[0].values[i])), {
      timeout: 30000,
      what: `a fresh client of ${server.url} to load every transaction`,
    });
    for (const [i, v] of loaded.entries()) {
      assert.deepEqual(v.toJSON(), clients[0].values[i].toJSON(), `${ids[i]}: the fresh client's content`);
    }
  }
  await noteCounters();
  const heldBack = total("heldBack");
  log(`converged: ${ids.length} CoValues identical on ${clients.length} clients and fresh ones; ${heldBack} contents held back`);
  return { heldBack, cutOff: total("cutOff") };
}
