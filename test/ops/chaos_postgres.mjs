// Chaos on one server storing in PostgreSQL (test/interop/lib/chaos.mjs): the same random
// edits, dropped connections and SIGKILLs as ops.chaos_convergence, with every
// acknowledged write in PostgreSQL instead of SQLite. Needs the test PostgreSQL server
// (ctest's `postgres` fixture sets MOAI_TEST_POSTGRES_URL).
import assert from "node:assert/strict";
import { join } from "node:path";
import { chaos } from "../interop/lib/chaos.mjs";
import { freshPostgresSchema, log, startServer } from "../interop/lib/harness.mjs";

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("PostgreSQL storage is moai's own; nothing to check on the reference server");
  const pg = freshPostgresSchema("chaos");
  const options = { dbPath: join(ctx.workDir, "unused.db"), args: [...pg.args, "--max-peer-queue-bytes", "65536"] };
  let server = await startServer(ctx, options);
  assert.match(server.logs(), /storage=postgres/);
  const { cutOff } = await chaos(ctx, {
    servers: () => [server],
    urlFor: () => server.url,
    async restartOne() {
      await server.stop("SIGKILL");
      server = await startServer(ctx, { ...options, port: server.port });
    },
  });
  assert.equal(cutOff, 0, "clients that read were never cut off as slow consumers");
  pg.drop();
}
