// /health, /metrics and the actor inspection log while a real client syncs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { log, newClient, startServer, waitFor } from "../interop/lib/harness.mjs";
import { metric, parsePrometheus, scrape } from "../interop/lib/prometheus.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, {
    dbPath: join(ctx.workDir, "sync.db"),
    args: ["--log-format", "json", "--inspect-interval-ms", "300", "--debug-endpoints", "true"],
  });

  const health = await fetch(`${server.httpUrl}/health`);
  assert.equal(health.status, 200);
  assert.equal(health.headers.get("access-control-allow-origin"), "*");
  const body = await health.json();
  assert.equal(body.status, "ok");
  assert.equal(body.service, "sync");
  assert.equal(body.ready, true);
  assert.equal(body.storage, "sqlite");
  assert.match(body.version, /^\d+\.\d+\.\d+$/);
  assert.equal(typeof body.uptime_s, "number");

  const before = await scrape(server);
  assert.equal(before.families.moai_messages_in_total.type, "counter");
  assert.equal(before.families.moai_storage_write_seconds.type, "histogram");
  assert.equal(metric(before, "moai_messages_in_total", { action: "content" }), 0);

  const a = await newClient(ctx, server.url, "Alice");
  const group = a.node.createGroup();
  const map = group.createMap();
  for (let i = 0; i < 20; i++) map.set(`k${i}`, i);
  await map.core.waitForSync();

  const after = await scrape(server);
  log("metrics after 20 edits:", ["content", "load", "known"].map((x) => `${x}=${metric(after, "moai_messages_in_total", { action: x })}`).join(" "));
  assert.ok(metric(after, "moai_messages_in_total", { action: "content" }) >= 3, "content messages counted");
  assert.ok(metric(after, "moai_messages_out_total", { action: "known" }) >= 3, "acks counted");
  assert.ok(metric(after, "moai_transactions_accepted_total") >= 20, "transactions counted");
  assert.equal(metric(after, "moai_connections_open"), 1);
  assert.ok(metric(after, "moai_received_bytes_total") > 1000);
  assert.ok(metric(after, "moai_storage_write_batches_total") >= 1);
  const count = metric(after, "moai_storage_write_seconds_count");
  assert.ok(count >= 1);
  assert.equal(metric(after, "moai_storage_write_seconds_bucket", { le: "+Inf" }), count, "+Inf bucket = count");
  assert.ok(metric(after, "moai_actors", { kind: "covalue" }) >= 3, "CoValues in memory (account, group, map)");
  assert.equal(metric(after, "moai_actors", { kind: "peer" }), 1);
  assert.ok(metric(after, "moai_actor_messages_handled_total", { kind: "covalue" }) > 0);
  assert.ok(metric(after, "moai_process_resident_memory_bytes") > 1e6);
  assert.equal(metric(after, "moai_rejections_total", { reason: "invalid_signature" }), 0);

  // The strict reader itself must refuse what Prometheus refuses.
  assert.throws(() => parsePrometheus("# TYPE x counter\nx{a=b} 1\n"));
  assert.throws(() => parsePrometheus("x 1\n"));

  const debug = await (await fetch(`${server.httpUrl}/debug/actors`)).json();
  const covalues = debug.kinds.find((k) => k.kind === "covalue");
  assert.ok(covalues && covalues.count >= 3 && covalues.handled_total > 0, JSON.stringify(debug));

  // Inspection records and actor-tagged lines, as JSON lines.
  await waitFor(() => server.logs().includes('"component":"inspect","msg":"actors","kind":"covalue"'),
    { what: "an inspection record for covalue actors" });
  const lines = server.logs().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  const inspect = lines.filter((l) => l.component === "inspect" && l.kind === "covalue");
  assert.ok(inspect.length >= 1, "inspection record for covalue actors");
  for (const key of ["count", "mailbox_total", "mailbox_max", "handled_per_s", "oldest_backlog_ms"]) {
    assert.equal(typeof inspect.at(-1)[key], "number", `inspection field ${key}`);
  }
  const connected = lines.find((l) => l.msg === "connected");
  assert.equal(connected.actor, "peer");
  assert.ok(Number.isInteger(connected.actor_id) && connected.actor_id > 0, JSON.stringify(connected));
  log("health, metrics, debug endpoint and inspection log all as expected");
}
