// A deployment of the JavaScript moai on PGlite (PEER_STORAGE=pglite, a data directory
// at DB_PATH) moves to moai with scripts/migrate-pglite, as the README says:
//   1. the "original" (a cojson 0.20.19 sync server whose storage is the original's
//      statements on PGlite, test/interop/lib/original-postgres.mjs) stores what a client
//      writes: a public map with values large enough for signatureAfter checkpoints, a
//      list, and a private map only its owner can read;
//   2. moai refuses to start on that directory and names the script;
//   3. the script copies it into a new SQLite file (verifying everything) and leaves
//      the directory byte for byte as it was;
//   4. moai on the new file serves all of it, transaction for transaction, to a fresh
//      client and to the owner, and takes new edits.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startReferenceServer } from "../interop/lib/reference-server.mjs";
import { openOriginalPGliteStorage } from "../interop/lib/original-postgres.mjs";
import {
  ackTrackingClient,
  loadedClient,
  loadOrFail,
  log,
  newClient,
  sessionTransactions,
  startServer,
  waitFor,
} from "../interop/lib/harness.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const big = (i) => `value ${i} ${"x".repeat(30000)}`;

// Every file under `dir` with its content hash: the directory "as it was".
function fingerprint(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("the migration concerns moai only");
  const pglite = join(ctx.workDir, "local-sync.db");

  // ---- 1. written by the original on PGlite ----
  let original = await openOriginalPGliteStorage(pglite);
  const server = await startReferenceServer({ storage: original.storage });
  const writer = await ackTrackingClient(ctx, `ws://127.0.0.1:${server.port}/sync`, "Writer");
  const group = writer.node.createGroup();
  group.addMember("everyone", "reader");
  const map = group.createMap();
  for (let i = 0; i < 12; i++) map.set(`k${i % 4}`, big(i)); // 360 KB: checkpoints every 100 KB
  const list = group.createList();
  for (let i = 0; i < 5; i++) list.append(`item ${i}`);
  const secret = writer.node.createGroup().createMap();
  secret.set("note", "for the owner only");
  for (const value of [map, list, secret]) await value.core.waitForSync();
  const session = writer.node.currentSessionID;
  const rows = async (sql) => (await original.client.query(sql)).rows;
  // StorageApiAsync acknowledges before its queue is written: wait for the rows.
  await waitFor(
    async () =>
      Number((await rows(`SELECT coalesce(max("lastIdx"), 0) AS n FROM sessions WHERE "sessionID" = '${session}'`))[0].n) >=
      map.core.knownState().sessions[session],
    { what: "the original to store the map's edits" },
  );
  await waitFor(async () => (await rows("SELECT count(*)::integer AS n FROM covalues"))[0].n >= 7, {
    what: "the original to store the account, groups and values",
  });
  const checkpoints = (await rows("SELECT count(*)::integer AS n FROM signatureafter"))[0].n;
  const stored = (await rows("SELECT count(*)::integer AS n FROM covalues"))[0].n;
  assert.ok(checkpoints > 0, "the original wrote signatureAfter checkpoints");
  const expected = {
    map: sessionTransactions(map, session),
    list: sessionTransactions(list, session),
    secret: sessionTransactions(secret, session),
  };
  await server.close();
  await original.close();
  log(`original stored ${stored} CoValues on PGlite, ${checkpoints} signatureafter rows`);

  // ---- 2. moai will not write over it ----
  const before = fingerprint(pglite);
  const refused = spawnSync(ctx.moai, ["serve", "--port", "0"], {
    encoding: "utf8",
    timeout: 10000,
    env: { ...process.env, PEER_STORAGE: "pglite", DB_PATH: pglite },
  });
  assert.equal(refused.status, 1, `a PGlite directory at DB_PATH stops start-up (got ${refused.status})`);
  assert.match(refused.stdout + refused.stderr, /scripts\/migrate-pglite/);

  // ---- 3. the migration ----
  const migrated = join(ctx.workDir, "moai.db");
  const script = spawnSync(join(root, "scripts", "migrate-pglite"), [pglite, migrated, ctx.moai], {
    encoding: "utf8",
    timeout: 120000,
  });
  log(`migrate-pglite: ${(script.stdout + script.stderr).trim()}`);
  assert.equal(script.status, 0, `migrate-pglite failed:\n${script.stdout}${script.stderr}`);
  assert.match(script.stderr, new RegExp(`pglite-export: ${stored} CoValues`));
  assert.deepEqual(fingerprint(pglite), before, "the PGlite directory is left as it was");
  const again = spawnSync(join(root, "scripts", "migrate-pglite"), [pglite, migrated, ctx.moai], { encoding: "utf8" });
  assert.equal(again.status, 2, "an existing target file is never written over");

  // ---- 4. moai serves it ----
  const moai = await startServer(ctx, { dbPath: null, env: { PEER_STORAGE: "pglite", DB_PATH: migrated } });
  const fresh = await newClient(ctx, moai.url, "Fresh");
  const loaded = await loadOrFail(fresh.node, map.id, "the map written on PGlite");
  await waitFor(() => sessionTransactions(loaded, session).length === expected.map.length, {
    what: `the map's ${expected.map.length} edits from moai`,
  });
  assert.deepEqual(sessionTransactions(loaded, session), expected.map, "the map, transaction for transaction");
  for (let i = 0; i < 4; i++) assert.equal(loaded.get(`k${i}`), big(8 + i));
  const loadedList = await loadOrFail(fresh.node, list.id, "the list");
  await waitFor(() => loadedList.asArray().length === 5, { what: "the list's items from moai" });
  assert.deepEqual(sessionTransactions(loadedList, session), expected.list);

  const owner = await loadedClient(ctx, moai.url, writer);
  const ownSecret = await loadOrFail(owner, secret.id, "the private map, by its owner");
  await waitFor(() => ownSecret.get("note") === "for the owner only", { what: "the owner to read the private map" });
  assert.deepEqual(sessionTransactions(ownSecret, session), expected.secret);
  log("moai serves everything the original stored on PGlite");

  ownSecret.set("note", "edited on moai");
  await ownSecret.core.waitForSync();
  const device = await loadedClient(ctx, moai.url, writer);
  const secretAgain = await loadOrFail(device, secret.id, "the private map, on another device");
  await waitFor(() => secretAgain.get("note") === "edited on moai", { what: "the edit made on moai, from moai" });
  log("and takes new edits");
}
