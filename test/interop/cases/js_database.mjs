// A database written by cojson's own SQLite storage (as Jazz's sync server writes
// it) is opened by the server under test and served to a client.
import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalNode } from "cojson";
import { openCojsonStorage } from "../lib/sqlite-driver.mjs";
import { getCrypto, loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "written-by-cojson.db");
  const crypto = await getCrypto();
  const { storage, driver } = openCojsonStorage(dbPath);
  const { node } = await LocalNode.withNewlyCreatedAccount({ creationProps: { name: "Writer" }, crypto, storage });
  const group = node.createGroup();
  group.addMember("everyone", "reader");
  const map = group.createMap();
  map.set("written", "by cojson's sqlite storage");
  map.set("big", "x".repeat(150 * 1024));  // forces a signatureAfter checkpoint
  map.set("n", 42);
  const list = group.createList();
  for (let i = 0; i < 10; i++) list.append(i);
  await Promise.all([map, list, group].map((v) => node.syncManager.waitForStorageSync(v.id)));
  const expected = map.toJSON();
  await node.gracefulShutdown();
  driver.closeDb();
  log("cojson wrote", dbPath);

  const server = await startServer(ctx, { dbPath });
  const reader = await newClient(ctx, server.url, "Reader");
  const mapR = await loadOrFail(reader.node, map.id, "the map from the cojson database");
  await waitFor(() => mapR.get("n") === 42, { what: "the map's values" });
  assert.deepEqual(mapR.toJSON(), expected);
  const listR = await loadOrFail(reader.node, list.id, "the list from the cojson database");
  await waitFor(() => listR.asArray().length === 10, { what: "the list's items" });
  assert.deepEqual(listR.asArray(), [...Array(10).keys()]);
  log("served every value");
}
