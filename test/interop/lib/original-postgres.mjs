// The storage of the JavaScript moai that moai replaces (MaiaOS services/moai over
// libs/maia-storage), rebuilt for the tests from its documented SQL: cojson's
// DBClientInterfaceAsync over PostgreSQL (or PGlite, its embedded PostgreSQL) with the
// original's schema (a port of cojson's SQLite tables: migrations 1, 3, 4, 5 recorded in
// schema_version, quoted camelCase columns), wrapped in cojson's own StorageApiAsync as the original wraps it. One pg
// connection, as the original has. Written from the statements alone; no MaiaOS code.
//
// Where cojson 0.20.19 asks for more than 0.20.7 did (listing IDs, the storage
// reconciliation lock a client uses), the answers are the plain ones a server needs.
// markCoValueAsDeleted quotes "coValueID" (the original leaves it unquoted, which fails
// on PostgreSQL).
import pg from "pg";
import { StorageApiAsync } from "cojson/dist/storage/storageAsync.js";

export const ORIGINAL_MIGRATIONS = {
  1: [
    `CREATE TABLE IF NOT EXISTS transactions (
      ses INTEGER,
      idx INTEGER,
      tx TEXT NOT NULL,
      PRIMARY KEY (ses, idx)
    );`,
    `CREATE TABLE IF NOT EXISTS sessions (
      "rowID" SERIAL PRIMARY KEY,
      "coValue" INTEGER NOT NULL,
      "sessionID" TEXT NOT NULL,
      "lastIdx" INTEGER,
      "lastSignature" TEXT,
      UNIQUE ("sessionID", "coValue")
    );`,
    'CREATE INDEX IF NOT EXISTS sessionsByCoValue ON sessions ("coValue");',
    `CREATE TABLE IF NOT EXISTS coValues (
      "rowID" SERIAL PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      header TEXT NOT NULL
    );`,
    "CREATE INDEX IF NOT EXISTS coValuesByID ON coValues (id);",
  ],
  3: [
    `CREATE TABLE IF NOT EXISTS signatureAfter (
      ses INTEGER,
      idx INTEGER,
      signature TEXT NOT NULL,
      PRIMARY KEY (ses, idx)
    );`,
    'ALTER TABLE sessions ADD COLUMN IF NOT EXISTS "bytesSinceLastSignature" INTEGER;',
  ],
  4: [
    `CREATE TABLE IF NOT EXISTS unsynced_covalues (
      "rowID" SERIAL PRIMARY KEY,
      "co_value_id" TEXT NOT NULL,
      "peer_id" TEXT NOT NULL,
      UNIQUE ("co_value_id", "peer_id")
    );`,
    'CREATE INDEX IF NOT EXISTS idx_unsynced_covalues_co_value_id ON unsynced_covalues("co_value_id");',
  ],
  5: [
    `CREATE TABLE IF NOT EXISTS deletedCoValues (
      "coValueID" TEXT PRIMARY KEY,
      status INTEGER NOT NULL DEFAULT 0
    );`,
    "CREATE INDEX IF NOT EXISTS deletedCoValuesByStatus ON deletedCoValues (status);",
  ],
};

