// SIGTERM while a client writes: /health turns 503, the process exits 0 within the
// configured deadline, and every transaction the server acknowledged is there after
// a restart.
import assert from "node:assert/strict";
import http from "node:http";
import { join } from "node:path";
import { loadOrFail, log, newClient, rawClient, sleep, startServer, waitFor } from "../interop/lib/harness.mjs";

function healthOver(agent, port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/health", agent }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    req.on("error", reject);
  });
}

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  const deadlineMs = 4000;
  let server = await startServer(ctx, { dbPath, args: ["--shutdown-deadline-ms", String(deadlineMs)] });

  // Highest count the server acknowledged, per CoValue and session.
  const acked = new Map();
  const onMessage = (msg) => {
    if (msg.action !== "known" || msg.isCorrection) return;
    for (const [session, count] of Object.entries(msg.sessions)) {
      const key = `${msg.id} ${session}`;
      if ((acked.get(key) ?? 0) < count) acked.set(key, count);
    }
  };
  const a = await newClient(ctx, server.url, "Alice", { onMessage });
  const group = a.node.createGroup();
  group.addMember("everyone", "reader");
  const maps = Array.from({ length: 5 }, () => group.createMap());
  await Promise.all(maps.map((m) => m.core.waitForSync()));

  // A peer that never reads keeps the server in its first shutdown phase for a while.
  const stuck = await rawClient(server.url);
  stuck.ws._socket.pause();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  assert.equal((await healthOver(agent, server.port)).status, 200);

  let writing = true;
  let written = 0;
  const writer = (async () => {
    while (writing) {
      maps[written % maps.length].set(`k${written}`, `value ${written}`);
      written++;
      if (written % 20 === 0) await sleep(5);
    }
  })();
  await waitFor(() => acked.size > 8 && written > 300, { what: "writes being acknowledged" });

  const stopping = Date.now();
  const exitPromise = server.stop("SIGTERM");
  await sleep(100);
  const during = await healthOver(agent, server.port);
  assert.equal(during.status, 503, "health answers 503 while shutting down");
  assert.equal(during.body.ready, false);
  const exit = await exitPromise;
  const took = Date.now() - stopping;
  writing = false;
  await writer;
  agent.destroy();
  log(`exit ${JSON.stringify(exit)} after ${took} ms; ${written} edits made, ${acked.size} (CoValue, session) pairs acknowledged`);
  assert.equal(exit.code, 0, "exit code 0");
  assert.ok(took <= deadlineMs + 1000, `exited within the deadline (${took} ms)`);

  server = await startServer(ctx, { dbPath });
  const b = await newClient(ctx, server.url, "Bob");
  let checked = 0;
  for (const [key, count] of acked) {
    const [id, session] = key.split(" ");
    const value = await loadOrFail(b.node, id, `acknowledged CoValue ${id}`);
    const core = value.core;
    await waitFor(() => (core.knownState().sessions[session] ?? 0) >= count, {
      what: `${count} acknowledged transactions of ${session} in ${id} (have ${core.knownState().sessions[session] ?? 0})`,
      timeout: 10000,
    });
    checked += count;
  }
  log(`all ${checked} acknowledged transactions are there after the restart`);
}
