// moai check [--repair] on SQLite storage, with damage planted in the database file
// (test/interop/lib/planted_damage.mjs).
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import { join } from "node:path";
import { plantedDamage, sqliteTables } from "../interop/lib/planted_damage.mjs";

const Database = createRequire(new URL("../interop/package.json", import.meta.url))("better-sqlite3");

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  const result = await plantedDamage(ctx, {
    dbPath,
    args: [],
    tables: sqliteTables,
    quote: (text) => `'${text.replaceAll("'", "''")}'`,
    sql(text) {
      const db = new Database(dbPath);
      try {
        const statement = db.prepare(text);
        return statement.reader ? statement.all() : (statement.run(), []);
      } finally {
        db.close();
      }
    },
  });
  // The three planted problems were found, two repaired, and the store ends clean.
  assert.match(result.found, / 3 problems in 3 CoValues/);
  assert.match(result.repaired, /NOT REPAIRED/);
  assert.equal(result.final.status, 0);
}
