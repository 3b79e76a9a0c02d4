// W2 — fan-out. C real cojson clients (spread over a few subscriber processes) subscribe
// to one CoMap in a public group; a writer edits it E times at a fixed pace, stamping
// each value with the monotonic clock. Reported: p50/p99 edit-to-receive latency (frame
// reaches a subscriber's socket) and edit-to-apply latency (subscriber's cojson applied
// it), plus server CPU per edit. The pace keeps the load generator from saturating the
// two cores so the latency is the server's, not queueing in the clients. A second phase
// repeats the fan-out to raw WebSocket subscribers that verify nothing: on a small
// machine the real clients' own work (50 signature checks per edit) sets a floor under
// their latency, which the raw phase removes.
import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { newClient, sleep, waitFor } from "../../interop/lib/harness.mjs";
import { WebSocket } from "../lib/deps.mjs";
import { cpuSampler, cpuSeconds } from "../lib/proc.mjs";
import { problemLines, startServer } from "../lib/servers.mjs";
import { monoMs, summarize, withTimeout } from "../lib/stats.mjs";

const subscriberScript = fileURLToPath(new URL("./w2_subscriber.mjs", import.meta.url));
const filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.";

function spawnSubscribers(url, mapId, total, procs) {
  const list = [];
  let first = 0;
  for (let p = 0; p < procs; p++) {
    const count = Math.floor(total / procs) + (p < total % procs ? 1 : 0);
    if (!count) continue;
    const child = fork(subscriberScript, [JSON.stringify({ url, mapId, count, first })], { stdio: "inherit" });
    first += count;
    const waiters = [];
    child.on("message", (m) => waiters.shift()?.resolve(m));
    // A subscriber process that dies fails whatever the writer is waiting for.
    const exited = new Promise((r) =>
      child.on("exit", (code) => {
        for (const w of waiters.splice(0)) w.reject(new Error(`subscriber process exited with ${code}`));
        r(code);
      }),
    );
    list.push({
      child,
      count,
      next: () => new Promise((resolve, reject) => waiters.push({ resolve, reject })),
      ask(msg) {
        const reply = this.next();
        child.send(msg);
        return reply;
      },
      exited,
    });
  }
  return list;
}

