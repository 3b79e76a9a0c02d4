// moai backup while a real cojson client writes: the copy holds everything the server
// acknowledged before the backup began, and the server keeps acknowledging meanwhile.
// moai restore brings the copy into a fresh server's database (refused while a server
// has it open), moai check finds it sound, and a fresh client of the restored server
// loads every transaction acknowledged before the backup, each the writer's own.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  loadOrFail, log, moaiCommand, newClient, publicWriter, sessionTransactions, sleep, startServer, waitFor,
} from "../interop/lib/harness.mjs";

export async function run(ctx) {
  const livePath = join(ctx.workDir, "live.db");
  const server = await startServer(ctx, { dbPath: livePath });
  const { acked, group, session } = await publicWriter(ctx, server);

  // A writer that keeps going: a new CoMap every 20 edits, an edit every few ms.
  const maps = [];
  let writing = true;
  let edits = 0;
  const writer_done = (async () => {
    while (writing) {
      if (edits % 20 === 0) maps.push(group.createMap());
      maps[maps.length - 1].set(`k${edits % 7}`, `edit ${edits} ${"x".repeat(500)}`);
      edits++;
      await sleep(edits % 10 === 0 ? 10 : 1);
    }
  })();
  const ackedCount = (map) => acked.get(map.id)?.[session] ?? 0;
  await waitFor(() => maps.length >= 5 && ackedCount(maps[3]) > 0, { what: "some edits acknowledged" });

  // Everything acknowledged before the backup begins must be in it.
  const before = new Map(maps.map((m) => [m.id, ackedCount(m)]));
  const ackedBefore = [...before.values()].reduce((a, b) => a + b, 0);
  const editsBefore = edits;
  const backupPath = join(ctx.workDir, "backup.db");
  const backup = await moaiCommand(ctx, ["backup", backupPath, "--db-path", livePath]);
  const editsDuring = edits - editsBefore;
  log(backup.stdout.trim());
  assert.equal(backup.status, 0, backup.stderr);
  const copied = /copied \d+ pages \(.*\) in [\d.]+ s: (\d+) CoValues, \d+ sessions, (\d+) transactions; integrity ok/.exec(
    backup.stdout,
  );
  assert.ok(copied, `moai backup says what it copied: ${backup.stdout}`);
  assert.ok(Number(copied[2]) >= ackedBefore, `the copy holds ${copied[2]} transactions, ${ackedBefore} were acknowledged`);
  const backupAgain = await moaiCommand(ctx, ["backup", backupPath, "--db-path", livePath]);
  assert.notEqual(backupAgain.status, 0, "a backup never overwrites a file");

  // The server went on acknowledging during and after the backup.
  const afterBackup = maps.length;
  await waitFor(() => maps.length >= afterBackup + 2, { what: "the writer to go on" });
  writing = false;
  await writer_done;
  await waitFor(() => maps.every((m) => ackedCount(m) === m.core.knownState().sessions[session]), {
    what: "every edit acknowledged",
  });
  log(`${ackedBefore} transactions acknowledged before the backup (${editsDuring} edits made while it ran), ${edits} in all`);

  // Restore into a fresh database; a server then serves what was acknowledged before.
  const restoredPath = join(ctx.workDir, "restored.db");
  const restore = await moaiCommand(ctx, ["restore", backupPath, "--db-path", restoredPath]);
  log(restore.stdout.trim());
  assert.equal(restore.status, 0, restore.stderr);
  assert.match(restore.stdout, /integrity ok/);
  const check = await moaiCommand(ctx, ["check", "--db-path", restoredPath]);
  log(check.stdout.trim().split("\n").pop());
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /: (\d+) verify; 0 problems in 0 CoValues/);

  const restored = await startServer(ctx, { dbPath: restoredPath });
  const refused = await moaiCommand(ctx, ["restore", backupPath, "--force", "--db-path", restoredPath]);
  assert.notEqual(refused.status, 0, "restore into the database of a running server is refused");
  assert.match(refused.stderr, /stop it first/);

  const fresh = await newClient(ctx, restored.url, "Fresh");
  let restoredTransactions = 0;
  for (const map of maps) {
    const expected = before.get(map.id) ?? 0;
    if (!expected) continue;  // nothing of it acknowledged before the backup began
    const loaded = await loadOrFail(fresh.node, map.id, `map ${map.id}`);
    await waitFor(() => (loaded.core.knownState().sessions[session] ?? 0) >= expected, {
      what: `${expected} transactions of ${map.id} from the restored server`,
    });
    const theirs = sessionTransactions(loaded, session);
    const ours = sessionTransactions(map, session);
    assert.ok(theirs.length >= expected && theirs.length <= ours.length, `${map.id}: ${theirs.length} transactions`);
    assert.deepEqual(theirs, ours.slice(0, theirs.length), `${map.id}: the writer's own transactions`);
    restoredTransactions += theirs.length;
  }
  log(`a fresh client of the restored server loads ${restoredTransactions} transactions (${ackedBefore} acknowledged before the backup), each the writer's own`);
}
