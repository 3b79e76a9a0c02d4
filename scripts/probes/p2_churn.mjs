// Probe 2: connect/disconnect churn for SECONDS (default 180) with parallel loops; RSS every 20k.
// Half the cycles close gracefully (close frame), half drop the TCP connection (terminate).
import { WebSocket, fdCount, load, log, makeCtx, rssKiB, sleep, startServer } from "./common.mjs";
const SECONDS = Number(process.env.SECONDS_ ?? 180), LOOPS = Number(process.env.LOOPS ?? 16);
const ctx = makeCtx("p2-churn");
const server = await startServer(ctx, { dbPath: `${ctx.workDir}/sync.db`, args: ["--log-level", "warn"] });
await sleep(1000);
const rss0 = rssKiB(server.pid);
log(`load ${load()}; RSS start ${rss0} KiB, fds ${fdCount(server.pid)}`);
let cycles = 0, failures = 0, nextMark = 20000;
const marks = [];
const end = Date.now() + SECONDS * 1000;
const one = (i) => new Promise((resolve) => {
  const ws = new WebSocket(server.url, { localAddress: `127.0.${1 + (i % 4)}.${1 + (cycles % 200)}` });
  ws.on("error", () => { failures++; resolve(); });
  ws.on("open", () => { if (cycles % 2) ws.close(); else ws.terminate(); });
  ws.on("close", () => resolve());
});
const loop = async (i) => {
  while (Date.now() < end) {
    await one(i);
    cycles++;
    if (cycles >= nextMark) {
      nextMark += 20000;
      const r = rssKiB(server.pid);
      marks.push([cycles, r]);
      log(`${cycles} cycles: RSS ${r} KiB, fds ${fdCount(server.pid)}, failures ${failures}, load ${load()}`);
    }
  }
};
const t0 = Date.now();
await Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));
const secs = (Date.now() - t0) / 1000;
await sleep(3000);
const rssEnd = rssKiB(server.pid);
log(`done: ${cycles} cycles in ${secs.toFixed(0)} s (${(cycles / secs).toFixed(0)}/s), failures ${failures}; RSS start ${rss0} KiB, end ${rssEnd} KiB, fds ${fdCount(server.pid)}; load ${load()}`);
const h = await fetch(`${server.httpUrl}/health`);
log(`/health ${h.status}`);
const exit = await server.stop("SIGTERM");
log(`exit ${JSON.stringify(exit)}`);
console.log(server.logs().split("\n").filter((l) => /warn|error/.test(l)).slice(0, 10).join("\n"));
process.exit(0);
