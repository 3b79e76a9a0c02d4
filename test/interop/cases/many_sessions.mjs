// One CoMap written from many sessions (several devices of one account, and other
// accounts): a fresh client sees every write.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadedClient, loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db") });
  const a = await newClient(ctx, server.url, "Alice");
  const group = a.node.createGroup();
  group.addMember("everyone", "writer");
  const map = group.createMap();
  map.set("origin", "a0");
  await map.core.waitForSync();

  const writers = [];
  for (let i = 1; i <= 5; i++) {
    const device = await loadedClient(ctx, server.url, a);
    const m = await loadOrFail(device, map.id, "the map on a second device");
    for (let k = 0; k < 3; k++) m.set(`device${i}_${k}`, i * 10 + k);
    writers.push(m);
  }
  for (let i = 1; i <= 3; i++) {
    const other = await newClient(ctx, server.url, `Writer ${i}`);
    const m = await loadOrFail(other.node, map.id, "the map for another account");
    m.set(`account${i}`, `w${i}`);
    writers.push(m);
  }
  await Promise.all(writers.map((m) => m.core.waitForSync()));

  const reader = await newClient(ctx, server.url, "Reader");
  const mapR = await loadOrFail(reader.node, map.id, "the map");
  const expected = 1 + 5 * 3 + 3;
  await waitFor(() => Object.keys(mapR.toJSON()).length === expected, { what: `${expected} keys on the reader` });
  const sessions = Object.keys(mapR.core.knownState().sessions).length;
  assert.ok(sessions >= 9, `expected at least 9 sessions, saw ${sessions}`);
  assert.equal(mapR.get("device3_2"), 32);
  assert.equal(mapR.get("account2"), "w2");
  log("reader sees", expected, "keys from", sessions, "sessions");
}
