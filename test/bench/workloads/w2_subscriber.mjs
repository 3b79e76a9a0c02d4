// A W2 subscriber process (forked by w2_fanout.mjs): `count` real cojson clients, each
// with its own account and WebSocket, load the CoMap and subscribe to it. For every
// edit it records two latencies against the writer's stamp:
//   received — the frame carrying the edit reached this client's socket;
//   applied  — the client's subscription saw the new value (after cojson verified it).
// The writer and subscribers share CLOCK_MONOTONIC (monoMs), so stamps compare.
import { getCrypto } from "../../interop/lib/harness.mjs";
import { LocalNode, WebSocket, createWebSocketPeer } from "../lib/deps.mjs";
import { monoMs } from "../lib/stats.mjs";

const { url, mapId, count, first } = JSON.parse(process.argv[2]);
const crypto = await getCrypto();
const clients = [];

// Group-owned CoMaps are encrypted, so the frame tap cannot read the stamp: it records
// the arrival time of each transaction index of the map, and the writer, which knows the
// stamp of each index, turns that into latency.
function tapFrames(ws, onTx) {
  ws.on("message", (data) => {
    const text = data.toString();
    if (!text.includes(mapId)) return;
    const now = monoMs();
    for (const line of text.split("\n")) {
      if (!line.includes('"content"') || !line.includes(mapId)) continue;
      const msg = JSON.parse(line);
      if (msg.id !== mapId) continue;
      for (const [session, entry] of Object.entries(msg.new ?? {})) {
        for (let i = 0; i < entry.newTransactions.length; i++) onTx(session, entry.after + i, now);
      }
    }
  });
}

// The clients of this process share one event loop, and cojson handles a frame inside
// the socket's 'message' event. Without help, client k's tap would fire only after
// clients 1…k-1 had verified and applied the same edit, so "received" would measure this
// process, not the server. The proxy hands each frame to cojson one turn later
// (setImmediate, order kept), letting every socket's tap run first; "applied" still
// includes cojson's work. Both servers get the same clients.
function deferMessages(ws) {
  const wrapped = new Map();
  return new Proxy(ws, {
    get(target, prop) {
      if (prop === "addEventListener") {
        return (type, fn, opts) => {
          if (type !== "message") return target.addEventListener(type, fn, opts);
          const deferred = (ev) => setImmediate(() => fn(ev));
          wrapped.set(fn, deferred);
          return target.addEventListener(type, deferred, opts);
        };
      }
      if (prop === "removeEventListener") {
        return (type, fn, opts) => target.removeEventListener(type, wrapped.get(fn) ?? fn, opts);
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function startClient(index) {
  const ws = new WebSocket(url);
  const c = { received: new Map(), applied: new Map() };
  tapFrames(ws, (session, idx, at) => {
    const key = `${session}#${idx}`;
    if (!c.received.has(key)) c.received.set(key, at);
  });
  const peer = createWebSocketPeer({ id: "server", websocket: deferMessages(ws), role: "server" });
  const { node } = await LocalNode.withNewlyCreatedAccount({
    creationProps: { name: `Subscriber ${first + index}` },
    peers: [peer],
    crypto,
  });
  const map = await node.load(mapId);
  if (map === "unavailable") throw new Error(`subscriber ${first + index}: map unavailable`);
  map.subscribe((m) => {
    const v = m.get("v");
    if (v && v.seq >= 0 && !c.applied.has(v.seq)) c.applied.set(v.seq, monoMs() - v.t);
  });
  c.node = node;
  return c;
}

process.on("message", (msg) => {
  if (msg.type === "collect") {
    process.send({
      type: "results",
      received: clients.map((c) => [...c.received.entries()]),
      applied: clients.map((c) => [...c.applied.values()]),
    });
  } else if (msg.type === "progress") {
    // How many clients applied the edit `seq` (the writer waits for all of them).
    process.send({ type: "progress", applied: clients.filter((c) => c.applied.has(msg.seq)).length });
  } else if (msg.type === "exit") {
    for (const c of clients) c.node.gracefulShutdown();
    process.exit(0);
  }
});

// Start the clients a few at a time: account creation is CPU-bound on this side.
for (let i = 0; i < count; i += 5) {
  const batch = [];
  for (let j = i; j < Math.min(count, i + 5); j++) batch.push(startClient(j));
  clients.push(...(await Promise.all(batch)));
}
process.send({ type: "ready" });
