// Peers that do not read what the server has for them are disconnected (one whose
// socket stalls with its queue over the limit, one that keeps asking past the hard
// limit); everyone else keeps syncing, and a peer that reads gets a CoValue bigger than
// the limits all the same.
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

  // 10 MB in one CoValue, over the 1 MiB limit and its 2x hard limit: queued whole
  // (the queue was within the limit), and B drains it.
  const huge = group.createMap();
  for (let i = 0; i < 40; i++) huge.set(`blob${i}`, String(i % 10).repeat(250_000));
  await huge.core.waitForSync();
  const hugeB = await loadOrFail(b.node, huge.id, "the 10 MB map for B");
  await waitFor(() => hugeB.get("blob39")?.length === 250_000, { what: "B to have the whole 10 MB map" });
  const cutOff = async () => metric(await scrape(server), "moai_slow_consumers_disconnected_total");
  assert.equal(await cutOff(), 0, "nobody was cut off yet");

  // A peer that asks once for the 10 MB map and reads nothing: within the hard limit
  // (it asked while its queue was empty), so only the stall check can cut it off.
  const stuck = await rawClient(server.url);
  stuck.ws._socket.pause();
  stuck.send({ action: "load", id: huge.id, header: false, sessions: {} });
  await waitFor(async () => (await cutOff()) >= 1, { timeout: 30000, what: "the stalled peer to be cut off" });
  assert.match(server.logs(), /why=queue over the limit and the socket barely drains/);
  log("stalled peer cut off");

  // A peer that reads nothing but asks for the 1 MB map again and again (a load with
  // empty sessions restarts from zero): cut off at the hard limit, long before a stall.
  const slow = await rawClient(server.url);
  slow.ws._socket.pause();
  const asked = Date.now();
  const load = JSON.stringify({ action: "load", id: big.id, header: false, sessions: {} });
  for (let i = 0; i < 64 && slow.ws.readyState === 1; i++) {
    slow.send(load);
    await sleep(20);
  }
  await waitFor(async () => (await cutOff()) >= 2, { what: "the greedy peer to be cut off" });
  assert.match(server.logs(), /why=queue over the hard limit/);
  log(`greedy peer cut off after ${Date.now() - asked} ms`);

  for (let n = 1; n <= 5; n++) {
    live.set("n", n);
    await waitFor(() => liveB.get("n") === n, { what: `B to see edit ${n} while the slow peers are stuck` });
  }
  const rss = metric(await scrape(server), "moai_process_resident_memory_bytes");
  log(`others keep syncing; server RSS ${(rss / 1e6).toFixed(1)} MB`);
  assert.ok(rss < 400e6, `memory stays bounded (${rss} bytes)`);

  for (const peer of [stuck, slow]) {
    peer.ws._socket.resume();
    const closed = await Promise.race([peer.whenClosed(), sleep(20000).then(() => null)]);
    assert.ok(closed, "a cut-off peer's connection is closed once it reads again");
    assert.equal(closed.code, 1008, `close code 1008 (policy), got ${JSON.stringify(closed)}`);
  }
}
