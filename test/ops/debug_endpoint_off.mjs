// Debug endpoints are off unless configured; unknown paths and /sync without an upgrade
// answer as the JavaScript moai does (404 "Not Found", 426 "Expected WebSocket upgrade"),
// an upgrade on another path than /sync is refused, and so is a handshake that is not
// RFC 6455's (no or a malformed Sec-WebSocket-Key, another version).
import assert from "node:assert/strict";
import { connect } from "node:net";
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
  // The opening handshake as RFC 6455 wants it: anything else is 400, not 101.
  const handshake = (headers) =>
    new Promise((resolve) => {
      const socket = connect(server.port, "127.0.0.1", () => {
        socket.write(`GET /sync HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${headers}\r\n`);
      });
      let text = "";
      socket.on("data", (d) => {
        text += d;
        if (text.includes("\r\n")) {
          socket.destroy();
          resolve(Number(text.split(" ")[1]));
        }
      });
    });
  const version = "Sec-WebSocket-Version: 13\r\n";
  assert.equal(await handshake(version), 400, "no Sec-WebSocket-Key");
  assert.equal(await handshake(`${version}Sec-WebSocket-Key: short\r\n`), 400, "a key that is not 16 bytes");
  assert.equal(await handshake("Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), 400);
  assert.equal(await handshake(`${version}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`), 101, "a proper handshake");
  const health = await fetch(`${server.httpUrl}/health`, { method: "POST" });
  assert.equal(health.status, 200, "/health answers any method");
  const options = await fetch(`${server.httpUrl}/anything`, { method: "OPTIONS" });
  assert.equal(options.status, 204);
  assert.equal(options.headers.get("access-control-allow-origin"), "*");
  assert.match(options.headers.get("access-control-allow-methods"), /POST/);
}
