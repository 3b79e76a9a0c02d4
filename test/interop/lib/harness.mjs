// What the interop cases share: starting the server under test (moai, or the
// JavaScript reference server), real cojson client nodes, raw WebSocket clients,
// and polling with readable timeouts.
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalNode } from "cojson";
import { createWebSocketPeer } from "cojson-transport-ws";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import WebSocket, { WebSocketServer } from "ws";

const here = dirname(fileURLToPath(import.meta.url));
let cryptoPromise;
export const getCrypto = () => (cryptoPromise ??= WasmCrypto.create());
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The ws package the harness uses, for cases that need WebSocket options or a fake server.
export { WebSocket, WebSocketServer };

export function log(...args) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...args);
}

export async function waitFor(predicate, { timeout = 20000, what = "condition", interval = 50 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await predicate();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    }
    await sleep(interval);
  }
}

export function tempDir(prefix = "moai-interop-") {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return res.status === 200;
  } catch {
    return false;
  }
}

// Runs `moai agent generate` on `dbPath`: the server account's credentials, stored there.
export function generateAccount(ctx, dbPath, name = "moai test agent") {
  const out = execFileSync(ctx.moai, ["agent", "generate", "--name", name, "--db-path", dbPath], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const peerId = /^PEER_ID=(co_z\w+)$/m.exec(out)?.[1];
  const peerSecret = /^PEER_SECRET=(sealerSecret_z\w+\/signerSecret_z\w+)$/m.exec(out)?.[1];
  if (!peerId || !peerSecret) throw new Error(`moai agent generate printed no credentials: ${out}`);
  return { peerId, peerSecret, args: ["--peer-id", peerId, "--peer-secret", peerSecret] };
}

// JSON over HTTP to the server under test: {status, body}.
export async function api(server, method, path, body, headers = {}) {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path} answered ${res.status} with non-JSON: ${text}`);
  }
  return { status: res.status, body: json, headers: res.headers };
}

// Starts the server under test on a free port with `dbPath` (null: none given, so DB_PATH
// or the default applies); resolves once /health is 200.
// env: extra environment variables for the server process.
// wrap: a command to run moai under (e.g. valgrind and its flags).
export async function startServer(ctx, { dbPath, args = [], port, env = {}, wrap = [], readyTimeout } = {}) {
  port ??= await freePort();
  const logPath = join(ctx.workDir, `server-${ctx.servers.length}.log`);
  const out = createWriteStream(logPath);
  let child;
  if (ctx.kind === "moai") {
    const command = [...wrap, ctx.moai];
    child = spawn(
      command[0],
      [...command.slice(1), "serve", "--host", "127.0.0.1", "--port", String(port), ...(dbPath == null ? [] : ["--db-path", dbPath]),
        "--log-format", "text", "--log-level", process.env.MOAI_LOG_LEVEL ?? "info", ...args],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
    );
  } else {
    child = spawn(process.execPath, [join(here, "reference-server.mjs"), "--port", String(port), "--db", dbPath], {
      stdio: ["ignore", "pipe", "pipe"],
    });
  }
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let exited = null;
  const exit = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
  const server = {
    port,
    pid: child.pid,
    dbPath,
    url: `ws://127.0.0.1:${port}/sync`,
    httpUrl: `http://127.0.0.1:${port}`,
    logPath,
    logs: () => readFileSync(logPath, "utf8"),
    exited: () => exited,
    async stop(signal = "SIGTERM") {
      if (exited) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
  ctx.servers.push(server);
  await waitFor(async () => exited || (await healthy(port)), {
    timeout: readyTimeout ?? 20000,
    what: `server health on ${port}`,
  });
  if (exited) throw new Error(`server exited at startup: ${JSON.stringify(exited)}\n${server.logs()}`);
  return server;
}

// `onMessage(msg)` sees every sync message the server sends (for tests that check acks);
// `onClose(code, reason)` sees how the server ended the connection.
function wsPeer(url, id = "server", onMessage, onClose) {
  const websocket = new WebSocket(url);
  if (onClose) websocket.on("close", (code, reason) => onClose(code, reason.toString()));
  if (onMessage) {
    websocket.on("message", (data) => {
      for (const line of data.toString().split("\n")) {
        if (line) onMessage(JSON.parse(line));
      }
    });
  }
  return createWebSocketPeer({ id, websocket, role: "server" });
}

// A client with a new account, connected to `url` (no local storage, like a fresh browser).
export async function newClient(ctx, url, name, { onMessage, onClose } = {}) {
  const crypto = await getCrypto();
  const created = await LocalNode.withNewlyCreatedAccount({
    creationProps: { name },
    peers: [wsPeer(url, "server", onMessage, onClose)],
    crypto,
  });
  const client = { name, ...created, crypto };
  ctx.nodes.push(created.node);
  return client;
}

// newClient that tracks the server's acknowledgements: `acked` maps each CoValue to the
// sessions of the last known state (not a correction) the server sent; `onMessage`
// does the tracking (hand it to reconnect).
export async function ackTrackingClient(ctx, url, name) {
  const acked = new Map();
  const onMessage = (msg) => {
    if (msg.action === "known" && !msg.isCorrection) acked.set(msg.id, msg.sessions);
  };
  return { ...(await newClient(ctx, url, name, { onMessage })), acked, onMessage };
}

// Another session of an existing account (a second device or tab).
export async function loadedClient(ctx, url, { accountID, accountSecret }) {
  const crypto = await getCrypto();
  const node = await LocalNode.withLoadedAccount({
    accountID,
    accountSecret,
    sessionID: undefined,
    peers: [wsPeer(url)],
    crypto,
  });
  ctx.nodes.push(node);
  return node;
}

// Gives a node a fresh connection (after the server restarted or it was offline);
// `onMessage` as for newClient.
export function reconnect(node, url, { onMessage } = {}) {
  node.syncManager.addPeer(wsPeer(url, `server-${Date.now()}`, onMessage));
}

export async function loadOrFail(node, id, what) {
  const value = await node.load(id);
  if (value === "unavailable") throw new Error(`${what ?? id} is unavailable`);
  return value;
}

// A raw WebSocket client that collects every sync message (pings apart).
export async function rawClient(url) {
  const ws = new WebSocket(url);
  const messages = [];
  const pings = [];
  let closed = null;
  ws.on("message", (data) => {
    for (const line of data.toString().split("\n")) {
      const msg = JSON.parse(line);
      if ("time" in msg && !("action" in msg)) pings.push({ msg, at: Date.now() });
      else messages.push(msg);
    }
  });
  const closedPromise = new Promise((resolve) =>
    ws.on("close", (code, reason) => {
      closed = { code, reason: reason.toString() };
      resolve(closed);
    }),
  );
  ws.on("error", () => {});
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return {
    ws,
    messages,
    pings,
    closed: () => closed,
    whenClosed: () => closedPromise,
    send(msg) {
      ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
    },
    async next(predicate, what, timeout = 10000) {
      return waitFor(() => messages.find(predicate), { timeout, what });
    },
    close() {
      ws.close();
    },
  };
}

// Deterministic pseudo-random numbers in [0, 1) (mulberry32): runs that can be replayed.
export function seededRandom(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomCoId() {
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  let s = "co_z";
  for (let i = 0; i < 26; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

// Runs a moai command (backup, check, export, …) to its end without blocking the event
// loop, so clients keep syncing meanwhile: {status, stdout, stderr}.
export function moaiCommand(ctx, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(ctx.moai, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

// The transactions a node holds of one session of `value`, as JSON texts in order.
export function sessionTransactions(value, session) {
  const out = [];
  for (const msg of value.core.verified.newContentSince(undefined) ?? []) {
    const piece = msg.new[session];
    if (piece) piece.newTransactions.forEach((tx, i) => (out[piece.after + i] = JSON.stringify(tx)));
  }
  return out;
}

// A schema of its own on the test PostgreSQL server (ctest's `postgres` fixture sets
// MOAI_TEST_POSTGRES_URL): {url, args} for a server or command that stores there, and
// drop() to remove it.
export function freshPostgresSchema(name) {
  const base = process.env.MOAI_TEST_POSTGRES_URL;
  if (!base) throw new Error("MOAI_TEST_POSTGRES_URL is not set (ctest's postgres fixture sets it; see scripts/test-postgres)");
  const schema = `moai_${name}_${process.pid}`;
  execFileSync("psql", [base, "-q", "-c", `DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`]);
  const url = `${base}${base.includes("?") ? "&" : "?"}options=-csearch_path%3D${schema}`;
  return {
    url,
    args: ["--storage", "postgres", "--postgres-url", url],
    drop: () => execFileSync("psql", [base, "-q", "-c", `DROP SCHEMA ${schema} CASCADE`]),
  };
}

// A writer (ackTrackingClient) with a group everyone can read: {…client, group, session}.
export async function publicWriter(ctx, server, name = "Writer") {
  const writer = await ackTrackingClient(ctx, server.url, name);
  const group = writer.node.createGroup();
  group.addMember("everyone", "reader");
  return { ...writer, group, session: writer.node.currentSessionID };
}
