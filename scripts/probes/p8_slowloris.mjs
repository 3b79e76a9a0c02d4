// Probe 8: slowloris. 500 TCP connections send an HTTP request's headers one byte per second;
// meanwhile /health is timed with curl (a fresh connection each time) once a second.
// Also: how many of the 500 the server closes, and when.
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { cpuSeconds, fdCount, load, log, makeCtx, rssKiB, sleep, startServer } from "./common.mjs";
const SECONDS = Number(process.env.SECONDS_ ?? 90), N = 500;
const ctx = makeCtx("p8-slowloris");
const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db") });
const t0 = Date.now();
const closedAt = [];
const socks = [];
for (let i = 0; i < N; i++) {
  const s = connect(server.port, "127.0.0.1");
  const head = `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `;
  let pos = 0, alive = true;
  s.on("error", () => {});
  s.on("close", () => { alive = false; closedAt.push(Date.now() - t0); });
  s.on("data", () => {});
  const tick = () => { if (!alive) return; s.write(pos < head.length ? head[pos] : "a"); pos++; setTimeout(tick, 1000); };
  s.on("connect", tick);
  socks.push(s);
}
const curl = () => new Promise((resolve) => execFile("curl", ["-s", "-o", "/dev/null", "-m", "5", "-w", "%{http_code} %{time_total}", `${server.httpUrl}/health`], (e, out) => resolve(out || "fail")));
const lat = [];
const cpu0 = cpuSeconds(server.pid);
for (let s = 0; s < SECONDS; s++) {
  const [code, secs] = (await curl()).split(" ");
  lat.push([code, Number(secs) * 1000]);
  if (s % 15 === 14) log(`t=${s + 1}s: slow connections closed by server ${closedAt.length}/${N}; /health last ${code} ${(Number(secs) * 1000).toFixed(1)} ms; moai fds ${fdCount(server.pid)}, RSS ${rssKiB(server.pid)} KiB; load ${load()}`);
  await sleep(1000);
}
const cpu = cpuSeconds(server.pid) - cpu0;
const ms = lat.filter(([c]) => c === "200").map(([, m]) => m).sort((a, b) => a - b);
const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]?.toFixed(1);
log(`/health during slowloris: ${ms.length}/${lat.length} answered 200; median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${ms.at(-1)?.toFixed(1)} ms; moai CPU ${cpu.toFixed(2)} s in ${SECONDS} s`);
log(`slow connections closed by server: ${closedAt.length}/${N}${closedAt.length ? `, first at ${closedAt[0]} ms, last at ${closedAt.at(-1)} ms` : ""}`);
for (const s of socks) s.destroy();
log(`exit ${JSON.stringify(await server.stop("SIGTERM"))}`);
process.exit(0);
