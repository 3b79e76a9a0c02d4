// moai on the original JavaScript moai's PostgreSQL tables, both ways, with real
// cojson: the "original" here is a cojson 0.20.19 sync server (LocalNode + ws, built as
// jazz-run builds one) whose storage is cojson's StorageApiAsync over the original's
// DBClientInterfaceAsync statements (test/interop/lib/original-postgres.mjs).
//   1. a client writes through the original (a map with large values, so some sessions
//      carry signatureAfter checkpoints, a list, a group);
//   2. moai, started on the same schema, serves all of it to a fresh client; that
//      client and the first writer (moved to moai) edit further, acknowledged by moai;
//   3. the original, started again on the schema moai wrote, serves everything to a
//      fresh client: the edits of step 1 and step 2, transaction for transaction.
// Needs the test PostgreSQL server (ctest's `postgres` fixture sets MOAI_TEST_POSTGRES_URL).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { startReferenceServer } from "../interop/lib/reference-server.mjs";
import { openOriginalPostgresStorage } from "../interop/lib/original-postgres.mjs";
import { ackTrackingClient, loadOrFail, log, newClient, reconnect, startServer, waitFor } from "../interop/lib/harness.mjs";

const big = (i) => `value ${i} ${"x".repeat(30000)}`;

export async function run(ctx) {
  const base = process.env.MOAI_TEST_POSTGRES_URL;
  assert.ok(base, "MOAI_TEST_POSTGRES_URL is not set (ctest's postgres fixture sets it; see scripts/test-postgres)");
  const schema = `moai_original_${process.pid}`;
  const psql = (sql) => execFileSync("psql", [url, "-tA", "-c", sql]).toString().trim();
  execFileSync("psql", [base, "-q", "-c", `SET client_min_messages = warning; DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`]);
  const url = `${base}${base.includes("?") ? "&" : "?"}options=-csearch_path%3D${schema}`;

  // ---- 1. written by the original ----
  let original = await openOriginalPostgresStorage(base, { schema });
  let server = await startReferenceServer({ storage: original.storage });
  const originalUrl = `ws://127.0.0.1:${server.port}/sync`;
  assert.equal(psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version"), "1,3,4,5");

  const writer = await ackTrackingClient(ctx, originalUrl, "Writer");
  const group = writer.node.createGroup();
  group.addMember("everyone", "writer");
  const map = group.createMap();
  for (let i = 0; i < 12; i++) map.set(`k${i % 4}`, big(i));  // 360 KB: checkpoints every 100 KB
  const list = group.createList();
  for (let i = 0; i < 5; i++) list.append(`item ${i}`);
  await map.core.waitForSync();
  await list.core.waitForSync();
  const writerSession = writer.node.currentSessionID;
  const written = map.core.knownState().sessions[writerSession];
  // StorageApiAsync acknowledges before its queue is written: wait for the rows.
  await waitFor(
    () => Number(psql(`SELECT coalesce(max("lastIdx"), 0) FROM sessions WHERE "sessionID" = '${writerSession}'`)) >= written,
    { what: "the original to store the map's edits" },
  );
  assert.ok(Number(psql("SELECT count(*) FROM signatureafter")) > 0, "the original wrote checkpoints");
  log(`original stored ${written} edits of the map; ${psql("SELECT count(*) FROM signatureafter")} signatureafter rows`);
  await server.close();
  await original.close();

  // ---- 2. served and extended by moai ----
  const dbPath = join(ctx.workDir, "unused.db");
  let moai = await startServer(ctx, { dbPath, args: ["--storage", "postgres", "--postgres-url", url] });
  const reader = await ackTrackingClient(ctx, moai.url, "Reader");
  const loaded = await loadOrFail(reader.node, map.id, "the map written by the original");
  await waitFor(() => loaded.core.knownState().sessions[writerSession] === written, {
    what: `the map's ${written} edits from moai`,
  });
  for (let i = 0; i < 4; i++) assert.equal(loaded.get(`k${i}`), big(8 + i));
  const loadedList = await loadOrFail(reader.node, list.id, "the list");
  await waitFor(() => loadedList.asArray().length === 5, { what: "the list's items from moai" });
  log("moai serves what the original wrote");

  loaded.set("fromReader", "edited through moai");
  reconnect(writer.node, moai.url, { onMessage: writer.onMessage });
  map.set("k0", "moved to moai");
  list.append("item 5");
  const readerSession = reader.node.currentSessionID;
  const expected = { ...map.core.knownState().sessions };
  await waitFor(() => reader.acked.get(map.id)?.[readerSession] === loaded.core.knownState().sessions[readerSession], {
    what: "moai to acknowledge the reader's edit",
  });
  await waitFor(() => writer.acked.get(map.id)?.[writerSession] === expected[writerSession], {
    what: "moai to acknowledge the writer's edit",
  });
  await waitFor(() => writer.acked.get(list.id)?.[writerSession] === list.core.knownState().sessions[writerSession], {
    what: "moai to acknowledge the list item",
  });
  expected[readerSession] = loaded.core.knownState().sessions[readerSession];
  await moai.stop();
  // Rows as the original writes them: lastIdx = stored count.
  assert.equal(
    psql(`SELECT count(*) FROM sessions s WHERE "lastIdx" <> (SELECT count(*) FROM transactions t WHERE t.ses = s."rowID")`),
    "0",
  );
  assert.equal(psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version"), "1,3,4,5");
  log("moai stored the new edits in the original's tables");

  // ---- 3. served by the original again ----
  original = await openOriginalPostgresStorage(base, { schema });
  server = await startReferenceServer({ storage: original.storage });
  const fresh = await newClient(ctx, `ws://127.0.0.1:${server.port}/sync`, "Fresh");
  const again = await loadOrFail(fresh.node, map.id, "the map, from the original");
  await waitFor(
    () => Object.entries(expected).every(([s, n]) => again.core.knownState().sessions[s] === n),
    { what: `the original to serve ${JSON.stringify(expected)}` },
  );
  assert.equal(again.get("k0"), "moved to moai");
  assert.equal(again.get("fromReader"), "edited through moai");
  assert.equal(again.get("k3"), big(11));
  const listAgain = await loadOrFail(fresh.node, list.id, "the list, from the original");
  await waitFor(() => listAgain.asArray().length === 6, { what: "the list's 6 items from the original" });
  log("the original serves what moai wrote");
  await server.close();
  await original.close();
  execFileSync("psql", [base, "-q", "-c", `SET client_min_messages = warning; DROP SCHEMA ${schema} CASCADE`]);
}
