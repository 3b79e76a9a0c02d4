// `load` of an ID nobody has is answered with exactly known header:false.
import assert from "node:assert/strict";
import { join } from "node:path";
import { randomCoId, rawClient, startServer } from "../lib/harness.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db") });
  const raw = await rawClient(server.url);
  const id = randomCoId();
  raw.send({ action: "load", id, header: false, sessions: {} });
  const reply = await raw.next((m) => m.id === id, "a reply to the load");
  assert.deepEqual(reply, { action: "known", id, header: false, sessions: {} });
  raw.close();
}
