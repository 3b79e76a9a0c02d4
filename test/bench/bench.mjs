// moai against the JavaScript reference server, side by side, in one run.
//   node bench.mjs --moai PATH [--quick] [--only W1,W2,…] [--repeat N] [--no-profile] [--allocations]
//                  [--out bench-results/bench.json]
// Each (workload, server) pair runs in its own process (run-one.mjs); the servers run one
// at a time, moai then reference, so both see the same machine. Prints the table and
// writes the JSON (machine, parameters, both servers' figures, ratios, targets).
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CATEGORIES } from "./lib/perf.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const args = process.argv.slice(2);
// A mistyped flag must not start a 10-minute run with the defaults.
const FLAGS = { quick: false, moai: true, out: true, only: true, repeat: true, "no-profile": false, allocations: false };
for (let i = 0; i < args.length; i++) {
  const name = args[i].startsWith("--") ? args[i].slice(2) : null;
  if (name === null || !(name in FLAGS) || (FLAGS[name] && i + 1 >= args.length)) {
    console.error(`bench: unknown or incomplete argument '${args[i]}'`);
    console.error(
      "usage: bench.mjs --moai PATH [--quick] [--only W1,W1b,W2,W3,W4,W6,W7] [--repeat N] [--no-profile] [--allocations] [--out FILE]",
    );
    process.exit(2);
  }
  if (FLAGS[name]) i++;
}
const arg = (flag, fallback) => {
  const i = args.indexOf(`--${flag}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes("--quick");
const moai = resolve(arg("moai", join(root, "build/moai")));
const out = resolve(arg("out", join(root, "bench-results/bench.json")));
const only = arg("only", "W1,W3,W1b,W2,W4,W6,W7").split(",");
// --repeat N runs every (workload, server) pair N times, alternating servers, and reports
// the median of each metric: on a shared machine single runs can be far off.
const repeat = Math.max(1, Number(arg("repeat", "1")));
// W1 and W6 sample moai with perf for the CPU breakdown unless --no-profile.
const profiling = !args.includes("--no-profile");
// --allocations: one more moai run of W1 and W6 that counts its heap allocations
// (lib/allocations.mjs; a run of its own, since counting costs CPU).
const countAllocations = args.includes("--allocations");
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 23)}]`, ...a);

// Workload sizes. quick must finish in under 3 minutes on 2 cores.
const PROFILES = {
  quick: {
    W1: { maps: 200, edits: 5 },
    W1b: { maps: 200, edits: 5, pattern: "burst" },
    W2: { subscribers: 16, edits: 120, intervalMs: 40, procs: 2, rawEdits: 120 },
    W4: { connections: 500, idleS: 4 },
    W6: {
      generate: { accounts: 12, devices: 2, groupsPerAccount: 2, membersPerGroup: 2, mapsPerGroup: 8, listsPerGroup: 1, edits: 25 },
      connections: 8,
      window: 256,
    },
    W7: { subscribers: 16, edits: 100, intervalMs: 40 },
  },
  full: {
    W1: { maps: 1000, edits: 10 },
    W1b: { maps: 1000, edits: 10, pattern: "burst" },
    W2: { subscribers: 50, edits: 500, intervalMs: 50, procs: 2, rawEdits: 300 },
    W4: { connections: 1000, idleS: 6 },
    W6: {
      generate: { accounts: 40, devices: 3, groupsPerAccount: 3, membersPerGroup: 3, mapsPerGroup: 12, listsPerGroup: 2, edits: 30 },
      connections: 8,
      window: 256,
    },
    W7: { subscribers: 50, edits: 300, intervalMs: 50 },
  },
};
const profile = PROFILES[quick ? "quick" : "full"];

function runChild(script, childArgs, { timeoutMs = 900000 } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(here, script), ...childArgs], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split("\n").reverse().find((l) => l.startsWith("RESULT "));
      let result = line ? JSON.parse(line.slice(7)) : { error: `no result (exit ${code ?? signal})` };
      if (code !== 0 && !result.error) result = { ...result, error: `exit ${code ?? signal}` };
      resolvePromise(result);
    });
  });
}

