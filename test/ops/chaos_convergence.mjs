// Chaos on one server (test/interop/lib/chaos.mjs): four clients edit at random through
// dropped connections and server kills, with peer queues small enough (64 KiB) that
// content is held back and resent all the time, and end up identical, as does a fresh
// client; nobody that reads is ever cut off as a slow consumer.
import assert from "node:assert/strict";
import { join } from "node:path";
import { chaos } from "../interop/lib/chaos.mjs";
import { startServer } from "../interop/lib/harness.mjs";

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  const args = ctx.kind === "moai" ? ["--max-peer-queue-bytes", "65536"] : [];
  let server = await startServer(ctx, { dbPath, args });
  const { heldBack, cutOff } = await chaos(ctx, {
    servers: () => [server],
    urlFor: () => server.url,
    async restartOne() {
      await server.stop("SIGKILL");
      server = await startServer(ctx, { dbPath, args, port: server.port });
    },
  });
  if (ctx.kind === "moai") {
    assert.ok(heldBack > 0, "the small queues held content back (the resend path ran)");
    assert.equal(cutOff, 0, "clients that read were never cut off as slow consumers");
  }
}
