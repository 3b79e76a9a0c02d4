// Slow peers. Content for a peer whose queue is over the limit is held back and resent
// as the queue drains, so a peer that reads gets everything it asks for, however much at
// once (a 10 MB CoValue; 16 MB asked for in one go). Peers that do not read are
// disconnected: one whose socket stalls with its queue over the limit, one whose acks
// pile up while it is over the limit. Everyone else keeps syncing.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrFail, log, newClient, rawClient, sleep, startServer, waitFor } from "../interop/lib/harness.mjs";
import { metric, scrape } from "../interop/lib/prometheus.mjs";

// Content arrives dependencies first: a CoValue's group, and the account of each of its
// sessions, came in an earlier message. Returns the first message that breaks that.
function dependencyBeforeDependent(messages) {
  const seen = new Set();
  for (const [index, msg] of messages.entries()) {
    if (msg.action !== "content") continue;
    const needs = Object.keys(msg.new ?? {})
      .filter((session) => session.startsWith("co_z"))
      .map((session) => session.split("_session_")[0]);
    if (msg.header?.ruleset?.type === "ownedByGroup") needs.push(msg.header.ruleset.group);
    const missing = needs.find((id) => id !== msg.id && !seen.has(id));
    if (missing) return `message ${index} (content of ${msg.id}) came before any content of ${missing}`;
    seen.add(msg.id);
  }
  return null;
}

