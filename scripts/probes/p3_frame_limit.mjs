// A real cojson 0.20.19 client that makes EDITS edits before its socket is open: its
// BatchedOutgoingMessages compares `backlog.length` (a count of messages) with the 25,000-byte
// chunk size, so one frame can carry ~25,000 small messages, above moai's
// limits.max_messages_per_frame (10,000). Then: does a reconnect sync, or is it closed again?
import { join } from "node:path";
import { load, log, makeCtx, newClient, reconnect, sleep, startServer, waitFor } from "./common.mjs";
const EDITS = Number(process.env.EDITS ?? 15000);
const ctx = makeCtx("p3-frame-limit");
const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db"), args: (process.env.ARGS ?? "").split(" ").filter(Boolean) });
const acked = new Map(); const closes = [];
const sum = (m) => [...m.values()].reduce((s, n) => s + n, 0);
const onMessage = (msg) => {
  if (msg.action !== "known" || msg.isCorrection) return;
  for (const [s, c] of Object.entries(msg.sessions)) { const k = `${msg.id} ${s}`; if ((acked.get(k) ?? 0) < c) acked.set(k, c); }
};
const w = await newClient(ctx, server.url, "Bulk", { onMessage, onClose: (c, r) => closes.push([c, r]) });
const group = w.node.createGroup();
const maps = [];
for (let e = 0; e < EDITS; e++) {
  if (e % 50 === 0) maps.push(group.createMap());
  maps[e % maps.length].set(`k${e % 9}`, `e${e}`);
}
log(`${EDITS} edits made in one go (${maps.length} maps); load ${load()}`);
await waitFor(() => closes.length || sum(acked) >= EDITS, { timeout: 60000 }).catch(() => {});
await sleep(1000);
log(`first connection: closes ${JSON.stringify(closes)}, acked ${sum(acked)}`);
log(server.logs().split("\n").filter((l) => /warn|error/.test(l)).join("\n"));
if (closes.length) {
  reconnect(w.node, server.url, { onMessage });
  const ok = await waitFor(() => Promise.all(maps.map((m) => m.core.waitForSync({ timeout: 60000 }))).then(() => true), { timeout: 90000 }).catch((e) => e.message);
  await sleep(2000);
  log(`after one reconnect: waitForSync ${ok}, acked ${sum(acked)}; server warnings:`);
  log(server.logs().split("\n").filter((l) => /warn|error/.test(l)).join("\n"));
}
await server.stop("SIGTERM");
process.exit(0);
