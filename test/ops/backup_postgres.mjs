// Backing up PostgreSQL storage with PostgreSQL's own tools, as the README says: pg_dump
// while the server runs and a client writes (one snapshot), pg_restore into an empty
// database, moai check finds it sound, and a server on it serves everything acknowledged
// before the dump began. Needs ctest's `postgres` fixture.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  ackTrackingClient, loadOrFail, log, moaiCommand, newClient, sessionTransactions, sleep, startServer, waitFor,
} from "../interop/lib/harness.mjs";

export async function run(ctx) {
  const base = process.env.MOAI_TEST_POSTGRES_URL;
  assert.ok(base, "MOAI_TEST_POSTGRES_URL is not set (ctest's postgres fixture sets it; see scripts/test-postgres)");
  const live = `moai_live_${process.pid}`;
  const restored = `moai_restored_${process.pid}`;
  const urlOf = (db) => base.replace(/\/postgres\?/, `/${db}?`);
  for (const db of [live, restored]) {
    execFileSync("psql", [base, "-q", "-c", `DROP DATABASE IF EXISTS ${db}`]);
    execFileSync("psql", [base, "-q", "-c", `CREATE DATABASE ${db}`]);
  }
  const argsFor = (db) => ["--storage", "postgres", "--postgres-url", urlOf(db)];
  const dbPath = join(ctx.workDir, "unused.db");
  const server = await startServer(ctx, { dbPath, args: argsFor(live) });
  const writer = await ackTrackingClient(ctx, server.url, "Writer");
  const session = writer.node.currentSessionID;
  const map = writer.node.createGroup().createMap();
  const acked = () => writer.acked.get(map.id)?.[session] ?? 0;
  let writing = true;
  const edits = (async () => {
    for (let i = 0; writing; i++) {
      map.set(`k${i % 4}`, `edit ${i}`);
      await sleep(2);
    }
  })();
  await waitFor(() => acked() >= 50, { what: "50 edits acknowledged" });

  const before = acked();
  const dump = join(ctx.workDir, "moai.dump");
  execFileSync("pg_dump", ["--format=custom", `--file=${dump}`, urlOf(live)]);
  await waitFor(() => acked() >= before + 20, { what: "the server to go on acknowledging" });
  writing = false;
  await edits;
  execFileSync("pg_restore", ["--no-owner", `--dbname=${urlOf(restored)}`, dump]);
  const check = await moaiCommand(ctx, ["check", "--db-path", dbPath, ...argsFor(restored)]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  log(`pg_dump taken after ${before} acknowledged edits; restored: ${check.stdout.trim().split("\n").pop()}`);
  await server.stop();

  const second = await startServer(ctx, { dbPath, args: argsFor(restored) });
  const reader = await newClient(ctx, second.url, "Reader");
  const loaded = await loadOrFail(reader.node, map.id, "the map");
  await waitFor(() => (loaded.core.knownState().sessions[session] ?? 0) >= before, {
    what: `the ${before} transactions acknowledged before the dump`,
  });
  const theirs = sessionTransactions(loaded, session);
  assert.deepEqual(theirs, sessionTransactions(map, session).slice(0, theirs.length), "the writer's own transactions");
  log(`a server on the restored database serves ${theirs.length} transactions of the map`);
  writer.node.gracefulShutdown();
  reader.node.gracefulShutdown();
  await second.stop();
  for (const db of [live, restored]) execFileSync("psql", [base, "-q", "-c", `DROP DATABASE ${db}`]);
}
