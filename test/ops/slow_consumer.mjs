// A peer that stops reading while the server has a lot to send it is disconnected
// once its outgoing queue passes the limit; everyone else keeps syncing. A peer that
// reads gets a CoValue bigger than that limit all the same.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, rawClient, sleep, startServer, waitFor } from "../interop/lib/harness.mjs";
import { metric, scrape } from "../interop/lib/prometheus.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, {
    dbPath: join(ctx.workDir, "sync.db"),
    args: ["--max-peer-queue-bytes", String(1 << 20)],
  });
  const a = await newClient(ctx, server.url, "Alice");
  const b = await newClient(ctx, server.url, "Bob");
  const group = a.node.createGroup();
  group.addMember("everyone", "reader");
  const big = group.createMap();
  for (let i = 0; i < 4; i++) big.set(`blob${i}`, String(i).repeat(250_000));
  const live = group.createMap();
  live.set("n", 0);
  await Promise.all([big.core.waitForSync(), live.core.waitForSync()]);
  const liveB = await loadOrFail(b.node, live.id, "the live map for B");

  // 2 MB in one CoValue, over the 1 MiB limit: sent in one go, and B drains it.
  const huge = group.createMap();
  for (let i = 0; i < 8; i++) huge.set(`blob${i}`, String(i).repeat(250_000));
  await huge.core.waitForSync();
  const hugeB = await loadOrFail(b.node, huge.id, "the 2 MB map for B");
  await waitFor(() => hugeB.get("blob7")?.length === 250_000, { what: "B to have the whole 2 MB map" });
  assert.equal(metric(await scrape(server), "moai_slow_consumers_disconnected_total"), 0, "nobody was cut off yet");

  // The slow peer reads nothing but asks for the 1 MB map again and again (a load
  // with empty sessions restarts from zero).
  const slow = await rawClient(server.url);
  slow.ws._socket.pause();
  const load = JSON.stringify({ action: "load", id: big.id, header: false, sessions: {} });
  for (let i = 0; i < 64 && slow.ws.readyState === 1; i++) {
    slow.send(load);
    await sleep(20);
  }

  await waitFor(async () => metric(await scrape(server), "moai_slow_consumers_disconnected_total") >= 1, {
    what: "the slow consumer to be cut off",
  });
  log("slow consumer cut off");

  for (let n = 1; n <= 5; n++) {
    live.set("n", n);
    await waitFor(() => liveB.get("n") === n, { what: `B to see edit ${n} while the slow peer is stuck` });
  }
  const rss = metric(await scrape(server), "moai_process_resident_memory_bytes");
  log(`others keep syncing; server RSS ${(rss / 1e6).toFixed(1)} MB`);
  assert.ok(rss < 400e6, `memory stays bounded (${rss} bytes)`);

  slow.ws._socket.resume();
  const closed = await Promise.race([slow.whenClosed(), sleep(20000).then(() => null)]);
  assert.ok(closed, "the slow peer's connection is closed once it reads again");
  assert.equal(closed.code, 1008, `close code 1008 (policy), got ${JSON.stringify(closed)}`);
}
