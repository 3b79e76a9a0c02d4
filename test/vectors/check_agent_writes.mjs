// Loads what moai's C++ writer produced (written by the unit test agent_writes, see
// test/unit/agent_write_test.cpp) into real cojson 0.20.19 nodes and checks that cojson
// accepts and reads it: every header hashes to its ID, every session's signature
// verifies (the hub node keeps every transaction), and the invited account, the public
// and the server's own account decrypt exactly what C++ meant to write.
//
// Run: node test/vectors/check_agent_writes.mjs <agent_writes.json>
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LocalNode, cojsonInternals } from "../interop/node_modules/cojson/dist/index.js";
import { WasmCrypto } from "../interop/node_modules/cojson/dist/crypto/WasmCrypto.js";

const file = process.argv[2];
if (!file) {
  console.error("usage: check_agent_writes.mjs <agent_writes.json>");
  process.exit(2);
}
const dump = JSON.parse(readFileSync(file, "utf8"));
const crypto = await WasmCrypto.create();
const { stableStringify, connectedPeers, idforHeader } = cojsonInternals;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...args) => console.log("[check_agent_writes]", ...args);

async function waitFor(what, predicate, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// 1. IDs: cojson's own idforHeader over each header that C++ sent.
for (const msg of dump.messages) {
  if (msg.header) assert.equal(idforHeader(msg.header, crypto), msg.id, `header of ${msg.id} hashes elsewhere`);
}
log(`${dump.messages.length} content messages, headers hash to their IDs`);

// 2. A hub node (agent-only, the sync server's role) receives the messages from a fake
// client peer, verifying every signature as it would from a real client.
const hubSecret = crypto.newRandomAgentSecret();
const hub = new LocalNode(hubSecret, crypto.newRandomSessionID(crypto.getAgentID(hubSecret)), crypto);
const [hubSeenByFeeder, feederSeenByHub] = connectedPeers("hub", "feeder", { peer1role: "server", peer2role: "client" });
hub.syncManager.addPeer(feederSeenByHub);
hubSeenByFeeder.incoming.onMessage(() => {});  // the hub's acks and loads: nothing to answer
for (const msg of dump.messages) hubSeenByFeeder.outgoing.push(msg);

for (const [id, known] of Object.entries(dump.known)) {
  await waitFor(`the hub to hold ${id}`, () => {
    const core = hub.getCoValue(id);
    return core.isAvailable() && stableStringify(core.knownState().sessions) === stableStringify(known.sessions);
  });
}
log(`hub accepted every transaction of ${Object.keys(dump.known).length} CoValues (signatures verify)`);

function clientPeer(name) {
  const [hubAsPeer, clientAsPeer] = connectedPeers(`hub-${name}`, name, { peer1role: "server", peer2role: "client" });
  hub.syncManager.addPeer(clientAsPeer);
  return hubAsPeer;
}

async function login(name, { accountID, agentSecret }) {
  return LocalNode.withLoadedAccount({
    accountID,
    accountSecret: agentSecret,
    sessionID: undefined,
    peers: [clientPeer(name)],
    crypto,
  });
}

async function load(node, id) {
  const value = await node.load(id);
  assert.notEqual(value, "unavailable", `${id} unavailable`);
  return value;
}

const same = (actual, expected, what) => assert.equal(stableStringify(actual), stableStringify(expected), what);

// 3. The server's own account, logged in with PEER_ID / PEER_SECRET.
const server = await login("server", dump.server);
const account = server.expectCurrentAccount("check");
assert.equal(account.get("profile"), dump.server.profileID, "account.profile");
assert.equal(account.get("sparks"), dump.server.sparksID, "account.sparks (a private account edit)");
same((await load(server, dump.server.profileID)).toJSON(), dump.expected.profile, "profile");
same((await load(server, dump.server.sparksID)).toJSON(), dump.expected.sparks, "sparks");
const groupAsServer = await load(server, dump.ids.group);
assert.equal(groupAsServer.myRole(), "admin");
same(groupAsServer.getCurrentReadKey(), dump.expected.groupKey, "the group's current read key");
same((await load(server, dump.ids.map)).toJSON(), dump.expected.map, "map as the server");
log("the server account logs in and reads its profile, sparks, group key and map");

// 4. Bob, invited as writer: he decrypts the map and the list, and may write.
const bob = await login("bob", dump.bob);
const group = await load(bob, dump.ids.group);
assert.equal(group.myRole(), "writer");
same(group.getCurrentReadKey(), dump.expected.groupKey, "bob unseals the group key");
const map = await load(bob, dump.ids.map);
same(map.toJSON(), dump.expected.map, "map as bob");
const list = await load(bob, dump.ids.list);
same(list.asArray(), dump.expected.list, "list as bob");
same((await load(bob, dump.ids.pubMap)).toJSON(), dump.expected.pubMap, "public map as bob");
const invalid = map.core.verifiedTransactions.filter((t) => !t.isValid);
assert.equal(invalid.length, 0, "cojson finds transactions moai wrote invalid");
map.set("reply", "from cojson");  // a writer with the key: throws otherwise
assert.equal(map.get("reply"), "from cojson");
log("bob (writer) reads the map, the list and the public map, and writes back");

// 5. A stranger reads the public map and nothing of the private ones.
const strangerSecret = crypto.newRandomAgentSecret();
const stranger = await LocalNode.withNewlyCreatedAccount({
  creationProps: { name: "Stranger" },
  peers: [clientPeer("stranger")],
  crypto,
  initialAgentSecret: strangerSecret,
});
same((await load(stranger.node, dump.ids.pubMap)).toJSON(), dump.expected.pubMap, "public map as a stranger");
same((await load(stranger.node, dump.ids.map)).toJSON(), { visible: dump.expected.map.visible, same: dump.expected.map.same },
  "a stranger sees only trusting edits");
log("a stranger reads the public map only");

log("ok");
process.exit(0);
