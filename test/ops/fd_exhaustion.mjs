// Out of file descriptors: with a small nofile limit the server lowers its connection
// limit at start (and says so), and when plain TCP connections use up the rest, accept()
// failures are retried with backoff and logged a few times, not in a loop that burns a
// core and floods the log (the probe: ~1.2 cores and 38 MB/s of "accept failed"). Once
// the connections go, /health answers again.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { log, sleep, startServer, waitFor } from "../interop/lib/harness.mjs";

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime + stime, in clock ticks
}

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("moai's listener");
  const server = await startServer(ctx, {
    dbPath: join(ctx.workDir, "sync.db"),
    wrap: ["prlimit", "--nofile=160:160", "--"],
  });
  assert.match(server.logs(), /limits.max_connections is above what the file descriptor limit allows; lowered/);

  const sockets = [];
  for (let i = 0; i < 200; i++) {
    const s = connect(server.port, "127.0.0.1");
    s.on("error", () => {});
    sockets.push(s);
  }
  await sleep(1000);
  const before = cpuSeconds(server.pid);
  await sleep(3000);
  const used = cpuSeconds(server.pid) - before;
  assert.ok(used < 0.9, `the listener does not spin while out of descriptors (${used.toFixed(2)} s of CPU in 3 s)`);
  const lines = server.logs().split("\n").filter((l) => l.includes("accept failed")).length;
  assert.ok(lines >= 1 && lines <= 3, `accept failures are logged, rarely (${lines} lines)`);

  for (const s of sockets) s.destroy();
  await waitFor(async () => (await fetch(`${server.httpUrl}/health`)).status === 200, { what: "/health again" });
  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  assert.match(metrics, /moai_accept_failures_total [1-9]/);
  log(`out of descriptors: ${used.toFixed(2)} s CPU in 3 s, ${lines} log lines; /health back once they are freed`);
}
