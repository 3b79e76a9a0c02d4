// PEER_MODE=agent: one moai acts as the server account through another (the core) over
// WebSocket. Its writes reach the core's clients, it reads what they write, and it
// reconnects after the core restarts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { api, generateAccount, loadOrFail, log, newClient, rawClient, reconnect, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("agent mode is moai's own; nothing to check on the reference server");
  const coreDb = join(ctx.workDir, "core.db");
  const account = generateAccount(ctx, coreDb, "Edge Agent");
  let core = await startServer(ctx, { dbPath: coreDb });
  const agent = await startServer(ctx, {
    dbPath: join(ctx.workDir, "agent.db"),
    args: ["--mode", "agent", "--peer-moai", core.url, ...account.args, "--storage", "memory"],
  });

  const profile = await api(agent, "GET", "/profile");
  assert.equal(profile.status, 200, JSON.stringify(profile.body));
  assert.equal(profile.body.profileName, "Edge Agent", "the account is read from the core");

  const a = await newClient(ctx, core.url, "Alice");
  const serverAccount = await loadOrFail(a.node, account.peerId, "the server account on the core");
  const group = a.node.createGroup();
  group.addMember(serverAccount, "writer");
  const shared = group.createMap({ from: "client" });
  await Promise.all([group.core.waitForSync(), shared.core.waitForSync()]);

  const made = await api(agent, "POST", "/covalues", { type: "comap", group: group.id, content: { from: "agent" } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const madeOnCore = await loadOrFail(a.node, made.body.id, "the agent's map on the core");
  await waitFor(() => madeOnCore.get("from") === "agent", { what: "the agent's write on the core's client" });
  const read = await api(agent, "GET", `/covalues/${shared.id}`);
  assert.deepEqual(read.body.content, { from: "client" });
  shared.set("live", 1);
  await waitFor(async () => (await api(agent, "GET", `/covalues/${shared.id}`)).body.content.live === 1,
    { what: "a client's edit to reach the agent through the core" });
  log("agent mode: writes reach the core, the core's updates reach the agent");

  // The agent mode moai does not serve /sync itself.
  const raw = await rawClient(agent.url);
  const closed = await raw.whenClosed();
  assert.equal(closed.code, 1008);

  // The core restarts on the same port: the agent reconnects and carries on.
  await core.stop();
  core = await startServer(ctx, { dbPath: coreDb, port: core.port });
  reconnect(a.node, core.url);
  const again = await waitFor(async () => {
    const r = await api(agent, "PATCH", `/covalues/${made.body.id}`, { set: { after: "restart" } });
    return r.status === 200 ? r : null;
  }, { what: "the agent to write again after the core restarted", timeout: 30000 });
  assert.equal(again.body.content.after, "restart");
  await waitFor(() => madeOnCore.get("after") === "restart", { what: "the post-restart write on the core's client" });
  log("agent mode: reconnected after the core restarted");
}
