// Shared helpers for the probes: a harness ctx, RSS / CPU readings, load average.
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
export * from "../../test/interop/lib/harness.mjs";

// MOAI: the binary to probe (default: build/moai); PROBE_OUT: where runs keep their files.
const here = new URL(".", import.meta.url).pathname;
export const moaiBinary = process.env.MOAI ?? join(here, "..", "..", "build", "moai");
const outDir = process.env.PROBE_OUT ?? "/tmp/moai-probes";

export function makeCtx(name) {
  const workDir = join(outDir, `${name}-${Date.now()}`);
  mkdirSync(workDir, { recursive: true });
  return { kind: "moai", moai: moaiBinary, workDir, servers: [], nodes: [] };
}
export const rssKiB = (pid) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]);
export const hwmKiB = (pid) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+)/)[1]);
export const threads = (pid) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/Threads:\s+(\d+)/)[1]);
export function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}
export const fdCount = (pid) => {
  try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return -1; }
};
export const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
