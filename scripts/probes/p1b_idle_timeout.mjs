// Probe 1b: do idle connections outlive limits.idle_timeout_ms (60 s)? 200 raw `ws` clients
// (which answer WebSocket pings by themselves) and one idle cojson client, held 80 s.
import { WebSocket, load, log, makeCtx, newClient, sleep, startServer } from "./common.mjs";
const ctx = makeCtx("p1b-idle-timeout");
const server = await startServer(ctx, { dbPath: `${ctx.workDir}/sync.db` });
const closes = [];
const socks = [];
for (let i = 0; i < 200; i++) {
  const ws = new WebSocket(server.url);
  ws.on("close", (c) => closes.push(["raw", c]));
  ws.on("error", () => {});
  ws.on("message", () => {});
  socks.push(ws);
}
const c = await newClient(ctx, server.url, "Idle", { onClose: (code) => closes.push(["cojson", code]) });
await sleep(80000);
log(`after 80 s idle: closed ${closes.length} (${JSON.stringify(closes.slice(0, 5))}), raw open ${socks.filter((s) => s.readyState === WebSocket.OPEN).length}/200; load ${load()}`);
log(server.logs().split("\n").filter((l) => /idle|timeout/i.test(l)).slice(0, 3).join("\n"));
await server.stop();
process.exit(0);
