// Without credentials the agent routes answer 503 naming what is missing (and /sync
// still works); with AGENT_API_TOKEN they require the bearer token; bad credentials
// stop the server at startup with a clear message.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { api, generateAccount, log, newClient, startServer } from "../lib/harness.mjs";

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("the agent API is moai's own; nothing to check on the reference server");
  const bare = await startServer(ctx, { dbPath: join(ctx.workDir, "bare.db") });
  for (const [method, path] of [["GET", "/profile"], ["POST", "/on-added"], ["POST", "/register-human"], ["POST", "/trigger"], ["GET", "/covalues/co_zabc"]]) {
    const r = await api(bare, method, path, method === "POST" ? {} : undefined);
    assert.equal(r.status, 503, `${method} ${path}`);
    assert.equal(r.body.error, "Initializing");
    assert.match(r.body.message, /PEER_ID and PEER_SECRET/);
  }
  const a = await newClient(ctx, bare.url, "Alice");
  const map = a.node.createGroup().createMap({ still: "syncing" });
  await map.core.waitForSync();
  log("without credentials: 503 Initializing, /sync works");

  const dbPath = join(ctx.workDir, "sync.db");
  const account = generateAccount(ctx, dbPath);
  const guarded = await startServer(ctx, { dbPath, args: [...account.args, "--agent-api-token", "s3cret"] });
  const denied = await api(guarded, "GET", "/profile");
  assert.equal(denied.status, 401);
  assert.equal(denied.body.ok, false);
  assert.equal((await api(guarded, "GET", "/profile", undefined, { authorization: "Bearer wrong" })).status, 401);
  const allowed = await api(guarded, "GET", "/profile", undefined, { authorization: "Bearer s3cret" });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.body.accountId, account.peerId);
  assert.equal(allowed.headers.get("access-control-allow-origin"), "*");
  const preflight = await fetch(`${guarded.httpUrl}/profile`, { method: "OPTIONS" });
  assert.equal(preflight.status, 204, "preflight needs no token");
  log("with AGENT_API_TOKEN: 401 without the token, 200 with it");

  // Credentials of two different accounts: start-up stops with a clear error (an
  // account's ID follows from its first agent, so PEER_ID must be PEER_SECRET's).
  const other = generateAccount(ctx, dbPath, "Other");
  const mixed = spawnSync(
    ctx.moai,
    ["serve", "--port", "0", "--db-path", dbPath, "--peer-id", account.peerId, "--peer-secret", other.peerSecret],
    { encoding: "utf8", timeout: 10000 },
  );
  assert.equal(mixed.status, 2, `mismatched credentials exit 2 (got ${mixed.status})`);
  assert.match(mixed.stderr + mixed.stdout, /is not the account of PEER_SECRET \(whose account is co_z/);
  log("mismatched credentials stop start-up");

  const bad = spawnSync(ctx.moai, ["serve", "--port", "0", "--db-path", join(ctx.workDir, "x.db"), "--peer-id", "co_zX", "--peer-secret", "nonsense"], { encoding: "utf8", timeout: 10000 });
  assert.equal(bad.status, 2, `bad credentials exit 2 (got ${bad.status})`);
  assert.match(bad.stderr, /PEER_SECRET/);
}
