// W6 — replay: the server's own limit, free of client cost. Content messages made and
// signed by real cojson nodes (w6_generate.mjs, cached in a file) are sent over raw
// WebSockets as fast as the server acknowledges them: P connections in parallel, each
// with a window of outstanding messages, CoValues replayed depth by depth (accounts,
// then groups, then what they own) so a CoValue never arrives before its dependencies.
//
// Every content message must be answered by a `known`; a correction counts as rejected,
// and a CoValue counts as accepted only when its acks' session counts cover everything
// it was sent (after + new transactions, per session). After the replay a fresh
// connection asks for every CoValue's state and compares it with what the generator's
// authors hold: a benchmark of rejected input would be worthless. The window is large
// (hundreds of messages per connection) so the server, not the round trip, sets the pace.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { WebSocket } from "../lib/deps.mjs";
import { allocationCounter, allocationsSoFar } from "../lib/allocations.mjs";
import { perTransaction, profile } from "../lib/perf.mjs";
import { contextSwitches, cpuSeconds, rssKiB, switchesBetween } from "../lib/proc.mjs";
import { problemLines, startServer } from "../lib/servers.mjs";
import { summarize } from "../lib/stats.mjs";

// What cojson clients do when messages queue up: join them with "\n" into frames of at
// most 25 000 characters (MAX_OUTGOING_MESSAGES_CHUNK_BYTES); a larger message goes alone.
const FRAME_CHARS = 25000;

export function loadReplayFile(path) {
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  const { meta } = JSON.parse(lines[0]);
  const covalues = lines.slice(1).map((line) => {
    const cv = JSON.parse(line);
    return {
      id: cv.id,
      depth: cv.depth,
      expected: cv.expected,
      // Serialised once here, outside the measurement.
      // `needs` and `header` are what an ack must cover for the message to count.
      messages: cv.messages.map((m) => ({
        text: JSON.stringify(m),
        tx: Object.values(m.new).reduce((n, e) => n + e.newTransactions.length, 0),
        header: !!m.header,
        needs: Object.entries(m.new).map(([s, e]) => [s, e.after + e.newTransactions.length]),
      })),
    };
  });
  return { meta, covalues };
}

function openSocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

// One connection replaying its share of one depth. Messages of one CoValue keep their
// order; CoValues are interleaved round robin, as many clients' edits would be.
//
// A message counts as acknowledged once the known states the server sent for its CoValue
// (merged, as a cojson client merges them) cover it: header, and after + new
// transactions for each of its sessions. Acks are not matched one to one: a server may
// answer a burst of content for one CoValue with one `known` (moai coalesces adjacent
// messages) or send acks out of order; cojson clients accept both.
class Replayer {
  constructor(ws, window, stats) {
    this.ws = ws;
    this.window = window;
    this.stats = stats;
    this.pending = new Map(); // id -> messages sent and not yet covered by a `known`
    this.outstanding = 0;
    ws.on("message", (data) => this.onFrame(data.toString()));
    ws.on("close", (code) => this.fail?.(new Error(`the server closed a replay connection (${code})`)));
  }

  run(covalues) {
    const queues = covalues.map((cv) => ({ id: cv.id, messages: cv.messages }));
    this.queue = [];
    for (let round = 0, left = true; left; round++) {
      left = false;
      for (const q of queues) {
        if (round < q.messages.length) {
          this.queue.push({ id: q.id, ...q.messages[round] });
          left = true;
        }
      }
    }
    this.cursor = 0;
    return new Promise((resolve, reject) => {
      this.done = resolve;
      this.fail = reject;
      if (this.ws.readyState !== WebSocket.OPEN) reject(new Error("replay connection closed"));
      else this.pump();
    });
  }

  pump() {
    if (!this.queue) return; // a frame (a ping) before run(): nothing to send yet
    let frame = [];
    let chars = 0;
    const flush = () => {
      if (frame.length) this.ws.send(frame.join("\n"));
      frame = [];
      chars = 0;
    };
    while (this.outstanding < this.window && this.cursor < this.queue.length) {
      const m = this.queue[this.cursor++];
      if (chars && chars + m.text.length > FRAME_CHARS) flush();
      frame.push(m.text);
      chars += m.text.length;
      let list = this.pending.get(m.id);
      if (!list) this.pending.set(m.id, (list = []));
      list.push({ needs: m.needs, header: m.header, sentAt: performance.now() });
      this.outstanding++;
      this.stats.sentMessages++;
    }
    flush();
    if (this.outstanding === 0 && this.cursor >= this.queue.length) this.done?.();
  }

