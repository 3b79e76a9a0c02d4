// An upstream (PEER_MOAI) that stays connected and keeps pinging but stops reading
// must not make the edge's outgoing queue grow without bound: over the peer queue
// limit with a socket that barely drains (the stall rule; the upstream has no hard
// limit) the edge drops the link and connects again, and the new connection's
// subscription resends what the upstream lacks. The upstream here is a fake that
// speaks just enough of the protocol: it answers loads with "nothing here", acks
// content and reconcile batches, and on its first connection stops reading once
// the big edits start to arrive.
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort, log, newClient, startServer, WebSocketServer, waitFor } from "../interop/lib/harness.mjs";
import { metric, scrape } from "../interop/lib/prometheus.mjs";

function fakeUpstream(port) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port, path: "/sync" });
  const connections = [];
  wss.on("connection", (ws) => {
    const conn = { index: connections.length, ws, held: {}, paused: false, closed: false };
    connections.push(conn);
    const send = (msg) => ws.readyState === 1 && ws.send(JSON.stringify(msg));
    const pinger = setInterval(() => send({ type: "ping", time: Date.now(), dc: "fake" }), 300);
    ws.on("close", () => {
      conn.closed = true;
      clearInterval(pinger);
    });
    ws.on("message", (data) => {
      for (const line of data.toString().split("\n")) {
        if (!line) continue;
        const msg = JSON.parse(line);
        if (msg.action === "load") {
          send({ action: "known", id: msg.id, header: Boolean(conn.held[msg.id]), sessions: conn.held[msg.id] ?? {} });
        } else if (msg.action === "content") {
          const held = (conn.held[msg.id] ??= {});
          for (const [session, entry] of Object.entries(msg.new ?? {})) {
            held[session] = Math.max(held[session] ?? 0, entry.after + entry.newTransactions.length);
          }
          send({ action: "known", id: msg.id, header: true, sessions: held });
          if (conn.index === 0 && !conn.paused && line.length > 100_000) {
            // From the first big edit on, the first connection reads nothing (its loads
            // were all answered before); pings still go out.
            conn.paused = true;
            ws._socket.pause();
          }
        } else if (msg.action === "reconcile") {
          send({ action: "reconcile-ack", id: msg.id });
        }
      }
    });
  });
  const close = () => {
    for (const c of connections) c.ws.terminate();
    return new Promise((r) => wss.close(r));
  };
  return { connections, close };
}

export async function run(ctx) {
  const upstreamPort = await freePort();
  const upstream = fakeUpstream(upstreamPort);
  try {
    const edge = await startServer(ctx, {
      dbPath: join(ctx.workDir, "edge.db"),
      args: ["--peer-moai", `ws://127.0.0.1:${upstreamPort}/sync`, "--max-peer-queue-bytes", String(1 << 20)],
    });
    await waitFor(() => upstream.connections.length === 1, { what: "the edge to connect upstream" });

    const alice = await newClient(ctx, edge.url, "Alice");
    const group = alice.node.createGroup();
    const map = group.createMap();
    map.set("start", 1);
    await waitFor(() => upstream.connections[0].held[map.id], { what: "the map's first content to reach the upstream" });

    // Edits of 200 KB until the edge gives up on the link (at most 40 MB): more than the
    // socket buffers and the 1 MiB queue.
    const blob = "x".repeat(200_000);
    for (let i = 0; i < 200 && !upstream.connections[0].closed; i++) {
      map.set(`blob${i % 8}`, `${i}${blob}`);
      if (i % 10 === 9) await map.core.waitForSync();
    }
    assert.ok(upstream.connections[0].paused, "the first connection stopped reading");
    await waitFor(() => upstream.connections.length >= 2, {
      timeout: 60000,
      what: "the edge to drop the stuck upstream link and connect again",
    });
    log("edge dropped the stuck link and connected again");
    assert.match(edge.logs(), /closed here: 1008/, "the edge says it dropped the link");
    assert.match(edge.logs(), /why=queue over the limit and the socket barely drains/, "by the stall rule");
    assert.ok(
      metric(await scrape(edge), "moai_slow_consumers_disconnected_total") >= 1,
      "the dropped link counts as a slow consumer",
    );

    // The new connection gets the whole map: the edge queues for it again.
    await map.core.waitForSync();
    const want = map.core.knownState().sessions;
    const latest = upstream.connections.at(-1);
    await waitFor(
      () => Object.entries(want).every(([session, n]) => (latest.held[map.id]?.[session] ?? 0) >= n),
      { timeout: 30000, what: "the reconnected upstream to receive every transaction of the map" },
    );
    const rss = metric(await scrape(edge), "moai_process_resident_memory_bytes");
    log(`upstream has all ${Object.values(want).reduce((a, b) => a + b, 0)} transactions; edge RSS ${(rss / 1e6).toFixed(1)} MB`);
    assert.ok(!edge.exited(), "the edge keeps running");
  } finally {
    await upstream.close();
  }
}
