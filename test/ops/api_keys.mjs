// Access control of /sync (README, Access control) on SQLite storage: `moai keys
// create|list|revoke` against the database a server uses, a server with
// access.require_key that lets real cojson clients with a good key sync and refuses the
// rest (401 JSON), a key's connection limit (429), its transactions-per-second limit
// (reading slows down, nothing is refused), its stored-bytes quota (close 4507),
// revocation closing open connections (4401), and per-IP limits for connections
// without a key. Also run on PostgreSQL by ops.api_keys_postgres.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  loadOrFail, log, moaiCommand, newClient, randomCoId, rawClient, sleep, startServer, waitFor,
} from "../interop/lib/harness.mjs";
import { metric, scrape } from "../interop/lib/prometheus.mjs";
import { createKey, listKeys, refused, revokeKey, upgrade, withKey } from "../interop/lib/api_keys.mjs";

// A client with a key that writes `count` transactions in bursts of `burst`, each
// waited for: how long until the last is acknowledged.
async function timedWrites(ctx, url, name, count, burst) {
  const client = await newClient(ctx, url, name);
  const map = client.node.createGroup().createMap();
  await map.core.waitForSync();
  const started = Date.now();
  for (let i = 0; i < count; i += burst) {
    for (let j = i; j < i + burst; j++) map.set(`k${j % 5}`, `value ${j}`);
    await map.core.waitForSync();
  }
  return Date.now() - started;
}

