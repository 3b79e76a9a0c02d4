// Probe 5: 12,000 edits of ~1 KB (40 maps × 300 rounds) through a cojson client; the -wal
// file's size sampled every 200 ms during the writes and for 30 s after (no outside checkpoint).
import { statSync } from "node:fs";
import { join } from "node:path";
import { load, log, makeCtx, newClient, sleep, startServer } from "./common.mjs";
const ctx = makeCtx("p5-wal");
const dbPath = join(ctx.workDir, "sync.db");
const server = await startServer(ctx, { dbPath });
const size = (p) => statSync(p, { throwIfNoEntry: false })?.size ?? 0;
let maxWal = 0;
const samples = [];
const sampler = setInterval(() => { const w = size(`${dbPath}-wal`); maxWal = Math.max(maxWal, w); samples.push([Date.now(), w]); }, 200);
const client = await newClient(ctx, server.url, "Writer");
const group = client.node.createGroup();
const text = "x".repeat(1000);
const maps = Array.from({ length: 40 }, () => group.createMap());
await Promise.all(maps.map((m) => m.core.waitForSync()));
const t0 = Date.now();
for (let round = 0; round < 300; round++) {
  for (const map of maps) map.set(`k${round % 20}`, `${round}${text}`);
  if (round % 25 === 24) { await Promise.all(maps.map((m) => m.core.waitForSync())); log(`round ${round + 1}: WAL ${(size(`${dbPath}-wal`) / 1048576).toFixed(1)} MiB, max so far ${(maxWal / 1048576).toFixed(1)} MiB, DB ${(size(dbPath) / 1048576).toFixed(1)} MiB`); }
}
await Promise.all(maps.map((m) => m.core.waitForSync()));
log(`12,000 edits synced in ${Date.now() - t0} ms; WAL ${size(`${dbPath}-wal`)} B, max ${maxWal} B, DB ${size(dbPath)} B; load ${load()}`);
for (let s = 0; s < 6; s++) { await sleep(5000); log(`+${(s + 1) * 5} s idle: WAL ${size(`${dbPath}-wal`)} B, DB ${size(dbPath)} B`); }
clearInterval(sampler);
const exit = await server.stop("SIGTERM");
log(`after SIGTERM (${JSON.stringify(exit)}): WAL ${size(`${dbPath}-wal`)} B, DB ${size(dbPath)} B; peak WAL during run ${(maxWal / 1048576).toFixed(1)} MiB; load ${load()}`);
process.exit(0);
