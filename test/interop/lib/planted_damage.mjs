// moai check as an operator runs it, on damage planted directly in the database: a
// corrupted signature, a gap in a session's transaction rows, a header that is not its
// CoValue's. check finds all three (non-zero exit), check --repair cuts the two damaged
// sessions back to their last verified signature and says what it removed (the header
// it cannot repair), and once the writer has synced again the store checks clean.
// `store` says how to reach the database: {args, sql(text) -> rows, quote(id), tables}.
import assert from "node:assert/strict";
import { loadOrFail, log, moaiCommand, newClient, publicWriter, reconnect, startServer, waitFor } from "./harness.mjs";

// Table and column names: cojson's SQLite schema, or its PostgreSQL port (the JavaScript moai's tables).
export const sqliteTables = {
  covalues: "coValues", rowId: "rowID", covalue: "coValue", sessionId: "sessionID", lastIdx: "lastIdx",
  lastSignature: "lastSignature", signatureAfter: "signatureAfter",
};
export const postgresTables = {
  covalues: "covalues", rowId: '"rowID"', covalue: '"coValue"', sessionId: '"sessionID"', lastIdx: '"lastIdx"',
  lastSignature: '"lastSignature"', signatureAfter: "signatureafter",
};

export async function plantedDamage(ctx, store) {
  const { dbPath, args, sql, quote, tables: t } = store;
  const check = (...extra) => moaiCommand(ctx, ["check", ...extra, "--db-path", dbPath, ...args]);
  let server = await startServer(ctx, { dbPath, args });
  const writer = await publicWriter(ctx, server);
  const { acked, onMessage, group, session } = writer;
  // Two CoMaps with a signature checkpoint (the server keeps one every ~100 KB of a
  // session) and edits after it, and one small CoMap.
  const forged = group.createMap();
  const gapped = group.createMap();
  const misheaded = group.createMap();
  const maps = [forged, gapped, misheaded];
  const count = (map) => map.core.knownState().sessions[session];
  const edit = (from, to) => {
    for (let i = from; i < to; i++) {
      forged.set(`k${i % 5}`, `forged ${i} ${"f".repeat(6000)}`);
      gapped.set(`k${i % 5}`, `gapped ${i} ${"g".repeat(6000)}`);
    }
    return waitFor(() => maps.every((m) => acked.get(m.id)?.[session] === count(m)), { what: "the edits acknowledged" });
  };
  for (let i = 0; i < 5; i++) misheaded.set(`k${i}`, `small ${i}`);
  await edit(0, 20);  // 120 KB: a checkpoint
  await edit(20, 25);  // 30 KB more, signed by the session's last signature only

  // A reader may check beside the running server.
  const clean = await check();
  assert.equal(clean.status, 0, `a sound store checks clean: ${clean.stdout}${clean.stderr}`);
  assert.match(clean.stdout, / 0 problems in 0 CoValues/);
  log(`beside the running server: ${clean.stdout.trim().split("\n").pop()}`);
  const refused = await check("--repair");
  assert.equal(refused.status, 2, "no repair while a server has the store open");
  assert.match(refused.stderr, /stop it first|another moai is using these tables/);
  await server.stop();

  const sessionRow = (map) =>
    `(SELECT s.${t.rowId} FROM sessions s JOIN ${t.covalues} c ON s.${t.covalue} = c.${t.rowId} ` +
    `WHERE c.id = ${quote(map.id)} AND s.${t.sessionId} = ${quote(session)})`;
  const checkpoints = (map) => sql(`SELECT idx FROM ${t.signatureAfter} WHERE ses = ${sessionRow(map)} ORDER BY idx`);
  const lastCheckpoint = (map) => Number(checkpoints(map).at(-1)?.idx ?? -1);
  for (const map of [forged, gapped]) assert.ok(lastCheckpoint(map) >= 0, `${map.id} has a signature checkpoint`);
  const stored = Number(sql(`SELECT ${t.lastIdx} AS n FROM sessions WHERE ${t.rowId} = ${sessionRow(gapped)}`)[0].n);
  const gapAt = stored - 2;
  assert.ok(gapAt > lastCheckpoint(gapped), "the gap comes after the last checkpoint");
  // 1. A signature that is not the session's own (another session's real one).
  sql(`UPDATE sessions SET ${t.lastSignature} = (SELECT s2.${t.lastSignature} FROM sessions s2 WHERE s2.${t.rowId} = ` +
      `${sessionRow(misheaded)}) WHERE ${t.rowId} = ${sessionRow(forged)}`);
  // 2. A transaction row gone from the middle of a session.
  sql(`DELETE FROM transactions WHERE ses = ${sessionRow(gapped)} AND idx = ${gapAt}`);
  // 3. A header that no longer hashes to its ID.
  sql(`UPDATE ${t.covalues} SET header = replace(header, '"comap"', '"colist"') WHERE id = ${quote(misheaded.id)}`);

  const found = await check();
  log(`check after planting:\n${found.stdout.trim()}`);
  assert.equal(found.status, 1, "problems make check exit non-zero");
  assert.match(found.stdout, new RegExp(`PROBLEM ${forged.id} session ${session}: .*do not verify: signature does not match`));
  assert.match(found.stdout, new RegExp(`PROBLEM ${gapped.id} session ${session}: stored transactions skip from index ${gapAt} to ${gapAt + 1}`));
  assert.match(found.stdout, new RegExp(`PROBLEM ${misheaded.id}: stored header is invalid or does not match its ID`));
  assert.match(found.stdout, / 3 problems in 3 CoValues/);

  const repaired = await check("--repair");
  log(`check --repair:\n${repaired.stdout.trim()}`);
  assert.equal(repaired.status, 1, "a problem that is not repaired still fails");
  const keepForged = lastCheckpoint(forged) + 1;
  const keepGapped = lastCheckpoint(gapped) + 1;
  assert.match(repaired.stdout, new RegExp(`REPAIRED ${forged.id} session ${session}: removed ${count(forged) - keepForged} transaction rows from index ${keepForged} on`));
  assert.match(repaired.stdout, new RegExp(`REPAIRED ${gapped.id} session ${session}: removed ${count(gapped) - keepGapped - 1} transaction rows from index ${keepGapped} on`));
  assert.match(repaired.stdout, new RegExp(`NOT REPAIRED ${misheaded.id}`));
  const after = await check();
  assert.equal(after.status, 1);
  assert.doesNotMatch(after.stdout, new RegExp(`PROBLEM (${forged.id}|${gapped.id})`));
  assert.match(after.stdout, / 1 problems in 1 CoValues/);

  // The writer syncs again: what was cut off, and the header, come back verified.
  server = await startServer(ctx, { dbPath, args });
  acked.clear();
  reconnect(writer.node, server.url, { onMessage });
  await waitFor(() => maps.every((m) => acked.get(m.id)?.[session] === count(m)), {
    what: "the writer's content acknowledged again",
  });
  const reader = await newClient(ctx, server.url, "Reader");
  const loaded = await loadOrFail(reader.node, forged.id, "the repaired map");
  await waitFor(() => loaded.core.knownState().sessions[session] === count(forged), { what: "every transaction of it" });
  assert.equal(loaded.get("k4"), `forged 24 ${"f".repeat(6000)}`);
  writer.node.gracefulShutdown();
  await server.stop();
  const final = await check();
  assert.equal(final.status, 0, `after the writer synced again the store checks clean: ${final.stdout}`);
  log(`after the writer synced again: ${final.stdout.trim().split("\n").pop()}`);
  return { found: found.stdout, repaired: repaired.stdout, final };
}
