// ops.api_keys on PostgreSQL storage: the key table (moai_api_keys) beside the original
// moai's tables, written by `moai keys` and read by a running server.
// Needs the test PostgreSQL server (ctest's `postgres` fixture sets MOAI_TEST_POSTGRES_URL).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { freshPostgresSchema } from "../interop/lib/harness.mjs";
import { keysScenario } from "./api_keys.mjs";

export async function run(ctx) {
  const { url, args, drop } = freshPostgresSchema("keys");
  await keysScenario(ctx, { storeArgs: args });
  const hashes = execFileSync("psql", [url, "-tA", "-c", "SELECT secret_hash FROM moai_api_keys"]).toString();
  assert.match(hashes, /^[0-9a-f]{64}$/m, "only hashes are stored");
  const versions = execFileSync("psql", [url, "-tA", "-c", "SELECT max(version) FROM schema_version"]).toString().trim();
  assert.equal(versions, "5", "the original's schema_version is untouched");
  drop();
}
