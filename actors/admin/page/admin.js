// moai's admin page: polls /admin/api/stats once a second and draws the last two
// minutes as hand-written SVG charts; looks CoValues up by ID. Every request carries
// the token as `Authorization: Bearer …`; the token stays in this tab (sessionStorage).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const WINDOW_MS = 120000;
const POLL_MS = 1000;
const TOKEN_KEY = "moai-admin-token";
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem(TOKEN_KEY) || "";
let timer = null;
let previous = null;
const samples = { connections: [], messagesIn: [], messagesOut: [], latencyMean: [], latencyP95: [], covalues: [] };

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  if (res.status === 401) throw Object.assign(new Error("the server refused the token"), { unauthorized: true });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

// ---- charts ----

function svgEl(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * step) return m * step;
  return 10 * step;
}

function format(v) {
  if (v === null || v === undefined) return "–";
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (Number.isInteger(v)) return String(v);
  return v >= 10 ? v.toFixed(0) : v.toFixed(v >= 1 ? 1 : 2);
}

// Lines over the time since the first sample, the last WINDOW_MS at most: `series`
// are arrays of {t, v}; v null leaves a gap.
function lineChart(name, series, now) {
  const first = Math.min(...series.flat().map((s) => s.t), now);
  const span = Math.min(WINDOW_MS, Math.max(10000, now - first));
  const svg = document.querySelector(`[data-chart="${name}"] svg`);
  const [, , width, height] = svg.getAttribute("viewBox").split(" ").map(Number);
  const left = 42, right = 8, top = 8, bottom = 18;
  const w = width - left - right, h = height - top - bottom;
  const max = niceMax(Math.max(0, ...series.flat().map((s) => s.v ?? 0)));
  svg.replaceChildren();
  for (const f of [0, 0.5, 1]) {
    const y = top + h - f * h;
    svgEl("line", { class: "grid", x1: left, x2: left + w, y1: y, y2: y }, svg);
    svgEl("text", { class: "axis", x: left - 6, y: y + 3, "text-anchor": "end" }, svg).textContent = format(max * f);
  }
  svgEl("text", { class: "axis", x: left, y: height - 4 }, svg).textContent =
    span >= 60000 ? `−${Math.round(span / 60000)} min` : `−${Math.round(span / 1000)} s`;
  svgEl("text", { class: "axis", x: left + w, y: height - 4, "text-anchor": "end" }, svg).textContent = "now";
  series.forEach((points, i) => {
    let run = [];
    const flush = () => {
      if (run.length) svgEl("polyline", { class: `series series-${i}`, points: run.join(" ") }, svg);
      run = [];
    };
    for (const p of points) {
      if (p.v === null) {
        flush();
        continue;
      }
      if (p.t < now - span) continue;
      const x = left + ((p.t - (now - span)) / span) * w;
      const y = top + h - (p.v / max) * h;
      run.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    }
    flush();
  });
}

// Horizontal bars: the busiest actors now.
function barChart(name, items) {
  const svg = document.querySelector(`[data-chart="${name}"] svg`);
  const [, , width] = svg.getAttribute("viewBox").split(" ").map(Number);
  const left = 150, right = 40, row = 17;
  const max = niceMax(Math.max(0, ...items.map((i) => i.value)));
  svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(40, items.length * row + 6)}`);
  svg.replaceChildren();
  items.forEach((item, i) => {
    const y = 4 + i * row;
    svgEl("text", { class: "bar-label", x: left - 8, y: y + 11, "text-anchor": "end" }, svg).textContent = item.label;
    const len = Math.max(1, (item.value / max) * (width - left - right));
    svgEl("rect", { class: "bar", x: left, y, width: len.toFixed(1), height: row - 5, rx: 2 }, svg);
    svgEl("text", { class: "bar-label", x: left + len + 6, y: y + 11 }, svg).textContent = format(item.value);
  });
}

function setNow(name, text) {
  document.querySelector(`[data-chart="${name}"] .now`).textContent = text;
}

// ---- the stats poll ----

function record(stats) {
  const t = stats.time_ms;
  const push = (key, v) => {
    samples[key].push({ t, v });
    while (samples[key].length && samples[key][0].t < t - WINDOW_MS) samples[key].shift();
  };
  push("connections", stats.connections_open);
  push("covalues", stats.covalues_in_memory);
  if (previous && t > previous.time_ms) {
    const dt = (t - previous.time_ms) / 1000;
    push("messagesIn", (stats.messages_in_total - previous.messages_in_total) / dt);
    push("messagesOut", (stats.messages_out_total - previous.messages_out_total) / dt);
    const commits = stats.storage.write_count - previous.storage.write_count;
    if (commits > 0) {
      push("latencyMean", ((stats.storage.write_seconds_sum - previous.storage.write_seconds_sum) / commits) * 1000);
      // The first bucket bound that holds 95 % of this interval's commits.
      const buckets = stats.storage.write_buckets;
      const at = buckets.findIndex(([, n], i) => n - previous.storage.write_buckets[i][1] >= 0.95 * commits);
      const bound = buckets[at < 0 ? buckets.length - 2 : Math.min(at, buckets.length - 2)][0];
      push("latencyP95", bound * 1000);
    } else {
      push("latencyMean", null);
      push("latencyP95", null);
    }
  }
  previous = stats;
}

function draw(stats) {
  const now = stats.time_ms;
  lineChart("connections", [samples.connections], now);
  setNow("connections", format(stats.connections_open));
  lineChart("messages", [samples.messagesIn, samples.messagesOut], now);
  const last = (a) => (a.length ? a[a.length - 1].v : null);
  setNow("messages", `${format(last(samples.messagesIn))} in · ${format(last(samples.messagesOut))} out`);
  lineChart("latency", [samples.latencyMean, samples.latencyP95], now);
  setNow("latency", `${stats.storage.write_count} commits`);
  lineChart("covalues", [samples.covalues], now);
  setNow("covalues", format(stats.covalues_in_memory));
  barChart("mailboxes", stats.busiest.map((a) => ({ label: `${a.kind}#${a.id}`, value: a.mailbox })));
  const waiting = stats.busiest.reduce((n, a) => n + a.mailbox, 0);
  setNow("mailboxes", `${waiting} waiting`);
  $("status").textContent = `live · up ${Math.floor(stats.uptime_s)} s · ${stats.transactions_accepted} transactions accepted`;
  $("status").classList.add("live");
}