// The W6 input is generated once per parameter set and kept in bench-results/. Bump
// GENERATOR_VERSION when w6_generate.mjs changes what it produces.
const GENERATOR_VERSION = 1;
async function replayFile(params) {
  const key = createHash("sha256").update(JSON.stringify({ GENERATOR_VERSION, ...params })).digest("hex").slice(0, 12);
  const file = join(root, "bench-results", `w6-replay-${key}.jsonl`);
  if (existsSync(file)) return file;
  log(`W6: generating the replay file (once): ${JSON.stringify(params)}`);
  const tmp = `${file}.tmp`;
  await new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(here, "workloads/w6_generate.mjs"), "--out", tmp, "--params", JSON.stringify(params)], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("exit", (code) => (code === 0 ? res() : rej(new Error(`W6 generator exited with ${code}`))));
  });
  renameSync(tmp, file);
  return file;
}

function machine() {
  const sh = (cmd, a) => {
    try {
      return execFileSync(cmd, a, { cwd: root, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    } catch {
      return null;
    }
  };
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(join(root, "test/interop/node_modules", name, "package.json"), "utf8")).version;
    } catch {
      return null;
    }
  };
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryMiB: Math.round(Number(/MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0) / 1024),
    kernel: sh("uname", ["-r"]),
    loadAverageAtStart: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number),
    date: new Date().toISOString(),
    gitCommit: sh("git", ["rev-parse", "HEAD"]),
    gitDirty: (sh("git", ["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "",
    moaiVersion: sh(moai, ["version"]),
    node: process.version,
    cojson: pkg("cojson"),
  };
}

// ---- the table -------------------------------------------------------------------------
// moai's CPU per transaction split by where it goes (lib/perf.mjs); the reference is not
// profiled (a JIT's samples say little). "-" with a note when perf is not available.
function breakdownRows(w) {
  return CATEGORIES.map((c) => ({ w, metric: `CPU per tx: ${c} (µs)`, get: (r) => r.cpuBreakdown.usPerTx[c] }));
}

// ratio = moai / reference. A target is { max } (ratio must be ≤) or { min } (≥).
const ROWS = [
  { w: "W1", metric: "server CPU per tx (µs)", get: (r) => r.cpuUsPerTx, target: { max: 0.1 } },
  { w: "W1", metric: "wall, write + load (s)", get: (r) => r.wallS, target: { max: 1 } },
  { w: "W1", metric: "wall, write (s)", get: (r) => r.writeWallS },
  { w: "W1", metric: "wall, load by 2nd client (s)", get: (r) => r.loadWallS },
  { w: "W1", metric: "server CPU total (s)", get: (r) => r.cpuS },
  { w: "W1", metric: "voluntary ctx switches per tx", get: (r) => r.voluntarySwitchesPerTx },
  ...breakdownRows("W1"),
  { w: "W1", metric: "heap allocations per tx", runs: "moaiCounted", get: (r) => r.allocationsPerTx },
  { w: "W1", metric: "heap KiB allocated per tx", runs: "moaiCounted", get: (r) => r.allocatedBytesPerTx / 1024 },
  { w: "W1b", metric: "server CPU per tx (µs)", get: (r) => r.cpuUsPerTx, target: { max: 0.1 } },
  { w: "W1b", metric: "wall, write + load (s)", get: (r) => r.wallS, target: { max: 1 } },
  { w: "W2", metric: "edit→receive p50 (ms)", get: (r) => r.received.p50 },
  { w: "W2", metric: "edit→receive p99 (ms)", get: (r) => r.received.p99, target: { max: 1 / 3 } },
  { w: "W2", metric: "edit→apply p50 (ms)", get: (r) => r.applied.p50 },
  { w: "W2", metric: "edit→apply p99 (ms)", get: (r) => r.applied.p99 },
  { w: "W2", metric: "deliveries received", get: (r) => r.received.n, fmt: (v) => String(v) },
  { w: "W2", metric: "server CPU per edit (ms)", get: (r) => r.cpuUsPerEdit / 1000 },
  { w: "W2", metric: "raw subscribers: p50 (ms)", get: (r) => r.raw.received.p50 },
  { w: "W2", metric: "raw subscribers: p99 (ms)", get: (r) => r.raw.received.p99 },
  { w: "W2", metric: "raw: server CPU per edit (ms)", get: (r) => r.raw.cpuUsPerEdit / 1000 },
  { w: "W3", metric: "server CPU, cold load (s)", get: (r) => r.cpuS, target: { max: 0.2 } },
  { w: "W3", metric: "wall, cold load (s)", get: (r) => r.wallS },
  { w: "W3", metric: "server CPU, start-up (s)", get: (r) => r.startupCpuS },
  { w: "W4", metric: "RSS per connection (KiB)", get: (r) => r.rssPerConnKiB, target: { max: 0.2 } },
  { w: "W4", metric: "RSS idle, before (MiB)", get: (r) => r.rssBeforeKiB / 1024 },
  { w: "W4", metric: "idle CPU per conn (µs/s)", get: (r) => r.idleCpuMsPerConnS * 1000 },
  { w: "W6", metric: "throughput (acked tx/s)", get: (r) => r.txPerS, target: { min: 10 } },
  { w: "W6", metric: "server CPU per tx (µs)", get: (r) => r.cpuUsPerTx },
  { w: "W6", metric: "voluntary ctx switches per tx", get: (r) => r.voluntarySwitchesPerTx },
  ...breakdownRows("W6"),
  { w: "W6", metric: "heap allocations per tx", runs: "moaiCounted", get: (r) => r.allocationsPerTx },
  { w: "W6", metric: "heap KiB allocated per tx", runs: "moaiCounted", get: (r) => r.allocatedBytesPerTx / 1024 },
  { w: "W6", metric: "wall (s)", get: (r) => r.wallS },
  { w: "W6", metric: "all content accepted", get: (r) => (r.accepted ? 1 : 0), fmt: (v) => (v ? "yes" : "NO") },
  // Not against the reference: moai's throughput ÷ what one core can do with the same
  // messages (moai_protocol_bench --replay: decode, BLAKE3 chain, one verify per message,
  // SQLite insert). The moai column shows that limit, the ratio column the share.
  { w: "W6", metric: "single-core limit (tx/s)", limit: true, target: { min: 0.5 } },
  // moai only: three nodes on one PostgreSQL against the same case on one node.
  { w: "W7", metric: "3 nodes: edit→receive p50 (ms)", get: (r) => r.crossNode.received.p50 },
  { w: "W7", metric: "3 nodes: edit→receive p99 (ms)", get: (r) => r.crossNode.received.p99 },
  { w: "W7", metric: "1 node: edit→receive p50 (ms)", get: (r) => r.oneNode.received.p50 },
  { w: "W7", metric: "1 node: edit→receive p99 (ms)", get: (r) => r.oneNode.received.p99 },
  { w: "W7", metric: "3 nodes: CPU per edit, all (ms)", get: (r) => r.crossNode.cpuUsPerEdit / 1000 },
  { w: "W7", metric: "1 node: CPU per edit (ms)", get: (r) => r.oneNode.cpuUsPerEdit / 1000 },
  { w: "W7", metric: "deliveries received (3 nodes)", get: (r) => r.crossNode.received.n, fmt: (v) => String(v) },
];

function fmt(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return "-";
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 10) return v.toFixed(2);
  return v.toFixed(3);
}