  onFrame(text) {
    for (const line of text.split("\n")) {
      if (!line) continue;
      const msg = JSON.parse(line);
      if (msg.action === "known") this.onKnown(msg);
      else if (msg.action === "load") this.stats.loadsFromServer.push(msg.id);
      else if (msg.action === "content") this.stats.contentFromServer++;
    }
    this.pump();
  }

  onKnown(msg) {
    this.stats.knownReceived++;
    this.stats.lastProgress = performance.now();
    let merged = this.stats.merged.get(msg.id);
    if (!merged) this.stats.merged.set(msg.id, (merged = { header: false, sessions: {} }));
    let older = false;
    for (const [s, n] of Object.entries(msg.sessions ?? {})) {
      if ((merged.sessions[s] ?? 0) > n) older = true;
      merged.sessions[s] = Math.max(merged.sessions[s] ?? 0, n);
    }
    if (msg.header) merged.header = true;
    if (older) this.stats.acksOlderThanPrevious++;
    const list = this.pending.get(msg.id);
    if (!list?.length) return;
    if (msg.isCorrection) {
      // The server lacks something we assumed it had: nothing pending for this CoValue
      // will be covered (a client would resend; a benchmark counts it as rejected).
      this.stats.corrections++;
      if (this.stats.rejectedSample.length < 5) this.stats.rejectedSample.push({ id: msg.id, isCorrection: true, ack: msg.sessions });
      this.outstanding -= list.length;
      list.length = 0;
      return;
    }
    const now = performance.now();
    const left = list.filter((m) => {
      const covered = (!m.header || merged.header) && m.needs.every(([s, n]) => (merged.sessions[s] ?? 0) >= n);
      if (covered) {
        this.stats.ackLatencyMs.push(now - m.sentAt);
        this.stats.ackedMessages++;
      }
      return !covered;
    });
    this.outstanding -= list.length - left.length;
    this.pending.set(msg.id, left);
  }
}

// After a depth: a CoValue counts as accepted when the merged state of its acks covers
// every session count it was sent; its transactions then count as acknowledged.
function settle(layer, stats) {
  for (const cv of layer) {
    const merged = stats.merged.get(cv.id)?.sessions ?? {};
    const short = Object.entries(cv.expected).filter(([s, n]) => !((merged[s] ?? 0) >= n));
    if (short.length) {
      stats.rejected++;
      if (stats.rejectedSample.length < 5) stats.rejectedSample.push({ id: cv.id, short, ack: merged });
    } else {
      stats.ackedTx += cv.messages.reduce((n, m) => n + m.tx, 0);
    }
  }
}

// Asks the server for each CoValue's state with `load` carrying the expected state: a
// server that holds exactly that answers `known` with it.
async function verify(url, covalues) {
  const ws = await openSocket(url);
  const want = new Map(covalues.map((cv) => [cv.id, cv.expected]));
  const mismatches = [];
  let answered = 0;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`verification: ${answered}/${want.size} answered`)), 120000);
    ws.on("message", (data) => {
      for (const line of data.toString().split("\n")) {
        const msg = JSON.parse(line);
        if (!want.has(msg.id) || (msg.action !== "known" && msg.action !== "content")) continue;
        const expected = want.get(msg.id);
        want.delete(msg.id);
        answered++;
        const bad =
          msg.action !== "known" ||
          !msg.header ||
          Object.entries(expected).some(([s, n]) => msg.sessions?.[s] !== n);
        if (bad && mismatches.length < 5) mismatches.push({ id: msg.id, action: msg.action, got: msg.sessions, expected });
        else if (bad) mismatches.push(null);
        if (!want.size) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    const frames = [];
    for (const cv of covalues) frames.push(JSON.stringify({ action: "load", id: cv.id, header: true, sessions: cv.expected }));
    for (let i = 0; i < frames.length; i += 100) ws.send(frames.slice(i, i + 100).join("\n"));
  });
  ws.close();
  return { checked: answered, mismatches: mismatches.length, mismatchSample: mismatches.filter(Boolean) };
}

