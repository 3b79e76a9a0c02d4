// A stored transaction row that cannot be read back (damaged on disk; here overwritten
// with text that is not a transaction) cuts its session short when the CoValue loads;
// a damaged header makes the CoValue look absent. When the writer reconnects and sends
// them again, the server must replace the damaged rows with the verified ones: trimming
// them as "already stored" would acknowledge content that the next load loses again.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ackTrackingClient, loadOrFail, log, newClient, reconnect, startServer, waitFor } from "../interop/lib/harness.mjs";

const Database = createRequire(new URL("../interop/package.json", import.meta.url))("better-sqlite3");
const DAMAGED = 5;

function storedRow(dbPath, id, session, idx) {
  const db = new Database(dbPath, { readonly: true });
  const row = db
    .prepare(
      "SELECT t.ses AS ses, t.tx AS tx FROM transactions t JOIN sessions s ON t.ses = s.rowID " +
        "JOIN coValues c ON s.coValue = c.rowID WHERE c.id = ? AND s.sessionID = ? AND t.idx = ?",
    )
    .get(id, session, idx);
  db.close();
  return row;
}

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  let server = await startServer(ctx, { dbPath });
  const writer = await ackTrackingClient(ctx, server.url, "Writer");
  const { acked, onMessage } = writer;
  const group = writer.node.createGroup();
  group.addMember("everyone", "reader");
  const map = group.createMap();
  const other = group.createMap();
  for (let i = 0; i < 12; i++) map.set(`k${i % 4}`, `value ${i}`);
  other.set("title", "header damaged");
  const session = writer.node.currentSessionID;
  const written = map.core.knownState().sessions[session];
  await waitFor(() => acked.get(map.id)?.[session] === written && acked.get(other.id)?.[session] === 1, {
    what: "the edits acknowledged",
  });
  await server.stop();

  const original = storedRow(dbPath, map.id, session, DAMAGED);
  assert.ok(original, "the row to damage is stored");
  const db = new Database(dbPath);
  db.prepare("UPDATE transactions SET tx = ? WHERE ses = ? AND idx = ?").run('{"damaged', original.ses, DAMAGED);
  const header = db.prepare("SELECT header FROM coValues WHERE id = ?").get(other.id).header;
  db.prepare("UPDATE coValues SET header = ? WHERE id = ?").run('{"damaged', other.id);
  db.close();

  server = await startServer(ctx, { dbPath });
  acked.clear();
  reconnect(writer.node, server.url, { onMessage });
  await waitFor(() => acked.get(map.id)?.[session] === written && acked.get(other.id)?.[session] === 1, {
    what: "the writer's content acknowledged again after it resent it",
  });
  assert.match(server.logs(), /stored transaction is invalid; session truncated there/);
  assert.match(server.logs(), /stored header is invalid/);
  log(`damaged row ${DAMAGED} cut the session short on load; the writer sent it again and it was acknowledged`);
  writer.node.gracefulShutdown();
  await server.stop();

  assert.equal(storedRow(dbPath, map.id, session, DAMAGED).tx, original.tx, "the damaged row was replaced");
  const check = new Database(dbPath, { readonly: true });
  assert.equal(check.prepare("SELECT header FROM coValues WHERE id = ?").get(other.id).header, header, "the header too");
  check.close();
  server = await startServer(ctx, { dbPath });
  const reader = await newClient(ctx, server.url, "Reader");
  const loaded = await loadOrFail(reader.node, map.id, "the map");
  await waitFor(() => (loaded.core.knownState().sessions[session] ?? 0) === written, {
    what: `all ${written} transactions after a restart (have ${loaded.core.knownState().sessions[session] ?? 0})`,
  });
  assert.equal(loaded.get("k3"), "value 11");
  assert.equal((await loadOrFail(reader.node, other.id, "the other map")).get("title"), "header damaged");
  assert.doesNotMatch(server.logs(), /stored (transaction|header) is invalid/, "nothing damaged is left");
  log(`after a restart: the row holds the verified transaction again; a new client loads all ${written}`);
}
