// W4 — idle connections. C raw WebSocket clients connect and stay idle (a cojson client
// that has nothing to sync sends nothing either; the server pings each every 1.5 s).
// Reported: server RSS per connection (VmRSS after minus before, over C) and the server
// CPU the idle connections cost (pings) over a fixed window.
import { join } from "node:path";
import { sleep } from "../../interop/lib/harness.mjs";
import { WebSocket } from "../lib/deps.mjs";
import { cpuSeconds, rssKiB } from "../lib/proc.mjs";
import { problemLines, startServer } from "../lib/servers.mjs";
import { median } from "../lib/stats.mjs";

function connect(url, stats) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on("message", () => stats.pings++);
    ws.on("close", () => stats.closed++);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

// The median of VmRSS samples over a window: a garbage-collected server's RSS moves by
// megabytes on its own, so single readings make the per-connection figure jump.
async function sampleRss(pid, windowMs) {
  const samples = [];
  for (const end = Date.now() + windowMs; Date.now() < end; ) {
    samples.push(rssKiB(pid));
    await sleep(200);
  }
  return median(samples);
}

export async function run({ kind, moai, workDir, params, log }) {
  const { connections: C, idleS = 6 } = params;
  const server = await startServer({ kind, moai, workDir, dbPath: join(workDir, `w4-${kind}.db`) });
  const sockets = [];
  const stats = { pings: 0, closed: 0 };
  try {
    // One connection that comes and goes first, so lazily initialised server state
    // (allocator arenas, code paths) is not billed to the idle connections.
    const warm = await connect(server.url, { pings: 0, closed: 0 });
    warm.close();
    await sleep(1000);
    const rssBefore = await sampleRss(server.pid, 2000);

    for (let i = 0; i < C; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(C, i + 50); j++) batch.push(connect(server.url, stats));
      sockets.push(...(await Promise.all(batch)));
    }
    // Let every connection receive pings, then measure over a fixed idle window.
    await sleep(2000);
    const cpu0 = cpuSeconds(server.pid);
    const pings0 = stats.pings;
    const rssAfter = await sampleRss(server.pid, idleS * 1000);
    const idleCpuS = cpuSeconds(server.pid) - cpu0;
    const pingsPerConnS = (stats.pings - pings0) / C / idleS;
    const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
    log(`${kind} W4: ${open}/${C} open, RSS ${rssBefore} -> ${rssAfter} KiB, idle CPU ${idleCpuS.toFixed(2)} s over ${idleS} s`);
    if (open !== C) throw new Error(`only ${open} of ${C} idle connections stayed open`);
    return {
      connections: C,
      rssBeforeKiB: rssBefore,
      rssAfterKiB: rssAfter,
      rssPerConnKiB: (rssAfter - rssBefore) / C,
      idleS,
      idleCpuS,
      idleCpuMsPerConnS: ((idleCpuS * 1000) / C / idleS),
      pingsPerConnS,
      serverLog: problemLines(server),
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}
