// W3 — cold load. The server restarts on the database W1 filled; a new session of
// W1's reader account loads every CoMap, which the server must now read from SQLite.
// Measured: server CPU and wall time from connecting to holding everything (start-up
// CPU is reported apart).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadedClient, loadOrFail, waitFor } from "../../interop/lib/harness.mjs";
import { cpuSeconds, rssKiB } from "../lib/proc.mjs";
import { problemLines, startServer } from "../lib/servers.mjs";

export async function run({ kind, moai, workDir, log }) {
  const state = JSON.parse(readFileSync(join(workDir, `w1-${kind}-state.json`), "utf8"));
  const server = await startServer({ kind, moai, workDir, dbPath: state.dbPath, fresh: false });
  const ctx = { nodes: [] };
  try {
    const startupCpuS = cpuSeconds(server.pid);
    const rssBeforeKiB = rssKiB(server.pid);
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    const node = await loadedClient(ctx, server.url, state.b);
    const loaded = await Promise.all(state.ids.map((id) => loadOrFail(node, id, id)));
    await waitFor(
      () =>
        loaded.every((m) => Object.values(m.core.knownState().sessions).reduce((s, n) => s + n, 0) === state.edits),
      { timeout: 120000, what: "every transaction after the restart" },
    );
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = cpuSeconds(server.pid) - cpu0;
    // Outside the timed part: what came back from storage is what W1 wrote last.
    const last = state.edits - 1;
    for (let i = 0; i < loaded.length; i += Math.max(1, Math.floor(loaded.length / 50))) {
      assert.equal(loaded[i].get(`field${last % 4}`)?.title, `Task ${i} revision ${last}`, `map ${i} after the restart`);
    }
    log(`${kind} W3: ${state.ids.length} maps in ${wallS.toFixed(2)} s, server CPU ${cpuS.toFixed(2)} s`);
    return {
      covalues: state.ids.length,
      transactions: state.ids.length * state.edits,
      wallS,
      cpuS,
      startupCpuS,
      rssBeforeKiB,
      rssAfterKiB: rssKiB(server.pid),
      serverLog: problemLines(server),
    };
  } finally {
    for (const n of ctx.nodes) n.gracefulShutdown();
    await server.stop();
  }
}
