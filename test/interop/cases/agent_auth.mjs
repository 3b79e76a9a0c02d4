// Without credentials the agent routes answer 503 naming what is missing (and /sync
// still works); with credentials and no AGENT_API_TOKEN, MaiaOS's routes answer anyone
// (as the original's do), the generic /covalues routes this machine only, writes to the
// server's own account nobody, and the start-up log warns; with AGENT_API_TOKEN they
// require the bearer token; bad credentials stop the server at startup with a clear
// message.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { api, generateAccount, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

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

  // No token, listening on every address: what a caller from elsewhere may do.
  const open = await startServer(ctx, {
    dbPath,
    args: [...account.args, "--host", "0.0.0.0"],
    env: { RED_PILL_API_KEY: "sk-test" },
  });
  await waitFor(() => /LLM_PROXY_TOKEN is unset/.test(open.logs()), { what: "the start-up warnings" });
  const logs = open.logs();
  assert.match(logs, /warn.*AGENT_API_TOKEN is unset: \/on-added, \/register-human, \/trigger and \/profile act as the server account for anyone/);
  assert.match(logs, /warn.*LLM_PROXY_TOKEN is unset: \/api\/v0\/llm\/chat spends RED_PILL_API_KEY for anyone/);
  // A caller from elsewhere: this machine's own non-loopback address when it has one,
  // else a request relayed by a proxy on this machine (which must not count as local).
  const external = Object.values(networkInterfaces()).flat().find((i) => i.family === "IPv4" && !i.internal);
  const fromElsewhere = (method, path, body) =>
    external
      ? fetch(`http://${external.address}:${open.port}${path}`, {
          method,
          headers: { "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: await r.json() }))
      : api(open, method, path, body, { "x-forwarded-for": "203.0.113.9" });
  await waitFor(async () => (await api(open, "GET", "/profile")).status === 200, { what: "the account" });
  const before = (await api(open, "GET", `/covalues/${account.peerId}`)).body;
  assert.equal((await fromElsewhere("GET", "/profile")).status, 200, "MaiaOS's /profile answers anyone");
  const remoteCreate = await fromElsewhere("POST", "/covalues", { type: "comap", content: { a: 1 } });
  assert.equal(remoteCreate.status, 403, JSON.stringify(remoteCreate.body));
  assert.match(remoteCreate.body.error, /this machine only while AGENT_API_TOKEN is unset/);
  assert.equal((await fromElsewhere("GET", `/covalues/${account.peerId}`)).status, 403);
  const relayed = await api(open, "POST", "/covalues", { type: "comap" }, { "x-forwarded-for": "203.0.113.9" });
  assert.equal(relayed.status, 403, "a request relayed by a local proxy is not local");
  assert.equal((await api(open, "POST", "/covalues", { type: "comap", content: { a: 1 } })).status, 201);
  const rewire = await api(open, "PATCH", `/covalues/${account.peerId}`, { set: { sparks: "co_zmallory" } });
  assert.equal(rewire.status, 403, JSON.stringify(rewire.body));
  assert.match(rewire.body.error, /own account need a token/);
  assert.deepEqual((await api(open, "GET", `/covalues/${account.peerId}`)).body, before, "the account is unchanged");
  log(`no token (${external ? `from ${external.address}` : "relayed"}): MaiaOS routes open, /covalues local only, the account refused`);
  await open.stop();
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
