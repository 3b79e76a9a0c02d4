// Storage reconciliation: for each [id, shortHash of sessions] the server asks with
// `load` where it lacks or differs, and acknowledges the batch once answered.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, newClient, randomCoId, rawClient, startServer } from "../lib/harness.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db") });
  const a = await newClient(ctx, server.url, "Alice");
  const group = a.node.createGroup();
  const map = group.createMap();
  map.set("k", "v");
  await map.core.waitForSync();
  const sameHash = a.crypto.shortHash(map.core.knownState().sessions);

  const raw = await rawClient(server.url);
  // Everything the server holds as we do: acknowledged at once.
  raw.send({ action: "reconcile", id: "batch-same", values: [[map.id, sameHash]] });
  await raw.next((m) => m.action === "reconcile-ack" && m.id === "batch-same", "an ack for an in-sync batch");
  assert.ok(!raw.messages.some((m) => m.action === "load" && m.id === map.id));

  // An unknown CoValue and a differing one: the server asks for both, then acks.
  const unknown = randomCoId();
  raw.send({ action: "reconcile", id: "batch-diff", values: [[unknown, sameHash], [map.id, "shortHash_zDifferent"]] });
  const loadUnknown = await raw.next((m) => m.action === "load" && m.id === unknown, "a load for the unknown CoValue");
  assert.deepEqual(loadUnknown, { action: "load", id: unknown, header: false, sessions: {} });
  const loadMap = await raw.next((m) => m.action === "load" && m.id === map.id, "a load for the differing CoValue");
  assert.deepEqual(loadMap.sessions, map.core.knownState().sessions);
  assert.ok(!raw.messages.some((m) => m.action === "reconcile-ack" && m.id === "batch-diff"), "acked too early");
  raw.send({ action: "known", id: unknown, header: false, sessions: {} });
  raw.send({ action: "known", ...map.core.knownState() });
  await raw.next((m) => m.action === "reconcile-ack" && m.id === "batch-diff", "an ack once both are settled");
  // Empty batches are acknowledged at once.
  raw.send({ action: "reconcile", id: "batch-empty", values: [] });
  await raw.next((m) => m.action === "reconcile-ack" && m.id === "batch-empty", "an ack for an empty batch");
  raw.close();
}
