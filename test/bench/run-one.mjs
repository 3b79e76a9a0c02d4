// Runs one workload against one server in a process of its own, so that client nodes,
// timers and garbage left by one workload cannot slow the next one down.
//   node run-one.mjs <workload> --kind moai|reference --moai PATH --work DIR --params JSON
// Progress goes to stderr; the last stdout line is `RESULT <json>`.
import { mkdirSync } from "node:fs";

const [name, ...rest] = process.argv.slice(2);
const arg = (flag, fallback) => {
  const i = rest.indexOf(`--${flag}`);
  return i >= 0 ? rest[i + 1] : fallback;
};
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 23)}]`, ...a);

const modules = {
  W1: "./workloads/w1_clients.mjs",
  W1b: "./workloads/w1_clients.mjs", // with params.pattern = "burst"
  W2: "./workloads/w2_fanout.mjs",
  W3: "./workloads/w3_cold_load.mjs",
  W4: "./workloads/w4_idle.mjs",
  W6: "./workloads/w6_replay.mjs",
  W7: "./workloads/w7_cross_node.mjs",
};
if (!modules[name]) {
  console.error(`unknown workload ${name}; one of ${Object.keys(modules).join(", ")}`);
  process.exit(2);
}
try {
  mkdirSync(arg("work"), { recursive: true });
  const mod = await import(modules[name]);
  const result = await mod.run({
    kind: arg("kind"),
    moai: arg("moai"),
    workDir: arg("work"),
    params: JSON.parse(arg("params", "{}")),
    log,
  });
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
} catch (e) {
  log(`${name} against ${arg("kind")} failed: ${e.stack ?? e}`);
  // The servers' exit status and log tails say whether the server crashed or refused.
  const { startedServers } = await import("./lib/servers.mjs");
  const servers = startedServers.map((s) => ({
    kind: s.kind,
    exited: s.exited(),
    logTail: s.logs().split("\n").slice(-30),
  }));
  for (const s of servers) log(`${s.kind} server ${JSON.stringify(s.exited)}; log tail:\n${s.logTail.join("\n")}`);
  console.log(`RESULT ${JSON.stringify({ error: String(e.message ?? e).slice(0, 2000), servers })}`);
  process.exit(1);
}
