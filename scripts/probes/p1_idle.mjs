// Probe 1: 5,000 idle raw WebSockets; RSS per connection; SIGTERM: close codes, time to exit.
import { WebSocket, cpuSeconds, fdCount, load, log, makeCtx, rssKiB, sleep, startServer, waitFor } from "./common.mjs";
const N = Number(process.env.N ?? 5000);
const ctx = makeCtx("p1-idle");
const server = await startServer(ctx, { dbPath: `${ctx.workDir}/sync.db` });
await sleep(1000);
const rss0 = rssKiB(server.pid);
log(`load ${load()}; moai pid ${server.pid}, RSS before ${rss0} KiB, fds ${fdCount(server.pid)}`);
const codes = new Map();
let earlyClosed = 0, errors = 0, sigtermSent = false;
const sockets = [];
const openOne = () => new Promise((resolve) => {
  const ws = new WebSocket(server.url);
  ws.on("close", (code) => { if (!sigtermSent) earlyClosed++; codes.set(code, (codes.get(code) ?? 0) + 1); });
  ws.on("error", () => { errors++; resolve(false); });
  ws.on("open", () => resolve(true));
  ws.on("message", () => {});
  sockets.push(ws);
});
const t0 = Date.now();
let opened = 0;
for (let i = 0; i < N; i += 100) {
  const r = await Promise.all(Array.from({ length: Math.min(100, N - i) }, openOne));
  opened += r.filter(Boolean).length;
}
log(`opened ${opened}/${N} in ${Date.now() - t0} ms (errors ${errors})`);
await sleep(5000);
const rss1 = rssKiB(server.pid);
const open1 = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
const c0 = cpuSeconds(server.pid);
await sleep(10000);
const idleCpu = cpuSeconds(server.pid) - c0;
log(`RSS after ${rss1} KiB: +${rss1 - rss0} KiB = ${((rss1 - rss0) / opened).toFixed(2)} KiB/conn; open ${open1}; fds ${fdCount(server.pid)}; idle CPU ${idleCpu.toFixed(2)} s in 10 s; closed before SIGTERM ${earlyClosed}; load ${load()}`);
const stillOpen = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
codes.clear();
sigtermSent = true;
const ts = Date.now();
const exit = await server.stop("SIGTERM");
const exitMs = Date.now() - ts;
await waitFor(() => sockets.every((s) => s.readyState === WebSocket.CLOSED), { timeout: 15000, what: "all closed" }).catch(() => {});
log(`SIGTERM with ${stillOpen} open: exit ${JSON.stringify(exit)} in ${exitMs} ms; close codes ${JSON.stringify([...codes])}; load ${load()}`);
const tail = server.logs().split("\n").slice(-6).join("\n");
console.log(tail);
process.exit(0);
