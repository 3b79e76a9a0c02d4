// W6 data: content messages made and signed by the real library, written once to a file
// and replayed against both servers (w6_replay.mjs).
//
// Real cojson LocalNodes (accounts with several devices each) talk to an in-memory hub node
// (agent-only, like a sync server, no storage) through cojson's own in-memory peer pairs.
// They create groups shared with other accounts, CoMaps and CoLists, then edit them from
// several sessions round by round, the way live apps do. Every `content` message a
// client sends to the hub is captured as it goes out: exactly what a sync server
// receives from real clients, one edit per message mostly, with real signatures.
//
//   node w6_generate.mjs --out FILE --params JSON
// Output, one JSON line per CoValue, in dependency order:
//   {"id", "depth", "expected": {sessionID: txCount}, "messages": [content…]}
// `depth` is 0 for CoValues without dependencies and 1 + the deepest dependency
// otherwise (cojson's own dependency rules), so replaying depth by depth never sends a
// CoValue before what it needs. The first line is {"meta": …}.
import { createWriteStream } from "node:fs";
import { getCrypto, seededRandom } from "../../interop/lib/harness.mjs";
import { LocalNode, cojsonInternals } from "../lib/deps.mjs";

const tick = () => new Promise((r) => setImmediate(r));

const words = "the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part".split(" ");
function text(rand, minWords, maxWords) {
  const n = minWords + Math.floor(rand() * (maxWords - minWords + 1));
  const out = [];
  for (let i = 0; i < n; i++) out.push(words[Math.floor(rand() * words.length)]);
  return out.join(" ");
}

// Value sizes of a typical app: mostly small fields, some paragraphs, a few documents.
function mapEdit(rand, round) {
  const r = rand();
  if (r < 0.35) return ["status", ["todo", "doing", "done", "blocked"][Math.floor(rand() * 4)]];
  if (r < 0.55) return ["count", Math.floor(rand() * 10000)];
  if (r < 0.75) return ["title", text(rand, 2, 8)];
  if (r < 0.9) return ["position", { x: rand() * 1000, y: rand() * 1000, z: round, color: "#a0c4ff" }];
  if (r < 0.98) return ["description", text(rand, 20, 80)];
  return ["body", text(rand, 300, 700)];
}

export async function generate(params, log = () => {}) {
  const { accounts: A, devices: D = 2, groupsPerAccount: G, membersPerGroup: W, mapsPerGroup: M, listsPerGroup: L, edits: E, seed = 1 } =
    params;
  const rand = seededRandom(seed);
  const crypto = await getCrypto();
  const hubSecret = crypto.newRandomAgentSecret();
  const hub = new LocalNode(hubSecret, crypto.newRandomSessionID(crypto.getAgentID(hubSecret)), crypto);

  const captured = []; // content messages, in the order clients sent them
  // While editing, the hub stops receiving: clients keep sending (cojson tracks the
  // peer's state optimistically), nobody else has to verify and apply every edit, and
  // generation stays fast. What reaches the capture is unchanged.
  let deliver = true;
  let peers = 0;
  const hubPeer = () => {
    const [hubAsPeer, clientAsPeer] = cojsonInternals.connectedPeers("hub", `client-${++peers}`, {
      peer1role: "server",
      peer2role: "client",
    });
    const push = hubAsPeer.outgoing.push.bind(hubAsPeer.outgoing);
    hubAsPeer.outgoing.push = (msg) => {
      // Serialise now: the receiving node may keep and mutate the object.
      if (msg?.action === "content") captured.push(JSON.stringify(msg));
      if (deliver) push(msg);
    };
    hub.syncManager.addPeer(clientAsPeer);
    return hubAsPeer;
  };

  // Accounts, each with a second device (a second session of the same account).
  const people = [];
  for (let i = 0; i < A; i++) {
    const created = await LocalNode.withNewlyCreatedAccount({
      creationProps: { name: `Person ${i}` },
      peers: [hubPeer()],
      crypto,
    });
    await created.node.syncManager.waitForAllCoValuesSync();
    const devices = [created.node];
    while (devices.length < D) {
      devices.push(
        await LocalNode.withLoadedAccount({
          accountID: created.accountID,
          accountSecret: created.accountSecret,
          sessionID: undefined,
          peers: [hubPeer()],
          crypto,
        }),
      );
    }
    people.push({ id: created.accountID, devices });
  }
  log(`W6 generate: ${A} accounts with ${D} devices each`);

  // Groups shared with W other people as writers; CoMaps and CoLists in each.
  const docs = []; // { kind, editors: [node…], id }
  for (let i = 0; i < A; i++) {
    const owner = people[i].devices[0];
    for (let g = 0; g < G; g++) {
      const group = owner.createGroup();
      const members = [];
      for (let w = 1; w <= W; w++) {
        const other = people[(i + w * (g + 1)) % A];
        if (other === people[i] || members.includes(other)) continue;
        group.addMember(await owner.load(other.id), "writer");
        members.push(other);
      }
      for (let m = 0; m < M + L; m++) {
        const value = m < M ? group.createMap() : group.createList();
        docs.push({ kind: m < M ? "map" : "list", id: value.id, ownerDevices: people[i].devices, members });
      }
    }
    await owner.syncManager.waitForAllCoValuesSync();
  }
  // Every editor loads the documents it will edit: all the owner's devices and, taking
  // turns, one member's first device (more subscribers per document make generation slow
  // without changing what the server receives much).
  let turn = 0;
  for (const doc of docs) {
    doc.editors = [];
    const member = doc.members.length ? [doc.members[turn++ % doc.members.length].devices[0]] : [];
    for (const node of [...doc.ownerDevices, ...member]) {
      const value = await node.load(doc.id);
      if (value === "unavailable") throw new Error(`generator: ${doc.id} unavailable`);
      doc.editors.push(value);
    }
  }
  await Promise.all(people.flatMap((p) => p.devices.map((d) => d.syncManager.waitForAllCoValuesSync())));
  log(`W6 generate: ${docs.length} documents, editing`);
  deliver = false;

  // Edit rounds: each round every document gets one edit from one of its editors; the
  // tick between rounds lets each edit go out as its own content message.
  for (let round = 0; round < E; round++) {
    for (const doc of docs) {
      const value = doc.editors[Math.floor(rand() * doc.editors.length)];
      if (doc.kind === "map") value.set(...mapEdit(rand, round));
      else value.append({ text: text(rand, 3, 40), at: round, by: value.core.node.currentSessionID.slice(-6) });
    }
    await tick();
    if (round % 5 === 4) log(`W6 generate: round ${round + 1}/${E}, ${captured.length} messages`);
  }
  // Let the last round go out, until the capture stops growing.
  for (let n = -1; n !== captured.length; ) {
    n = captured.length;
    await new Promise((r) => setTimeout(r, 300));
  }
  log(`W6 generate: ${captured.length} content messages captured`);

  // The most any node holds of each session: what its author made, since during the
  // edit rounds nothing travels between nodes. A correct replay must reach exactly this.
  const authored = new Map(); // id -> { sessionID: txCount }
  for (const id of new Set(captured.map((t) => JSON.parse(t).id))) {
    const most = {};
    for (const p of people) {
      for (const node of p.devices) {
        const core = node.getCoValue(id);
        if (!core.isAvailable()) continue;
        for (const [s, n] of Object.entries(core.knownState().sessions)) most[s] = Math.max(most[s] ?? 0, n);
      }
    }
    authored.set(id, most);
  }
  for (const p of people) for (const d of p.devices) d.gracefulShutdown();
  hub.gracefulShutdown();
  return { captured, authored };
}

