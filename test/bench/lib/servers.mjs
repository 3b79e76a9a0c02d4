// Starts the two servers under comparison the same way, each on loopback with its own
// SQLite database, and exposes the pid the measurements read /proc from.
//   moai:      <build>/moai serve --host 127.0.0.1 --port P --db-path DB --log-format text --log-level warn
//   reference: node test/interop/lib/reference-server.mjs --port P --db DB
// (harness.mjs has a startServer too, but it does not expose the pid and logs at info.)
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, sleep, waitFor } from "../../interop/lib/harness.mjs";

const referenceScript = fileURLToPath(new URL("../../interop/lib/reference-server.mjs", import.meta.url));

async function healthy(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

let started = 0;
// Every server this process started, so a failed workload can report their logs.
export const startedServers = [];

// kind: "moai" | "reference". Returns { kind, pid, port, url, dbPath, logPath, logs(), stop() }.
// fresh: start from an empty database (removes any file left at dbPath). env: added to
// the server's environment (e.g. an LD_PRELOAD shim). args: more flags for moai (e.g.
// PostgreSQL storage); MOAI_BENCH_MOAI_ARGS adds flags to every moai a workload starts
// (e.g. `--storage postgres --postgres-url …` to run W1–W6 on PostgreSQL; W6's database
// must then be emptied between runs).
export async function startServer({ kind, moai, dbPath, workDir, logLevel = "warn", port, fresh = true, env = {}, args = [] }) {
  port ??= await freePort();
  if (fresh) for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(dbPath + suffix, { force: true });
  const logPath = join(workDir, `${kind}-${process.pid}-${started++}.log`);
  const out = createWriteStream(logPath);
  const child =
    kind === "moai"
      ? spawn(
          moai,
          ["serve", "--host", "127.0.0.1", "--port", String(port), "--db-path", dbPath,
            "--log-format", "text", "--log-level", logLevel, ...args,
            ...(process.env.MOAI_BENCH_MOAI_ARGS ?? "").split(" ").filter(Boolean)],
          { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
        )
      : spawn(process.execPath, [referenceScript, "--port", String(port), "--db", dbPath], {
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, ...env },
        });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let exited = null;
  const exit = new Promise((resolve) =>
    child.on("exit", (code, signal) => resolve((exited = { code, signal }))),
  );
  const logs = () => {
    try {
      return readFileSync(logPath, "utf8");
    } catch {
      return "";
    }
  };
  await waitFor(async () => exited || (await healthy(port)), { timeout: 30000, what: `${kind} health on ${port}` });
  if (exited) throw new Error(`${kind} exited at startup: ${JSON.stringify(exited)}\n${logs()}`);
  const server = {
    kind,
    pid: child.pid,
    port,
    url: `ws://127.0.0.1:${port}/sync`,
    dbPath,
    logPath,
    logs,
    exited: () => exited,
    async stop() {
      if (exited) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15000);
      const result = await exit;
      clearTimeout(timer);
      out.end();
      await sleep(50); // let the log stream flush
      return result;
    },
  };
  startedServers.push(server);
  return server;
}

// The warning and error lines a server logged: what the report shows when a
// workload went wrong (rejected content, timeouts, crashes).
export function problemLines(server, max = 20) {
  const lines = server
    .logs()
    .split("\n")
    .filter((l) => /\b(warn|warning|error|fatal|critical)\b/i.test(l) && !/listening on/.test(l));
  return { count: lines.length, sample: lines.slice(0, max) };
}
