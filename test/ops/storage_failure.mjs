// The database refuses writes for a while (a file size limit on the running server,
// as a full disk would): nothing written meanwhile is acknowledged, the server keeps
// running, and once writes succeed again everything it accepted is stored and
// acknowledged without the client sending it again. Meanwhile /health says not ready,
// the failure is logged a bounded number of times, and a writer left waiting longer
// than limits.unstored_disconnect_ms is disconnected with 1011 (it reconnects). A
// kill -9 and a restart then show it is all on disk.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  loadOrFail,
  log,
  newClient,
  rawClient,
  reconnect,
  sleep,
  startServer,
  waitFor,
} from "../interop/lib/harness.mjs";
import { metric, scrape } from "../interop/lib/prometheus.mjs";

// better-sqlite3 lives with the interop tests' packages.
const Database = createRequire(new URL("../interop/package.json", import.meta.url))("better-sqlite3");

function fileSizeLimit(pid, soft) {
  execFileSync("prlimit", ["--pid", String(pid), `--fsize=${soft}:`]);
}

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  const env = { MOAI_UNSTORED_DISCONNECT_MS: "1000" };
  let server = await startServer(ctx, { dbPath, env });
  const health = async () => {
    const res = await fetch(`${server.httpUrl}/health`);
    return { status: res.status, body: await res.json() };
  };
  const closes = [];

  const acked = new Map(); // CoValue → highest count acknowledged for the writer's session
  let session = null;
  const onMessage = (msg) => {
    if (msg.action !== "known" || msg.isCorrection || !session) return;
    const n = msg.sessions[session];
    if (n !== undefined && (acked.get(msg.id) ?? 0) < n) acked.set(msg.id, n);
  };
  const writer = await newClient(ctx, server.url, "Writer", {
    onMessage,
    onClose: (code, reason) => closes.push({ code, reason }),
  });
  const group = writer.node.createGroup();
  group.addMember("everyone", "reader");
  const map = group.createMap();
  session = writer.node.currentSessionID;
  const count = () => map.core.knownState().sessions[session] ?? 0;

  for (let i = 0; i < 20; i++) map.set(`k${i % 5}`, `before ${i}`);
  await waitFor(() => acked.get(map.id) === count(), { what: "the first edits acknowledged" });
  const before = acked.get(map.id);

  fileSizeLimit(server.pid, 1);
  const failuresBefore = metric(await scrape(server), "moai_storage_failures_total");
  for (let i = 0; i < 30; i++) {
    // 8 KB each: the rewrite spans checkpoints (one per ~100 KB of a session), whose
    // signatures must be stored right for the reader below to accept the pieces.
    map.set(`k${i % 5}`, `during ${i} ${"x".repeat(8000)}`);
    if (i % 10 === 9) await sleep(50);
  }
  await waitFor(async () => metric(await scrape(server), "moai_storage_failures_total") > failuresBefore, {
    what: "the storage writer to fail",
  });
  const down = await health();
  assert.equal(down.status, 503, "/health is not ready while writes fail");
  assert.equal(down.body.storage_ok, false);
  // The writer waited over 1 s for acknowledgements: it is told with a close.
  await waitFor(() => closes.length > 0, { what: "the writer disconnected with 1011", timeout: 15000 });
  assert.equal(closes[0].code, 1011);
  assert.match(closes[0].reason, /storage unavailable/);
  await sleep(1500);
  assert.equal(acked.get(map.id), before, "nothing written while the database refused writes was acknowledged");
  assert.equal(server.exited(), null, "the server is still running");
  assert.match(server.logs(), /acknowledgements held until a rewrite succeeds/);
  // Every failed write and retry fails again; the log says so at most once per 5 s.
  const failedLines = server.logs().match(/write failed; nothing of this batch was stored/g)?.length ?? 0;
  const failures = metric(await scrape(server), "moai_storage_failures_total") - failuresBefore;
  assert.ok(failedLines <= 3, `${failedLines} "write failed" lines for ${failures} failed writes`);
  log(
    `database refusing writes: ${count() - before} edits unacknowledged, /health 503, ` +
      `writer closed with ${closes[0].code}, ${failedLines} log lines for ${failures} failed writes`,
  );

  // A client that comes back (another tab, a reconnect) and says it holds everything
  // is told only what is stored: our known state would otherwise acknowledge the rest.
  const returning = await rawClient(server.url);
  returning.send({ action: "load", id: map.id, header: true, sessions: { [session]: count() } });
  await waitFor(() => returning.messages.some((m) => m.action === "known" && m.id === map.id), {
    what: "the server's known state for a returning client",
  });
  const told = returning.messages.find((m) => m.action === "known" && m.id === map.id);
  assert.equal(told.sessions[session] ?? 0, before, "a load during the outage is answered with what is stored");
  returning.ws.close();

  const contentIn = async () => metric(await scrape(server), "moai_messages_in_total", { action: "content" });
  const contentBefore = await contentIn();
  fileSizeLimit(server.pid, "unlimited");
  reconnect(writer.node, server.url, { onMessage });
  // Edits right away: their writes reach the database before the rewrite and are
  // refused for the gap they would leave; the rewrite stores them too.
  for (let i = 0; i < 10; i++) map.set(`k${i % 5}`, `after ${i}`);
  const written = count();
  await waitFor(() => acked.get(map.id) === written, {
    what: `all ${written} transactions acknowledged once writes succeed (have ${acked.get(map.id)})`,
    timeout: 20000,
  });
  assert.match(server.logs(), /content stored after a failed write/, "the server wrote it again by itself");
  await waitFor(async () => (await health()).status === 200, { what: "/health ready again" });
  // The edits made after the outage are the only content the server received since.
  assert.ok((await contentIn()) - contentBefore <= 10, "the client did not have to send anything again");
  log(
    `writes succeed again: all ${written} transactions acknowledged` +
      (/not stored in full/.test(server.logs()) ? " (later writes were refused for their gap, as expected)" : ""),
  );

  await server.stop("SIGKILL");
  writer.node.gracefulShutdown();
  server = await startServer(ctx, { dbPath, env });
  const reader = await newClient(ctx, server.url, "Reader");
  const loaded = await loadOrFail(reader.node, map.id, "the map");
  await waitFor(() => (loaded.core.knownState().sessions[session] ?? 0) === written, {
    what: `${written} transactions after a restart (have ${loaded.core.knownState().sessions[session] ?? 0})`,
  });
  assert.equal(loaded.get("k4"), "after 9");
  // The 240 KB written by the rewrite crossed checkpoints; their signatures are stored
  // (the reader above verified the pieces the server cut at them).
  const db = new Database(dbPath, { readonly: true });
  const checkpoints = db
    .prepare("SELECT count(*) AS n FROM signatureAfter s JOIN sessions ses ON s.ses = ses.rowID WHERE ses.sessionID = ?")
    .get(session).n;
  db.close();
  assert.ok(checkpoints >= 2, `signatureAfter rows for the writer's session: ${checkpoints}`);
  log(`after kill -9 and a restart: ${written} transactions, last value as written`);
}
