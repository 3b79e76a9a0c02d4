// A CoList, a CoStream and a several-MB binary stream (content cut into pieces)
// reach another client intact.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

export async function run(ctx) {
  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db") });
  const a = await newClient(ctx, server.url, "Alice");
  const group = a.node.createGroup();
  group.addMember("everyone", "reader");

  const list = group.createList();
  for (let i = 0; i < 200; i++) list.append(`item ${i}`);
  list.delete(0);
  list.prepend("first");

  const stream = group.createStream();
  for (let i = 0; i < 50; i++) stream.push({ n: i });

  const data = randomBytes(5 * 1024 * 1024);
  const binary = group.createBinaryStream();
  binary.startBinaryStream({ mimeType: "application/octet-stream", fileName: "blob.bin", totalSizeBytes: data.length });
  for (let i = 0; i < data.length; i += 100 * 1024) binary.pushBinaryStreamChunk(data.subarray(i, i + 100 * 1024));
  binary.endBinaryStream();

  await Promise.all([list.core.waitForSync(), stream.core.waitForSync(), binary.core.waitForSync()]);
  log("uploaded list, stream and", data.length, "bytes");

  const b = await newClient(ctx, server.url, "Bob");
  const listB = await loadOrFail(b.node, list.id, "the list");
  await waitFor(() => listB.asArray().length === 200, { what: "B's list to have 200 items" });
  assert.deepEqual(listB.asArray(), list.asArray());
  assert.equal(listB.asArray()[0], "first");

  const streamB = await loadOrFail(b.node, stream.id, "the stream");
  const items = () => Object.values(streamB.items).flat().map((e) => e.value.n);
  await waitFor(() => items().length === 50, { what: "B's stream to have 50 items" });
  assert.deepEqual(items().sort((x, y) => x - y), [...Array(50).keys()]);

  const binaryB = await loadOrFail(b.node, binary.id, "the binary stream");
  await waitFor(() => binaryB.isBinaryStreamEnded(), { what: "the binary stream to end on B", timeout: 60000 });
  const chunks = binaryB.getBinaryChunks();
  assert.equal(chunks.mimeType, "application/octet-stream");
  const got = Buffer.concat(chunks.chunks.map((c) => Buffer.from(c)));
  assert.equal(got.length, data.length);
  assert.equal(createHash("sha256").update(got).digest("hex"), createHash("sha256").update(data).digest("hex"));
  log("B received", got.length, "bytes intact");
}
