// API keys of /sync (README, Access control), shared by ops.api_keys (SQLite) and
// ops.api_keys_postgres: `moai keys` on the store a server uses, and /sync upgrades
// as a client sees them.
import assert from "node:assert/strict";
import { WebSocket, moaiCommand } from "./harness.mjs";

// `moai keys create` with `args` (store flags, limits): the key it printed, and its id.
export async function createKey(ctx, storeArgs, limits = []) {
  const r = await moaiCommand(ctx, ["keys", "create", ...limits, ...storeArgs]);
  assert.equal(r.status, 0, `moai keys create failed: ${r.stderr}`);
  const key = r.stdout.trim();
  const match = /^moai_([0-9a-f]{8})_[1-9A-HJ-NP-Za-km-z]{30,}$/.exec(key);
  assert.ok(match, `moai keys create printed a key alone on stdout: ${JSON.stringify(r.stdout)}`);
  assert.match(r.stderr, /shown only this once/);
  return { key, id: match[1] };
}

export async function listKeys(ctx, storeArgs) {
  const r = await moaiCommand(ctx, ["keys", "list", ...storeArgs]);
  assert.equal(r.status, 0, `moai keys list failed: ${r.stderr}`);
  const rows = new Map();
  for (const line of r.stdout.split("\n").slice(1)) {
    const cells = line.trim().split(/\s+/);
    if (/^[0-9a-f]{8}$/.test(cells[0]) && cells.length >= 8) {
      const [id, name, created, revoked, maxConn, txs, maxStored, stored] = cells;
      rows.set(id, { name, created, revoked, maxConn, txs, maxStored, stored: Number(stored) });
    }
  }
  return { text: r.stdout, rows };
}

export async function revokeKey(ctx, storeArgs, id) {
  const r = await moaiCommand(ctx, ["keys", "revoke", id, ...storeArgs]);
  assert.equal(r.status, 0, `moai keys revoke failed: ${r.stderr}`);
  return r;
}

// The sync URL with ?key=.
export const withKey = (url, key) => `${url}?key=${encodeURIComponent(key)}`;

// A WebSocket upgrade to `url`: {status: 101, ws} when let in, else the HTTP status and
// JSON body of the refusal.
export function upgrade(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("open", () => resolve({ status: 101, ws }));
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        resolve({ status: res.statusCode, body, contentType: res.headers["content-type"] });
      });
    });
    ws.on("error", (e) => {
      if (!/Unexpected server response/.test(e.message)) reject(e);
    });
  });
}

// An upgrade that must be refused with `status`; returns the error message.
export async function refused(url, status, what) {
  const r = await upgrade(url);
  if (r.ws) r.ws.close();
  assert.equal(r.status, status, `${what}: expected HTTP ${status}, got ${r.status}`);
  assert.match(String(r.contentType), /application\/json/, `${what}: a JSON error body`);
  assert.equal(typeof r.body.error, "string", `${what}: {"error": …}`);
  return r.body.error;
}