export async function run(ctx) {
  const server = await startServer(ctx, {
    dbPath: join(ctx.workDir, "sync.db"),
    args: ["--max-peer-queue-bytes", String(1 << 20)],
  });
  const a = await newClient(ctx, server.url, "Alice");
  const b = await newClient(ctx, server.url, "Bob");
  const group = a.node.createGroup();
  group.addMember("everyone", "reader");
  const big = group.createMap();
  for (let i = 0; i < 4; i++) big.set(`blob${i}`, String(i).repeat(250_000));
  const live = group.createMap();
  live.set("n", 0);
  await Promise.all([big.core.waitForSync(), live.core.waitForSync()]);
  const liveB = await loadOrFail(b.node, live.id, "the live map for B");

  // 10 MB in one CoValue, ten times the 1 MiB limit: queued whole (the queue was within
  // the limit), and B drains it.
  const huge = group.createMap();
  for (let i = 0; i < 40; i++) huge.set(`blob${i}`, String(i % 10).repeat(250_000));
  await huge.core.waitForSync();
  const hugeB = await loadOrFail(b.node, huge.id, "the 10 MB map for B");
  await waitFor(() => hugeB.get("blob39")?.length === 250_000, { what: "B to have the whole 10 MB map" });
  const cutOff = async () => metric(await scrape(server), "moai_slow_consumers_disconnected_total");
  assert.equal(await cutOff(), 0, "nobody was cut off yet");

  // A peer that asks once for the 10 MB map and reads nothing: no acks pile up (it asked
  // once, while its queue was empty), so only the stall check can cut it off.
  const stuck = await rawClient(server.url);
  stuck.ws._socket.pause();
  stuck.send({ action: "load", id: huge.id, header: false, sessions: {} });
  await waitFor(async () => (await cutOff()) >= 1, { timeout: 30000, what: "the stalled peer to be cut off" });
  // The counter moves before the log line has passed through the pipe to the log file.
  await waitFor(() => /why=queue over the limit and the socket barely drains/.test(server.logs()), {
    what: "the log to say why the stalled peer was cut off",
  });
  log("stalled peer cut off");

  // A peer that asks for 16 MB at once while not reading: the 10 MB map is queued whole,
  // the six 1 MB maps asked for after it are held back. Once it reads, it gets them all.
  const six = [];
  for (let m = 0; m < 6; m++) {
    const map = group.createMap();
    for (let i = 0; i < 4; i++) map.set(`blob${i}`, `${m}${i}`.repeat(125_000));
    six.push(map);
  }
  await Promise.all(six.map((m) => m.core.waitForSync()));
  const heldBack = async () => metric(await scrape(server), "moai_content_held_back_total");
  const asker = await rawClient(server.url);
  asker.ws._socket.pause();
  asker.send({ action: "load", id: huge.id, header: false, sessions: {} });
  await sleep(300);
  for (const m of six) asker.send({ action: "load", id: m.id, header: false, sessions: {} });
  // An ack on top of the 10 MB (far past twice the limit) is no reason to cut it off.
  asker.send({ action: "load", id: big.id, header: true, sessions: big.core.knownState().sessions });
  await waitFor(async () => (await heldBack()) >= 6, { what: "the six maps to be held back" });
  asker.ws._socket.resume();
  const complete = (map) => {
    const want = map.core.knownState().sessions;
    const got = {};
    for (const msg of asker.messages) {
      if (msg.action !== "content" || msg.id !== map.id) continue;
      for (const [session, piece] of Object.entries(msg.new ?? {})) {
        got[session] = Math.max(got[session] ?? 0, piece.after + piece.newTransactions.length);
      }
    }
    return asker.messages.some((msg) => msg.action === "content" && msg.id === map.id && msg.header) &&
      Object.entries(want).every(([session, n]) => got[session] === n);
  };
  await waitFor(() => [huge, ...six].every(complete), { timeout: 30000, what: "the asker to get all 16 MB" });
  assert.equal(asker.closed(), null, "the asker stays connected");
  assert.equal(await cutOff(), 1, "only the stalled peer was cut off");
  assert.equal(dependencyBeforeDependent(asker.messages), null);
  asker.close();
  log(`16 MB asked at once arrived, dependencies first; ${await heldBack()} contents were held back and resent`);

  // A held group gains a dependency while it waits: Bob becomes an admin and writes to
  // it. The resend sends Bob's account (held after the group) first.
  const team = a.node.createGroup();
  await team.core.waitForSync();
  const watcher = await rawClient(server.url);
  watcher.ws._socket.pause();
  watcher.send({ action: "load", id: huge.id, header: false, sessions: {} });
  await sleep(300);
  const heldBefore = await heldBack();
  watcher.send({ action: "load", id: team.id, header: false, sessions: {} });
  await waitFor(async () => (await heldBack()) > heldBefore, { what: "the group to be held back" });
  team.addMember(await loadOrFail(a.node, b.accountID, "Bob's account"), "admin");
  await team.core.waitForSync();
  const teamB = await loadOrFail(b.node, team.id, "the group for Bob");
  teamB.addMember("everyone", "reader");
  await teamB.core.waitForSync();
  watcher.ws._socket.resume();
  const bobWrote = (msg) =>
    msg.action === "content" && msg.id === team.id && Object.keys(msg.new ?? {}).some((s) => s.startsWith(b.accountID));
  await waitFor(() => watcher.messages.some(bobWrote), { timeout: 30000, what: "Bob's write to the group to arrive" });
  assert.equal(dependencyBeforeDependent(watcher.messages), null);
  watcher.close();
  log("a held group's new dependency went first");


  // A real client that loads the six maps at once gets them, and is not cut off.
  const c = await newClient(ctx, server.url, "Carol");
  const sixC = await Promise.all(six.map((m) => loadOrFail(c.node, m.id, "a 1 MB map for C")));
  await waitFor(() => sixC.every((m) => m.get("blob3")?.length === 250_000), { what: "C to have the six maps" });
  assert.equal(await cutOff(), 1, "C was not cut off");

  // A peer that reads nothing and keeps asking for what it already has: the acks pile
  // up past the limit's worth, and it is cut off long before a stall.
  const greedy = await rawClient(server.url);
  greedy.ws._socket.pause();
  const asked = Date.now();
  const load = JSON.stringify({ action: "load", id: big.id, header: true, sessions: big.core.knownState().sessions });
  const frame = Array(1000).fill(load).join("\n");
  for (let i = 0; i < 60 && greedy.ws.readyState === 1; i++) {
    greedy.send(frame);
    await sleep(20);
  }
  await waitFor(async () => (await cutOff()) >= 2, { what: "the greedy peer to be cut off" });
  await waitFor(() => /why=acks pile up over the queue limit/.test(server.logs()), {
    what: "the log to say why the greedy peer was cut off",
  });
  log(`greedy peer cut off after ${Date.now() - asked} ms`);

  for (let n = 1; n <= 5; n++) {
    live.set("n", n);
    await waitFor(() => liveB.get("n") === n, { what: `B to see edit ${n} while the slow peers are stuck` });
  }
  const rss = metric(await scrape(server), "moai_process_resident_memory_bytes");
  log(`others keep syncing; server RSS ${(rss / 1e6).toFixed(1)} MB`);
  assert.ok(rss < 400e6, `memory stays bounded (${rss} bytes)`);

  for (const peer of [stuck, greedy]) {
    peer.ws._socket.resume();
    const closed = await Promise.race([peer.whenClosed(), sleep(20000).then(() => null)]);
    assert.ok(closed, "a cut-off peer's connection is closed once it reads again");
    assert.equal(closed.code, 1008, `close code 1008 (policy), got ${JSON.stringify(closed)}`);
  }

  // Notes of held-back content have a bound of their own, far above a small queue limit:
  // a reader that asks for 8000 small maps while its queue is full (about 1.3 MB of
  // notes against the 1 MiB limit) gets them all and stays connected.
  const many = [];
  for (let chunk = 0; chunk < 8; chunk++) {
    const maps = [];
    for (let m = 0; m < 1000; m++) {
      maps.push(group.createMap());
      maps.at(-1).set("m", m);
    }
    await Promise.all(maps.map((m) => m.core.waitForSync()));
    many.push(...maps);
  }
  const reader = await rawClient(server.url);
  reader.ws._socket.pause();
  reader.send({ action: "load", id: huge.id, header: false, sessions: {} });
  await sleep(300);
  const heldBeforeMany = await heldBack();
  reader.send(many.map((m) => JSON.stringify({ action: "load", id: m.id, header: false, sessions: {} })).join("\n"));
  await waitFor(async () => (await cutOff()) > 2 || (await heldBack()) >= heldBeforeMany + 8000, {
    what: "the 8000 maps to be held back",
  });
  assert.equal(await cutOff(), 2, "the reader is not cut off for its notes");
  reader.ws._socket.resume();
  const arrived = new Set();
  await waitFor(
    () => {
      for (const msg of reader.messages.splice(0)) if (msg.action === "content" && msg.header) arrived.add(msg.id);
      return many.every((m) => arrived.has(m.id));
    },
    { timeout: 60000, what: "the reader to get all 8000 maps" },
  );
  assert.equal(reader.closed(), null, "the reader stays connected");
  assert.equal(await cutOff(), 2, "the reader was not cut off");
  reader.close();
  log("8000 maps asked for over the limit arrived");
}