async function poll() {
  try {
    const { status, body } = await api("/admin/api/stats");
    if (status !== 200) throw new Error(`stats answered ${status}`);
    record(body);
    draw(body);
  } catch (e) {
    if (e.unauthorized) return signOut(e.message);
    $("status").textContent = `no answer: ${e.message}`;
    $("status").classList.remove("live");
  }
}

function start() {
  $("login").hidden = true;
  $("dashboard").hidden = false;
  previous = null;
  for (const key of Object.keys(samples)) samples[key] = [];
  poll();
  clearInterval(timer);
  timer = setInterval(poll, POLL_MS);
}

function signOut(message) {
  clearInterval(timer);
  sessionStorage.removeItem(TOKEN_KEY);
  token = "";
  $("dashboard").hidden = true;
  $("login").hidden = false;
  $("status").textContent = "not connected";
  $("status").classList.remove("live");
  $("login-error").textContent = message;
  $("login-error").hidden = !message;
}

// ---- the CoValue lookup ----

function row(cells, tag = "td") {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement(tag);
    td.textContent = c;
    tr.appendChild(td);
  }
  return tr;
}

function showCovalue(cv) {
  const facts = [
    ["ID", cv.id],
    ["type", cv.type ?? "?"],
    ["ruleset", cv.ruleset ?? "?"],
  ];
  if (cv.owner) facts.push(["owner group", cv.owner]);
  if (cv.initial_admin) facts.push(["initial admin", cv.initial_admin]);
  if (cv.meta_type) facts.push(["meta.type", cv.meta_type]);
  facts.push(
    ["private", cv.private ? "yes: ciphertext only" : cv.private_transactions > 0 ? "partly" : "no"],
    ["transactions", `${cv.transactions} (${cv.private_transactions} private) in ${cv.sessions.length} sessions`],
    ["deleted", cv.deleted ? "yes" : "no"],
    ["in memory", cv.in_memory ? "yes" : "no (loaded from storage for this lookup)"],
  );
  $("covalue-facts").replaceChildren(...facts.map(([k, v]) => {
    const tr = row([v]);
    const th = document.createElement("th");
    th.textContent = k;
    tr.prepend(th);
    return tr;
  }));
  $("covalue-sessions").replaceChildren(...cv.sessions.map((s) =>
    row([s.session, s.author, String(s.transactions), String(s.private_transactions), String(s.size), s.last_signature])));
  $("covalue-connections").replaceChildren(...(cv.connections.length
    ? cv.connections.map((c) => row([`#${c.peer}`, c.upstream ? "yes" : "no", c.has_header ? "yes" : "no", String(c.transactions)]))
    : [row(["none", "", "", ""])]));
  $("covalue-header").textContent = JSON.stringify(cv.header, null, 2);
  $("covalue").hidden = false;
}

async function lookup(event) {
  event.preventDefault();
  const id = $("covalue-id").value.trim();
  $("lookup-error").hidden = true;
  $("covalue").hidden = true;
  try {
    const { status, body } = await api(`/admin/api/covalues/${encodeURIComponent(id)}`);
    if (status === 200) return showCovalue(body);
    $("lookup-error").textContent = status === 404 ? `${id} is not stored here` : body.error ?? `answered ${status}`;
  } catch (e) {
    if (e.unauthorized) return signOut(e.message);
    $("lookup-error").textContent = e.message;
  }
  $("lookup-error").hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("login-error").hidden = true;
    start();
  });
  $("lookup").addEventListener("submit", lookup);
  if (token) start();
});
