// A deployment of the JavaScript moai switches to moai by changing only the image: its
// environment as the seed writes it (PEER_MODE=sync PEER_STORAGE=pglite DB_PATH=…
// PEER_ID=… PEER_SECRET=…, credentials made as MaiaOS's generate-credentials.js makes
// them) on a fresh volume bootstraps the server account in the original's shape and
// serves /profile; a restart loads it again; a PGlite directory at DB_PATH is refused
// with how to migrate; PEER_ID of another secret stops start-up; PEER_MOAI given as a
// host (the original's form) connects an agent-mode moai.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cojsonInternals } from "cojson";
import { api, getCrypto, loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";
import { maiaCredentials } from "../lib/maia.mjs";

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("the drop-in concerns moai only");
  const crypto = await getCrypto();
  const creds = maiaCredentials(crypto, cojsonInternals);
  const volume = join(ctx.workDir, "volume");
  mkdirSync(volume);
  const seedEnv = {
    PEER_MODE: "sync",
    PEER_STORAGE: "pglite",
    DB_PATH: join(volume, "local-sync.db"),
    PEER_ID: creds.peerId,
    PEER_SECRET: creds.peerSecret,
  };

  const server = await startServer(ctx, { dbPath: null, env: seedEnv });
  assert.match(server.logs(), /PEER_STORAGE=pglite: moai's embedded store is a SQLite file at DB_PATH/);
  await waitFor(async () => (await api(server, "GET", "/profile")).status === 200, { what: "the bootstrapped account" });
  const profile = await api(server, "GET", "/profile");
  assert.equal(profile.body.accountId, creds.peerId);
  assert.equal(profile.body.profileName, "Maia Sync Server");
  assert.deepEqual(profile.body.sparks, {});
  assert.match(server.logs(), /the server account was not found; created it from PEER_SECRET/);

  // What a client sees: the account, its public profile with MaiaOS's schema.
  const client = await newClient(ctx, server.url, "Client");
  const account = await loadOrFail(client.node, creds.peerId, "the server account");
  assert.equal(account.core.verified.header.meta.type, "account");
  assert.equal(account.get("profile"), undefined, "profile is a private key of the account, as MaiaOS sets it");
  const profileMap = await loadOrFail(client.node, profile.body.profileId, "the profile");
  assert.equal(profileMap.get("name"), "Maia Sync Server");
  assert.deepEqual(profileMap.core.verified.header.meta, { $schema: "ProfileSchema" });
  log("fresh volume with the seed's environment: account bootstrapped, /profile served");

  await server.stop();
  const again = await startServer(ctx, { dbPath: null, env: seedEnv });
  await waitFor(async () => (await api(again, "GET", "/profile")).status === 200, { what: "the account after a restart" });
  assert.equal((await api(again, "GET", "/profile")).body.profileId, profile.body.profileId);
  assert.doesNotMatch(again.logs(), /created it from PEER_SECRET/);
  log("restart: the same account is loaded, not created again");

  // Agent mode with PEER_MOAI as a host, as the original reads it (ws:// for 127.0.0.1).
  const agent = await startServer(ctx, {
    dbPath: null,
    env: { ...seedEnv, PEER_MODE: "agent", PEER_STORAGE: "in-memory", PEER_MOAI: `127.0.0.1:${again.port}` },
  });
  await waitFor(async () => (await api(agent, "GET", "/profile")).status === 200, {
    what: "/profile through the agent-mode moai",
  });
  assert.equal((await api(agent, "GET", "/profile")).body.profileId, profile.body.profileId);
  assert.match(agent.logs(), new RegExp(`ws://127\\.0\\.0\\.1:${again.port}/sync`));
  log("PEER_MOAI=host:port connects the agent-mode moai to ws://host:port/sync");

  // A PGlite directory where DB_PATH points is never written over.
  const pglite = join(ctx.workDir, "pglite-volume");
  mkdirSync(pglite);
  writeFileSync(join(pglite, "PG_VERSION"), "17\n");
  const refused = spawnSync(ctx.moai, ["serve", "--port", "0"], {
    encoding: "utf8",
    timeout: 10000,
    env: { ...process.env, ...seedEnv, DB_PATH: pglite },
  });
  assert.equal(refused.status, 1, `a PGlite directory at DB_PATH stops start-up (got ${refused.status})`);
  assert.match(refused.stdout + refused.stderr, /is a PGlite data directory .*scripts\/migrate-pglite/);

  // PEER_ID of another agent's account.
  const other = maiaCredentials(crypto, cojsonInternals);
  const mixed = spawnSync(ctx.moai, ["serve", "--port", "0"], {
    encoding: "utf8",
    timeout: 10000,
    env: { ...process.env, ...seedEnv, PEER_SECRET: other.peerSecret },
  });
  assert.equal(mixed.status, 2);
  assert.match(mixed.stdout + mixed.stderr, /is not the account of PEER_SECRET/);
  log("a PGlite directory and mismatched credentials stop start-up with what to do");
}
