// Several moai nodes on one PostgreSQL database (issue 17), with a PostgreSQL server
// this test starts and restarts itself (scripts/test-postgres) and three moai nodes,
// real cojson clients spread over them:
//   1. an edit on any node reaches subscribers on every node (LISTEN/NOTIFY, catch-up);
//   1b. a node whose listening connection drops (while another node commits) catches up
//      once it is back, by comparing what it holds with storage;
//   2. a node killed with SIGKILL mid-write while its clients move to the other nodes
//      loses no acknowledged transaction, and every client converges;
//   3. a PostgreSQL restart is survived: /health shows the link down and up again, the
//      nodes reconnect and catch up (edits made during and after reach every node);
//   4. a node started after all the writes serves everything.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { metric, scrape } from "../interop/lib/prometheus.mjs";
import {
  ackTrackingClient,
  loadOrFail,
  log,
  newClient,
  reconnect,
  sleep,
  startServer,
  waitFor,
} from "../interop/lib/harness.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const pgScript = join(root, "scripts/test-postgres");

async function health(server) {
  try {
    const res = await fetch(`${server.httpUrl}/health`);
    return await res.json();
  } catch {
    return {};
  }
}

// Every client's map holds the same transactions as `reference`.
function sameSessions(a, b) {
  const x = a.core.knownState().sessions;
  const y = b.core.knownState().sessions;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].every((k) => (x[k] ?? 0) === (y[k] ?? 0));
}

export async function run(ctx) {
  const pgDir = `/tmp/moai-mn-${process.pid}`;
  execFileSync(pgScript, ["stop", pgDir]);
  const url = execFileSync(pgScript, ["start", pgDir]).toString().trim();
  try {
    await scenario(ctx, url, pgDir);
  } finally {
    for (const s of ctx.servers) await s.stop("SIGKILL").catch(() => {});
    execFileSync(pgScript, ["stop", pgDir]);
  }
}

