// Chaos across upstream peers (test/interop/lib/chaos.mjs): two edge moais sync through a
// core; clients A and B use one edge, C and D the other. Edges and the core are killed
// (SIGKILL) and restarted at random while the clients edit; afterwards all four
// clients, and a fresh client on the core and on each edge, hold the same transactions.
import assert from "node:assert/strict";
import { join } from "node:path";
import { chaos } from "../interop/lib/chaos.mjs";
import { freePort, log, startServer } from "../interop/lib/harness.mjs";

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("upstream peers are moai's own; nothing to check on the reference server");
  const queue = ["--max-peer-queue-bytes", "65536"];
  const core = { dbPath: join(ctx.workDir, "core.db"), args: queue, port: await freePort() };
  core.server = await startServer(ctx, core);
  const coreUrl = core.server.url;
  const edges = [];
  for (const name of ["east", "west"]) {
    const edge = { dbPath: join(ctx.workDir, `${name}.db`), args: [...queue, "--peer-moai", coreUrl], port: await freePort() };
    edge.server = await startServer(ctx, edge);
    edges.push(edge);
  }
  const all = [core, ...edges];
  const { cutOff } = await chaos(ctx, {
    servers: () => all.map((s) => s.server),
    urlFor: (i) => edges[i < 2 ? 0 : 1].server.url,
    async restartOne(pick) {
      const victim = pick(all);
      await victim.server.stop("SIGKILL");
      victim.server = await startServer(ctx, victim);
    },
  });
  assert.equal(cutOff, 0, "no peer that reads (clients, edges) was cut off as a slow consumer");
}
