// Debug endpoints are off unless configured; unknown paths and plain GET /sync answer JSON errors.
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer } from "../interop/lib/harness.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db"), args: ["--inspect-interval-ms", "0"] });
  const debug = await fetch(`${server.httpUrl}/debug/actors`);
  assert.equal(debug.status, 404);
  assert.equal((await debug.json()).error, "not found");
  const sync = await fetch(`${server.httpUrl}/sync`);
  assert.equal(sync.status, 426);
  assert.match((await sync.json()).error, /WebSocket/);
  const options = await fetch(`${server.httpUrl}/anything`, { method: "OPTIONS" });
  assert.equal(options.status, 204);
  assert.equal(options.headers.get("access-control-allow-origin"), "*");
  assert.match(options.headers.get("access-control-allow-methods"), /POST/);
}
