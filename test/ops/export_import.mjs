// moai export / moai import: CoValues with their dependencies as JSON lines of sync
// content messages, moved from one server's database into another's. Import verifies
// what it reads: a line whose transaction was changed is refused and nothing of that
// session is stored, while the untouched file imports whole, checks clean, and a fresh
// client of the second server reads what the writer wrote. Importing again adds nothing.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  loadOrFail, log, moaiCommand, newClient, publicWriter, sessionTransactions, startServer, waitFor,
} from "../interop/lib/harness.mjs";

export async function run(ctx) {
  const sourcePath = join(ctx.workDir, "source.db");
  const server = await startServer(ctx, { dbPath: sourcePath });
  const writer = await publicWriter(ctx, server);
  const { acked, group, session } = writer;
  const map = group.createMap();
  const list = group.createList();
  for (let i = 0; i < 30; i++) map.set(`k${i % 6}`, `value ${i}`);
  for (let i = 0; i < 10; i++) list.append(`item ${i}`);
  const count = (v) => v.core.knownState().sessions[session];
  await waitFor(() => [map, list, group].every((v) => acked.get(v.id)?.[session] === count(v)), {
    what: "the edits acknowledged",
  });

  // Exported beside the running server.
  const file = join(ctx.workDir, "export.jsonl");
  const exported = await moaiCommand(ctx, ["export", map.id, list.id, "--out", file, "--db-path", sourcePath]);
  log(exported.stderr.trim());
  assert.equal(exported.status, 0, exported.stderr);
  const lines = readFileSync(file, "utf8").trim().split("\n");
  const messages = lines.map((line) => JSON.parse(line));
  assert.ok(messages.every((m) => m.action === "content" && typeof m.new === "object"), "content messages");
  const firstLine = (id) => messages.findIndex((m) => m.id === id);
  const account = writer.accountID;
  for (const id of [account, group.id, map.id, list.id]) assert.ok(firstLine(id) >= 0, `${id} is exported`);
  assert.ok(firstLine(account) < firstLine(group.id) && firstLine(group.id) < firstLine(map.id), "dependencies first");
  assert.ok(messages[firstLine(map.id)].header, "a CoValue's first line carries its header");

  const busy = await moaiCommand(ctx, ["import", file, "--db-path", sourcePath]);
  assert.equal(busy.status, 2, "no import into the database of a running server");
  assert.match(busy.stderr, /stop it first/);

  // A changed transaction is refused by import: the signature no longer matches.
  const mapLine = lines.findIndex((line) => JSON.parse(line).id === map.id);
  const tampered = [...lines];
  const msg = JSON.parse(tampered[mapLine]);
  const tx = msg.new[session].newTransactions[0];
  if (tx.privacy === "trusting") tx.changes = tx.changes.replace("value", "VALUE");
  else tx.encryptedChanges = tx.encryptedChanges.slice(0, -4) + (tx.encryptedChanges.endsWith("AAAA") ? "BBBB" : "AAAA");
  tampered[mapLine] = JSON.stringify(msg);
  const tamperedFile = join(ctx.workDir, "tampered.jsonl");
  writeFileSync(tamperedFile, tampered.join("\n") + "\n");
  const checkedPath = join(ctx.workDir, "checked.db");
  const refused = await moaiCommand(ctx, ["import", tamperedFile, "--db-path", checkedPath]);
  log(refused.stdout.trim());
  assert.equal(refused.status, 1, "refused content makes import exit non-zero");
  assert.match(refused.stdout, new RegExp(`REJECTED line ${mapLine + 1} ${map.id}: session ${session}: signature does not match`));
  const afterRefusal = await moaiCommand(ctx, ["export", map.id, "--db-path", checkedPath]);
  const stored = afterRefusal.stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((m) => m.id === map.id);
  assert.ok(stored.every((m) => !m.new[session]), "nothing of the refused session is stored");

  // The file as exported imports whole into a fresh database.
  const targetPath = join(ctx.workDir, "target.db");
  const imported = await moaiCommand(ctx, ["import", file, "--db-path", targetPath]);
  log(imported.stdout.trim());
  assert.equal(imported.status, 0, imported.stdout + imported.stderr);
  assert.match(imported.stdout, new RegExp(`imported ${lines.length} content messages of \\d+ CoValues: \\d+ new CoValues, \\d+ transactions added; 0 rejected`));
  const again = await moaiCommand(ctx, ["import", file, "--db-path", targetPath]);
  assert.equal(again.status, 0);
  assert.match(again.stdout, /: 0 new CoValues, 0 transactions added; 0 rejected/, "importing again adds nothing");
  const check = await moaiCommand(ctx, ["check", "--db-path", targetPath]);
  assert.equal(check.status, 0, check.stdout);

  const target = await startServer(ctx, { dbPath: targetPath });
  const reader = await newClient(ctx, target.url, "Reader");
  const loadedMap = await loadOrFail(reader.node, map.id, "the map");
  const loadedList = await loadOrFail(reader.node, list.id, "the list");
  await waitFor(() => count(loadedMap) === count(map) && count(loadedList) === count(list), {
    what: "every transaction from the importing server",
  });
  assert.deepEqual(loadedMap.toJSON(), map.toJSON());
  assert.deepEqual(loadedList.toJSON(), list.toJSON());
  assert.deepEqual(sessionTransactions(loadedMap, session), sessionTransactions(map, session));
  log(`a fresh client of the importing server reads the map and the list as the writer wrote them`);
}