async function scenario(ctx, url, pgDir) {
  // Each node's connections carry its name (pg_stat_activity.application_name).
  const node = async (name) => {
    const args = ["--storage", "postgres", "--postgres-url", `${url}&application_name=moai-${name}`];
    const server = await startServer(ctx, { dbPath: join(ctx.workDir, `${name}.db`), args });
    server.name = name;
    return server;
  };
  const [a, b, c] = [await node("A"), await node("B"), await node("C")];
  assert.equal((await health(a)).database, "up");

  // ---- 1. an edit on any node reaches subscribers on every node ----
  const writerA = await ackTrackingClient(ctx, a.url, "Writer on A");
  const group = writerA.node.createGroup();
  group.addMember("everyone", "writer");
  const map = group.createMap();
  map.set("from", "A");
  await map.core.waitForSync();
  const clients = [writerA];
  const maps = [map];
  for (const [server, name] of [[b, "Writer on B"], [c, "Writer on C"]]) {
    const client = await ackTrackingClient(ctx, server.url, name);
    const loaded = await loadOrFail(client.node, map.id, `the map on ${server.name}`);
    clients.push(client);
    maps.push(loaded);
  }
  await waitFor(() => maps.every((m) => m.get("from") === "A"), { what: "the map on every node" });
  for (const [i, m] of maps.entries()) {
    m.set(`by${i}`, `edit ${i}`);
    await waitFor(() => maps.every((other) => other.get(`by${i}`) === `edit ${i}`), {
      what: `client ${i}'s edit on every node`,
    });
  }
  log("edits on A, B and C reach subscribers on every node");
  const metricsB = await scrape(b);
  assert.ok(metric(metricsB, "moai_changes_heard_total") > 0, "B heard other nodes' commits");
  assert.ok(metric(metricsB, "moai_changes_announced_total") > 0, "B announced its commit");
  assert.ok(metric(metricsB, "moai_catch_up_reads_total") > 0, "B read what others stored");
  assert.ok(metric(metricsB, "moai_cross_node_lag_seconds_count") > 0, "B measured cross-node lag");

  // ---- 1b. B's listening connection drops while A commits ----
  const resyncsBefore = metric(await scrape(b), "moai_change_feed_resyncs_total");
  const killListener = () =>
    execFileSync("psql", [url, "-tA", "-c",
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'moai-B' AND query LIKE 'LISTEN%'"]);
  killListener();
  maps[0].set("whileDeaf", "committed while B was not listening");
  // Keep B deaf for a while (its reconnections are cut too), so A's commit is announced
  // while nobody on B listens: only the comparison after the reconnection brings it.
  for (const until = Date.now() + 1500; Date.now() < until; ) {
    killListener();
    await sleep(50);
  }
  await waitFor(() => maps[1].get("whileDeaf") === "committed while B was not listening", {
    what: "the edit A committed while B's listening connection was down, on B",
  });
  assert.ok(metric(await scrape(b), "moai_change_feed_resyncs_total") > resyncsBefore, "B compared after reconnecting");
  log("a node whose listening connection dropped caught up when it was back");

  // ---- 2. SIGKILL of a node mid-write; its clients move on ----
  const movers = [];
  for (let i = 0; i < 2; i++) {
    const client = await ackTrackingClient(ctx, a.url, `Mover ${i}`);
    const m = await loadOrFail(client.node, map.id, "the map for a mover");
    movers.push({ client, map: m, session: client.node.currentSessionID });
  }
  let writing = true;
  const writes = movers.map(async (mover, i) => {
    for (let n = 0; writing; n++) {
      mover.map.set(`mover${i}`, `write ${n}`);
      mover.last = n;
      await sleep(15);
    }
  });
  await sleep(600);
  await a.stop("SIGKILL");
  const ackedAtKill = movers.map((m) => m.client.acked.get(map.id)?.[m.session] ?? 0);
  log(`A killed; acknowledged by then: ${ackedAtKill.join(", ")}`);
  // The writer and the movers reconnect to B and C.
  reconnect(writerA.node, b.url, { onMessage: writerA.onMessage });
  movers.forEach((m, i) => reconnect(m.client.node, (i % 2 ? c : b).url, { onMessage: m.client.onMessage }));
  await sleep(600);
  writing = false;
  await Promise.all(writes);
  for (const m of movers) {
    await waitFor(() => m.client.acked.get(map.id)?.[m.session] === m.map.core.knownState().sessions[m.session], {
      what: `${m.client.name}'s writes acknowledged by its new node`,
      timeout: 30000,
    });
  }
  const everyone = [...maps, ...movers.map((m) => m.map)];
  await waitFor(() => everyone.every((m) => sameSessions(m, everyone[0])), {
    what: "every client to converge after the kill",
    timeout: 30000,
  });
  for (const [i, m] of movers.entries()) {
    assert.ok(everyone[0].core.knownState().sessions[m.session] >= ackedAtKill[i], "nothing acknowledged was lost");
    assert.equal(everyone[1].get(`mover${i}`), `write ${m.last}`);
  }
  log("after SIGKILL of A mid-write: nothing acknowledged lost, all clients converge");

  // ---- 3. a PostgreSQL restart ----
  execFileSync(pgScript, ["down", pgDir]);
  await waitFor(async () => (await health(b)).database === "down", { what: "B's /health to show the link down" });
  maps[1].set("duringOutage", "written while PostgreSQL was down");
  await sleep(1500);
  execFileSync(pgScript, ["up", pgDir]);
  await waitFor(async () => (await health(b)).database === "up" && (await health(c)).database === "up", {
    what: "the link up again on B and C",
    timeout: 30000,
  });
  await waitFor(() => maps[2].get("duringOutage") === "written while PostgreSQL was down", {
    what: "the edit made during the outage on C",
    timeout: 30000,
  });
  const client1 = clients[1];
  await waitFor(
    () => client1.acked.get(map.id)?.[client1.node.currentSessionID] === maps[1].core.knownState().sessions[client1.node.currentSessionID],
    { what: "the outage edit acknowledged once PostgreSQL is back", timeout: 30000 },
  );
  maps[2].set("afterRestart", "C");
  await waitFor(() => maps[1].get("afterRestart") === "C", { what: "an edit on C after the restart on B" });
  assert.ok(metric(await scrape(c), "moai_change_feed_resyncs_total") >= 1, "C resynced");
  log("PostgreSQL restart survived: links back, edits flow both ways");

  // ---- 4. a node started after the writes ----
  const d = await node("D");
  const late = await newClient(ctx, d.url, "Late reader");
  const lateMap = await loadOrFail(late.node, map.id, "the map from the late node");
  await waitFor(() => sameSessions(lateMap, maps[1]), { what: "the late node to serve everything" });
  assert.equal(lateMap.get("afterRestart"), "C");
  log("a node started after the writes serves everything");
}
