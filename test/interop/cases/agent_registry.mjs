// The agent API as MaiaOS uses it, with the JavaScript moai's effects and answers: a human
// builds a MaiaOS spark (os, schematas with the todos schema, indexes, capabilities with a
// guardian that lets the server write, registries → humans) and registers it with
// /on-added; /register-human writes the humans registry; /trigger resolves the todos
// schema through os.schematas, validates {text, done} against it, creates the todo in a
// new group that extends the guardian (meta {"$schema": <schema ID>}, the server leaving
// the group) and indexes it into os.indexes[<schema ID>]; the human finds it there.
import assert from "node:assert/strict";
import { join } from "node:path";
import { api, generateAccount, loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";
import { maiaSpark } from "../lib/maia.mjs";

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("the agent API is moai's own; nothing to check on the reference server");
  const dbPath = join(ctx.workDir, "sync.db");
  const account = generateAccount(ctx, dbPath, "Maia Agent");
  const server = await startServer(ctx, { dbPath, args: account.args });
  await waitFor(async () => (await api(server, "GET", "/profile")).status === 200, { what: "the account to load" });

  const profile0 = await api(server, "GET", "/profile");
  assert.equal(profile0.body.accountId, account.peerId);
  assert.equal(profile0.body.profileName, "Maia Agent");
  assert.deepEqual(profile0.body.sparks, {});

  const human = await newClient(ctx, server.url, "Human");
  const serverAccount = await loadOrFail(human.node, account.peerId, "the server's account");
  const maia = await maiaSpark(human.node, serverAccount, { serverRole: "writer" });

  // /on-added: strict JSON, a co_z spark ID.
  assert.equal((await api(server, "POST", "/on-added", { sparkId: "nope" })).status, 400);
  assert.equal((await api(server, "POST", "/on-added", "{not json")).status, 400);
  assert.equal((await api(server, "GET", "/on-added")).status, 405);
  const added = await api(server, "POST", "/on-added", { sparkId: maia.spark.id });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.deepEqual(added.body, { ok: true, added: "@maia", sparkId: maia.spark.id });

  // /register-human: lenient JSON, no ID check on accountId, conflicts refused.
  const missingName = await api(server, "POST", "/register-human", { username: "  ", accountId: human.accountID });
  assert.equal(missingName.status, 400);
  assert.deepEqual(missingName.body.validationErrors, [{ field: "username", message: "required" }]);
  const notJson = await api(server, "POST", "/register-human", "{not json");
  assert.equal(notJson.status, 400, "invalid JSON is read as {}: username required");
  assert.equal(notJson.body.error, "username required");
  const registered = await api(server, "POST", "/register-human", { username: " alice ", accountId: human.accountID });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  assert.deepEqual(registered.body, { ok: true, username: "alice", accountId: human.accountID });
  await waitFor(() => maia.humans.get("alice") === human.accountID, { what: "the human to see the registration" });
  const other = await newClient(ctx, server.url, "Other");
  const taken = await api(server, "POST", "/register-human", { username: "alice", accountId: other.accountID });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.error, "username already registered to different account");
  log("on-added and register-human: written as the server account, seen by the human");

  // /trigger: validated against the todos schema before anything is written.
  const blank = await api(server, "POST", "/trigger", { text: "   " });
  assert.equal(blank.status, 400);
  assert.equal(
    blank.body.error,
    `Validation failed for 'createCoMap for schema ${maia.todosSchema.id}':\n  - /text: must match pattern ".*\\S.*"`,
  );
  const wrongType = await api(server, "POST", "/trigger", { text: 5 });
  assert.match(wrongType.body.error, /\/text: must be string/);
  assert.equal((await api(server, "POST", "/trigger", { spark: 5 })).body.error, "[getSparkGroup] spark is required");
  const noSpark = await api(server, "POST", "/trigger", { spark: "@nowhere" });
  assert.equal(noSpark.status, 400);
  assert.equal(noSpark.body.error, "[getSparkGroup] Spark @nowhere has no guardian in os.capabilities");

  const triggered = await api(server, "POST", "/trigger", { text: "buy milk" });
  assert.equal(triggered.status, 200, JSON.stringify(triggered.body));
  assert.deepEqual(Object.keys(triggered.body).sort(), ["created", "ok", "spark", "text"]);
  assert.equal(triggered.body.spark, "@maia");
  assert.equal(triggered.body.text, "buy milk");
  const todoId = triggered.body.created;

  // The human finds it through os.indexes[<todos schema ID>].
  await waitFor(() => maia.indexes.get(maia.todosSchema.id), { what: "os.indexes[<todos schema>]" });
  const index = await loadOrFail(human.node, maia.indexes.get(maia.todosSchema.id), "the todos index");
  await waitFor(() => index.asArray().includes(todoId), { what: "the todo in the index" });
  const todo = await loadOrFail(human.node, todoId, "the todo");
  await waitFor(() => todo.get("text") === "buy milk", { what: "the todo's text" });
  assert.equal(todo.get("done"), false);
  assert.deepEqual(todo.core.verified.header.meta, { $schema: maia.todosSchema.id });
  const todoGroup = await loadOrFail(human.node, todo.core.verified.header.ruleset.group, "the todo's group");
  assert.equal(todoGroup.get(`parent_${maia.guardian.id}`), "admin", "the todo's group extends the guardian");
  assert.equal(todoGroup.get(account.peerId), "revoked", "the server left the todo's group");
  assert.equal(todoGroup.myRole(), "admin", "the human administers it through the guardian");
  log("trigger: the todo created with its schema, in a group under the guardian, and indexed");

  const second = await api(server, "POST", "/trigger", {});
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.equal(second.body.text, "Test todo from agent");
  await waitFor(() => index.asArray().length === 2, { what: "the second todo in the index" });
  assert.deepEqual(index.asArray(), [todoId, second.body.created]);

  const profile = await api(server, "GET", "/profile");
  assert.deepEqual(profile.body.sparks, { "@maia": maia.spark.id });
  assert.equal(typeof profile.body.sparksId, "string");
  assert.equal(typeof profile.body.profileId, "string");
  log("profile: the sparks registry as the original reports it");
}