export async function run({ kind, moai, workDir, params, log }) {
  const { file, connections: P = 8, window: W = 32 } = params;
  const { meta, covalues } = loadReplayFile(file);
  // moai's heap allocations (see w1_clients.mjs): a run of its own.
  const counter = params.countAllocations && kind === "moai" ? allocationCounter(workDir) : null;
  const server = await startServer({ kind, moai, workDir, dbPath: join(workDir, `w6-${kind}.db`), env: counter?.env });
  const sockets = [];
  let replayers;
  try {
    for (let i = 0; i < P; i++) sockets.push(await openSocket(server.url));
    const stats = {
      sentMessages: 0,
      ackedMessages: 0,
      ackedTx: 0,
      rejected: 0, // CoValues whose acks do not cover what was sent
      corrections: 0, // `known` with isCorrection (gap or unknown CoValue)
      knownReceived: 0,
      lastProgress: performance.now(),
      acksOlderThanPrevious: 0,
      merged: new Map(),
      ackLatencyMs: [],
      rejectedSample: [],
      loadsFromServer: [],
      contentFromServer: 0,
    };
    replayers = sockets.map((ws) => new Replayer(ws, W, stats));
    const depths = Math.max(...covalues.map((cv) => cv.depth)) + 1;
    const perDepth = [];

    const profiler = kind === "moai" && params.profile !== false && !counter ? await profile(server.pid, join(workDir, `w6-${process.pid}.perf`)) : null;
    const cpu0 = cpuSeconds(server.pid);
    const switches0 = contextSwitches(server.pid);
    const allocs0 = counter && allocationsSoFar(counter.file);
    const t0 = performance.now();
    for (let d = 0; d < depths; d++) {
      const layer = covalues.filter((cv) => cv.depth === d);
      const shares = replayers.map(() => []);
      layer.forEach((cv, i) => shares[i % replayers.length].push(cv));
      const td = performance.now();
      // Fails when no `known` has arrived for 30 s while messages are outstanding.
      stats.lastProgress = performance.now();
      let watchdog;
      const stalled = new Promise((_, reject) => {
        watchdog = setInterval(() => {
          if (performance.now() - stats.lastProgress < 30000) return;
          const waiting = replayers.flatMap((r) => [...r.pending].filter(([, l]) => l.length).map(([id, l]) => ({ id, messages: l.length, have: stats.merged.get(id) })));
          reject(new Error(`depth ${d}: no ack for 30 s; ${JSON.stringify({ ...stats, merged: undefined, ackLatencyMs: undefined, rejectedSample: undefined, waiting: waiting.slice(0, 3) })}`));
        }, 1000);
      });
      try {
        await Promise.race([Promise.all(replayers.map((r, i) => r.run(shares[i]))), stalled]);
      } finally {
        clearInterval(watchdog);
      }
      settle(layer, stats);
      perDepth.push({ depth: d, covalues: layer.length, s: (performance.now() - td) / 1000 });
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = cpuSeconds(server.pid) - cpu0;
    const switches = switchesBetween(switches0, contextSwitches(server.pid));
    const allocs = counter && allocationsSoFar(counter.file);
    const cpuBreakdown = profiler ? perTransaction(await profiler.stop(), (cpuS / stats.ackedTx) * 1e6) : undefined;
    const rss = rssKiB(server.pid);
    log(`${kind} W6: ${stats.ackedTx} tx acked in ${wallS.toFixed(2)} s (${(stats.ackedTx / wallS).toFixed(0)} tx/s), server CPU ${cpuS.toFixed(2)} s, ack latency p50 ${summarize(stats.ackLatencyMs).p50.toFixed(1)} ms, rejected ${stats.rejected}, corrections ${stats.corrections}, acks older than previous ${stats.acksOlderThanPrevious}`);

    const check = await verify(server.url, covalues);
    log(`${kind} W6 verification: ${check.checked} CoValues checked, ${check.mismatches} mismatches`);
    return {
      file: meta,
      connections: P,
      window: W,
      wallS,
      cpuS,
      txPerS: stats.ackedTx / wallS,
      messagesPerS: stats.ackedMessages / wallS,
      cpuUsPerTx: (cpuS / stats.ackedTx) * 1e6,
      contextSwitches: switches,
      voluntarySwitchesPerTx: switches.voluntary / stats.ackedTx,
      cpuBreakdown,
      allocationsPerTx: counter ? (allocs.allocations - allocs0.allocations) / stats.ackedTx : undefined,
      allocatedBytesPerTx: counter ? (allocs.bytes - allocs0.bytes) / stats.ackedTx : undefined,
      rssAfterKiB: rss,
      perDepth,
      ...stats,
      merged: undefined,
      lastProgress: undefined,
      ackLatencyMs: summarize(stats.ackLatencyMs),
      loadsFromServer: stats.loadsFromServer.length,
      loadsFromServerSample: stats.loadsFromServer.slice(0, 5),
      accepted: stats.rejected === 0 && stats.corrections === 0 && stats.ackedTx === meta.transactions && check.mismatches === 0,
      verification: check,
      serverLog: problemLines(server),
    };
  } finally {
    for (const r of replayers ?? []) r.fail = null;
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}
