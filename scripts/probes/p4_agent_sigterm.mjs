// Probe 4: SIGTERM within a second of agent-API requests (GET /profile, POST /covalues,
// POST /on-added), TRIES times on one DB with the server account; exit code/signal of each.
import { join } from "node:path";
import { api, generateAccount, randomCoId, load, log, makeCtx, sleep, startServer, waitFor } from "./common.mjs";
const TRIES = Number(process.env.TRIES ?? 10);
const ctx = makeCtx("p4-agent");
const dbPath = join(ctx.workDir, "sync.db");
const account = generateAccount(ctx, dbPath, "Probe Agent");
const results = [];
for (let i = 0; i < TRIES; i++) {
  const server = await startServer(ctx, { dbPath, args: account.args, readyTimeout: 60000 });
  await waitFor(async () => (await api(server, "GET", "/profile")).status === 200, { what: "profile", timeout: 60000 });
  const reqs = [
    api(server, "GET", "/profile"),
    api(server, "POST", "/covalues", { type: "comap", public: true, content: { n: i } }),
    api(server, "POST", "/on-added", { sparkId: "nope" }),
  ];
  // INFLIGHT=1: also a GET of an unknown CoValue, still waiting (load timeout 25 s) at SIGTERM.
  const inflight = process.env.INFLIGHT ? api(server, "GET", `/covalues/${randomCoId()}`).then((r) => r.status, (e) => e.cause?.code ?? e.message) : null;
  const statuses = (await Promise.allSettled(reqs)).map((r) => r.value?.status ?? r.reason?.message);
  if (inflight) inflight.then((s) => log(`  in-flight GET answered: ${s}`));
  await sleep(Math.floor(Math.random() * 1000));
  const t = Date.now();
  const exit = await server.stop("SIGTERM");
  const ms = Date.now() - t;
  const bad = server.logs().split("\n").filter((l) => /corrupt|double free|SIGSEGV|Segmentation|abort|terminate called/i.test(l));
  results.push({ i, statuses, exit, ms, bad: bad.length });
  log(`try ${i + 1}: requests ${JSON.stringify(statuses)}; SIGTERM → ${JSON.stringify(exit)} in ${ms} ms; crash lines ${bad.length}; load ${load()}`);
}
const clean = results.filter((r) => r.exit.code === 0 && r.exit.signal === null).length;
log(`${clean}/${TRIES} clean exits (code 0)`);
process.exit(0);
