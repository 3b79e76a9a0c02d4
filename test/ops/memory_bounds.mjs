// Memory stays bounded under hostile frames, and a burst's memory goes back to the system:
//   1. a frame of 60,000 messages closes its connection with 1009 before anything is
//      decoded; resident memory barely moves (one 63 MB frame of a million loads once took
//      5.1 GB); a frame of 25,000, what a cojson client can send (it weighs a batch by its
//      count of messages plus the next one's length against 25,000), is served;
//   2. messages still arriving hold memory on every connection at once: past
//      limits.max_buffered_frame_bytes (32 MiB here) the connection whose message grows
//      is closed with 1013, the others keep theirs, and the count returns to 0;
//   3. a burst of 90,000 loads over four connections: once they close and the CoValues
//      retire (runtime.covalue_idle_ms, 30 s), resident memory falls back (with glibc's
//      allocator it stayed, trimmed or not; moai links jemalloc).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { api, log, randomCoId, rawClient, sleep, startServer, waitFor } from "../interop/lib/harness.mjs";
import { metric, scrape } from "../interop/lib/prometheus.mjs";

const MiB = 1 << 20;
const loads = (n) =>
  Array.from({ length: n }, () => JSON.stringify({ action: "load", id: randomCoId(), header: false, sessions: {} })).join("\n");

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("limits of moai's own");
  const server = await startServer(ctx, {
    dbPath: join(ctx.workDir, "sync.db"),
    args: ["--max-buffered-frame-bytes", String(32 * MiB)],
  });
  const rss = () => Number(readFileSync(`/proc/${server.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]) * 1024;

  // ---- 1. too many messages in one frame ----
  const before = rss();
  const flood = await rawClient(server.url);
  flood.send(loads(60000));
  const closed = await flood.whenClosed();
  assert.equal(closed.code, 1009, `closed with ${closed.code} ${closed.reason}`);
  assert.match(closed.reason, /too many messages/);
  assert.equal(flood.messages.length, 0, "nothing of it was answered");
  const grown = rss() - before;
  assert.ok(grown < 64 * MiB, `resident memory grew ${(grown / MiB).toFixed(1)} MiB`);
  assert.equal(metric(await scrape(server), "moai_rejections_total", { reason: "too_many_messages" }), 1);
  log(`60,000 messages in one frame: 1009, resident memory +${(grown / MiB).toFixed(1)} MiB`);
  const batch = await rawClient(server.url);
  batch.send(loads(25000));
  await waitFor(() => batch.messages.length >= 25000, { what: "all 25,000 loads of one frame answered", timeout: 60000 });
  assert.equal(batch.closed(), null, "a frame as large as cojson sends is served");
  batch.close();

  // ---- 2. the server-wide budget for messages still arriving ----
  const holders = [];
  for (let i = 0; i < 8; i++) holders.push(await rawClient(server.url));
  const piece = Buffer.alloc(5 * MiB, "x");
  for (const h of holders) {
    h.ws.send(piece, { fin: false, binary: false }); // the first 5 MiB of a message that never ends
    await sleep(150);
  }
  await waitFor(() => holders.filter((h) => h.closed()).length === 2, { what: "two holders closed" });
  await sleep(500);
  const closedHolders = holders.filter((h) => h.closed());
  assert.equal(closedHolders.length, 2, "only the connections past 32 MiB are closed");
  for (const h of closedHolders) {
    assert.equal(h.closed().code, 1013, JSON.stringify(h.closed()));
    assert.match(h.closed().reason, /try again later/);
  }
  assert.deepEqual(
    holders.map((h) => Boolean(h.closed())),
    [false, false, false, false, false, false, true, true],
    "the ones whose messages came last",
  );
  let scraped = await scrape(server);
  assert.equal(metric(scraped, "moai_connections_closed_over_frame_budget_total"), 2);
  const held = metric(scraped, "moai_frame_bytes_buffered");
  assert.ok(held >= 30 * MiB && held <= 32 * MiB, `bytes held: ${held}`);
  assert.equal((await api(server, "GET", "/health")).status, 200);
  for (const h of holders) h.ws.terminate();
  await waitFor(async () => metric(await scrape(server), "moai_frame_bytes_buffered") === 0, {
    what: "the count of bytes arriving to return to 0",
  });
  log("budget of 32 MiB: six 5 MiB partial messages held, the 7th and 8th closed with 1013");

  // ---- 3. a burst's memory goes back ----
  const quiet = rss();
  const burst = [];
  for (let i = 0; i < 4; i++) burst.push(await rawClient(server.url));
  for (let f = 0; f < 10; f++) burst[f % 4].send(loads(9000));
  await waitFor(() => burst.reduce((n, c) => n + c.messages.length, 0) >= 90000, {
    what: "the loads answered",
    timeout: 60000,
  });
  const peak = rss();
  for (const c of burst) c.close();
  await waitFor(() => rss() < quiet + (peak - quiet) / 4, {
    what: `resident memory to fall back from ${(peak / MiB).toFixed(0)} MiB (quiet: ${(quiet / MiB).toFixed(0)} MiB)`,
    timeout: 75000,
    interval: 500,
  });
  log(`90,000 loads: ${(quiet / MiB).toFixed(0)} → ${(peak / MiB).toFixed(0)} → ${(rss() / MiB).toFixed(0)} MiB resident`);
}
