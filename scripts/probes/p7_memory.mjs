// Probe 7: memory amplification.
//  A. one WebSocket frame of 1,000,000 `load` messages (~63 MB) with --max-frame-bytes 100000000:
//     close code/reason, RSS before/peak (VmHWM)/after.
//  B. 10 connections each sending the first 59 MB fragment of a message that never ends
//     (default limits: max_frame_bytes 64 MiB, max_buffered_frame_bytes 256 MiB): which are closed, codes, RSS.
import { join } from "node:path";
import { api, hwmKiB, load, log, makeCtx, randomCoId, rawClient, rssKiB, sleep, startServer, waitFor } from "./common.mjs";
import { metric, scrape } from "../../test/interop/lib/prometheus.mjs";
const MiB = 1 << 20;
const ctx = makeCtx("p7-mem");
{
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "a.db"), args: ["--max-frame-bytes", "100000000"] });
  const parts = [];
  for (let i = 0; i < 1e6; i++) parts.push(JSON.stringify({ action: "load", id: randomCoId(), header: false, sessions: {} }));
  const frame = parts.join("\n");
  const rss0 = rssKiB(server.pid);
  const c = await rawClient(server.url);
  const t = Date.now();
  c.send(frame);
  const closed = await Promise.race([c.whenClosed(), sleep(60000).then(() => null)]);
  const ms = Date.now() - t;
  await sleep(1000);
  log(`A: frame of 1,000,000 loads (${(frame.length / 1e6).toFixed(1)} MB): closed ${JSON.stringify(closed)} after ${ms} ms; answers ${c.messages.length}; RSS ${rss0} KiB before, peak ${hwmKiB(server.pid)} KiB, now ${rssKiB(server.pid)} KiB; /health ${(await api(server, "GET", "/health")).status}; load ${load()}`);
  log(`   ${server.logs().split("\n").filter((l) => /1009|too many|frame/.test(l)).join(" | ")}`);
  log(`   exit ${JSON.stringify(await server.stop("SIGTERM"))}`);
}
{
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "b.db") });
  const rss0 = rssKiB(server.pid);
  const piece = Buffer.alloc(59e6, "x");
  const holders = [];
  for (let i = 0; i < 10; i++) {
    const h = await rawClient(server.url);
    holders.push(h);
    h.ws.send(piece, { fin: false, binary: false });
    await sleep(1500);
    log(`B: holder ${i + 1} sent 59 MB; closed so far ${holders.filter((x) => x.closed()).length}; RSS ${rssKiB(server.pid)} KiB; buffered ${metric(await scrape(server), "moai_frame_bytes_buffered")}`);
  }
  await sleep(2000);
  const closedList = holders.map((h, i) => [i + 1, h.closed()?.code ?? "open", h.closed()?.reason ?? ""]);
  log(`B: ${JSON.stringify(closedList)}`);
  log(`B: RSS before ${rss0} KiB, peak ${hwmKiB(server.pid)} KiB, now ${rssKiB(server.pid)} KiB; /health ${(await api(server, "GET", "/health")).status}; load ${load()}`);
  for (const h of holders) h.ws.terminate();
  await waitFor(async () => metric(await scrape(server), "moai_frame_bytes_buffered") === 0, { what: "buffered back to 0" }).catch((e) => log(e.message));
  await sleep(3000);
  log(`B: after closing all: RSS ${rssKiB(server.pid)} KiB; exit ${JSON.stringify(await server.stop("SIGTERM"))}`);
}
process.exit(0);
