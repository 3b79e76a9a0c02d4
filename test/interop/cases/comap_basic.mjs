// A creates an account, a group and a CoMap; B (a member) loads it by ID and sees
// every value; live edits flow both ways.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db") });
  const a = await newClient(ctx, server.url, "Alice");
  const b = await newClient(ctx, server.url, "Bob");
  log("accounts", a.accountID, b.accountID);

  const group = a.node.createGroup();
  group.addMember(await loadOrFail(a.node, b.accountID, "B's account"), "writer");
  const map = group.createMap();
  map.set("title", "hello");
  map.set("count", 1);
  map.set("nested", { list: [1, "two", null], emoji: "😀\n\"q\"" });
  map.set("title", "hello world");
  await map.core.waitForSync();

  const mapB = await loadOrFail(b.node, map.id, "the map");
  await waitFor(() => mapB.get("title") === "hello world", { what: "B to see the title" });
  assert.deepEqual(mapB.toJSON(), map.toJSON());
  assert.deepEqual(mapB.get("nested"), { list: [1, "two", null], emoji: "😀\n\"q\"" });
  log("B sees", JSON.stringify(mapB.toJSON()));

  map.set("count", 2);
  await waitFor(() => mapB.get("count") === 2, { what: "A's live edit to reach B" });
  mapB.set("fromB", "hi A");
  await waitFor(() => map.get("fromB") === "hi A", { what: "B's edit to reach A" });
  assert.deepEqual(map.toJSON(), mapB.toJSON());
  log("live edits both ways");
}
