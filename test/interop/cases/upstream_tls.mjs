// wss:// upstreams: an edge moai whose PEER_MOAI is a wss:// URL syncs with its core
// through TLS (here a TLS terminator the test puts in front of the core, with a
// certificate made at test time), verifying the certificate against the host name or
// IP address; without the CA the link is refused. Agent mode connects the same way.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { makeCertificate } from "../lib/certificate.mjs";
import { api, generateAccount, loadOrFail, log, newClient, startServer, waitFor } from "../lib/harness.mjs";

// TLS in front of `port`: every connection's bytes go to the plain server behind it.
async function tlsTerminator(tls, port) {
  const server = createTlsServer(tls, (socket) => {
    const plain = connect(port, "127.0.0.1");
    socket.pipe(plain).pipe(socket);
    socket.on("error", () => plain.destroy());
    plain.on("error", () => socket.destroy());
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

export async function run(ctx) {
  if (ctx.kind !== "moai") return log("upstream links are moai's own");
  const tls = makeCertificate(ctx.workDir, "upstream", ["localhost", "127.0.0.1"]);
  const dbPath = join(ctx.workDir, "core.db");
  const account = generateAccount(ctx, dbPath, "TLS Agent");
  const core = await startServer(ctx, { dbPath, args: account.args });
  const front = await tlsTerminator({ key: tls.key, cert: tls.cert }, core.port);
  const port = front.address().port;

  for (const host of ["localhost", "127.0.0.1"]) {
    const edge = await startServer(ctx, {
      dbPath: join(ctx.workDir, `edge-${host}.db`),
      args: ["--peer-moai", `wss://${host}:${port}/sync`, "--upstream-ca-file", tls.certPath],
    });
    const writer = await newClient(ctx, edge.url, "Writer");
    const group = writer.node.createGroup();
    group.addMember("everyone", "reader");
    const map = group.createMap({ over: `tls to ${host}` });
    await map.core.waitForSync();
    const reader = await newClient(ctx, core.url, "Reader");
    await waitFor(async () => (await reader.node.load(map.id)) !== "unavailable", {
      what: `the edge's map to reach the core over wss (${host})`,
    });
    assert.equal((await loadOrFail(reader.node, map.id)).get("over"), `tls to ${host}`);
    log(`edge → core over wss://${host}: certificate verified, content synced`);
  }

  // Without the CA the certificate does not verify: no link.
  const untrusting = await startServer(ctx, {
    dbPath: join(ctx.workDir, "edge-untrusting.db"),
    args: ["--peer-moai", `wss://127.0.0.1:${port}/sync`],
  });
  await waitFor(() => /TLS handshake: .*certificate verify failed/.test(untrusting.logs()), {
    what: "the refused certificate in the log",
  });
  assert.doesNotMatch(untrusting.logs(), /upstream.*connected url=/);
  log("an untrusted certificate is refused");

  // Agent mode through the same TLS front.
  const agent = await startServer(ctx, {
    dbPath: null,
    env: { PEER_STORAGE: "in-memory" },
    args: ["--mode", "agent", ...account.args, "--peer-moai", `wss://localhost:${port}/sync`,
      "--upstream-ca-file", tls.certPath],
  });
  await waitFor(async () => (await api(agent, "GET", "/profile")).status === 200, { what: "/profile over wss" });
  assert.equal((await api(agent, "GET", "/profile")).body.accountId, account.peerId);
  log("agent mode over wss: /profile served");
  front.close();
}
