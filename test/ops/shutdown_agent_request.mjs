// SIGTERM shortly after agent-API requests: the process exits 0 and frees nothing twice.
// A request's deadline (agent.request_timeout_ms) was a timer message holding the HTTP
// session that asked; at shutdown it was destroyed after the HTTP server, closing a
// socket through Asio services already gone (the probe: SIGSEGV or "corrupted size vs.
// prev_size", 10 of 10 tries). Run under valgrind, which sees the use after free however
// the heap happens to lie; a plain run checks a few quick rounds as well.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { api, generateAccount, log, startServer, waitFor } from "../interop/lib/harness.mjs";

async function round(ctx, dbPath, account, wrap) {
  const server = await startServer(ctx, { dbPath, args: account.args, wrap, readyTimeout: 120000 });
  await waitFor(async () => (await api(server, "GET", "/profile")).status === 200, {
    what: "the account",
    timeout: 120000,
  });
  // Requests whose deadlines are still pending when the shutdown begins.
  await Promise.all([api(server, "GET", "/profile"), api(server, "POST", "/on-added", { sparkId: "nope" })]);
  const exit = await server.stop("SIGTERM");
  return { exit, logs: server.logs() };
}

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("moai's shutdown");
  const dbPath = join(ctx.workDir, "sync.db");
  const account = generateAccount(ctx, dbPath, "Shutdown Agent");
  for (let i = 0; i < 3; i++) {
    const { exit, logs } = await round(ctx, dbPath, account, []);
    assert.deepEqual(exit, { code: 0, signal: null }, `a clean exit (${logs.slice(-400)})`);
  }
  if (spawnSync("valgrind", ["--version"]).status !== 0) return log("valgrind not installed: plain rounds only");
  const report = join(ctx.workDir, "valgrind.log");
  const { exit } = await round(ctx, dbPath, account, ["valgrind", "--error-exitcode=9", `--log-file=${report}`]);
  assert.deepEqual(exit, { code: 0, signal: null }, `valgrind finds no invalid access (see ${report})`);
  log("SIGTERM after agent requests: a clean exit, and valgrind finds nothing");
}
