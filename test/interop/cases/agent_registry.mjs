// The agent API as MaiaOS uses it (agent-api.md): a client shares a spark with the
// server account; /on-added, /register-human and /trigger write into it as that account,
// and the client sees every change; /profile reports it all.
import assert from "node:assert/strict";
import { join } from "node:path";
import { api, generateAccount, loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("the agent API is moai's own; nothing to check on the reference server");
  const dbPath = join(ctx.workDir, "sync.db");
  const account = generateAccount(ctx, dbPath, "Maia Agent");
  const server = await startServer(ctx, { dbPath, args: account.args });

  const profile0 = await api(server, "GET", "/profile");
  assert.equal(profile0.status, 200, JSON.stringify(profile0.body));
  assert.equal(profile0.body.accountId, account.peerId);
  assert.equal(profile0.body.profileName, "Maia Agent");
  assert.deepEqual(profile0.body.sparks, {});

  // A client builds a private spark → registries → humans and makes the server a writer.
  const a = await newClient(ctx, server.url, "Alice");
  const serverAccount = await loadOrFail(a.node, account.peerId, "the server's account");
  const group = a.node.createGroup();
  group.addMember(serverAccount, "writer");
  const humans = group.createMap();
  const registries = group.createMap({ humans: humans.id });
  const spark = group.createMap({ name: "Maia", registries: registries.id });
  await Promise.all([group, humans, registries, spark].map((v) => v.core.waitForSync()));

  assert.equal((await api(server, "POST", "/on-added", { sparkId: "nope" })).status, 400);
  const added = await api(server, "POST", "/on-added", { sparkId: spark.id });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.deepEqual(added.body, { ok: true, added: "@maia", sparkId: spark.id });

  const missingName = await api(server, "POST", "/register-human", { username: "  ", accountId: a.accountID });
  assert.equal(missingName.status, 400);
  assert.deepEqual(missingName.body.validationErrors, [{ field: "username", message: "required" }]);
  const missingAccount = await api(server, "POST", "/register-human", { username: "alice" });
  assert.equal(missingAccount.status, 400);
  assert.equal(missingAccount.body.validationErrors[0].field, "accountId");
  assert.equal((await api(server, "POST", "/register-human", "{not json")).status, 400);

  const registered = await api(server, "POST", "/register-human", { username: " alice ", accountId: a.accountID });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  assert.deepEqual(registered.body, { ok: true, username: "alice", accountId: a.accountID });
  await waitFor(() => humans.get("alice") === a.accountID, { what: "the client to see the registered human" });
  const b = await newClient(ctx, server.url, "Bob");
  const taken = await api(server, "POST", "/register-human", { username: "alice", accountId: b.accountID });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.error, "username already registered to different account");
  assert.equal((await api(server, "POST", "/register-human", { username: "alice", accountId: a.accountID })).status, 200);
  log("register-human: written as the server account, seen by the client, conflicts refused");

  const triggered = await api(server, "POST", "/trigger", { text: "buy milk" });
  assert.equal(triggered.status, 200, JSON.stringify(triggered.body));
  assert.equal(triggered.body.text, "buy milk");
  assert.equal(triggered.body.spark, "@maia");
  await waitFor(() => spark.get("todos"), { what: "the spark's todos list" });
  const todos = await loadOrFail(a.node, spark.get("todos"), "the todos list");
  await waitFor(() => todos.asArray().includes(triggered.body.created), { what: "the todo in the list" });
  const todo = await loadOrFail(a.node, triggered.body.created, "the todo");
  await waitFor(() => todo.get("text") === "buy milk", { what: "the todo's text" });
  assert.equal(todo.get("done"), false);
  assert.equal(todo.core.verified.header.ruleset.group, group.id, "the todo is owned by the spark's group");
  const second = await api(server, "POST", "/trigger", {});
  assert.equal(second.status, 200);
  assert.equal(second.body.text, "Test todo from agent");
  await waitFor(() => todos.asArray().length === 2, { what: "the second todo appended" });
  assert.deepEqual(todos.asArray(), [triggered.body.created, second.body.created]);
  log("trigger: todos created in the spark's group and appended in order");

  const profile = await api(server, "GET", "/profile");
  assert.deepEqual(profile.body.sparks, { "@maia": spark.id });
  assert.equal(typeof profile.body.sparksId, "string");
  assert.equal((await api(server, "GET", "/on-added")).status, 405);
}
