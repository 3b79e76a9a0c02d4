// Debug endpoints are off unless configured; unknown paths and /sync without an upgrade
// answer as the JavaScript moai does (404 "Not Found", 426 "Expected WebSocket upgrade"),
// and an upgrade on another path than /sync is refused.
import assert from "node:assert/strict";
import { join } from "node:path";
import { WebSocket, startServer } from "../interop/lib/harness.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db"), args: ["--inspect-interval-ms", "0"] });
  const debug = await fetch(`${server.httpUrl}/debug/actors`);
  assert.equal(debug.status, 404);
  assert.equal(await debug.text(), "Not Found");
  const sync = await fetch(`${server.httpUrl}/sync`);
  assert.equal(sync.status, 426);
  assert.equal(await sync.text(), "Expected WebSocket upgrade");
  const postSync = await fetch(`${server.httpUrl}/sync`, { method: "POST", body: "{}" });
  assert.equal(postSync.status, 426);
  for (const path of ["/health", "/metrics", "/sync/../x"]) {
    const refused = await new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`);
      ws.onopen = () => {
        ws.close();
        resolve(false);
      };
      ws.onerror = () => resolve(true);  // the handshake got 404
    });
    assert.ok(refused, `a WebSocket upgrade on ${path} is refused`);
  }
  const health = await fetch(`${server.httpUrl}/health`, { method: "POST" });
  assert.equal(health.status, 200, "/health answers any method");
  const options = await fetch(`${server.httpUrl}/anything`, { method: "OPTIONS" });
  assert.equal(options.status, 204);
  assert.equal(options.headers.get("access-control-allow-origin"), "*");
  assert.match(options.headers.get("access-control-allow-methods"), /POST/);
}
