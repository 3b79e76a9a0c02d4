// W1 — real clients. Client A (a cojson LocalNode over cojson-transport-ws, like a Jazz
// app) creates N CoMaps in a group and edits each K times. Client B, a member, then
// loads every CoMap. Measured: wall time of both phases and the server's CPU.
// Two patterns of writing:
//   rounds (W1)  round by round, as a live app would: every edit goes out as a content
//                message of its own, with its own signature to check;
//   burst (W1b)  each CoMap created and edited K times in one go: the client sends its
//                K transactions in one message under one signature (the pattern of the
//                issue's own reference measurement, ≈140 µs of server CPU per tx).
// The database and B's credentials of the rounds pattern are kept for W3 (cold load).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadOrFail, newClient, waitFor } from "../../interop/lib/harness.mjs";
import { allocationCounter, allocationsSoFar } from "../lib/allocations.mjs";
import { perTransaction, profile } from "../lib/perf.mjs";
import { contextSwitches, cpuSeconds, switchesBetween } from "../lib/proc.mjs";
import { problemLines, startServer } from "../lib/servers.mjs";

const tick = () => new Promise((r) => setImmediate(r));

// A plausible app record: a short title, a number, a status and a sentence of text.
function value(i, k) {
  return {
    title: `Task ${i} revision ${k}`,
    done: k % 3 === 0,
    priority: (i * 7 + k) % 5,
    note: `Edited on round ${k}: the quick brown fox jumps over the lazy dog ${i}.`,
  };
}

export async function run({ kind, moai, workDir, params, log }) {
  const { maps: N, edits: K, pattern = "rounds" } = params;
  if (pattern !== "rounds" && pattern !== "burst") throw new Error(`W1: unknown pattern ${pattern}`);
  // moai's heap allocations (malloc; V8's heap would not show): a run of its own, since
  // counting costs CPU.
  const counter = params.countAllocations && kind === "moai" ? allocationCounter(workDir) : null;
  const server = await startServer({ kind, moai, workDir, dbPath: join(workDir, `w1-${kind}.db`), env: counter?.env });
  const ctx = { nodes: [] };
  try {
    const a = await newClient(ctx, server.url, "Writer A");
    const b = await newClient(ctx, server.url, "Reader B");
    const group = a.node.createGroup();
    group.addMember(await loadOrFail(a.node, b.accountID, "B's account"), "reader");
    await group.core.waitForSync();

    // Write phase: create N maps, then K rounds of one edit per map.
    // moai's CPU split by where it goes (perf; a sample per ms, about 1 % of a core).
    const profiler = kind === "moai" && params.profile !== false && !counter ? await profile(server.pid, join(workDir, `w1-${process.pid}.perf`)) : null;
    const cpu0 = cpuSeconds(server.pid);
    const switches0 = contextSwitches(server.pid);
    const allocs0 = counter && allocationsSoFar(counter.file);
    const t0 = performance.now();
    const maps = [];
    if (pattern === "burst") {
      // Each map created and edited K times in one go: one content message per map.
      for (let i = 0; i < N; i++) {
        const map = group.createMap();
        for (let k = 0; k < K; k++) map.set(`field${k % 4}`, value(i, k));
        maps.push(map);
        if (i % 50 === 49) await tick();
      }
    } else {
      for (let i = 0; i < N; i++) {
        maps.push(group.createMap());
        if (i % 50 === 49) await tick();
      }
      await tick();
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < N; i++) maps[i].set(`field${k % 4}`, value(i, k));
        await tick();
      }
    }
    await Promise.all(maps.map((m) => m.core.waitForSync({ timeout: 600000 })));
    const t1 = performance.now();
    const cpu1 = cpuSeconds(server.pid);
    log(`${kind} W1 write: ${N}x${K} in ${((t1 - t0) / 1000).toFixed(2)} s, server CPU ${(cpu1 - cpu0).toFixed(2)} s`);

    // Read phase: B loads every map and must see all K transactions of each.
    const ids = maps.map((m) => m.id);
    const loaded = await Promise.all(ids.map((id) => loadOrFail(b.node, id, id)));
    await waitFor(
      () => loaded.every((m) => Object.values(m.core.knownState().sessions).reduce((s, n) => s + n, 0) === K),
      { timeout: 120000, what: "B to hold every transaction" },
    );
    const t2 = performance.now();
    const cpu2 = cpuSeconds(server.pid);
    const switches = switchesBetween(switches0, contextSwitches(server.pid));
    const allocs = counter && allocationsSoFar(counter.file);
    const cpuBreakdown = profiler ? perTransaction(await profiler.stop(), ((cpu2 - cpu0) / (N * K)) * 1e6) : undefined;
    // Outside the timed part: B sees A's last values, not only as many transactions.
    for (let i = 0; i < N; i += Math.max(1, Math.floor(N / 50))) {
      assert.deepEqual(loaded[i].get(`field${(K - 1) % 4}`), value(i, K - 1), `map ${i} as loaded by B`);
    }
    log(`${kind} W1 load: ${N} maps in ${((t2 - t1) / 1000).toFixed(2)} s, server CPU ${(cpu2 - cpu1).toFixed(2)} s`);

    const tx = N * K;
    if (pattern === "rounds") writeFileSync(
      join(workDir, `w1-${kind}-state.json`),
      JSON.stringify({ dbPath: server.dbPath, b: { accountID: b.accountID, accountSecret: b.accountSecret }, ids, edits: K }),
    );
    return {
      transactions: tx,
      writeWallS: (t1 - t0) / 1000,
      loadWallS: (t2 - t1) / 1000,
      wallS: (t2 - t0) / 1000,
      writeCpuS: cpu1 - cpu0,
      loadCpuS: cpu2 - cpu1,
      cpuS: cpu2 - cpu0,
      cpuUsPerTx: ((cpu2 - cpu0) / tx) * 1e6,
      contextSwitches: switches,
      voluntarySwitchesPerTx: switches.voluntary / tx,
      cpuBreakdown,
      allocationsPerTx: counter ? (allocs.allocations - allocs0.allocations) / (N * K) : undefined,
      allocatedBytesPerTx: counter ? (allocs.bytes - allocs0.bytes) / (N * K) : undefined,
      serverLog: problemLines(server),
    };
  } finally {
    for (const node of ctx.nodes) node.gracefulShutdown();
    await server.stop();
  }
}
