// Deleted CoValues (guide §2.9): an admin's delete reaches a subscriber, survives a
// restart and is all a new client gets; a writer's forged delete is rejected and the
// CoValue keeps syncing.
import assert from "node:assert/strict";
import { join } from "node:path";
import Database from "better-sqlite3";
import { loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  let server = await startServer(ctx, { dbPath });
  const a = await newClient(ctx, server.url, "Alice");
  const b = await newClient(ctx, server.url, "Bob");

  const group = a.node.createGroup();
  group.addMember(await loadOrFail(a.node, b.accountID, "B's account"), "writer");
  group.addMember("everyone", "reader");
  const kept = group.createMap();
  kept.set("title", "kept");
  const doomed = group.createMap();
  doomed.set("title", "doomed");
  await Promise.all([kept.core.waitForSync(), doomed.core.waitForSync()]);

  // B, a writer, forges a delete marker (makeTransaction skips the client-side admin check).
  const keptB = await loadOrFail(b.node, kept.id, "the kept map for B");
  await waitFor(() => keptB.get("title") === "kept", { what: "B to load the kept map" });
  keptB.core.makeTransaction([], "trusting", { deleted: kept.id });
  await new Promise((r) => setTimeout(r, 500));
  kept.set("title", "still here");
  await kept.core.waitForSync();
  const c = await newClient(ctx, server.url, "Carol");
  const keptC = await loadOrFail(c.node, kept.id, "the kept map for C");
  await waitFor(() => keptC.get("title") === "still here", { what: "C to see the kept map's edit" });
  assert.equal(keptC.core.isDeleted, false, "a writer's delete must not be accepted by the server");
  const keptSessions = Object.keys(keptC.core.knownState().sessions);
  assert.ok(!keptSessions.some((s) => s.endsWith("$")), `no delete session was forwarded: ${keptSessions}`);
  log("a writer's delete was rejected; the map keeps syncing");

  // B subscribes to the doomed map, then A (admin) deletes it.
  const doomedB = await loadOrFail(b.node, doomed.id, "the doomed map for B");
  await waitFor(() => doomedB.get("title") === "doomed", { what: "B to load the doomed map" });
  doomed.core.deleteCoValue();
  assert.equal(doomed.core.isDeleted, true);
  await doomed.core.waitForSync();
  await waitFor(() => doomedB.core.isDeleted, { what: "the delete to reach B" });
  log("the admin's delete reached B");

  const exit = await server.stop("SIGTERM");
  if (ctx.kind === "moai") assert.equal(exit.code, 0);
  server = await startServer(ctx, { dbPath });
  const d = await newClient(ctx, server.url, "Dave");
  const doomedD = await d.node.load(doomed.id);
  assert.notEqual(doomedD, "unavailable", "a deleted CoValue is still served (as deleted)");
  await waitFor(() => doomedD.core.isDeleted, { what: "D to see the CoValue as deleted after a restart" });
  const sessions = Object.keys(doomedD.core.knownState().sessions);
  assert.ok(sessions.length > 0 && sessions.every((s) => s.endsWith("$")),
    `a deleted CoValue is served with only its delete session: ${sessions}`);
  assert.equal(doomedD.get("title"), undefined, "no content of a deleted CoValue is served");
  const keptD = await loadOrFail(d.node, kept.id, "the kept map after restart");
  await waitFor(() => keptD.get("title") === "still here", { what: "the kept map after restart" });
  log("after a restart the deleted map is served deleted, the kept map intact");

  if (ctx.kind === "moai") {
    // Erased as cojson's storage erases it: only the delete sessions' rows remain.
    const db = new Database(dbPath, { readonly: true });
    const rows = db
      .prepare("SELECT s.sessionID AS id, count(t.idx) AS txs FROM sessions s JOIN coValues c ON s.coValue = c.rowID " +
        "LEFT JOIN transactions t ON t.ses = s.rowID WHERE c.id = ? GROUP BY s.rowID")
      .all(doomed.id);
    const status = db.prepare("SELECT status FROM deletedCoValues WHERE coValueID = ?").get(doomed.id)?.status;
    const keptRows = db.prepare("SELECT count(*) AS n FROM sessions s JOIN coValues c ON s.coValue = c.rowID WHERE c.id = ?")
      .get(kept.id).n;
    db.close();
    assert.ok(rows.length > 0 && rows.every((r) => r.id.endsWith("$") && r.txs > 0),
      `only delete sessions remain stored: ${JSON.stringify(rows)}`);
    assert.equal(status, 1, "the tombstone is marked done");
    assert.equal(keptRows, 1, "the kept map keeps its session");
    log("the deleted map's other sessions were erased from the database");
  }
}
