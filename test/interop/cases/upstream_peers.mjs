// One moai syncing with another (sync mode with PEER_MOAI): two edge servers, each a
// client of a core. What a client writes on one edge reaches a client of the other
// through the core, both ways and live; the core stores it all; a load of a CoValue an
// edge never saw waits for the core's answer rather than saying "not found"; and an
// edge that was cut off pushes what it took meanwhile once the core is back.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, rawClient, startServer, waitFor } from "../lib/harness.mjs";
import { metric, scrape } from "../lib/prometheus.mjs";

// Whether `server` holds `id`: the first answer to a raw load is content, not "not found".
async function holds(server, id) {
  const raw = await rawClient(server.url);
  try {
    raw.send({ action: "load", id, header: false, sessions: {} });
    const first = await raw.next((m) => m.id === id, `${server.url}'s answer for ${id}`, 5000);
    return first.action === "content";
  } finally {
    raw.close();
  }
}

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("upstream peers are moai's own; nothing to check on the reference server");
  const coreDb = join(ctx.workDir, "core.db");
  let core = await startServer(ctx, { dbPath: coreDb });
  const edge = async (name) =>
    // CoValues leave memory 300 ms after their last client: what the core has not
    // confirmed must keep them in memory all the same.
    startServer(ctx, {
      dbPath: join(ctx.workDir, `${name}.db`),
      args: ["--peer-moai", core.url, "--covalue-idle-ms", "300"],
    });
  const east = await edge("east");
  const west = await edge("west");
  // An edge that keeps few CoValues in memory (and never retires them for idleness).
  const north = await startServer(ctx, {
    dbPath: join(ctx.workDir, "north.db"),
    args: ["--peer-moai", core.url, "--max-covalues-in-memory", "16", "--covalue-idle-ms", "600000"],
  });

  const alice = await newClient(ctx, east.url, "Alice");
  const group = alice.node.createGroup();
  group.addMember("everyone", "writer");
  const map = group.createMap({ from: "alice" });
  await map.core.waitForSync();

  // A client of the other edge loads it: west never had it and asks the core.
  const bob = await newClient(ctx, west.url, "Bob");
  const seen = await loadOrFail(bob.node, map.id, "Alice's map (east), loaded by Bob (west) through the core");
  assert.equal(seen.get("from"), "alice");
  log("a CoValue written on one edge loads on the other through the core");

  // Live, both ways.
  map.set("live", "east");
  await waitFor(() => seen.get("live") === "east", { what: "Alice's edit to reach Bob live" });
  seen.set("reply", "west");
  await waitFor(() => map.get("reply") === "west", { what: "Bob's edit to reach Alice live" });
  log("edits flow live between clients of different edges, both ways");

  // The core stores it: a client of the core itself loads everything.
  const carol = await newClient(ctx, core.url, "Carol");
  const onCore = await loadOrFail(carol.node, map.id, "the map on the core");
  await waitFor(() => onCore.get("reply") === "west" && onCore.get("live") === "east", { what: "the core's copy" });

  // A raw load of a CoValue west never saw: the first answer is its content (fetched
  // from the core), not a "not found" followed by content later.
  const fresh = group.createMap({ fresh: true });
  await fresh.core.waitForSync();
  await waitFor(() => holds(core, fresh.id), { what: "east to pass the new map on to the core" });
  const raw = await rawClient(west.url);
  raw.send({ action: "load", id: fresh.id, header: false, sessions: {} });
  const first = await raw.next((m) => m.id === fresh.id, "west's answer for a CoValue only the core has", 8000);
  assert.equal(first.action, "content", `first answer: ${JSON.stringify(first).slice(0, 200)}`);
  assert.ok(first.header, "with its header");

  // A load of something nobody has is answered (not found) once the core says so.
  const missing = "co_zMissingMissingMissingMiss";
  raw.send({ action: "load", id: missing, header: false, sessions: {} });
  // Under the 5 s the edge waits at most: the core's answer, not the edge's timer.
  const answer = await raw.next((m) => m.id === missing, "west's answer for a CoValue nowhere", 3000);
  assert.equal(answer.action, "known");
  assert.equal(answer.header, false);
  raw.close();

  // The core goes away; Alice writes through east, which acknowledges, and leaves; east
  // keeps the map in memory (the core has not confirmed it) well past the idle timeout;
  // the core comes back on the same port with its database; east resubscribes and
  // pushes what it took meanwhile.
  await core.stop();
  map.set("offline", "written while the core was down");
  await map.core.waitForSync();
  alice.node.gracefulShutdown();
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(metric(await scrape(east), "moai_actors", { kind: "covalue" }) > 0,
    "east keeps what the core has not confirmed in memory past the idle timeout");
  core = await startServer(ctx, { dbPath: coreDb, port: core.port });
  await waitFor(() => seen.get("offline") === "written while the core was down", {
    what: "the edit made while the core was down to reach Bob after it came back",
    timeout: 30000,
  });
  log("after the core restarted, the edges resubscribed and the edit made meanwhile arrived");

  // East now has no client of the map: once the core confirmed it, the map leaves east's
  // memory. An edit from west then reaches east through the core and brings it back;
  // east asks the core what it holds instead of sending everything up again.
  await waitFor(async () => metric(await scrape(east), "moai_actors", { kind: "covalue" }) === 0, {
    what: "east's CoValues to leave memory (no clients, the core holds them)",
    timeout: 15000,
  });
  const contentIntoCore = async () => metric(await scrape(core), "moai_messages_in_total", { action: "content" });
  const contentIntoEast = async () => metric(await scrape(east), "moai_messages_in_total", { action: "content" });
  const before = await contentIntoCore();
  const beforeEast = await contentIntoEast();
  seen.set("after", "east forgot it");
  await waitFor(async () => metric(await scrape(east), "moai_actors", { kind: "covalue" }) > 0, {
    what: "the edit to bring the map back into east's memory",
  });
  await new Promise((r) => setTimeout(r, 1000));
  const into = (await contentIntoCore()) - before;
  assert.ok(into <= 1, `content messages into the core for one edit: ${into} (east must not re-upload)`);
  const intoEast = (await contentIntoEast()) - beforeEast;
  assert.equal(intoEast, 1, `content messages into east for one edit: ${intoEast} (east's load must say it has it)`);
  log(`a CoValue brought back into an edge by the core's push is sent once and not back up (${into} content message)`);

  // An edge that took content while the core was down and restarted before it came
  // back: on connecting it reconciles its storage with the core (guide §2.5), so the
  // core asks for what it lacks.
  await core.stop();
  const dave = await newClient(ctx, east.url, "Dave");
  const daveGroup = dave.node.createGroup();
  daveGroup.addMember("everyone", "reader");
  const daveMap = daveGroup.createMap({ from: "dave, while the core was down" });
  await daveMap.core.waitForSync();
  dave.node.gracefulShutdown();
  await east.stop();
  // North takes 40 maps meanwhile; under its memory limit it lets them go although the
  // core has not confirmed them: the reconcile brings them up later.
  const erin = await newClient(ctx, north.url, "Erin");
  const erinGroup = erin.node.createGroup();
  erinGroup.addMember("everyone", "reader");
  const erinMaps = [];
  for (let i = 0; i < 40; i++) erinMaps.push(erinGroup.createMap({ i }));
  await Promise.all(erinMaps.map((m) => m.core.waitForSync()));
  erin.node.gracefulShutdown();
  await waitFor(async () => metric(await scrape(north), "moai_actors", { kind: "covalue" }) <= 16, {
    what: "north to evict unconfirmed CoValues under its memory limit",
    timeout: 15000,
  });
  core = await startServer(ctx, { dbPath: coreDb, port: core.port });
  const eastAgain = await edge("east");
  await waitFor(() => holds(core, daveMap.id), { what: "east's reconcile to bring Dave's map to the core", timeout: 20000 });
  assert.match(eastAgain.logs(), /storage reconciled with the upstream/);
  const daveOnWest = await loadOrFail(bob.node, daveMap.id, "Dave's map, loaded by Bob (west)");
  assert.equal(daveOnWest.get("from"), "dave, while the core was down");
  log("an edge restarted while the core was down reconciled its storage with the core once it was back");
  for (const m of [erinMaps[0], erinMaps[39]]) {
    await waitFor(() => holds(core, m.id), { what: "north's reconcile to bring an evicted map to the core", timeout: 20000 });
    assert.equal((await loadOrFail(bob.node, m.id, "one of Erin's maps (north), from west")).get("i"), erinMaps.indexOf(m));
  }
  log("an edge under its memory limit let unconfirmed CoValues go; its reconcile brought them to the core");
}
