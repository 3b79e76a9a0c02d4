// A private (encrypted) CoMap: an invited account reads it, an outsider cannot, and
// the server's database holds only ciphertext.
import assert from "node:assert/strict";
import { join } from "node:path";
import Database from "better-sqlite3";
import { loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

const SECRET = "the-launch-code-is-4242";

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  const server = await startServer(ctx, { dbPath });
  const a = await newClient(ctx, server.url, "Alice");
  const b = await newClient(ctx, server.url, "Bob");
  const outsider = await newClient(ctx, server.url, "Eve");

  const group = a.node.createGroup();
  group.addMember(await loadOrFail(a.node, b.accountID, "B's account"), "reader");
  const map = group.createMap();
  map.set("secret", SECRET, "private");
  await map.core.waitForSync();
  await group.core.waitForSync();

  const mapB = await loadOrFail(b.node, map.id, "the map for B");
  await waitFor(() => mapB.get("secret") === SECRET, { what: "the invited account to decrypt the value" });
  log("invited account reads the secret");

  const mapE = await loadOrFail(outsider.node, map.id, "the map for the outsider");
  // The outsider holds the same transactions as B but cannot decrypt them.
  await waitFor(() => JSON.stringify(mapE.core.knownState().sessions) === JSON.stringify(mapB.core.knownState().sessions), {
    what: "the outsider to hold all transactions",
  });
  assert.equal(mapE.get("secret"), undefined, "an outsider must not read the value");
  log("outsider reads nothing");

  await server.stop();
  const db = new Database(dbPath, { readonly: true });
  const rows = db.prepare("SELECT tx FROM transactions").all();
  db.close();
  assert.ok(rows.length > 0, "the server stored transactions");
  assert.ok(!rows.some((r) => r.tx.includes(SECRET)), "the plaintext secret is stored somewhere");
  const privateTxs = rows.map((r) => JSON.parse(r.tx)).filter((tx) => tx.privacy === "private");
  assert.ok(privateTxs.length > 0, "no private transaction stored");
  assert.ok(privateTxs.every((tx) => tx.encryptedChanges.startsWith("encrypted_U")));
  log("database holds", privateTxs.length, "private transactions, no plaintext");
}