// runMigrations: every version above the recorded one, each statement on its own, then
// its schema_version row (the table made on first use).
async function migrate(client) {
  let current = 0;
  try {
    const r = await client.query("SELECT version FROM schema_version ORDER BY version DESC LIMIT 1");
    current = r.rows[0]?.version || 0;
  } catch {
    current = 0;
  }
  const versions = Object.keys(ORIGINAL_MIGRATIONS).map(Number).filter((v) => v > current).sort((a, b) => a - b);
  for (const version of versions) {
    for (const sql of ORIGINAL_MIGRATIONS[version]) await client.query(sql);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_version (
      version INTEGER PRIMARY KEY,
      applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
    );`);
    await client.query("INSERT INTO schema_version (version) VALUES ($1) ON CONFLICT (version) DO NOTHING", [version]);
  }
}

const sessionRow = (row) => ({
  rowID: row.rowID,
  coValue: row.coValue,
  sessionID: row.sessionID,
  lastIdx: row.lastIdx,
  lastSignature: row.lastSignature,
  bytesSinceLastSignature: row.bytesSinceLastSignature ?? undefined,
});

class OriginalTransaction {
  constructor(client) {
    this.client = client;
  }
  async getSingleCoValueSession(coValueRowId, sessionID) {
    const r = await this.client.query('SELECT * FROM sessions WHERE "coValue" = $1 AND "sessionID" = $2', [
      coValueRowId,
      sessionID,
    ]);
    return r.rows[0] ? sessionRow(r.rows[0]) : undefined;
  }
  async markCoValueAsDeleted(id) {
    await this.client.query(
      'INSERT INTO deletedCoValues ("coValueID", status) VALUES ($1, $2) ON CONFLICT ("coValueID") DO NOTHING',
      [id, 0],
    );
  }
  async addSessionUpdate({ sessionUpdate: u, sessionRow: existing }) {
    if (existing) {
      const r = await this.client.query(
        'UPDATE sessions SET "lastIdx" = $1, "lastSignature" = $2, "bytesSinceLastSignature" = $3 WHERE "rowID" = $4 RETURNING "rowID"',
        [u.lastIdx, u.lastSignature, u.bytesSinceLastSignature ?? 0, existing.rowID],
      );
      return r.rows[0].rowID;
    }
    const r = await this.client.query(
      `INSERT INTO sessions ("coValue", "sessionID", "lastIdx", "lastSignature", "bytesSinceLastSignature")
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ("sessionID", "coValue") DO UPDATE SET "lastIdx" = EXCLUDED."lastIdx",
         "lastSignature" = EXCLUDED."lastSignature", "bytesSinceLastSignature" = EXCLUDED."bytesSinceLastSignature"
       RETURNING "rowID"`,
      [u.coValue, u.sessionID, u.lastIdx, u.lastSignature, u.bytesSinceLastSignature ?? 0],
    );
    if (!r.rows[0]) throw new Error("Failed to add session update");
    return r.rows[0].rowID;
  }
  async addTransaction(ses, idx, tx) {
    await this.client.query("INSERT INTO transactions (ses, idx, tx) VALUES ($1, $2, $3)", [ses, idx, JSON.stringify(tx)]);
  }
  async addSignatureAfter({ sessionRowID, idx, signature }) {
    await this.client.query("INSERT INTO signatureAfter (ses, idx, signature) VALUES ($1, $2, $3)", [
      sessionRowID,
      idx,
      signature,
    ]);
  }
  async deleteCoValueContent(coValueRow) {
    await eraseKeepingTombstone(this.client, coValueRow.rowID, coValueRow.id);
  }
  async getStorageReconciliationLock() {
    return undefined;
  }
  async putStorageReconciliationLock() {}
}

async function eraseKeepingTombstone(client, rowID, id) {
  const sessions = `SELECT "rowID" FROM sessions WHERE "coValue" = $1 AND "sessionID" NOT LIKE '%$'`;
  await client.query(`DELETE FROM transactions WHERE ses IN (${sessions})`, [rowID]);
  await client.query(`DELETE FROM signatureAfter WHERE ses IN (${sessions})`, [rowID]);
  await client.query(`DELETE FROM sessions WHERE "coValue" = $1 AND "sessionID" NOT LIKE '%$'`, [rowID]);
  await client.query(
    'INSERT INTO deletedCoValues ("coValueID", status) VALUES ($1, $2) ON CONFLICT ("coValueID") DO UPDATE SET status = $2',
    [id, 1],
  );
}

class OriginalPostgresClient {
  constructor(client) {
    this.client = client;
  }
  async getCoValue(id) {
    const r = await this.client.query("SELECT * FROM coValues WHERE id = $1", [id]);
    const row = r.rows[0];
    if (!row) return undefined;
    try {
      return { rowID: row.rowID, id: row.id, header: JSON.parse(row.header) };
    } catch {
      return undefined;
    }
  }
  async upsertCoValue(id, header) {
    if (!header) {
      const r = await this.client.query('SELECT "rowID" FROM coValues WHERE id = $1', [id]);
      return r.rows[0]?.rowID;
    }
    const r = await this.client.query(
      'INSERT INTO coValues (id, header) VALUES ($1, $2)\n ON CONFLICT (id) DO NOTHING\n RETURNING "rowID"',
      [id, JSON.stringify(header)],
    );
    if (r.rows[0]) return r.rows[0].rowID;
    const existing = await this.client.query('SELECT "rowID" FROM coValues WHERE id = $1', [id]);
    return existing.rows[0]?.rowID;
  }
  async getAllCoValuesWaitingForDelete() {
    const r = await this.client.query('SELECT "coValueID" FROM deletedCoValues WHERE status = $1', [0]);
    return r.rows.map((row) => row.coValueID);
  }
  async getCoValueSessions(coValueRowId) {
    const r = await this.client.query('SELECT * FROM sessions WHERE "coValue" = $1', [coValueRowId]);
    return r.rows.map(sessionRow);
  }
  async getNewTransactionInSession(ses, fromIdx, toIdx) {
    const r = await this.client.query(
      "SELECT * FROM transactions WHERE ses = $1 AND idx >= $2 AND idx <= $3 ORDER BY idx",
      [ses, fromIdx, toIdx],
    );
    const out = [];
    for (const row of r.rows) {
      try {
        out.push({ ses: row.ses, idx: row.idx, tx: JSON.parse(row.tx) });
      } catch {}
    }
    return out;
  }
  async getSignatures(ses, firstNewTxIdx) {
    const r = await this.client.query("SELECT * FROM signatureAfter WHERE ses = $1 AND idx >= $2 ORDER BY idx", [
      ses,
      firstNewTxIdx,
    ]);
    return r.rows.map((row) => ({ ses: row.ses, idx: row.idx, signature: row.signature }));
  }
  async transaction(callback) {
    await this.client.query("BEGIN");
    try {
      await callback(new OriginalTransaction(this.client));
      await this.client.query("COMMIT");
    } catch (e) {
      await this.client.query("ROLLBACK");
      throw e;
    }
  }
  async trackCoValuesSyncState(updates) {
    for (const u of updates) {
      if (u.synced) {
        await this.client.query('DELETE FROM unsynced_covalues WHERE "co_value_id" = $1 AND "peer_id" = $2', [u.id, u.peerId]);
      } else {
        await this.client.query(
          'INSERT INTO unsynced_covalues ("co_value_id", "peer_id") VALUES ($1, $2) ON CONFLICT ("co_value_id", "peer_id") DO NOTHING',
          [u.id, u.peerId],
        );
      }
    }
  }
  async getUnsyncedCoValueIDs() {
    const r = await this.client.query('SELECT DISTINCT "co_value_id" FROM unsynced_covalues');
    return r.rows.map((row) => row.co_value_id);
  }
  async stopTrackingSyncState(id) {
    await this.client.query('DELETE FROM unsynced_covalues WHERE "co_value_id" = $1', [id]);
  }
  async eraseCoValueButKeepTombstone(id) {
    const r = await this.client.query('SELECT "rowID" FROM coValues WHERE id = $1', [id]);
    if (!r.rows[0]) return;
    await this.transaction(() => eraseKeepingTombstone(this.client, r.rows[0].rowID, id));
  }
  async getCoValueKnownState(id) {
    const r = await this.client.query('SELECT "rowID" FROM coValues WHERE id = $1', [id]);
    if (!r.rows[0]) return undefined;
    const s = await this.client.query('SELECT "sessionID", "lastIdx" FROM sessions WHERE "coValue" = $1', [r.rows[0].rowID]);
    const sessions = {};
    for (const row of s.rows) sessions[row.sessionID] = row.lastIdx;
    return { id, header: true, sessions };
  }
  async getCoValueIDs(limit, offset) {
    const r = await this.client.query("SELECT id FROM coValues ORDER BY id LIMIT $1 OFFSET $2", [limit, offset]);
    return r.rows.map((row) => ({ id: row.id }));
  }
  async getCoValueCount() {
    const r = await this.client.query("SELECT count(*)::integer AS n FROM coValues");
    return r.rows[0].n;
  }
  async tryAcquireStorageReconciliationLock() {
    return { acquired: false, reason: "not_due" };
  }
  async renewStorageReconciliationLock() {}
  async releaseStorageReconciliationLock() {}
}

// The original's getPostgresStorage / getPGliteStorage: migrations, then cojson's
// StorageApiAsync over the client, with the deleted-CoValue eraser on. `db` is anything
// with the pg client's query(sql, params) → {rows}: a pg.Client or a PGlite instance.
async function openOriginalStorage(db) {
  await migrate(db);
  const storage = new StorageApiAsync(new OriginalPostgresClient(db));
  storage.enableDeletedCoValuesErasure();
  return storage;
}

// On a PostgreSQL server. `schema`: the tables' schema (search_path). `close()` ends the
// connection.
export async function openOriginalPostgresStorage(connectionString, { schema } = {}) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  if (schema) await client.query(`SET search_path TO ${schema}`);
  const storage = await openOriginalStorage(client);
  return {
    storage,
    client,
    async close() {
      await storage.close();
      await client.end();
    },
  };
}

// On a PGlite data directory, as the original keeps it at DB_PATH (PEER_STORAGE=pglite).
export async function openOriginalPGliteStorage(dir) {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create(dir);
  const storage = await openOriginalStorage(db);
  return {
    storage,
    client: db,
    async close() {
      await storage.close();
      await db.close();
    },
  };
}
