// Probe 6: moai under `prlimit --nofile=200:200`; 300 idle TCP connections; CPU over 5 s,
// log bytes written meanwhile, /health meanwhile, and recovery once they are closed.
import { statSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { cpuSeconds, fdCount, load, log, makeCtx, sleep, startServer, waitFor } from "./common.mjs";
const ctx = makeCtx("p6-fd");
const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db"), wrap: ["prlimit", "--nofile=200:200", "--"] });
log(`start: ${server.logs().split("\n").filter((l) => /descriptor|lowered/.test(l)).join(" | ")}`);
const health = async () => {
  const t = Date.now();
  try { const r = await fetch(`${server.httpUrl}/health`, { signal: AbortSignal.timeout(3000) }); return `${r.status} in ${Date.now() - t} ms`; }
  catch (e) { return `${e.name} after ${Date.now() - t} ms`; }
};
const sockets = [];
let refused = 0;
for (let i = 0; i < 300; i++) {
  const s = connect(server.port, "127.0.0.1");
  s.on("error", () => refused++);
  sockets.push(s);
}
await sleep(1000);
const logBytes0 = statSync(server.logPath).size, cpu0 = cpuSeconds(server.pid);
await sleep(5000);
const cpu = cpuSeconds(server.pid) - cpu0, logBytes = statSync(server.logPath).size - logBytes0;
log(`300 idle TCP connections: moai fds ${fdCount(server.pid)}, CPU ${cpu.toFixed(2)} s in 5 s, log +${logBytes} B in 5 s, errors on client sockets ${refused}; load ${load()}`);
log(`/health while out of descriptors: ${await health()}`);
log(`accept lines: ${server.logs().split("\n").filter((l) => /accept/.test(l)).map((l) => l.slice(0, 220)).join("\n   ")}`);
for (const s of sockets) s.destroy();
const t = Date.now();
await waitFor(async () => (await health()).startsWith("200"), { what: "/health 200", timeout: 30000 });
log(`closed them: /health 200 again after ${Date.now() - t} ms; fds ${fdCount(server.pid)}`);
const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
log(metrics.split("\n").filter((l) => /accept_failures/.test(l)).join(" "));
const exit = await server.stop("SIGTERM");
log(`exit ${JSON.stringify(exit)}; total log ${statSync(server.logPath).size} B`);
process.exit(0);
