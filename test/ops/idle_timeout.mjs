// A peer that sends nothing at all, not even a pong to a WebSocket ping, is dropped
// after limits.idle_timeout_ms; peers that answer pings stay, however quiet they are,
// and a real cojson client idle for longer than the timeout keeps syncing.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, sleep, startServer, waitFor, WebSocket } from "../interop/lib/harness.mjs";
import { metric, scrape } from "../interop/lib/prometheus.mjs";

// A WebSocket client that never writes; with answerPings false it ignores pings too.
async function silentPeer(url, answerPings) {
  const ws = new WebSocket(url, { autoPong: answerPings });
  const peer = { ws, pingsSeen: 0, closed: null, openedAt: 0 };
  ws.on("ping", () => peer.pingsSeen++);
  ws.on("close", (code) => (peer.closed = { code, at: Date.now() }));
  ws.on("error", (e) => (peer.error = String(e)));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  peer.openedAt = Date.now();
  return peer;
}

export async function run(ctx) {
  const timeoutMs = 3000;
  const server = await startServer(ctx, {
    dbPath: join(ctx.workDir, "sync.db"),
    args: ["--idle-timeout-ms", String(timeoutMs)],
  });
  const alice = await newClient(ctx, server.url, "Alice");
  const group = alice.node.createGroup();
  group.addMember("everyone", "writer");
  const map = group.createMap();
  map.set("n", 0);
  await map.core.waitForSync();

  const deaf = await silentPeer(server.url, false);
  const quiet = await silentPeer(server.url, true);

  // The deaf peer goes between the timeout and the timeout plus one ping tick (1.5 s).
  await waitFor(() => deaf.closed, { timeout: timeoutMs + 4000, what: "the silent peer to be dropped" });
  const after = deaf.closed.at - deaf.openedAt;
  log(`silent peer dropped after ${after} ms`);
  assert.ok(after >= timeoutMs - 100, `dropped too early (${after} ms)`);
  assert.ok(deaf.pingsSeen >= 1, "the silent peer was pinged before being dropped");
  assert.match(server.logs(), /idle timeout/, "the drop is logged");

  // Alice has been idle longer than the timeout too; her connection still syncs.
  await sleep(timeoutMs);
  assert.equal(quiet.closed, null, `a peer that answers pings stays connected (${quiet.error}, closed after ${quiet.closed && quiet.closed.at - quiet.openedAt} ms)`);
  assert.ok(quiet.pingsSeen >= 1, "the quiet peer was pinged");
  const bob = await newClient(ctx, server.url, "Bob");
  const mapForBob = await loadOrFail(bob.node, map.id, "the map for Bob");
  mapForBob.set("n", 1);
  await waitFor(() => map.get("n") === 1, { what: "Alice, idle past the timeout, to receive Bob's edit" });

  // Open: Alice, Bob and the quiet peer.
  assert.equal(metric(await scrape(server), "moai_connections_open"), 3);
  quiet.ws.close();
}
