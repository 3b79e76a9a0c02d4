// Runs one interop case against moai or the JavaScript reference server.
//   node run.mjs <case> --moai path/to/moai
//   node run.mjs <case> --reference
//   node run.mjs --list
// A case is a file in cases/, or "ops/<name>" for the operations cases in test/ops/.
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { log, tempDir } from "./lib/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const caseFiles = new Map();
for (const [prefix, dir] of [["", join(here, "cases")], ["ops/", join(here, "..", "ops")]]) {
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".mjs"))) caseFiles.set(prefix + f.slice(0, -4), join(dir, f));
}
const cases = [...caseFiles.keys()].sort();

const args = process.argv.slice(2);
if (args.includes("--list")) {
  console.log(cases.join("\n"));
  process.exit(0);
}
const name = args[0];
if (!cases.includes(name)) {
  console.error(`unknown case "${name}"; cases: ${cases.join(", ")}`);
  process.exit(2);
}
const moaiIndex = args.indexOf("--moai");
const ctx = {
  kind: moaiIndex >= 0 ? "moai" : "reference",
  moai: moaiIndex >= 0 ? args[moaiIndex + 1] : undefined,
  workDir: tempDir(),
  servers: [],
  nodes: [],
};
if (!args.includes("--reference") && moaiIndex < 0) {
  console.error("pass --moai PATH or --reference");
  process.exit(2);
}

const timeoutMs = Number(process.env.MOAI_INTEROP_TIMEOUT_MS ?? 120000);
let failed = false;
const started = Date.now();
try {
  const mod = await import(caseFiles.get(name));
  await Promise.race([
    mod.run(ctx),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`case timed out after ${timeoutMs} ms`)), timeoutMs)),
  ]);
  log(`PASS ${name} against ${ctx.kind} in ${Date.now() - started} ms`);
} catch (e) {
  failed = true;
  console.error(`FAIL ${name} against ${ctx.kind}: ${e.stack ?? e}`);
  for (const s of ctx.servers) {
    console.error(`---- server log ${s.logPath} (tail) ----`);
    try {
      console.error(s.logs().split("\n").slice(-40).join("\n"));
    } catch {}
  }
} finally {
  for (const node of ctx.nodes) {
    try {
      node.gracefulShutdown();
    } catch {}
  }
  await Promise.all(ctx.servers.map((s) => s.stop().catch(() => {})));
  if (!failed) rmSync(ctx.workDir, { recursive: true, force: true });
}
if (failed) process.exit(1);
process.exit(0);
