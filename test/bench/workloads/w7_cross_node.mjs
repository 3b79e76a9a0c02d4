// W7 — cross-node fan-out: three moai nodes on one PostgreSQL (README, Several nodes on
// one PostgreSQL). A cojson writer on node A edits a CoMap at a fixed pace; C raw
// subscribers (W2's raw phase: they ack but verify nothing), half on node B and half on
// node C, receive each edit through PostgreSQL (A commits and announces, B and C read
// and push). The baseline is the same case on one node (writer and subscribers on A,
// the same PostgreSQL storage). Reported: edit→receive p50/p99 for both, and the server
// CPU per edit summed over the nodes. moai only: the reference server has no shared
// storage. The PostgreSQL server is a throwaway one (scripts/test-postgres, fsync off).
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { newClient } from "../../interop/lib/harness.mjs";
import { problemLines, startServer } from "../lib/servers.mjs";
import { rawFanout } from "./w2_fanout.mjs";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const pgScript = join(root, "scripts/test-postgres");

async function fanout({ moai, workDir, url, nodes: count, params, log, label }) {
  const schema = `w7_${label}`;
  execFileSync("psql", [url, "-q", "-c", `SET client_min_messages = warning; DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`]);
  const args = ["--storage", "postgres", "--postgres-url", `${url}&options=-csearch_path%3D${schema}`];
  const nodes = [];
  const ctx = { nodes: [] };
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(await startServer({ kind: "moai", moai, workDir, dbPath: join(workDir, `w7-${label}-${i}.db`), args }));
    }
    const writer = await newClient(ctx, nodes[0].url, "Writer");
    const group = writer.node.createGroup();
    group.addMember("everyone", "reader");
    const subscriberUrls = count > 1 ? nodes.slice(1).map((n) => n.url) : [nodes[0].url];
    const r = await rawFanout(nodes[0], group, writer, {
      C: params.subscribers,
      E: params.edits,
      intervalMs: params.intervalMs,
      subscriberUrls,
      cpuPids: nodes.map((n) => n.pid),
    });
    log(`W7 ${label}: received p50 ${r.received.p50.toFixed(2)} p99 ${r.received.p99.toFixed(2)} ms (${r.received.n}/${r.expectedDeliveries})`);
    return { ...r, nodes: count, serverLog: { count: nodes.reduce((n, s) => n + problemLines(s).count, 0) } };
  } finally {
    for (const node of ctx.nodes) node.gracefulShutdown();
    for (const n of nodes) await n.stop();
  }
}

export async function run({ kind, moai, workDir, params, log }) {
  if (kind !== "moai") return { skipped: "moai only" };
  const pgDir = `/tmp/moai-w7-${process.pid}`;
  execFileSync(pgScript, ["stop", pgDir]);
  const url = execFileSync(pgScript, ["start", pgDir]).toString().trim();
  try {
    const oneNode = await fanout({ moai, workDir, url, nodes: 1, params, log, label: "one" });
    const crossNode = await fanout({ moai, workDir, url, nodes: 3, params, log, label: "cross" });
    return { ...params, oneNode, crossNode };
  } finally {
    execFileSync(pgScript, ["stop", pgDir]);
  }
}
