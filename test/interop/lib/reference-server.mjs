// A JavaScript sync server built the way jazz-run's startSyncServer builds Jazz's:
// an agent-only cojson LocalNode, a ws WebSocketServer, one client peer per
// connection, pings every 1.5 s, and cojson's own SQLite storage (or `storage`: any
// cojson storage, e.g. the original moai's PostgreSQL one, lib/original-postgres.mjs).
//
//   node reference-server.mjs --port N --db PATH [--host 127.0.0.1]
import { createServer } from "node:http";
import { LocalNode } from "cojson";
import { createWebSocketPeer } from "cojson-transport-ws";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { WebSocketServer } from "ws";
import { openCojsonStorage } from "./sqlite-driver.mjs";

export async function startReferenceServer({ host = "127.0.0.1", port = 0, db, storage }) {
  const crypto = await WasmCrypto.create();
  const agentSecret = crypto.newRandomAgentSecret();
  const node = new LocalNode(agentSecret, crypto.newRandomSessionID(crypto.getAgentID(agentSecret)), crypto);
  let driver;
  if (storage) {
    node.setStorage(storage);
  } else if (db) {
    const opened = openCojsonStorage(db);
    driver = opened.driver;
    node.setStorage(opened.storage);
  }
  node.enableGarbageCollector();

  const server = createServer((req, res) => {
    if (req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true });
  let connections = 0;
  wss.on("connection", (ws, req) => {
    const pinging = setInterval(() => {
      ws.send(JSON.stringify({ type: "ping", time: Date.now(), dc: "unknown" }));
    }, 1500);
    ws.on("close", () => clearInterval(pinging));
    ws.on("error", () => {});
    node.syncManager.addPeer(
      createWebSocketPeer({
        id: `${req.socket.remoteAddress}@${new Date().toISOString()}#${++connections}`,
        role: "client",
        websocket: ws,
        expectPings: false,
        batchingByDefault: false,
        deletePeerStateOnClose: true,
      }),
    );
  });
  server.on("upgrade", (req, socket, head) => {
    if (req.url === "/health") return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return {
    port: server.address().port,
    node,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => server.close(resolve));
      await node.gracefulShutdown();
      driver?.closeDb();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : fallback;
  };
  const server = await startReferenceServer({
    host: arg("host", "127.0.0.1"),
    port: Number(arg("port", "4200")),
    db: arg("db", undefined),
  });
  console.log(`reference sync server listening on ${server.port}`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