function buildRows(results) {
  return ROWS.filter((row) => results[row.w] && (!row.limit || singleCore) && (!row.runs || results[row.w][row.runs])).map((row) => {
    // The median over the successful runs (one run unless --repeat).
    const pick = (kind) => {
      if (row.runs && kind !== "moai") return null;
      const values = (results[row.w][row.runs ?? kind] ?? [])
        .filter((r) => !r.error)
        .map((r) => {
          try {
            return row.get(r);
          } catch {
            return null;
          }
        })
        .filter((v) => typeof v === "number" && Number.isFinite(v));
      return values.length ? median(values) : null;
    };
    let m = pick("moai");
    let ref = pick("reference");
    let ratio = m !== null && ref !== null && ref !== 0 && !row.fmt ? m / ref : null;
    if (row.limit) {
      const throughput = ROWS.find((r) => r.w === "W6" && r.metric.startsWith("throughput"));
      const values = results.W6.moai.filter((r) => !r.error).map(throughput.get);
      m = singleCore.error ? null : singleCore.tx_per_s;
      ref = null;
      ratio = m && values.length ? median(values) / m : null;
    }
    let verdict = "";
    if (row.target) {
      if (ratio === null) verdict = "MISS";
      else verdict = (row.target.max !== undefined ? ratio <= row.target.max : ratio >= row.target.min) ? "PASS" : "MISS";
    }
    const targetText = row.target ? (row.target.max !== undefined ? `≤ ${fmt(row.target.max)}` : `≥ ${fmt(row.target.min)}`) : "";
    const show = (v, kind) => {
      if (v === null && results[row.w][kind]?.some((r) => r.error)) return "error";
      return row.fmt ? (v === null ? "-" : row.fmt(v)) : fmt(v);
    };
    return {
      workload: row.w,
      metric: row.metric,
      moai: m,
      reference: ref,
      ratio,
      target: targetText || null,
      verdict: verdict || null,
      cells: [row.w, row.metric, show(m, "moai"), show(ref, "reference"), ratio === null ? "-" : `${fmt(ratio)}`, targetText, verdict],
    };
  });
}

