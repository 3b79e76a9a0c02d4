// A writes; the server stops and starts again on the same database; a fresh client
// loads everything.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  let server = await startServer(ctx, { dbPath });
  const a = await newClient(ctx, server.url, "Alice");
  const group = a.node.createGroup();
  group.addMember("everyone", "reader");
  const maps = [];
  for (let i = 0; i < 20; i++) {
    const map = group.createMap();
    for (let k = 0; k < 5; k++) map.set(`k${k}`, `value ${i}/${k}`);
    maps.push(map);
  }
  const list = group.createList();
  for (let i = 0; i < 30; i++) list.append(i);
  await Promise.all([...maps, list].map((m) => m.core.waitForSync()));
  log("written 20 maps and a list; stopping the server");

  const exit = await server.stop("SIGTERM");
  if (ctx.kind === "moai") assert.equal(exit.code, 0, `moai should exit 0 on SIGTERM, got ${JSON.stringify(exit)}`);
  server = await startServer(ctx, { dbPath });

  const b = await newClient(ctx, server.url, "Bob");
  for (const map of maps) {
    const mapB = await loadOrFail(b.node, map.id, "a map after restart");
    await waitFor(() => mapB.get("k4") !== undefined, { what: `map ${map.id} after restart` });
    assert.deepEqual(mapB.toJSON(), map.toJSON());
  }
  const listB = await loadOrFail(b.node, list.id, "the list after restart");
  await waitFor(() => listB.asArray().length === 30, { what: "the list after restart" });
  assert.deepEqual(listB.asArray(), list.asArray());
  log("everything loaded after restart");
}
