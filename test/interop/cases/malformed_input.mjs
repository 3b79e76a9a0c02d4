// Garbage, invalid JSON, unknown actions, forged signatures, a header that does not
// match its ID and an oversized frame: the server stays up, drops the bad input,
// never forwards forged data, and everyone else keeps syncing.
import assert from "node:assert/strict";
import { join } from "node:path";
import { getCrypto, loadOrFail, log, newClient, randomCoId, rawClient, sleep, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  const args = ctx.kind === "moai" ? ["--max-frame-bytes", "1048576"] : [];
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db"), args });
  const a = await newClient(ctx, server.url, "Alice");
  const b = await newClient(ctx, server.url, "Bob");
  const group = a.node.createGroup();
  group.addMember("everyone", "writer");
  const map = group.createMap();
  map.set("title", "genuine");
  await map.core.waitForSync();
  const mapB = await loadOrFail(b.node, map.id, "the map for B");
  await waitFor(() => mapB.get("title") === "genuine", { what: "B to load the map" });

  const raw = await rawClient(server.url);
  raw.send("garbage");
  raw.send('{"action":"load","id":');
  raw.send('{"action":"teleport","id":"' + map.id + '"}');
  raw.send(JSON.stringify({ action: "load", id: "not-a-co-id", header: false, sessions: {} }));
  // Numbers that crashed RapidJSON 1.1.0's parser (found by fuzzing): the first digit
  // beyond a double's range, and a zero with an exponent far out of range.
  raw.send('{"action":"load","id":"' + map.id + '","header":false,"sessions":{"x":0.18446744333333363333333333990737095516869e-344}}');
  raw.send('{"action":"load","id":"' + map.id + '","header":false,"sessions":{"x":0.' + "0".repeat(40) + 'e-320}}');

  // A continuation of A's session with a transaction A never signed.
  const sessionID = a.node.currentSessionID;
  const count = map.core.knownState().sessions[sessionID];
  const lastSignature = map.core.verified.getSession(sessionID).lastSignature;
  const forgedTx = (value) => ({
    privacy: "trusting",
    madeAt: Date.now(),
    changes: JSON.stringify([{ op: "set", key: "forged", value }]),
  });
  raw.send({
    action: "content",
    id: map.id,
    priority: 3,
    new: { [sessionID]: { after: count, newTransactions: [forgedTx("tampered")], lastSignature } },
  });
  // A brand-new session of an agent, signed by someone else.
  const crypto = await getCrypto();
  const fakeAgent = crypto.getAgentID(crypto.newRandomAgentSecret());
  const raw2 = await rawClient(server.url);
  raw2.send({
    action: "content",
    id: map.id,
    priority: 3,
    new: { [`${fakeAgent}_session_zForged1`]: { after: 0, newTransactions: [forgedTx("fake agent")], lastSignature } },
  });
  // A header that hashes to another ID.
  const fakeId = randomCoId();
  raw.send({ action: "content", id: fakeId, header: map.core.verified.header, priority: 3, new: {} });
  log("sent garbage and forgeries");

  // The connection survives: a valid load on it is still answered.
  raw.send({ action: "load", id: group.id, header: false, sessions: {} });
  await raw.next((m) => m.id === group.id && m.action === "content", "the group's content on the raw connection");
  raw.send({ action: "load", id: fakeId, header: false, sessions: {} });
  const notFound = await raw.next((m) => m.id === fakeId, "a reply for the mismatched header's ID");
  assert.deepEqual(notFound, { action: "known", id: fakeId, header: false, sessions: {} });

  // A genuine edit after the forgeries reaches B; the forged ones never do.
  map.set("after", "legit");
  await waitFor(() => mapB.get("after") === "legit", { what: "A's edit after the forgeries to reach B" });
  await sleep(300);
  assert.equal(mapB.get("forged"), undefined, "B received forged data");
  assert.equal(map.get("forged"), undefined, "A received forged data");
  assert.ok(!raw.messages.some((m) => m.action === "content" && m.id === map.id && JSON.stringify(m).includes("tampered")));
  log("forged content was dropped");

  if (ctx.kind === "moai") {
    const big = await rawClient(server.url);
    big.send("x".repeat(2 * 1024 * 1024));
    const closed = await big.whenClosed();
    assert.equal(closed.code, 1009, `oversized frame: expected close 1009, got ${JSON.stringify(closed)}`);
    log("oversized frame closed with 1009");
  }

  const health = await fetch(`${server.httpUrl}/health`);
  assert.equal(health.status, 200);
  assert.equal(server.exited(), null, "the server died");
  map.set("final", "still syncing");
  await waitFor(() => mapB.get("final") === "still syncing", { what: "sync to keep working for A and B" });
  raw.close();
  raw2.close();
}
