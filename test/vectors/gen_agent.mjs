// Generates agent_fixtures.json: CoValues written by real cojson 0.20.19 LocalNodes
// (accounts, private groups, key rotation, parent groups, group-sealer revelations,
// private/trusting CoMap edits, a CoList, public groups) and what readers with known
// secrets see in them, computed by cojson itself on freshly loaded nodes. The C++
// tests (test/unit/agent_read_test.cpp) must reproduce every expected result.
//
// Run: node test/vectors/gen_agent.mjs   (needs `npm ci` in test/interop)
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalNode, cojsonInternals } from "../interop/node_modules/cojson/dist/index.js";
import { WasmCrypto } from "../interop/node_modules/cojson/dist/crypto/WasmCrypto.js";

const here = dirname(fileURLToPath(import.meta.url));
const crypto = await WasmCrypto.create();
const { stableStringify, connectedPeers } = cojsonInternals;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An agent-only node that plays the sync server: every account node talks to it.
const hubSecret = crypto.newRandomAgentSecret();
const hub = new LocalNode(hubSecret, crypto.newRandomSessionID(crypto.getAgentID(hubSecret)), crypto);
const nodes = [];

function hubPeer(name) {
  const [hubAsPeer, clientAsPeer] = connectedPeers(`hub-${name}`, `${name}-${nodes.length}`, {
    peer1role: "server",
    peer2role: "client",
  });
  hub.syncManager.addPeer(clientAsPeer);
  return hubAsPeer;
}

async function newAccount(name, initialAgentSecret) {
  const created = await LocalNode.withNewlyCreatedAccount({
    creationProps: { name },
    peers: [hubPeer(name)],
    crypto,
    initialAgentSecret,
  });
  nodes.push(created.node);
  return created;
}

async function loadedAccount(name, accountID, accountSecret) {
  const node = await LocalNode.withLoadedAccount({
    accountID,
    accountSecret,
    sessionID: undefined,
    peers: [hubPeer(name)],
    crypto,
  });
  nodes.push(node);
  return node;
}

// Waits until the hub and every node agree on the known state of each CoValue they hold.
async function settle() {
  for (let round = 0; round < 200; round++) {
    await Promise.all(nodes.map((n) => n.syncManager.waitForAllCoValuesSync(10_000)));
    let agreed = true;
    for (const n of nodes) {
      for (const core of n.coValues.values()) {
        if (!core.isAvailable()) continue;
        const theirs = hub.getCoValue(core.id);
        if (!theirs.isAvailable() || stableStringify(theirs.knownState()) !== stableStringify(core.knownState())) {
          agreed = false;
        }
      }
    }
    if (agreed) return;
    await sleep(20);
  }
  throw new Error("nodes did not settle");
}

async function load(node, id) {
  const value = await node.load(id);
  if (value === "unavailable") throw new Error(`${id} unavailable`);
  return value;
}

