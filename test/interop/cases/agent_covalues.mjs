// The generic CoValue API: values the server account creates and edits converge with
// real clients; private values are readable by invited members only and stored only
// as ciphertext.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { api, generateAccount, loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("the CoValue API is moai's own; nothing to check on the reference server");
  const dbPath = join(ctx.workDir, "sync.db");
  const account = generateAccount(ctx, dbPath);
  const server = await startServer(ctx, { dbPath, args: account.args });
  const a = await newClient(ctx, server.url, "Alice");
  const outsider = await newClient(ctx, server.url, "Mallory");

  // A public CoMap created by the server: anyone reads it; edits converge both ways.
  const created = await api(server, "POST", "/covalues", { type: "comap", public: true, content: { title: "hello", n: 1 } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  assert.deepEqual(created.body.content, { title: "hello", n: 1 });
  const mapA = await loadOrFail(a.node, id, "the server's map");
  await waitFor(() => mapA.get("title") === "hello", { what: "the client to read the server's map" });
  const patched = await api(server, "PATCH", `/covalues/${id}`, { set: { n: 2, tags: ["x"] }, delete: ["title"] });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  await waitFor(() => mapA.get("n") === 2 && mapA.get("title") === undefined, { what: "the server's edit on the client" });
  assert.deepEqual(mapA.get("tags"), ["x"]);
  // The client is only a reader of that group: its edits are invalid and ignored by readers.
  const list = await api(server, "POST", "/covalues", { type: "colist", group: created.body.group, content: ["a"] });
  assert.equal(list.status, 201, JSON.stringify(list.body));
  await api(server, "PATCH", `/covalues/${list.body.id}`, { append: ["b", "c"] });
  const listA = await loadOrFail(a.node, list.body.id, "the server's list");
  await waitFor(() => listA.asArray().length === 3, { what: "the list on the client" });
  assert.deepEqual(listA.asArray(), ["a", "b", "c"]);
  log("public values created and edited by the server converge on the client");

  // A private group of the client's, with the server account as writer.
  const serverAccount = await loadOrFail(a.node, account.peerId, "the server's account");
  const group = a.node.createGroup();
  group.addMember(serverAccount, "writer");
  const shared = group.createMap({ fromClient: "hi" });
  await Promise.all([group.core.waitForSync(), shared.core.waitForSync()]);
  const secret = "the launch code is 0000 " + Math.random();
  const made = await api(server, "POST", "/covalues", { type: "comap", group: group.id, content: { secret } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const privateA = await loadOrFail(a.node, made.body.id, "the private map");
  await waitFor(() => privateA.get("secret") === secret, { what: "the invited client to decrypt the server's value" });
  const privateM = await loadOrFail(outsider.node, made.body.id, "the private map for an outsider");
  await waitFor(() => privateM.core.knownState().sessions && Object.keys(privateM.core.knownState().sessions).length > 0,
    { what: "the outsider to receive the transactions" });
  assert.equal(privateM.get("secret"), undefined, "an outsider cannot read the private value");

  // The server reads what the client writes, and both sides converge.
  const readByServer = await api(server, "GET", `/covalues/${shared.id}`);
  assert.equal(readByServer.status, 200);
  assert.deepEqual(readByServer.body.content, { fromClient: "hi" });
  await api(server, "PATCH", `/covalues/${shared.id}`, { set: { fromServer: "hello" } });
  shared.set("fromClient", "hi again");
  await waitFor(() => shared.get("fromServer") === "hello", { what: "the server's edit on the client" });
  await waitFor(async () => (await api(server, "GET", `/covalues/${shared.id}`)).body.content.fromClient === "hi again",
    { what: "the client's edit on the server" });
  assert.deepEqual((await api(server, "GET", `/covalues/${shared.id}`)).body.content, shared.toJSON());

  const forbidden = await api(server, "PATCH", `/covalues/${id}`, { append: [1] });
  assert.equal(forbidden.status, 400, "append to a CoMap is refused");
  assert.equal((await api(server, "GET", "/covalues/not-an-id")).status, 400);
  assert.equal((await api(server, "POST", "/covalues", { type: "costream" })).status, 400);
  // Nothing to put in: the value exists once its header is stored (it used to wait for an
  // acknowledgement of transactions that never come, 25 s, then answer 504).
  for (const type of ["comap", "colist"]) {
    const started = Date.now();
    const empty = await api(server, "POST", "/covalues", { type });
    assert.equal(empty.status, 201, `empty ${type}: ${empty.status} ${JSON.stringify(empty.body)}`);
    assert.ok(Date.now() - started < 5000, `empty ${type} answered in ${Date.now() - started} ms`);
    const seen = await loadOrFail(a.node, empty.body.id, `the empty ${type}`);
    assert.equal(seen.core.verified.header.type, type);
  }

  await server.stop();
  const raw = [dbPath, `${dbPath}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1")).join("");
  assert.ok(raw.includes(made.body.id), "the database holds the private map");
  assert.ok(!raw.includes(secret.slice(0, 20)), "the database holds only ciphertext of the private value");
  log("private values: invited client reads, outsider cannot, the database holds ciphertext only");
}
