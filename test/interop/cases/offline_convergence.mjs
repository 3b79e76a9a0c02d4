// A and B edit the same CoMap while the server is down; when it is back and both
// reconnect, they converge to the same content.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, reconnect, sleep, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  let server = await startServer(ctx, { dbPath });
  const a = await newClient(ctx, server.url, "Alice");
  const b = await newClient(ctx, server.url, "Bob");
  const group = a.node.createGroup();
  group.addMember(await loadOrFail(a.node, b.accountID, "B's account"), "writer");
  const mapA = group.createMap();
  mapA.set("shared", "initial");
  await mapA.core.waitForSync();
  const mapB = await loadOrFail(b.node, mapA.id, "the map for B");
  await waitFor(() => mapB.get("shared") === "initial", { what: "B to load the map" });

  await server.stop();
  log("server down; editing offline");
  mapA.set("shared", "from A");
  mapA.set("onlyA", 1);
  await sleep(5);
  mapB.set("shared", "from B");
  mapB.set("onlyB", 2);

  server = await startServer(ctx, { dbPath });
  reconnect(a.node, server.url);
  reconnect(b.node, server.url);
  await waitFor(() => mapA.get("onlyB") === 2 && mapB.get("onlyA") === 1, {
    what: "both sides to see the other's offline edits",
    timeout: 30000,
  });
  const sorted = (o) => JSON.stringify(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1)));
  await waitFor(() => sorted(mapA.toJSON()) === sorted(mapB.toJSON()), {
    what: "A and B to converge",
  });
  assert.equal(mapA.get("shared"), "from B", "last writer wins");
  assert.deepEqual(mapA.toJSON(), mapB.toJSON());
  log("converged on", JSON.stringify(mapA.toJSON()));
}