// Groups the captured stream by CoValue, computes dependency depth and expected state.
export function organise(captured, authored) {
  const byId = new Map();
  for (const text of captured) {
    const msg = JSON.parse(text);
    let cv = byId.get(msg.id);
    if (!cv) byId.set(msg.id, (cv = { id: msg.id, header: msg.header, messages: [], deps: new Set(), expected: {} }));
    cv.header ??= msg.header;
    cv.messages.push(msg);
    for (const [session, entry] of Object.entries(msg.new)) {
      // Messages of a session must chain: a gap would be answered with a correction.
      if (entry.after > (cv.expected[session] ?? 0)) throw new Error(`generator: gap in ${msg.id} ${session}`);
      cv.expected[session] = Math.max(cv.expected[session] ?? 0, entry.after + entry.newTransactions.length);
    }
  }
  for (const cv of byId.values()) {
    if (!cv.header) throw new Error(`generator: no header was ever sent for ${cv.id}`);
    for (const msg of cv.messages) {
      for (const dep of cojsonInternals.getDependedOnCoValues(cv.header, msg)) if (dep !== cv.id) cv.deps.add(dep);
    }
    for (const [s, n] of Object.entries(authored.get(cv.id) ?? {})) {
      if (cv.expected[s] !== n) throw new Error(`generator: ${cv.id} session ${s}: captured ${cv.expected[s]}, author has ${n}`);
    }
  }
  const depth = new Map();
  const depthOf = (id, stack = new Set()) => {
    if (depth.has(id)) return depth.get(id);
    const cv = byId.get(id);
    if (!cv || stack.has(id)) return -1; // outside the capture, or a cycle (cut, like cojson)
    stack.add(id);
    let d = 0;
    for (const dep of cv.deps) d = Math.max(d, depthOf(dep, stack) + 1);
    stack.delete(id);
    depth.set(id, d);
    return d;
  };
  const list = [...byId.values()].map((cv) => ({ ...cv, depth: depthOf(cv.id) }));
  list.sort((a, b) => a.depth - b.depth);
  return list;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (flag) => process.argv[process.argv.indexOf(`--${flag}`) + 1];
  const params = JSON.parse(arg("params"));
  const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
  const t0 = performance.now();
  const { captured, authored } = await generate(params, log);
  const list = organise(captured, authored);
  const out = createWriteStream(arg("out"));
  let transactions = 0;
  let sessions = new Set();
  for (const cv of list) {
    for (const m of cv.messages) for (const e of Object.values(m.new)) transactions += e.newTransactions.length;
    for (const s of Object.keys(cv.expected)) sessions.add(s);
  }
  const meta = {
    params,
    covalues: list.length,
    messages: captured.length,
    transactions,
    sessions: sessions.size,
    bytes: captured.reduce((n, t) => n + t.length, 0),
    depths: Math.max(...list.map((cv) => cv.depth)) + 1,
    generatedS: (performance.now() - t0) / 1000,
  };
  out.write(`${JSON.stringify({ meta })}\n`);
  for (const cv of list) {
    out.write(`${JSON.stringify({ id: cv.id, depth: cv.depth, expected: cv.expected, messages: cv.messages })}\n`);
  }
  await new Promise((r) => out.end(r));
  log(`W6 generate: ${JSON.stringify(meta)}`);
  process.exit(0);
}
