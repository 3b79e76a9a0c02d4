// Probe 3: SIGKILL during writes, ROUNDS rounds on one DB. Two cojson writers per round edit
// CoMaps; the server's `known` replies (sent after commit) count as acknowledgements. The kill
// lands from an ack handler once KILL_AFTER transactions of this round are acknowledged.
// After each restart a fresh client loads every CoValue: lost = acknowledged but missing.
import { join } from "node:path";
import { load, loadOrFail, log, makeCtx, newClient, sleep, startServer, waitFor } from "./common.mjs";
const ROUNDS = Number(process.env.ROUNDS ?? 5), KILL_AFTER = Number(process.env.KILL_AFTER ?? 8000);
const ctx = makeCtx("p3-kill9");
const dbPath = join(ctx.workDir, "sync.db");
const acked = new Map(); // "id session" -> highest acknowledged count, over all rounds
const sum = (m) => [...m.values()].reduce((s, n) => s + n, 0);

async function verify(server, what) {
  const reader = await newClient(ctx, server.url, `Reader ${what}`);
  let lost = 0, checked = 0, missingValues = 0;
  const byId = new Map();
  for (const [key, count] of acked) {
    const [id, session] = key.split(" ");
    if (!byId.has(id)) byId.set(id, []);
    byId.get(id).push([session, count]);
  }
  await Promise.all([...byId].map(async ([id, list]) => {
    let value;
    try { value = await loadOrFail(reader.node, id); } catch { missingValues++; for (const [, c] of list) lost += c; return; }
    const have = (s) => value.core.knownState().sessions[s] ?? 0;
    await waitFor(() => list.every(([s, c]) => have(s) >= c), { timeout: 15000 }).catch(() => {});
    for (const [s, c] of list) { checked += c; if (have(s) < c) { lost += c - have(s); log(`LOST ${id} ${s}: acked ${c}, have ${have(s)}`); } }
  }));
  reader.node.gracefulShutdown();
  return { checked, lost, missingValues, values: byId.size };
}

let totalLost = 0;
for (let round = 1; round <= ROUNDS + 1; round++) {
  const t0 = Date.now();
  const server = await startServer(ctx, { dbPath, readyTimeout: 60000 });
  const startMs = Date.now() - t0;
  const complaints = server.logs().split("\n").filter((l) => /level=(error|warn)| (error|warn) /.test(l));
  if (round > 1) {
    const r = await verify(server, `after kill ${round - 1}`);
    totalLost += r.lost;
    log(`after kill ${round - 1}: restart ${startMs} ms, ${complaints.length} warn/error lines at start; checked ${r.checked} acked tx in ${r.values} CoValues: lost ${r.lost}, missing CoValues ${r.missingValues}; load ${load()}`);
    for (const c of complaints.slice(0, 5)) log(`  ${c}`);
  }
  if (round > ROUNDS) { await server.stop("SIGTERM"); break; }
  const mine = new Map();
  let killed = null;
  const killAt = Math.floor(KILL_AFTER * (0.75 + Math.random() * 0.5));
  const seen = {};
  const onMessage = (msg) => {
    seen[msg.action] = (seen[msg.action] ?? 0) + 1;
    if (msg.action !== "known" || msg.isCorrection) return;
    for (const [s, c] of Object.entries(msg.sessions)) { const k = `${msg.id} ${s}`; if ((mine.get(k) ?? 0) < c) mine.set(k, c); }
    if (!killed && sum(mine) > killAt) killed = server.stop("SIGKILL");
  };
  const writers = [];
  const closes = [];
  log(`round ${round}: moai pid ${server.pid} port ${server.port} log ${server.logPath}`);
  for (const name of ["W1", "W2"]) writers.push(await newClient(ctx, server.url, `${name} round ${round}`, { onMessage, onClose: (c, r) => { if (!killed) { closes.push([name, c, r]); log(`  ${name} closed by server: ${c} ${r}`); } } }));
  let writing = true, edits = 0;
  const loops = writers.map(async (w, wi) => {
    const group = w.node.createGroup();
    group.addMember("everyone", "reader");
    const maps = [];
    let e = 0;
    while (writing) {
      if (e % 50 === 0) maps.push(group.createMap());
      maps[e % maps.length].set(`k${e % 9}`, `r${round} w${wi} e${e} ${"x".repeat(e % 400)}`);
      e++; edits++;
      if (e % 50 === 0) await sleep(2);
    }
  });
  const progress = setInterval(async () => {
    let h = "?"; try { h = (await fetch(`${server.httpUrl}/health`, { signal: AbortSignal.timeout(2000) })).status; } catch (e) { h = e.name; }
    log(`  round ${round} progress: edits ${edits}, acked ${sum(mine)}, messages ${JSON.stringify(seen)}, health ${h}, load ${load()}`);
  }, 5000);
  const ok = await waitFor(() => killed, { timeout: 120000, what: "acks" }).then(() => true, () => false).finally(() => clearInterval(progress));
  if (!ok) {
    log(`STALL in round ${round}: edits ${edits}, acked ${sum(mine)}, closes ${JSON.stringify(closes)}; dumping server state`);
    writing = false;
    const { execSync } = await import("node:child_process");
    const sh = (c) => { try { return execSync(c, { encoding: "utf8", timeout: 60000 }); } catch (e) { return String(e.stdout ?? e); } };
    console.log(sh(`curl -s -m 5 -o /dev/null -w 'health %{http_code} %{time_total}s\n' ${server.httpUrl}/health`));
    console.log(sh(`grep -E 'VmRSS|Threads' /proc/${server.pid}/status; cat /proc/${server.pid}/stat | cut -d' ' -f14,15`));
    console.log(sh(`gdb -p ${server.pid} -batch -ex 'thread apply all bt 8' 2>/dev/null | grep -E '^(Thread|#)' | head -80`));
    console.log(sh(`tail -20 ${server.logPath}`));
    killed = server.stop("SIGKILL");
  }
  const exit = await killed;
  writing = false;
  await Promise.all(loops);
  for (const w of writers) w.node.gracefulShutdown();
  for (const [k, c] of mine) if ((acked.get(k) ?? 0) < c) acked.set(k, c);
  log(`round ${round}: SIGKILL (${JSON.stringify(exit)}) after ${edits} edits sent, ${sum(mine)} tx acknowledged (kill at >${killAt}); load ${load()}`);
  await sleep(500);
}
log(`TOTAL: ${sum(acked)} acknowledged transactions over ${ROUNDS} kills; lost ${totalLost}`);
process.exit(0);
