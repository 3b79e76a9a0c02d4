// storage.kind = postgres with real clients: content written through moai lands in
// PostgreSQL, survives kill -9 and a restart, and a new client loads it all; a server
// that cannot reach its database refuses to start with a clear message.
// Needs the test PostgreSQL server (ctest's `postgres` fixture sets MOAI_TEST_POSTGRES_URL).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import {
  ackTrackingClient, freshPostgresSchema, loadOrFail, log, newClient, startServer, waitFor,
} from "../interop/lib/harness.mjs";

export async function run(ctx) {
  const { url, args, drop } = freshPostgresSchema("ops");
  const dbPath = join(ctx.workDir, "unused.db");
  let server = await startServer(ctx, { dbPath, args });
  assert.match(server.logs(), /storage=postgres/);

  const writer = await ackTrackingClient(ctx, server.url, "Writer");
  const { acked } = writer;
  const group = writer.node.createGroup();
  group.addMember("everyone", "reader");
  const map = group.createMap();
  for (let i = 0; i < 30; i++) map.set(`k${i % 6}`, `value ${i} ${"x".repeat(i * 200)}`);
  const session = writer.node.currentSessionID;
  const written = map.core.knownState().sessions[session];
  await waitFor(() => acked.get(map.id)?.[session] === written, { what: "the edits acknowledged" });
  const rows = execFileSync("psql", [url, "-tA", "-c", "SELECT count(*) FROM transactions"]).toString().trim();
  assert.ok(Number(rows) >= written, `transactions rows in PostgreSQL: ${rows}`);
  log(`${written} transactions acknowledged, ${rows} transaction rows in PostgreSQL`);

  await server.stop("SIGKILL");
  writer.node.gracefulShutdown();
  server = await startServer(ctx, { dbPath, args });
  const reader = await newClient(ctx, server.url, "Reader");
  const loaded = await loadOrFail(reader.node, map.id, "the map");
  await waitFor(() => (loaded.core.knownState().sessions[session] ?? 0) === written, {
    what: `${written} transactions after kill -9 and a restart`,
  });
  assert.equal(loaded.get("k5"), `value 29 ${"x".repeat(29 * 200)}`);
  log("after kill -9 and a restart on PostgreSQL: everything loads");

  const refused = spawnSync(ctx.moai, ["serve", "--port", "0", "--storage", "postgres",
    "--postgres-url", "postgresql://nobody@/nothing?host=/nonexistent-dir"], { encoding: "utf8", timeout: 20000 });
  assert.notEqual(refused.status, 0, "a server without its database does not start");
  assert.match(refused.stdout + refused.stderr, /storage could not be opened.*PostgreSQL/);
  drop();
}
