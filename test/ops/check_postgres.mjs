// moai check [--repair] on PostgreSQL storage, with damage planted through psql
// (test/interop/lib/planted_damage.mjs). Needs ctest's `postgres` fixture.
import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import { join } from "node:path";
import { freshPostgresSchema } from "../interop/lib/harness.mjs";
import { plantedDamage, postgresTables } from "../interop/lib/planted_damage.mjs";

export async function run(ctx) {
  const { url, args, drop } = freshPostgresSchema("check");
  const result = await plantedDamage(ctx, {
    dbPath: join(ctx.workDir, "unused.db"),
    args,
    tables: postgresTables,
    quote: (text) => `'${text.replaceAll("'", "''")}'`,
    sql(text) {
      // One JSON row per line, so that values come back typed and unambiguous.
      const select = /^\s*SELECT/i.test(text);
      const out = execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-tA", "-c",
        select ? `SELECT row_to_json(r) FROM (${text}) r` : text]).toString();
      return select ? out.split("\n").filter(Boolean).map((line) => JSON.parse(line)) : [];
    },
  });
  // The three planted problems were found, two repaired, and the store ends clean.
  assert.match(result.found, / 3 problems in 3 CoValues/);
  assert.match(result.repaired, /NOT REPAIRED/);
  assert.equal(result.final.status, 0);
  drop();
}