export async function keysScenario(ctx, { storeArgs, dbPath }) {
  const good = await createKey(ctx, storeArgs, ["--name", "app", "--max-connections", "2"]);
  const slow = await createKey(ctx, storeArgs, ["--name", "slow", "--tx-per-second", "20"]);
  const small = await createKey(ctx, storeArgs, ["--name", "small", "--max-stored-bytes", "20000"]);
  const free = await createKey(ctx, storeArgs, ["--name", "free"]);
  const listed = await listKeys(ctx, storeArgs);
  assert.equal(listed.rows.size, 4, listed.text);
  assert.equal(listed.rows.get(good.id).name, "app");
  assert.equal(listed.rows.get(good.id).maxConn, "2");
  assert.equal(listed.rows.get(slow.id).txs, "20");
  assert.equal(listed.rows.get(small.id).maxStored, "20000");
  assert.equal(listed.rows.get(good.id).revoked, "-");
  for (const k of [good, slow, small, free]) {
    assert.ok(!listed.text.includes(k.key.split("_")[2]), "moai keys list never shows a secret");
  }
  if (dbPath) {
    const file = readFileSync(dbPath).toString("latin1");
    assert.ok(!file.includes(good.key.split("_")[2]), "the database holds no key's secret");
  }
  log(`made 4 keys; moai keys list:\n${listed.text}`);

  const server = await startServer(ctx, {
    dbPath: dbPath ?? join(ctx.workDir, "unused.db"),
    args: [...storeArgs.filter((a) => a !== "--db-path" && a !== dbPath), "--require-key", "true", "--key-refresh-ms", "500"],
  });
  assert.match(server.logs(), /\/sync: API key required \(4 keys\)/);

  // Without a key, with an unknown one: 401 with a JSON error.
  const missing = await refused(server.url, 401, "no key");
  assert.match(missing, /API key is required/);
  await refused(withKey(server.url, "moai_00000000_notakey"), 401, "an unknown key");
  await refused(withKey(server.url, "you@example.com"), 401, "a Jazz Cloud style key moai never made");

  // A good key: real clients sync through it.
  const closes = [];
  const alice = await newClient(ctx, withKey(server.url, good.key), "Alice", {
    onClose: (code, reason) => closes.push({ code, reason }),
  });
  const group = alice.node.createGroup();
  group.addMember("everyone", "reader");
  const map = group.createMap();
  map.set("hello", "world");
  await map.core.waitForSync();
  const bob = await newClient(ctx, withKey(server.url, good.key), "Bob");
  const mapB = await loadOrFail(bob.node, map.id, "Alice's map, for Bob");
  await waitFor(() => mapB.get("hello") === "world", { what: "Bob to see Alice's edit" });
  log("two clients with a good key sync");

  // Its connection limit (2): the third upgrade is refused with 429.
  const third = await refused(withKey(server.url, good.key), 429, "a third connection of a key limited to 2");
  assert.match(third, /too many connections for this API key \(limit 2\)/);

  // Transactions per second: a key limited to 20/s is read more slowly; nothing is lost.
  const fast = await timedWrites(ctx, withKey(server.url, free.key), "Unlimited", 160, 20);
  const limited = await timedWrites(ctx, withKey(server.url, slow.key), "Limited", 160, 20);
  log(`160 transactions in bursts of 20: ${fast} ms with an unlimited key, ${limited} ms at 20 tx/s`);
  assert.ok(limited >= 5000, `20 tx/s slows 160 transactions to about 7 s (took ${limited} ms)`);
  assert.ok(limited > fast + 2000, `the limited key is slower than an unlimited one (${limited} vs ${fast} ms)`);

  // Stored bytes: the quota's connection is closed with 4507 and what would exceed it is not stored.
  const smallCloses = [];
  const carol = await newClient(ctx, withKey(server.url, small.key), "Carol", {
    onClose: (code, reason) => smallCloses.push({ code, reason }),
  });
  const carolGroup = carol.node.createGroup();
  carolGroup.addMember("everyone", "reader");
  const carolMap = carolGroup.createMap();
  carolMap.set("first", "x".repeat(2000));
  await carolMap.core.waitForSync();
  for (let i = 0; i < 8 && smallCloses.length === 0; i++) {
    carolMap.set(`big${i}`, "y".repeat(5000));
    await sleep(400);
  }
  await waitFor(() => smallCloses.length > 0, { what: "the over-quota connection to close" });
  assert.equal(smallCloses[0].code, 4507, JSON.stringify(smallCloses));
  assert.match(smallCloses[0].reason, /storage quota/);
  const dave = await newClient(ctx, withKey(server.url, free.key), "Dave");
  const seen = await loadOrFail(dave.node, carolMap.id, "Carol's map");
  await waitFor(() => seen.get("first") !== undefined, { what: "what Carol stored within the quota" });
  await waitFor(async () => (await listKeys(ctx, storeArgs)).rows.get(small.id).stored > 2000, {
    what: "moai keys list to show the key's stored bytes",
  });
  const usage = (await listKeys(ctx, storeArgs)).rows.get(small.id).stored;
  assert.ok(usage <= 20000, `stored bytes stay within the quota (${usage})`);
  log(`stored-bytes quota: connection closed with 4507 at ${usage} of 20000 bytes`);

  // Revocation: the open connections of the key close with 4401, new ones get 401.
  const revokedAt = Date.now();
  await revokeKey(ctx, storeArgs, good.id);
  await waitFor(() => closes.length > 0, { what: "Alice's connection to close after revocation", timeout: 10000 });
  assert.equal(closes[0].code, 4401, JSON.stringify(closes));
  log(`revoked key's connection closed with 4401 after ${Date.now() - revokedAt} ms`);
  const again = await refused(withKey(server.url, good.key), 401, "a revoked key");
  assert.match(again, /revoked/);
  assert.match((await listKeys(ctx, storeArgs)).rows.get(good.id).revoked, /^\d{4}-\d\d-\d\dT/);

  // A key made while the server runs is taken without a restart.
  const late = await createKey(ctx, storeArgs, ["--name", "late"]);
  await waitFor(async () => {
    const r = await upgrade(withKey(server.url, late.key));
    r.ws?.close();
    return r.status === 101;
  }, { what: "a key made by moai keys create to be accepted by the running server", timeout: 5000 });

  const metrics = await scrape(server);
  const refusedBy = (reason) => metric(metrics, "moai_sync_upgrades_refused_total", { reason });
  assert.ok(refusedBy("missing_key") >= 1 && refusedBy("unknown_key") >= 2 && refusedBy("revoked_key") >= 1);
  assert.ok(refusedBy("key_connections") >= 1);
  assert.ok(metric(metrics, "moai_sync_rate_limited_total", { limit: "key_tx_per_second" }) >= 1);
  assert.ok(metric(metrics, "moai_sync_access_closed_total", { reason: "key_revoked" }) >= 1);
  assert.ok(metric(metrics, "moai_sync_access_closed_total", { reason: "storage_quota" }) >= 1);
  return { server, free };
}

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  const storeArgs = ["--db-path", dbPath];
  const { free } = await keysScenario(ctx, { storeArgs, dbPath });

  // Keys not required (the default), with per-IP limits for connections without one.
  const open = await startServer(ctx, {
    dbPath,
    args: ["--max-connections-per-ip", "2", "--messages-per-second-per-ip", "50"],
  });
  assert.match(open.logs(), /\/sync: open to anyone \(no key required\)/);
  const a = await upgrade(open.url);
  const b = await upgrade(open.url);
  assert.equal(a.status, 101);
  assert.equal(b.status, 101);
  const third = await refused(open.url, 429, "a third connection without a key from one IP");
  assert.match(third, /too many connections from this address \(limit 2\)/);
  const keyed = await upgrade(withKey(open.url, free.key));
  assert.equal(keyed.status, 101, "a key lifts the per-IP limit");
  keyed.ws.close();
  await refused(withKey(open.url, "moai_00000000_wrong"), 401, "a wrong key while keys are not required");
  a.ws.close();
  b.ws.close();
  await waitFor(async () => {
    const r = await upgrade(open.url);
    r.ws?.close();
    return r.status === 101;
  }, { what: "a connection to be let in once the others closed" });

  // 50 messages/s per IP: 200 loads take about 3 s to be answered; every one is.
  await sleep(1200);  // the previous connections' debt, if any, is paid
  const raw = await rawClient(open.url);
  const ids = Array.from({ length: 200 }, () => randomCoId());
  const started = Date.now();
  for (const id of ids) raw.send({ action: "load", id, header: false, sessions: {} });
  await waitFor(() => ids.every((id) => raw.messages.some((m) => m.id === id)), {
    what: "every load answered", timeout: 20000,
  });
  const elapsed = Date.now() - started;
  raw.close();
  log(`200 loads at 50 messages/s per IP answered in ${elapsed} ms`);
  assert.ok(elapsed >= 2500, `the per-IP message rate slows reading (${elapsed} ms)`);
  const metrics = await scrape(open);
  assert.ok(metric(metrics, "moai_sync_upgrades_refused_total", { reason: "ip_connections" }) >= 1);
  assert.ok(metric(metrics, "moai_sync_rate_limited_total", { limit: "ip_messages_per_second" }) >= 1);

  // Memory storage keeps no key table: moai keys says so.
  const memory = await moaiCommand(ctx, ["keys", "list", "--storage", "memory"]);
  assert.equal(memory.status, 2);
  assert.match(memory.stderr, /nothing to manage/);
  // Listing a database that is not there says so and leaves no empty one behind.
  const typo = join(ctx.workDir, "no-such.db");
  const missing = await moaiCommand(ctx, ["keys", "list", "--db-path", typo]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no database at/);
  assert.equal(existsSync(typo), false);
}
