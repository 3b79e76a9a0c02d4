// The database cannot be read for a while (every pread fails with EIO, injected with
// LD_PRELOAD as a failing disk would): a stored CoValue loaded meanwhile must not look
// absent. The server keeps it waiting, retries the read, and answers the load with the
// stored content once reads succeed again; a new client then loads it all. /health
// answers 503 while reads fail and 200 once they succeed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ackTrackingClient, api, loadOrFail, log, newClient, rawClient, sleep, startServer, waitFor } from "../interop/lib/harness.mjs";
import { metric, scrape } from "../interop/lib/prometheus.mjs";

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  const flag = join(ctx.workDir, "fail-reads");
  const shim = join(ctx.workDir, "fail_reads.so");
  execFileSync("cc", ["-shared", "-fPIC", "-O1", "-o", shim, fileURLToPath(new URL("./fail_reads.c", import.meta.url)), "-ldl"]);
  const env = { LD_PRELOAD: shim, MOAI_FAIL_READS_FLAG: flag };
  let server = await startServer(ctx, { dbPath, env });

  const writer = await ackTrackingClient(ctx, server.url, "Writer");
  const { acked } = writer;
  const group = writer.node.createGroup();
  group.addMember("everyone", "reader");
  const map = group.createMap();
  for (let i = 0; i < 12; i++) map.set(`k${i % 4}`, `value ${i}`);
  const session = writer.node.currentSessionID;
  const written = map.core.knownState().sessions[session];
  await waitFor(() => acked.get(map.id)?.[session] === written, { what: "the edits acknowledged" });
  writer.node.gracefulShutdown();
  // A restart, so that the map is neither in memory nor in SQLite's page cache.
  await server.stop();
  server = await startServer(ctx, { dbPath, env });

  writeFileSync(flag, "");
  const raw = await rawClient(server.url);
  raw.send({ action: "load", id: map.id, header: false, sessions: {} });
  await waitFor(() => /read failed; the CoValue waits for a retry/.test(server.logs()), {
    what: "the server to log the failed read",
  });
  await sleep(1200); // at least one retry fails too
  const about = raw.messages.filter((m) => m.id === map.id || m.id === group.id);
  assert.deepEqual(about, [], "while reads fail, the load is not answered (no 'not stored' reply)");
  assert.equal(server.exited(), null, "the server is still running");
  const failures = metric(await scrape(server), "moai_storage_read_failures_total");
  assert.ok(failures >= 2, `failed reads counted and retried: ${failures}`);
  const down = await api(server, "GET", "/health");
  assert.equal(down.status, 503, "/health is not ready while reads fail");
  assert.equal(down.body.storage_ok, false);
  log(`reads failing: ${failures} failed reads, the load waits, /health 503`);

  rmSync(flag);
  const content = await raw.next((m) => m.action === "content" && m.id === map.id, "the map once reads succeed", 15000);
  const sent = content.new?.[session];
  assert.ok(sent, "the stored session is sent");
  assert.equal(sent.after + sent.newTransactions.length, written, "all stored transactions are sent");
  assert.ok(content.header, "with its header");
  raw.close();
  await waitFor(async () => (await api(server, "GET", "/health")).status === 200, { what: "/health ready again" });

  const reader = await newClient(ctx, server.url, "Reader");
  const loaded = await loadOrFail(reader.node, map.id, "the map");
  assert.equal(loaded.get("k3"), "value 11");
  log(`reads succeed again: the waiting load got ${written} transactions; a new client loads the map`);
}
