// Heap allocations of a server, counted by lib/alloc_counter.c loaded with LD_PRELOAD:
// counters in a shared file that this reads at the edges of a measured phase. The
// counting costs an atomic add per allocation, so CPU figures of a counted run are not
// compared with others; scripts/bench counts in runs of their own (--allocations).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// Builds the shim into `dir`; returns the environment that loads it and the counts file.
export function allocationCounter(dir) {
  const shim = join(dir, "alloc_counter.so");
  execFileSync("cc", ["-shared", "-fPIC", "-O2", "-o", shim, fileURLToPath(new URL("./alloc_counter.c", import.meta.url))]);
  const file = join(dir, `alloc-counts-${process.pid}`);
  return { env: { LD_PRELOAD: shim, MOAI_ALLOC_COUNTS: file }, file };
}

// { allocations, bytes } so far.
export function allocationsSoFar(file) {
  const b = readFileSync(file);
  return { allocations: Number(b.readBigUInt64LE(0)), bytes: Number(b.readBigUInt64LE(8)) };
}