// Reader whose secret the C++ tests know (a fixed seed), a creator, and a member that is
// later removed (she then reads old keys only).
const bobSecret = crypto.agentSecretFromSecretSeed(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
const alice = await newAccount("Alice", crypto.newRandomAgentSecret());
const bob = await newAccount("Bob", bobSecret);
const carol = await newAccount("Carol", crypto.newRandomAgentSecret());
await settle();

const bobInAlice = await load(alice.node, bob.accountID);
const carolInAlice = await load(alice.node, carol.accountID);
const names = {
  aliceAccount: alice.accountID,
  bobAccount: bob.accountID,
  carolAccount: carol.accountID,
};

// --- 1. A private group with a writer and a reader; a CoMap with every kind of edit.
const g1 = alice.node.createGroup();
g1.addMember(bobInAlice, "writer");
g1.addMember(carolInAlice, "reader");
const m1 = g1.createMap();
names.g1 = g1.id;
names.m1 = m1.id;
await settle();
const m1Bob = await load(bob.node, m1.id);
const m1Carol = await load(carol.node, m1.id);

const t0 = Date.now();
const tx = (map, changes, privacy, madeAt, meta) => map.core.makeTransaction(changes, privacy, meta, madeAt);
const set = (key, value) => ({ op: "set", key, value });
tx(m1, [set("title", "hello")], "private", t0 + 1);
tx(m1, [set("count", 1)], "trusting", t0 + 2);
tx(m1, [set("a", 1), set("b", { nested: [1, 2, "x"], unicode: "é\u2028\"q\"" })], "private", t0 + 3);
await settle();
tx(m1Bob, [set("count", 2)], "private", t0 + 4);
tx(m1, [{ op: "del", key: "a" }], "private", t0 + 5);
// Same madeAt in one session: the later transaction wins.
tx(m1, [set("tie", "first")], "private", t0 + 6);
tx(m1, [set("tie", "second")], "private", t0 + 6);
// Same madeAt in two sessions: the order in which a fresh reader processes them decides.
tx(m1, [set("xtie", "alice")], "private", t0 + 7);
tx(m1Bob, [set("xtie", "bob")], "private", t0 + 7);
// A reader's write is invalid.
tx(m1Carol, [set("title", "carol was here")], "private", t0 + 8);
tx(m1Bob, [set("t", "bob-trusting")], "trusting", t0 + 9);
tx(m1, [set("meta", "with meta")], "private", t0 + 10, { note: "private meta" });
tx(m1, [set("gone", true)], "trusting", t0 + 11);
tx(m1, [{ op: "del", key: "gone" }], "trusting", t0 + 12);
await settle();
await sleep(30);

// Key rotation: carol is removed, the group gets a new read key.
g1.removeMember(carolInAlice);
await settle();
await sleep(30);
const t1 = Date.now();
tx(m1, [set("title", "after rotation")], "private", t1);
tx(m1Bob, [set("post", "bob after rotation")], "private", t1 + 1);
await settle();

// --- 2. Parent groups: bob reaches the child's keys through the parent's key.
const parent = alice.node.createGroup();
parent.addMember(bobInAlice, "writer");
parent.addMember(carolInAlice, "reader");
const child = alice.node.createGroup();
child.extend(parent);
const m2 = child.createMap();
names.parent = parent.id;
names.child = child.id;
names.m2 = m2.id;
await settle();
tx(m2, [set("secret", "via parent")], "private", Date.now());
await settle();
const m2Bob = await load(bob.node, m2.id);
tx(m2Bob, [set("bobwrote", "inherited writer")], "private", Date.now());
await settle();
await sleep(30);
// Rotating the parent also rotates the child loaded in alice's node.
parent.removeMember(carolInAlice);
await settle();
await sleep(30);
tx(m2, [set("rotated", "child key after parent rotation")], "private", Date.now());
await settle();

// --- 3. A group extended by a non-member of the parent: the child key is sealed to the
// parent's group sealer.
const parentInCarol = await load(carol.node, parent.id);
const c3 = carol.node.createGroup();
c3.extend(parentInCarol);
const m3 = c3.createMap();
names.c3 = c3.id;
names.m3 = m3.id;
tx(m3, [set("sealed", "through the group sealer")], "private", Date.now());
await settle();

// --- 4. A CoList with appends, prepends, deletes, a replace and a bob insertion.
const list = g1.createList();
names.list = list.id;
list.appendItems(["a", "b", "c"]);
await settle();
const listBob = await load(bob.node, list.id);
listBob.append("d");
await settle();
list.prepend("z");
list.delete(list.asArray().indexOf("b"));
await settle();
listBob.append("e", 0);
listBob.append({ obj: 1 }, undefined, "trusting");
await settle();
list.replace(list.asArray().indexOf("c"), "r");
list.appendItems(["m1", "m2"], 1);
await settle();

// --- 5. Public groups: everyone reads; everyone writes.
const pub = alice.node.createGroup();
pub.addMember("everyone", "reader");
const m5 = pub.createMap({ greeting: "hi everyone" });
const pubWrite = alice.node.createGroup();
pubWrite.addMember("everyone", "writer");
const m6 = pubWrite.createMap();
names.pub = pub.id;
names.m5 = m5.id;
names.pubWrite = pubWrite.id;
names.m6 = m6.id;
await settle();
const m6Bob = await load(bob.node, m6.id);
m6Bob.set("open", "bob is not a member");
await settle();

// --- 6. Accounts: bob's own account gets a private key (only admins may, and only
// privately: a trusting "sparks" is not a valid group transaction).
const bobAccount = bob.node.expectCurrentAccount("gen");
const sparksGroup = bob.node.createGroup();
const sparks = sparksGroup.createMap();
bobAccount.set("sparks", sparks.id);
names.sparksGroup = sparksGroup.id;
names.sparks = sparks.id;
names.aliceProfileGroup = null;
names.aliceProfile = alice.node.expectCurrentAccount("gen").get("profile");
names.bobProfile = bobAccount.get("profile");
await settle();

// --- What fresh readers see.
const bob2 = await loadedAccount("bob2", bob.accountID, bobSecret);
const carol2 = await loadedAccount("carol2", carol.accountID, carol.accountSecret);
const groups = ["g1", "parent", "child", "c3", "pub", "pubWrite", "sparksGroup"];
const maps = ["m1", "m2", "m3", "m5", "m6", "sparks", "aliceProfile", "bobProfile", "bobAccount", "g1", "child"];
const lists = ["list"];
const aliceProfile = await load(bob2, names.aliceProfile);
names.aliceProfileGroup = aliceProfile.core.verified.header.ruleset.group;
groups.push("aliceProfileGroup");

function keyIDsOf(group) {
  const ids = new Set();
  for (const key of Object.keys(group.ops)) {
    const m = /^(key_z[1-9A-HJ-NP-Za-km-z]+)_(for|sealedFor)_/.exec(key);
    if (m) ids.add(m[1]);
    const n = /_for_(key_z[1-9A-HJ-NP-Za-km-z]+)$/.exec(key);
    if (n) ids.add(n[1]);
  }
  const readKey = group.get("readKey");
  if (readKey) ids.add(readKey);
  return [...ids].sort();
}

async function readerView(node) {
  const view = { groups: {}, maps: {}, lists: {}, decrypted: [] };
  for (const name of groups) {
    const group = await load(node, names[name]);
    const keys = {};
    for (const id of keyIDsOf(group)) keys[id] = group.core.getReadKey(id) ?? null;
    const current = group.getCurrentReadKey();
    view.groups[name] = {
      readKey: group.get("readKey") ?? null,
      currentReadKey: current.id,
      currentSecret: current.secret ?? null,
      keys,
      myRole: group.myRole() ?? null,
    };
  }
  for (const name of maps) {
    const map = await load(node, names[name]);
    const edits = {};
    for (const key of Object.keys(map.ops)) {
      const edit = map.lastEditAt(key);
      edits[key] = edit
        ? { by: edit.by, sessionID: edit.tx.sessionID, txIndex: edit.tx.txIndex, madeAt: edit.at.getTime(),
            value: edit.value === undefined ? null : stableStringify(edit.value), deleted: edit.value === undefined }
        : null;
    }
    view.maps[name] = { json: stableStringify(map.toJSON()), edits };
  }
  for (const name of lists) {
    const list = await load(node, names[name]);
    const entries = list.entries();
    view.lists[name] = {
      json: stableStringify(list.asArray()),
      last: entries.length ? entries[entries.length - 1].opID : null,
    };
  }
  // Every private transaction of the owned CoValues, decrypted where this reader can.
  for (const name of ["m1", "m2", "m3", "m5", "m6", "list", "aliceProfile", "sparks", "bobAccount"]) {
    const core = (await load(node, names[name])).core;
    for (const [sessionID, log] of core.verified.sessionEntries()) {
      log.transactions.forEach((t, txIndex) => {
        if (t.privacy !== "private") return;
        const secret = core.getReadKey(t.keyUsed);
        const changes = secret ? core.verified.decryptTransaction(sessionID, txIndex, secret) : undefined;
        const meta = secret ? core.verified.decryptTransactionMeta(sessionID, txIndex, secret) : undefined;
        view.decrypted.push({
          covalue: name, sessionID, txIndex, keyUsed: t.keyUsed,
          changes: changes === undefined ? null : stableStringify(changes),
          meta: meta === undefined ? null : stableStringify(meta),
        });
      });
    }
  }
  return view;
}

names.bobAccount = bob.accountID;
const expected = { bob: await readerView(bob2), carol: await readerView(carol2) };

// Dump every CoValue as the fresh reader holds it, dependencies first.
const order = [
  "aliceAccount", "bobAccount", "carolAccount", "aliceProfileGroup", "aliceProfile", "bobProfile",
  "g1", "m1", "parent", "child", "m2", "c3", "m3", "list", "pub", "m5", "pubWrite", "m6", "sparksGroup", "sparks",
];
const bobProfileGroup = (await load(bob2, names.bobProfile)).core.verified.header.ruleset.group;
names.bobProfileGroup = bobProfileGroup;
order.splice(order.indexOf("bobProfile"), 0, "bobProfileGroup");
const carolProfile = (await load(carol2, carol.accountID)).get("profile");
const carolProfileGroup = (await load(carol2, carolProfile)).core.verified.header.ruleset.group;
names.carolProfileGroup = carolProfileGroup;
names.carolProfile = carolProfile;
order.splice(order.indexOf("g1"), 0, "carolProfileGroup", "carolProfile");

const covalues = [];
for (const name of order) {
  const core = bob2.getCoValue(names[name]).isAvailable() ? bob2.getCoValue(names[name]) : hub.getCoValue(names[name]);
  covalues.push({ name, id: core.id, messages: core.verified.newContentSince(undefined) });
}

const fixture = {
  about: "Generated by test/vectors/gen_agent.mjs with cojson 0.20.19; do not edit by hand.",
  readers: {
    bob: { accountID: bob.accountID, agentSecret: bobSecret, agentID: crypto.getAgentID(bobSecret) },
    carol: { accountID: carol.accountID, agentSecret: carol.accountSecret, agentID: crypto.getAgentID(carol.accountSecret) },
  },
  names,
  covalues,
  expected,
};
const out = join(here, "agent_fixtures.json");
writeFileSync(out, JSON.stringify(fixture, null, 1) + "\n");
console.log(`wrote ${out}`);
process.exit(0);
