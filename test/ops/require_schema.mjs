// storage.require_schema (MOAI_REQUIRE_SCHEMA), the JavaScript moai's rule for MaiaOS
// deployments: a CoValue whose header has no meta.$schema is not stored (nor passed on)
// and the refusal is logged and counted; groups, accounts and CoValues with a schema are
// served as usual. Off by default (every other test runs without it).
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, startServer, waitFor } from "../interop/lib/harness.mjs";

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("the rule is a moai option");
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db"), env: { MOAI_REQUIRE_SCHEMA: "true" } });
  const a = await newClient(ctx, server.url, "Alice");
  const group = a.node.createGroup();
  group.addMember("everyone", "reader");
  const plain = group.createMap({ note: "no schema" });
  const typed = group.createMap({ note: "with schema" }, { $schema: "co_zSomeSchema" });
  await typed.core.waitForSync();
  await waitFor(() => server.logs().includes("content refused: storage.require_schema"), {
    what: "the refusal in the log",
  });

  const b = await newClient(ctx, server.url, "Bob");
  assert.equal((await loadOrFail(b.node, typed.id, "the map with a schema")).get("note"), "with schema");
  assert.equal(await b.node.load(plain.id), "unavailable", "the map without a schema is not served");
  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  assert.match(metrics, /moai_rejections_total\{reason="missing_schema"\} [1-9]/);
  log("a CoValue without $schema is refused; groups, accounts and typed CoValues are served");
}
