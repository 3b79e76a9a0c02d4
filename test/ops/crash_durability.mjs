// kill -9 while clients write, three times over: every transaction the server
// acknowledged (a `known` reply is sent only after the commit) is there after each
// restart, the database opens without complaint, and a new client loads it all.
// What was in flight and not acknowledged may be lost; nothing acknowledged may be.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, sleep, startServer, waitFor } from "../interop/lib/harness.mjs";

const CYCLES = 5;

// Highest count the server acknowledged, per "CoValue session".
function trackAcks(acked) {
  return (msg) => {
    if (msg.action !== "known" || msg.isCorrection) return;
    for (const [session, count] of Object.entries(msg.sessions)) {
      const key = `${msg.id} ${session}`;
      if ((acked.get(key) ?? 0) < count) acked.set(key, count);
    }
  };
}

const sum = (map) => [...map.values()].reduce((s, n) => s + n, 0);

// Logged at startup by a store that found something wrong with what it read.
const storageComplaint = /level=(error|warn).*(storage|stored|read failed|corrupt|malformed)/i;

async function expectAcknowledged(ctx, server, acked, what) {
  const reader = await newClient(ctx, server.url, `Reader after ${what}`);
  let checked = 0;
  for (const [key, count] of acked) {
    const [id, session] = key.split(" ");
    const value = await loadOrFail(reader.node, id, `acknowledged CoValue ${id}`);
    await waitFor(() => (value.core.knownState().sessions[session] ?? 0) >= count, {
      what: `${count} acknowledged transactions of ${session} in ${id} after ${what} (have ${
        value.core.knownState().sessions[session] ?? 0
      })`,
      timeout: 15000,
    });
    checked += count;
  }
  reader.node.gracefulShutdown();
  return checked;
}

export async function run(ctx) {
  const dbPath = join(ctx.workDir, "sync.db");
  const acked = new Map(); // over all cycles
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const server = await startServer(ctx, { dbPath });
    const startupLog = server.logs();
    assert.doesNotMatch(startupLog, storageComplaint, `cycle ${cycle}: the store complained at startup`);
    if (cycle > 1) {
      const checked = await expectAcknowledged(ctx, server, acked, `kill ${cycle - 1}`);
      log(`cycle ${cycle}: all ${checked} transactions acknowledged so far are there`);
    }

    // A writer that keeps creating CoValues and editing them, so the kill lands among
    // header inserts, appends and commits.
    // The kill is sent from the handler of an acknowledgement, so it lands while the
    // server is busy with a burst: committing some writes, acknowledging others.
    const mine = new Map();
    const track = trackAcks(mine);
    let killed = null;
    const onMessage = (msg) => {
      track(msg);
      if (!killed && sum(mine) > 600) killed = server.stop("SIGKILL");
    };
    const writer = await newClient(ctx, server.url, `Writer ${cycle}`, { onMessage });
    const group = writer.node.createGroup();
    group.addMember("everyone", "reader");
    const maps = [];
    let writing = true;
    let edits = 0;
    const loop = (async () => {
      while (writing) {
        if (edits % 40 === 0) maps.push(group.createMap());
        maps[edits % maps.length].set(`k${edits % 7}`, `cycle ${cycle} edit ${edits} ${"x".repeat(edits % 300)}`);
        edits++;
        if (edits % 100 === 0) await sleep(1);
      }
    })();
    await waitFor(() => killed, { what: `cycle ${cycle}: writes being acknowledged`, timeout: 60000 });
    const exit = await killed;
    writing = false;
    await loop;
    writer.node.gracefulShutdown();
    assert.equal(exit.signal, "SIGKILL", `cycle ${cycle}: the server was killed, not stopped`);
    for (const [key, count] of mine) if ((acked.get(key) ?? 0) < count) acked.set(key, count);
    log(`cycle ${cycle}: killed after ${edits} edits to ${maps.length} maps; ${sum(mine)} transactions acknowledged`);
  }

  const server = await startServer(ctx, { dbPath });
  assert.doesNotMatch(server.logs(), storageComplaint, "the store complained at the last startup");
  const checked = await expectAcknowledged(ctx, server, acked, `kill ${CYCLES}`);
  log(`after ${CYCLES} kills: all ${checked} acknowledged transactions are there`);
  assert.ok(checked > CYCLES * 600, "acknowledgements were counted");
}