// C raw WebSocket subscribers that behave like cojson clients on the wire (`load` the
// CoMap, answer every content message with a `known` ack) but verify nothing. They
// connect to `subscriberUrls` in turn (default: the writer's server), and the CPU of
// `cpuPids` is counted (default: that server's); W7 spreads them over several nodes.
export async function rawFanout(server, group, writer, { C, E, intervalMs, subscriberUrls, cpuPids }) {
  subscriberUrls ??= [server.url];
  cpuPids ??= [server.pid];
  const cpuOf = () => cpuPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const map = group.createMap();
  map.set("v", { seq: -1, t: 0 });
  await map.core.waitForSync();
  const sockets = [];
  const arrivals = []; // per subscriber: Map "<session>#<txIndex>" -> arrival
  for (let i = 0; i < C; i++) {
    const ws = new WebSocket(subscriberUrls[i % subscriberUrls.length], { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const seen = new Map();
    const known = new Map();
    ws.on("message", (data) => {
      const now = monoMs();
      for (const line of data.toString().split("\n")) {
        const msg = JSON.parse(line);
        if (msg.action !== "content") continue;
        const state = known.get(msg.id) ?? { header: false, sessions: {} };
        if (msg.header) state.header = true;
        for (const [session, entry] of Object.entries(msg.new)) {
          const end = entry.after + entry.newTransactions.length;
          state.sessions[session] = Math.max(state.sessions[session] ?? 0, end);
          if (msg.id !== map.id) continue;
          for (let idx = entry.after; idx < end; idx++) if (!seen.has(`${session}#${idx}`)) seen.set(`${session}#${idx}`, now);
        }
        known.set(msg.id, state);
        ws.send(JSON.stringify({ action: "known", id: msg.id, header: state.header, sessions: state.sessions }));
      }
    });
    ws.send(JSON.stringify({ action: "load", id: map.id, header: false, sessions: {} }));
    sockets.push(ws);
    arrivals.push(seen);
  }
  await waitFor(() => arrivals.every((a) => a.size > 0), { timeout: 30000, what: "raw subscribers to load the map" });
  await sleep(500);
  const session = writer.node.currentSessionID;
  const stamps = new Map();
  const cpu0 = cpuOf();
  for (let seq = 0; seq < E; seq++) {
    const t = monoMs();
    stamps.set(`${session}#${map.core.knownState().sessions[session] ?? 0}`, t);
    map.set("v", { seq, t, text: filler });
    await sleep(intervalMs);
  }
  const last = [...stamps.keys()].at(-1);
  await waitFor(() => arrivals.every((a) => a.has(last)), { timeout: 60000, what: "raw subscribers to receive the last edit" });
  const cpuS = cpuOf() - cpu0;
  for (const ws of sockets) ws.terminate();
  const latencies = arrivals.flatMap((a) => [...stamps].filter(([k]) => a.has(k)).map(([k, t]) => a.get(k) - t));
  return { subscribers: C, edits: E, expectedDeliveries: C * E, received: summarize(latencies), cpuUsPerEdit: (cpuS / E) * 1e6 };
}

export async function run({ kind, moai, workDir, params, log }) {
  const { subscribers: C, edits: E, intervalMs, procs = 2, rawEdits = 200 } = params;
  const server = await startServer({ kind, moai, workDir, dbPath: join(workDir, `w2-${kind}.db`) });
  const ctx = { nodes: [] };
  let subs = [];
  try {
    const writer = await newClient(ctx, server.url, "Writer");
    const group = writer.node.createGroup();
    group.addMember("everyone", "reader");
    const map = group.createMap();
    map.set("v", { seq: -1, t: 0 });
    await map.core.waitForSync();

    subs = spawnSubscribers(server.url, map.id, C, procs);
    await withTimeout(Promise.all(subs.map((s) => s.next())), 180000, "subscribers not ready after 180 s"); // "ready"
    // Let the subscribers' own account uploads finish before the first edit.
    await sleep(3000);

    const sampler = cpuSampler({
      server: server.pid,
      writer: process.pid,
      ...Object.fromEntries(subs.map((s, i) => [`subscribers${i}`, s.child.pid])),
    });
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    const session = writer.node.currentSessionID;
    const stamps = new Map(); // "<session>#<txIndex>" -> stamp
    for (let seq = 0; seq < E; seq++) {
      const t = monoMs();
      stamps.set(`${session}#${map.core.knownState().sessions[session] ?? 0}`, t);
      map.set("v", { seq, t, text: filler });
      await sleep(intervalMs);
    }
    const allApplied = async () => {
      const counts = await Promise.all(subs.map((s) => s.ask({ type: "progress", seq: E - 1 })));
      return counts.reduce((a, m) => a + m.applied, 0) === C;
    };
    await waitFor(allApplied, { timeout: 60000, interval: 200, what: "every subscriber to apply the last edit" });
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = cpuSeconds(server.pid) - cpu0;
    const cpuUse = sampler.stop();

    const results = await Promise.all(subs.map((s) => s.ask({ type: "collect" })));
    // Arrivals of transactions that are not stamped edits (none expected) are ignored.
    const received = results.flatMap((r) =>
      r.received.flatMap((pairs) => pairs.filter(([k]) => stamps.has(k)).map(([k, at]) => at - stamps.get(k))),
    );
    const applied = results.flatMap((r) => r.applied.flat());
    // Per edit, the slowest delivery: shows whether delays are spread or come in bursts.
    const slowest = new Map();
    for (const r of results) {
      for (const pairs of r.received) {
        for (const [k, at] of pairs) if (stamps.has(k)) slowest.set(k, Math.max(slowest.get(k) ?? 0, at - stamps.get(k)));
      }
    }
    const slowestPerEdit = [...stamps.keys()].map((k) => slowest.get(k) ?? NaN);
    const rs = summarize(received);
    const as = summarize(applied);
    log(`${kind} W2: received p50 ${rs.p50.toFixed(2)} p99 ${rs.p99.toFixed(2)} ms; applied p50 ${as.p50.toFixed(2)} p99 ${as.p99.toFixed(2)} ms`);

    // Second phase: the same fan-out to raw subscribers (no verification on their side),
    // so the latency is the server's and not the load generator's.
    for (const s of subs) s.child.send({ type: "exit" });
    await Promise.all(subs.map((s) => Promise.race([s.exited, sleep(5000)])));
    subs = [];
    const raw = await rawFanout(server, group, writer, { C, E: Math.min(E, rawEdits), intervalMs });
    log(`${kind} W2 raw: received p50 ${raw.received.p50.toFixed(2)} p99 ${raw.received.p99.toFixed(2)} ms`);
    return {
      subscribers: C,
      edits: E,
      intervalMs,
      expectedDeliveries: C * E,
      received: rs,
      slowestPerEditMs: slowestPerEdit.map((v) => Math.round(v * 10) / 10),
      applied: as,
      wallS,
      cpuS,
      cpuUsPerEdit: (cpuS / E) * 1e6,
      // Fraction of a core per 250 ms interval: the server's and the load generator's.
      cpuUse,
      raw,
      serverLog: problemLines(server),
    };
  } finally {
    for (const s of subs) s.child.send({ type: "exit" });
    await Promise.all(subs.map((s) => Promise.race([s.exited, sleep(5000)])));
    for (const s of subs) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    for (const node of ctx.nodes) node.gracefulShutdown();
    await server.stop();
  }
}
