// Reads the CoValues out of a PGlite data directory written by the JavaScript moai
// (MaiaOS libs/maia-storage: cojson's storage schema on PGlite — covalues, sessions,
// transactions, signatureafter, deletedcovalues) and writes them to stdout as JSON lines
// of sync content messages, dependencies first, for `moai import` (which verifies each
// as it would verify a client's content). A session is cut at its signatureAfter
// checkpoints, so every piece ends at a signature that covers it.
//
// Usage: node export.mjs PGLITE_DIR > covalues.jsonl   (scripts/migrate-pglite runs it on
// a copy: PGlite writes to the directory it opens)
import { PGlite } from "@electric-sql/pglite";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node export.mjs PGLITE_DIR");
  process.exit(2);
}
const db = await PGlite.create(dir);
const rows = async (sql, params = []) => (await db.query(sql, params)).rows;
// The original reads rows as row.rowID || row.rowid (PGlite may fold names).
const col = (row, name) => row[name] ?? row[name.toLowerCase()];

const covalues = await rows('SELECT * FROM covalues ORDER BY "rowID"');
const deleted = new Set((await rows("SELECT * FROM deletedcovalues")).map((r) => col(r, "coValueID")));
const byId = new Map();
for (const cv of covalues) {
  const id = col(cv, "id");
  const header = JSON.parse(col(cv, "header"));
  const sessions = [];
  for (const s of await rows('SELECT * FROM sessions WHERE "coValue" = $1 ORDER BY "rowID"', [col(cv, "rowID")])) {
    const ses = col(s, "rowID");
    const txs = (await rows("SELECT * FROM transactions WHERE ses = $1 ORDER BY idx", [ses])).map((t) =>
      JSON.parse(col(t, "tx")),
    );
    const checkpoints = (await rows("SELECT * FROM signatureafter WHERE ses = $1 ORDER BY idx", [ses])).map((r) => ({
      idx: col(r, "idx"),
      signature: col(r, "signature"),
    }));
    sessions.push({ id: col(s, "sessionID"), txs, lastSignature: col(s, "lastSignature"), checkpoints });
  }
  byId.set(id, { id, header, sessions });
}

// What must be known before a CoValue's content can be verified: its owning group, the
// accounts that own its sessions, and for groups the accounts and parents they name.
function dependencies(cv) {
  const deps = new Set();
  if (cv.header.ruleset?.type === "ownedByGroup") deps.add(cv.header.ruleset.group);
  for (const s of cv.sessions) {
    const owner = s.id.split("_session")[0];
    if (owner.startsWith("co_z")) deps.add(owner);
    if (cv.header.ruleset?.type !== "group") continue;
    for (const tx of s.txs) {
      if (tx.privacy !== "trusting") continue;
      for (const change of JSON.parse(tx.changes)) {
        const key = change?.key;
        if (typeof key !== "string") continue;
        if (key.startsWith("parent_co_z")) deps.add(key.slice(7));
        else if (key.startsWith("co_z")) deps.add(key);
      }
    }
  }
  deps.delete(cv.id);
  return [...deps].filter((d) => byId.has(d));
}

const order = [];
const placed = new Set();
function place(id, path = new Set()) {
  if (placed.has(id) || path.has(id)) return;
  path.add(id);
  for (const d of dependencies(byId.get(id))) place(d, path);
  placed.add(id);
  order.push(id);
}
for (const cv of covalues) place(col(cv, "id"));

let messages = 0;
let transactions = 0;
for (const id of order) {
  const cv = byId.get(id);
  // Each piece of each session is its own message; the first carries the header.
  let withHeader = true;
  const emit = (sessionId, after, txs, lastSignature) => {
    const message = { action: "content", id, priority: 3, new: {} };
    if (withHeader) message.header = cv.header;
    withHeader = false;
    message.new[sessionId] = { after, newTransactions: txs, lastSignature };
    process.stdout.write(JSON.stringify(message) + "\n");
    messages++;
    transactions += txs.length;
  };
  for (const s of cv.sessions) {
    let from = 0;
    for (const { idx, signature } of s.checkpoints) {
      if (idx + 1 <= from || idx >= s.txs.length) continue;
      emit(s.id, from, s.txs.slice(from, idx + 1), signature);
      from = idx + 1;
    }
    if (from < s.txs.length) emit(s.id, from, s.txs.slice(from), s.lastSignature);
  }
  if (withHeader) {
    // No transactions (or only what a delete left): the header alone.
    process.stdout.write(JSON.stringify({ action: "content", id, header: cv.header, priority: 3, new: {} }) + "\n");
    messages++;
  }
}
console.error(
  `pglite-export: ${order.length} CoValues (${deleted.size} deleted), ${transactions} transactions in ${messages} messages`,
);
await db.close();
