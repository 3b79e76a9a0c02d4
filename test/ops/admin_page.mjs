// The admin page in a real headless Chromium (Debian's chromium, driven by
// playwright-core): off without admin.token; with it, the data routes want the bearer
// token, the page asks for it, its charts fill from /admin/api/stats while a client
// writes, and the lookup finds the CoValue the client created: its header, its session
// with the writer as author, that it is private, and the client's connection holding it.
// MOAI_ADMIN_SCREENSHOT=path saves a screenshot there (docs/admin-page.png is one).
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ackTrackingClient, log, randomCoId, sleep, startServer, waitFor } from "../interop/lib/harness.mjs";

const { chromium } = createRequire(new URL("../interop/package.json", import.meta.url))("playwright-core");
const TOKEN = "s3cret-admin-token";

async function get(server, path, token) {
  const res = await fetch(`${server.httpUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

export async function run(ctx) {
  const off = await startServer(ctx, { dbPath: join(ctx.workDir, "off.db") });
  assert.equal((await get(off, "/admin")).status, 404, "no admin page without a token");
  assert.equal((await get(off, "/admin/api/stats", TOKEN)).status, 404);
  await off.stop();

  const server = await startServer(ctx, { dbPath: join(ctx.workDir, "sync.db"), args: ["--admin-token", TOKEN] });
  const page = await get(server, "/admin");
  assert.equal(page.status, 200);
  assert.match(page.type, /text\/html/);
  assert.match(page.text, /<script src="\/admin\/admin.js"/);
  assert.equal((await get(server, "/admin/admin.js")).status, 200);
  assert.equal((await get(server, "/admin/api/stats")).status, 401, "data needs the token");
  assert.equal((await get(server, "/admin/api/stats", "wrong")).status, 401);
  const stats = await get(server, "/admin/api/stats", TOKEN);
  assert.equal(stats.status, 200);
  assert.equal(typeof JSON.parse(stats.text).connections_open, "number");
  assert.equal((await get(server, "/admin/api/covalues/not-an-id", TOKEN)).status, 400);

  // A client that creates a CoMap and keeps editing it.
  const writer = await ackTrackingClient(ctx, server.url, "Writer");
  const session = writer.node.currentSessionID;
  const group = writer.node.createGroup();
  const map = group.createMap();
  map.set("title", "looked up by the admin page");
  await waitFor(() => writer.acked.get(map.id)?.[session] === 1, { what: "the map stored" });
  let editing = true;
  const edits = (async () => {
    for (let i = 0; editing; i++) {
      map.set(`k${i % 5}`, `edit ${i}`);
      await sleep(100);
    }
  })();

  const browser = await chromium.launch({
    executablePath: process.env.MOAI_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems = [];
    tab.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    // Answers of 401 and 404 are expected below; Chromium logs every one of them.
    tab.on("console", (m) => m.type() === "error" && !/Failed to load resource/.test(m.text()) && problems.push(`console: ${m.text()}`));
    await tab.goto(`${server.httpUrl}/admin`);
    assert.ok(await tab.isVisible("#login"), "the page asks for the token");
    await tab.fill("#token", "wrong");
    await tab.click("#login button");
    await tab.waitForSelector("#login-error", { state: "visible" });
    assert.ok(await tab.isHidden("#dashboard"), "no dashboard with a refused token");
    assert.match(await tab.textContent("#login-error"), /refused the token/);
    await tab.fill("#token", TOKEN);
    await tab.click("#login button");
    await tab.waitForSelector("#dashboard", { state: "visible" });
    assert.ok(await tab.isHidden("#login"), "the token form goes once the server takes the token");

    // Each line chart has a line with several points; the bars list actors.
    const points = (chart) =>
      tab.$$eval(`[data-chart="${chart}"] polyline`, (lines) => Math.max(0, ...lines.map((l) => l.getAttribute("points").split(" ").length)));
    for (const chart of ["connections", "messages", "latency", "covalues"]) {
      await waitFor(async () => (await points(chart)) >= 3, { what: `the ${chart} chart to draw`, timeout: 30000 });
    }
    const bars = await tab.$$eval('[data-chart="mailboxes"] rect.bar', (r) => r.length);
    assert.ok(bars >= 3, `bars for the busiest actors: ${bars}`);
    assert.match(await tab.textContent('[data-chart="mailboxes"] svg'), /sync_manager#\d+/);
    assert.equal(await tab.textContent('[data-chart="connections"] .now'), "1");
    await waitFor(async () => /^[1-9]/.test(await tab.textContent('[data-chart="messages"] .now')), {
      what: "messages per second above zero while the client writes",
    });
    const covalues = Number(await tab.textContent('[data-chart="covalues"] .now'));
    assert.ok(covalues >= 3, `CoValues in memory: ${covalues}`);

    // The lookup finds the client's CoMap.
    await tab.fill("#covalue-id", map.id);
    await tab.click("#lookup button");
    await tab.waitForSelector("#covalue", { state: "visible" });
    const facts = await tab.textContent("#covalue-facts");
    assert.match(facts, new RegExp(`ID${map.id}`));
    assert.match(facts, /typecomap/);
    assert.match(facts, new RegExp(`owner group${group.id}`));
    assert.match(facts, /privateyes: ciphertext only/);
    const sessions = await tab.$$eval("#covalue-sessions tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
    const row = sessions.find((cells) => cells[0] === session);
    assert.ok(row, `the writer's session is listed: ${JSON.stringify(sessions)}`);
    assert.equal(row[1], writer.accountID, "its author is the writer's account");
    assert.ok(Number(row[2]) >= 1 && row[3] === row[2], "its transactions, all private");
    assert.match(row[5], /^signature_z/);
    const connections = await tab.$$eval("#covalue-connections tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
    assert.ok(connections.some((c) => /^#\d+$/.test(c[0]) && c[2] === "yes" && Number(c[3]) >= 1),
      `the writer's connection holds it: ${JSON.stringify(connections)}`);
    assert.match(await tab.textContent("#covalue-header"), new RegExp(`"group": "${group.id}"`));
    await tab.fill("#covalue-id", randomCoId());
    await tab.click("#lookup button");
    await tab.waitForSelector("#lookup-error", { state: "visible" });
    assert.match(await tab.textContent("#lookup-error"), /is not stored here/);

    // Back to the CoMap for the picture (with some history in the charts when it is kept).
    if (process.env.MOAI_ADMIN_SCREENSHOT) await sleep(40000);
    await tab.fill("#covalue-id", map.id);
    await tab.click("#lookup button");
    await tab.waitForSelector("#covalue", { state: "visible" });
    const shot = join(mkdtempSync(join(tmpdir(), "moai-admin-")), "admin-page.png");
    await tab.screenshot({ path: shot, fullPage: true });
    if (process.env.MOAI_ADMIN_SCREENSHOT) copyFileSync(shot, process.env.MOAI_ADMIN_SCREENSHOT);
    assert.deepEqual(problems, [], "no errors in the page");
    log(`charts drawn, lookup of ${map.id} shows its session, privacy and connection; screenshot ${shot}`);
  } finally {
    editing = false;
    await edits;
    await browser.close();
  }
}