function printTable(rows) {
  const header = ["workload", "metric", "moai", "reference", "ratio", "target", ""];
  const all = [header, ...rows.map((r) => r.cells)];
  const widths = header.map((_, i) => Math.max(...all.map((c) => [...c[i]].length)));
  const pad = (s, i) => (i >= 2 && i <= 4 ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (cells) => cells.map((c, i) => pad(c, i)).join("  ").trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  let last = null;
  for (const r of rows) {
    if (last && last !== r.workload) console.log("");
    last = r.workload;
    console.log(line(r.cells));
  }
}

// ---- run --------------------------------------------------------------------------------
mkdirSync(dirname(out), { recursive: true });
mkdirSync(join(root, "bench-results"), { recursive: true });
const workDir = mkdtempSync(join(tmpdir(), "moai-bench-"));
const started = Date.now();
const info = machine();
log(`bench (${quick ? "quick" : "full"}) on ${info.cores} × ${info.cpu}, moai ${moai}`);
const results = {};
const params = {};
const kinds = ["moai", "reference"];

async function runWorkload(w, p, servers = kinds) {
  if (!profiling) p = { ...p, profile: false };
  params[w] = p;
  results[w] = { moai: [], reference: [] };
  for (let i = 0; i < repeat; i++) {
    for (const kind of servers) {
      log(`${w} against ${kind}${repeat > 1 ? ` (run ${i + 1}/${repeat})` : ""} …`);
      const t = Date.now();
      const r = await runChild("run-one.mjs", [w, "--kind", kind, "--moai", moai, "--work", workDir, "--params", JSON.stringify(p)]);
      r.elapsedS = (Date.now() - t) / 1000;
      if (r.error) log(`${w} against ${kind} FAILED: ${r.error}`);
      results[w][kind].push(r);
    }
  }
}

// What one core can do with the W6 messages, measured by the protocol micro-benchmark
// built next to moai (best of 3 inside; takes a few seconds).
let singleCore = null;
function singleCoreLimit(file) {
  const bench = join(dirname(moai), "moai_protocol_bench");
  const json = join(workDir, "single-core.json");
  log(`W6 single-core limit (${bench} --replay) …`);
  try {
    execFileSync(bench, ["--replay", file, "--json", json], { stdio: ["ignore", "ignore", "inherit"] });
    return JSON.parse(readFileSync(json, "utf8"));
  } catch (e) {
    return { error: String(e.message ?? e).split("\n")[0] };
  }
}

const median = (values) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

// One more moai run of `w` that counts its heap allocations.
async function countAllocationsOf(w) {
  if (!countAllocations || !results[w]) return;
  log(`${w} against moai, counting allocations …`);
  const p = { ...params[w], countAllocations: true, profile: false };
  results[w].moaiCounted = [await runChild("run-one.mjs", [w, "--kind", "moai", "--moai", moai, "--work", workDir, "--params", JSON.stringify(p)])];
}

if (only.includes("W1") || only.includes("W3")) {
  await runWorkload("W1", profile.W1);
  await countAllocationsOf("W1");
}
if (only.includes("W3")) await runWorkload("W3", {});
if (only.includes("W1b")) await runWorkload("W1b", profile.W1b);
if (only.includes("W2")) await runWorkload("W2", profile.W2);
if (only.includes("W4")) await runWorkload("W4", profile.W4);
if (only.includes("W6")) {
  const { generate, ...replay } = profile.W6;
  try {
    const file = await replayFile(generate);
    await runWorkload("W6", { file, generate, ...replay });
    await countAllocationsOf("W6");
    singleCore = singleCoreLimit(file);
  } catch (e) {
    results.W6 = { moai: [{ error: String(e.message) }], reference: [{ error: String(e.message) }] };
  }
}

if (only.includes("W7")) await runWorkload("W7", profile.W7, ["moai"]);

info.loadAverageAtEnd = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
const rows = buildRows(results);
console.log("");
console.log(`moai vs reference (cojson ${info.cojson} LocalNode + ws + SQLite) — ${quick ? "quick" : "full"} run`);
console.log(`${info.cpu}, ${info.cores} cores, ${info.date}, commit ${info.gitCommit?.slice(0, 12)}${info.gitDirty ? " (dirty tree)" : ""}`);
console.log(`load average ${info.loadAverageAtStart.join(" ")} at start, ${info.loadAverageAtEnd.join(" ")} at end (other processes share these cores)`);
console.log(`ratio = moai / reference${repeat > 1 ? `; medians of ${repeat} runs each` : ""}\n`);
printTable(rows);
// What went wrong, if anything: failed workloads, server warnings, rejected or missing data.
const notes = [];
let invalid = false; // a workload failed or its data did not all arrive: figures are not comparable
for (const [w, byKind] of Object.entries(results)) {
  for (const [kind, r] of Object.entries(byKind).flatMap(([k, runs]) => runs.map((run) => [k, run]))) {
    if (r.error) {
      invalid = true;
      notes.push(`${w} ${kind}: FAILED: ${r.error.split("\n")[0]}`);
      for (const s of r.servers ?? []) if (s.exited) notes.push(`  ${s.kind} server exited ${JSON.stringify(s.exited)}`);
      continue;
    }
    if ((w === "W1" || w === "W6") && kind === "moai" && r.cpuBreakdown && !r.cpuBreakdown.available)
      notes.push(`${w} moai: CPU breakdown not available: ${r.cpuBreakdown.reason}`);
    if ((w === "W1" || w === "W6") && kind === "moai" && r.cpuBreakdown?.available && !r.cpuBreakdown.kernelSampled)
      notes.push(`${w} moai: no kernel samples in the CPU breakdown (perf_event_paranoid > 1 without root): the kernel's share is in none of the rows`);
    if (r.serverLog?.count) notes.push(`${w} ${kind}: ${r.serverLog.count} warning/error lines in the server log, e.g. ${r.serverLog.sample[0]}`);
    if (w === "W2" && r.raw && r.raw.received.n < r.raw.expectedDeliveries) invalid = true;
    if (w === "W2" && r.received.n < r.expectedDeliveries) invalid = true;
    if (w === "W6" && !r.accepted) invalid = true;
    for (const phase of w === "W7" ? [r.oneNode, r.crossNode] : []) {
      if (phase.received.n < phase.expectedDeliveries) {
        invalid = true;
        notes.push(`W7 ${phase.nodes} node(s): ${phase.expectedDeliveries - phase.received.n} deliveries never arrived`);
      }
    }
    if (w === "W2" && r.raw && r.raw.received.n < r.raw.expectedDeliveries)
      notes.push(`${w} ${kind}: raw phase: ${r.raw.expectedDeliveries - r.raw.received.n} deliveries never arrived`);
    if (w === "W2") {
      const busy = Object.entries(r.cpuUse ?? {}).filter(([name, u]) => name !== "server" && u.max >= 0.95);
      if (busy.length) notes.push(`${w} ${kind}: load generator saturated at times (${busy.map(([n]) => n).join(", ")}): latency includes client queueing`);
    }
    if (w === "W2" && r.received.n < r.expectedDeliveries)
      notes.push(`${w} ${kind}: ${r.expectedDeliveries - r.received.n} of ${r.expectedDeliveries} deliveries never arrived`);
    if (w === "W6" && !r.accepted)
      notes.push(`${w} ${kind}: content NOT fully accepted: ${r.rejected} CoValues short, ${r.corrections} corrections, ${r.verification?.mismatches} mismatches after replay`);
    if (w === "W6" && r.acksOlderThanPrevious)
      notes.push(`${w} ${kind}: ${r.acksOlderThanPrevious} acks carried an older state than an earlier ack of the same CoValue (acks out of order)`);
    if (w === "W6" && r.loadsFromServer) notes.push(`${w} ${kind}: the server asked for ${r.loadsFromServer} dependencies it should already have had`);
  }
}
if (singleCore?.error) {
  invalid = true;
  notes.push(`W6 single-core limit: FAILED: ${singleCore.error}`);
}
if (notes.length) console.log(`\nnotes:\n${notes.map((n) => `  ${n}`).join("\n")}`);
const elapsedS = (Date.now() - started) / 1000;
console.log(`\n${rows.filter((r) => r.verdict === "PASS").length}/${rows.filter((r) => r.verdict).length} targets met; ${elapsedS.toFixed(0)} s`);

writeFileSync(
  out,
  `${JSON.stringify(
    {
      profile: quick ? "quick" : "full",
      repeat,
      machine: info,
      elapsedS,
      params,
      singleCoreLimit: singleCore,
      table: rows.map(({ cells, ...r }) => r),
      notes,
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`written: ${out}`);
rmSync(workDir, { recursive: true, force: true });
if (invalid) {
  console.error("bench: some results are invalid (see notes above); exiting with failure");
  process.exit(1);
}
