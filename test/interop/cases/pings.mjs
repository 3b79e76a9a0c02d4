// The server pings every connection as cojson-transport-ws expects: its own text
// frame {"type":"ping","time":<epoch ms>,"dc":…} every 1.5 s.
import assert from "node:assert/strict";
import { join } from "node:path";
import { rawClient, sleep, startServer } from "../lib/harness.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db") });
  const connectedAt = Date.now();
  const raw = await rawClient(server.url);
  await sleep(6200);
  assert.ok(raw.pings.length >= 3, `expected at least 3 pings in 6 s, got ${raw.pings.length}`);
  assert.ok(raw.pings[0].at - connectedAt < 3000, "the first ping came later than 3 s");
  for (const { msg, at } of raw.pings) {
    assert.equal(msg.type, "ping");
    assert.equal(typeof msg.dc, "string");
    assert.ok(Number.isInteger(msg.time) && Math.abs(msg.time - at) < 60000, `ping time ${msg.time} is not now`);
  }
  raw.close();
}
