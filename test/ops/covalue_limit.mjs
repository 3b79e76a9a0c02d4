// Beyond limits.max_covalues_in_memory idle CoValues leave memory long before their
// idle timeout, and come back from storage intact when loaded again.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, startServer, waitFor } from "../interop/lib/harness.mjs";
import { metric, scrape } from "../interop/lib/prometheus.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, {
    dbPath: join(ctx.workDir, "sync.db"),
    args: ["--max-covalues-in-memory", "16", "--covalue-idle-ms", "600000"],
  });
  const a = await newClient(ctx, server.url, "Alice");
  const group = a.node.createGroup();
  group.addMember("everyone", "reader");
  const maps = [];
  for (let i = 0; i < 40; i++) {
    const map = group.createMap();
    map.set("i", i);
    map.set("text", `map number ${i}`);
    maps.push(map);
  }
  await Promise.all(maps.map((m) => m.core.waitForSync()));
  const peak = metric(await scrape(server), "moai_actors", { kind: "covalue" });
  assert.ok(peak > 16, `all CoValues are in memory while a client uses them (${peak})`);

  a.node.gracefulShutdown();  // its CoValues become idle
  await waitFor(async () => metric(await scrape(server), "moai_actors", { kind: "covalue" }) <= 16, {
    what: "idle CoValues to be evicted down to the limit",
    timeout: 15000,
  });
  log(`evicted from ${peak} to ${metric(await scrape(server), "moai_actors", { kind: "covalue" })} CoValues in memory`);

  const b = await newClient(ctx, server.url, "Bob");
  for (const map of maps) {
    const mapB = await loadOrFail(b.node, map.id, "an evicted map");
    await waitFor(() => mapB.get("text") !== undefined, { what: `map ${map.id} reloaded from storage` });
    assert.deepEqual(mapB.toJSON(), map.toJSON());
  }
  log("every evicted map reloads from storage intact");
}
