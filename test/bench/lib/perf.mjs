// Where a server's CPU goes: `perf record` (software cpu-clock samples, so it works in
// VMs without hardware counters) on the server's pid over a workload's measured phase,
// each sample put in one category by the shared object and symbol it landed in (self
// time: a sample in malloc counts as allocation, whoever called it).
//   crypto         Ed25519 and BLAKE3 (Crypto++, OpenSSL, libsodium, moai's BLAKE3)
//   JSON           RapidJSON and moai's JSON and sync codec code
//   storage        SQLite, libpq, SQLiteCpp and moai's storage code
//   kernel         system calls, scheduling, networking (all kernel samples)
//   actor runtime  CAF
//   allocation     malloc and free (glibc's, or all of libjemalloc, which moai links)
//   other          the rest (moai's protocol and actors, Asio/Beast, libstdc++, libc)
// Kernel samples need perf_event_paranoid ≤ 1 (or root); without them the kernel share
// is missing and says so.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readlinkSync, rmSync } from "node:fs";

export const CATEGORIES = ["crypto", "JSON", "storage", "kernel", "actor runtime", "allocation", "other"];

const RULES = [
  ["kernel", (dso, sym, kernel) => kernel || dso.startsWith("[kernel") || dso === "[vdso]"],
  ["crypto", (dso, sym) => /libcrypto|libsodium|libssl/.test(dso) || /blake3|ed25519|Donna|sha512/i.test(sym)],
  ["storage", (dso, sym) => /libsqlite|libpq|SQLiteCpp/.test(dso) || /^SQLite::|sqlite3|moai::storage::/.test(sym)],
  ["JSON", (dso, sym) => /rapidjson|json|::decode_frame|codec|canonical|content_writer/i.test(sym)],
  ["actor runtime", (dso, sym) => /libcaf/.test(dso) || /^(\w+ )?caf::|^_ZN3caf/.test(sym)],
  ["allocation", (dso, sym) =>
    /libjemalloc/.test(dso) || (/libc\.so/.test(dso) && /malloc|free|_int_|unlink_chunk|tcache|consolidate|^cfree/.test(sym))],
];

export function categoryOf(dso, sym, kernel = false) {
  for (const [name, test] of RULES) if (test(dso, sym, kernel)) return name;
  return "other";
}

// Why profiles cannot be taken here, or null when they can.
export function profilingUnavailable() {
  const probe = spawnSync("perf", ["record", "-q", "-e", "cpu-clock", "-o", "/dev/null", "--", "true"], {
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 20000,
  });
  if (probe.error) return `perf not found (${probe.error.code}); scripts/install-deps --bench installs linux-perf`;
  if (probe.status !== 0) return `perf record failed: ${String(probe.stderr).trim().split("\n")[0]}`;
  return null;
}

// Whether perf (process `perfPid`) has opened its events: it samples from then on.
function sampling(perfPid) {
  try {
    return readdirSync(`/proc/${perfPid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${perfPid}/fd/${fd}`).includes("perf_event");
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

// Starts sampling `pid` and returns once samples are being taken (perf takes a moment
// to attach, longer than a short workload); stop() ends it and returns the breakdown,
// or { available: false, reason } when perf is missing or failed.
export async function profile(pid, file) {
  const unavailable = profilingUnavailable();
  if (unavailable) return { stop: async () => ({ available: false, reason: unavailable }) };
  rmSync(file, { force: true });
  const child = spawn("perf", ["record", "-q", "-e", "cpu-clock", "-F", "999", "-p", String(pid), "-o", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  let done = null;
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve((done = { code, signal }))));
  for (const until = Date.now() + 10000; !done && !sampling(child.pid) && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    async stop() {
      child.kill("SIGINT");
      const how = await exited;
      if (!existsSync(file)) return { available: false, reason: `perf record wrote nothing (${JSON.stringify(how)}): ${stderr.trim()}` };
      try {
        return breakdown(file);
      } catch (e) {
        return { available: false, reason: `perf report failed: ${String(e.message ?? e).split("\n")[0]}` };
      } finally {
        rmSync(file, { force: true });
      }
    },
  };
}

// Shares of the samples (0..1) per category, per thread name, and the largest symbols.
export function breakdown(file) {
  const report = (sort, extra = []) =>
    execFileSync("perf", ["report", "-i", file, "--stdio", "--no-children", "--sort", sort, "--percent-limit", "0", "-q", ...extra], {
      maxBuffer: 256 << 20,
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
  const shares = Object.fromEntries(CATEGORIES.map((c) => [c, 0]));
  const top = [];
  for (const line of report("dso,sym").split("\n")) {
    const m = /^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$/.exec(line);
    if (!m) continue;
    const share = Number(m[1]) / 100;
    const category = categoryOf(m[2], m[4], m[3] === "k");
    shares[category] += share;
    if (top.length < 25) top.push({ share, dso: m[2], symbol: m[4].slice(0, 160), category });
  }
  const byThread = {};
  let samples = 0;
  for (const line of report("comm", ["-n"]).split("\n")) {
    const m = /^\s*([\d.]+)%\s+(\d+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    byThread[m[3]] = Number(m[1]) / 100;
    samples += Number(m[2]);
  }
  const kernelSampled = shares.kernel > 0;
  return { available: true, samples, shares, byThread, top, kernelSampled };
}

// µs per transaction per category, given the measured CPU per transaction.
export function perTransaction(result, cpuUsPerTx) {
  if (!result?.available) return result;
  const total = Object.values(result.shares).reduce((a, b) => a + b, 0) || 1;
  const usPerTx = Object.fromEntries(Object.entries(result.shares).map(([c, s]) => [c, (s / total) * cpuUsPerTx]));
  return { ...result, usPerTx };
}

// `node lib/perf.mjs perf.data`: the breakdown of a recorded profile.
if (process.argv[1]?.endsWith("perf.mjs") && process.argv[2]) {
  const r = breakdown(process.argv[2]);
  for (const [c, share] of Object.entries(r.shares)) console.log(`${c.padEnd(14)} ${(100 * share).toFixed(1)} %`);
  console.log(`${r.samples} samples; by thread ${JSON.stringify(r.byThread)}`);
}
