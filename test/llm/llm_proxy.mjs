// The LLM proxy (POST /api/v0/llm/chat) against a fake OpenAI-compatible upstream
// that each case starts itself: plain HTTP, or HTTPS with a self-signed certificate
// made with the openssl CLI at test time. Built-in Node modules only.
//
//   node test/llm/llm_proxy.mjs --moai build/moai [--case NAME]
//
// Every case also checks that the API key appears in no server log line and in no
// response the proxy gave (headers or body).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCertificate } from "../interop/lib/certificate.mjs";

const KEY = `sk-test-${randomBytes(12).toString("hex")}`;
const DEFAULT_MODEL = "qwen/qwen3-30b-a3b-instruct-2507";
const CHAT = "/api/v0/llm/chat";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function argument(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const moaiBinary = argument("--moai") ?? "build/moai";

// ---- fake upstream ----------------------------------------------------------

// `answer(req, res, record)` answers one request; every request is recorded.
async function startUpstream({ tls = null, answer }) {
  const up = { requests: [], connections: 0, sockets: new Set() };
  const onRequest = (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let json;
      try {
        json = JSON.parse(text);
      } catch {}
      const record = { method: req.method, url: req.url, headers: req.headers, text, json,
                       servername: req.socket.servername };
      up.requests.push(record);
      Promise.resolve(answer(req, res, record)).catch((e) => {
        console.error("upstream handler failed:", e);
        res.destroy();
      });
    });
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  server.on("connection", (socket) => {
    up.connections++;
    up.sockets.add(socket);
    socket.on("close", () => up.sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  up.server = server;
  up.port = server.address().port;
  up.close = () =>
    new Promise((resolve) => {
      for (const s of up.sockets) s.destroy();
      server.close(() => resolve());
    });
  return up;
}

function sendJson(res, status, value, headers = {}) {
  const body = typeof value === "string" ? value : JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
}

const completion = (content, usage) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  ...(usage ? { usage } : {}),
});

// ---- moai ---------------------------------------------------------------------

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts moai with the LLM flags; `key: null` leaves the API key out.
async function startMoai(ctx, { upstream, url, key = KEY, args = [] } = {}) {
  const port = await freePort();
  const upstreamUrl = url ?? `http://127.0.0.1:${upstream.port}/v1`;
  const argv = ["serve", "--host", "127.0.0.1", "--port", String(port), "--storage", "memory", "--log-format", "text",
    "--log-level", "debug", "--llm-upstream-url", upstreamUrl, ...(key === null ? [] : ["--llm-api-key", key]), ...args];
  // Nothing from this environment may configure the proxy behind the test's back.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RED_PILL|LLM_|MOAI_)/.test(k)));
  const child = spawn(moaiBinary, argv, { stdio: ["ignore", "pipe", "pipe"], env });
  const server = { port, base: `http://127.0.0.1:${port}`, log: "", exited: null };
  child.stdout.on("data", (d) => (server.log += d));
  child.stderr.on("data", (d) => (server.log += d));
  const exit = new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve((server.exited = { code, signal })));
    child.on("error", (e) => resolve((server.exited = { code: null, error: e.message })));
  });
  server.stop = async () => {
    if (server.exited) return server.exited;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
    const result = await exit;
    clearTimeout(timer);
    return result;
  };
  ctx.servers.push(server);
  const deadline = Date.now() + 15000;
  for (;;) {
    if (server.exited) throw new Error(`moai exited at startup: ${JSON.stringify(server.exited)}\n${server.log}`);
    try {
      if ((await fetch(`${server.base}/health`)).status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`moai did not become healthy\n${server.log}`);
    await sleep(50);
  }
  return server;
}

// POSTs to the proxy (`body` is JSON-encoded unless it is a string) and records the
// answer for the key check.
async function chat(ctx, server, body, { headers = {}, method = "POST" } = {}) {
  const res = await fetch(`${server.base}${CHAT}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  const answer = { status: res.status, headers: res.headers, text, json };
  ctx.responses.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  return answer;
}

// A streamed call over node:http, so chunk arrival is visible. `onText(all)` runs
// after each chunk with everything received so far.
function chatRaw(ctx, server, body, { agent, onText } = {}) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(`${server.base}${CHAT}`, {
      method: "POST", agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
    }, (res) => {
      let text = "";
      const chunks = [];
      res.setEncoding("utf8");
      res.on("data", (d) => {
        text += d;
        chunks.push({ at: Date.now(), text: d });
        onText?.(text);
      });
      res.on("end", () => {
        ctx.responses.push(`${res.statusCode} ${JSON.stringify(res.headers)} ${text}`);
        resolve({ status: res.statusCode, headers: res.headers, text, chunks, reusedSocket: req.reusedSocket });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

const userMessages = (content = "hello") => ({ messages: [{ role: "user", content }] });

function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

// Resolves true when `promise` settles within `ms`, false otherwise.
async function within(promise, ms) {
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(() => r(false), ms)));
  const result = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

// ---- cases ----------------------------------------------------------------------

const cases = {};
function defineCase(name, fn) {
  cases[name] = fn;
}

defineCase("success", async (ctx) => {
  const up = await ctx.upstream({
    answer: (req, res, r) => {
      const first = r.json?.messages?.[0]?.content;
      if (first === "empty") return sendJson(res, 200, { id: "x", choices: [] });
      if (first === "null content") return sendJson(res, 200, completion(null));
      sendJson(res, 200, completion(`echo: ${first}`, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }));
    },
  });
  const moai = await startMoai(ctx, { upstream: up });

  const messages = [{ role: "system", content: "be brief" }, { role: "user", content: "hi \u00fc \"quoted\" \n" }];
  const a = await chat(ctx, moai, { messages: [messages[1], messages[0]] });
  assert.equal(a.status, 200, a.text);
  assert.deepEqual(a.json, {
    content: `echo: ${messages[1].content}`, role: "assistant",
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });
  assert.match(a.headers.get("content-type"), /^application\/json/);
  assert.equal(a.headers.get("access-control-allow-origin"), "*");
  const r = up.requests[0];
  assert.equal(r.method, "POST");
  assert.equal(r.url, "/v1/chat/completions");
  assert.equal(r.headers.authorization, `Bearer ${KEY}`);
  assert.match(r.headers["content-type"], /^application\/json/);
  assert.deepEqual(r.json, { model: DEFAULT_MODEL, messages: [messages[1], messages[0]], temperature: 1 });

  const b = await chat(ctx, moai, { messages, model: "meta/llama-3", temperature: 0.25 });
  assert.equal(b.status, 200, b.text);
  assert.deepEqual(up.requests[1].json, { model: "meta/llama-3", messages, temperature: 0.25 });

  const c = await chat(ctx, moai, userMessages("empty"));
  assert.equal(c.status, 200, c.text);
  assert.deepEqual(c.json, { content: "", role: "assistant", usage: null });
  const d = await chat(ctx, moai, userMessages("null content"));
  assert.deepEqual(d.json, { content: "", role: "assistant", usage: null });
  assert.equal(up.requests.length, 4);
});

defineCase("https", async (ctx) => {
  const cert = makeCertificate(ctx.dir, "upstream", ["localhost", "127.0.0.1"]);
  const up = await ctx.upstream({
    tls: { key: cert.key, cert: cert.cert },
    answer: (req, res, r) => sendJson(res, 200, completion(`tls ${r.servername || "-"}`, { total_tokens: 1 })),
  });
  // By name: certificate name check and SNI.
  const byName = await startMoai(ctx, {
    url: `https://localhost:${up.port}/v1`, args: ["--llm-ca-file", cert.certPath],
  });
  for (let i = 0; i < 5; i++) {
    const a = await chat(ctx, byName, userMessages(`n${i}`));
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json, { content: "tls localhost", role: "assistant", usage: { total_tokens: 1 } });
  }
  assert.equal(up.requests[0].servername, "localhost", "SNI names the host");
  assert.equal(up.requests[0].headers.authorization, `Bearer ${KEY}`);
  assert.ok(up.connections < 5, `5 requests over TLS used ${up.connections} connections (no reuse)`);
  // By IP address: matched against the certificate's IP entry, no SNI.
  const byIp = await startMoai(ctx, {
    url: `https://127.0.0.1:${up.port}/v1`, args: ["--llm-ca-file", cert.certPath],
  });
  const b = await chat(ctx, byIp, userMessages());
  assert.equal(b.status, 200, b.text);
  assert.equal(b.json.content, "tls -");
});

defineCase("https_untrusted", async (ctx) => {
  const cert = makeCertificate(ctx.dir, "upstream", ["localhost", "127.0.0.1"]);
  const up = await ctx.upstream({
    tls: { key: cert.key, cert: cert.cert },
    answer: (req, res) => sendJson(res, 200, completion("should not get here")),
  });
  const moai = await startMoai(ctx, { url: `https://localhost:${up.port}/v1` });
  const a = await chat(ctx, moai, userMessages());
  assert.equal(a.status, 500, a.text);
  assert.equal(a.json.error, "Failed to process LLM request");
  assert.match(a.json.message, /certificate|verify/i);
  assert.equal(up.requests.length, 0, "nothing may reach an unverified upstream");
});

defineCase("https_wrong_name", async (ctx) => {
  // Trusted certificate, but for another name: the name check must refuse it.
  const cert = makeCertificate(ctx.dir, "other", ["other.example"]);
  const up = await ctx.upstream({
    tls: { key: cert.key, cert: cert.cert },
    answer: (req, res) => sendJson(res, 200, completion("should not get here")),
  });
  const moai = await startMoai(ctx, {
    url: `https://localhost:${up.port}/v1`, args: ["--llm-ca-file", cert.certPath],
  });
  const a = await chat(ctx, moai, userMessages());
  assert.equal(a.status, 500, a.text);
  assert.equal(a.json.error, "Failed to process LLM request");
  assert.equal(up.requests.length, 0);
});

defineCase("upstream_4xx", async (ctx) => {
  const up = await ctx.upstream({
    answer: (req, res, r) => {
      if (r.json.messages[0].content === "plain")
        return sendJson(res, 429, { error: "Too many requests, slow down" });
      // Echoes the caller's credentials, as some APIs do in their error text.
      sendJson(res, 401, { error: { message: `Incorrect API key provided: ${req.headers.authorization}` },
                           padding: "x".repeat(400) });
    },
  });
  const moai = await startMoai(ctx, { upstream: up });
  const a = await chat(ctx, moai, userMessages());
  assert.equal(a.status, 500, a.text);
  assert.equal(a.json.error, "HTTP 401");
  assert.equal(a.json.status, 401);
  assert.ok(a.json.message.length <= 200, `message is ${a.json.message.length} chars`);
  assert.ok(a.json.message.startsWith('{"error":{"message":"Incorrect API key provided: Bearer '), a.json.message);
  assert.ok(a.json.message.includes("[redacted]"), "the echoed key is masked");
  assert.ok(!a.text.includes(KEY));

  const b = await chat(ctx, moai, userMessages("plain"));
  assert.equal(b.status, 500, b.text);
  assert.deepEqual(b.json, { error: "Too many requests, slow down",
                             message: '{"error":"Too many requests, slow down"}', status: 429 });
});

defineCase("upstream_5xx", async (ctx) => {
  const up = await ctx.upstream({
    answer: (req, res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("Service Unavailable: " + "\u00e9".repeat(300));
    },
  });
  const moai = await startMoai(ctx, { upstream: up });
  const a = await chat(ctx, moai, userMessages());
  assert.equal(a.status, 500, a.text);
  assert.equal(a.json.error, "HTTP 503");
  assert.equal(a.json.message, ("Service Unavailable: " + "\u00e9".repeat(300)).slice(0, 200));
});

defineCase("malformed_json", async (ctx) => {
  const up = await ctx.upstream({
    answer: (req, res, r) => {
      if (r.json.messages[0].content === "array") return sendJson(res, 200, "[1,2,3]");
      sendJson(res, 200, '{"choices": [ {"message": ');
    },
  });
  const moai = await startMoai(ctx, { upstream: up });
  const a = await chat(ctx, moai, userMessages());
  assert.equal(a.status, 500, a.text);
  assert.equal(a.json.error, "Failed to process LLM request");
  assert.equal(typeof a.json.message, "string");
  assert.ok(a.json.message.length > 0);
  const b = await chat(ctx, moai, userMessages("array"));
  assert.equal(b.status, 500, b.text);
  assert.equal(b.json.error, "Failed to process LLM request");
});

defineCase("timeout", async (ctx) => {
  const up = await ctx.upstream({
    answer: (req, res, r) => {
      if (r.json.messages[0].content === "hang") return; // never answers
      sendJson(res, 200, completion("on time"));
    },
  });
  const moai = await startMoai(ctx, { upstream: up, args: ["--llm-timeout-ms", "400"] });
  const started = Date.now();
  const a = await chat(ctx, moai, userMessages("hang"));
  const took = Date.now() - started;
  assert.equal(a.status, 504, a.text);
  assert.match(a.json.error, /timed out/);
  assert.ok(took >= 350 && took < 3000, `answered after ${took} ms`);
  const b = await chat(ctx, moai, userMessages("fine"));
  assert.equal(b.status, 200, b.text);
  assert.equal(b.json.content, "on time");
});

// The upstream sends each event only once the caller has the one before: if the
// proxy buffered the stream, the caller would see nothing until the end and the
// upstream's wait for it would run out.
defineCase("streaming", async (ctx) => {
  const events = [
    'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n',
    'data: {"choices":[{"delta":{"content":"lo"}}]}\n\n',
    "data: [DONE]\n\n",
  ];
  const seen = events.map(() => deferred());
  const late = [];
  const up = await ctx.upstream({
    answer: async (req, res, r) => {
      if (!r.json.stream || r.json.messages[0].content === "json anyway") return sendJson(res, 200, completion("not streamed"));
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      for (let i = 0; i < events.length; i++) {
        res.write(events[i]);
        if (!(await within(seen[i].promise, 5000))) late.push(i);
      }
      res.end();
    },
  });
  const moai = await startMoai(ctx, { upstream: up });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const a = await chatRaw(ctx, moai, { ...userMessages(), stream: true }, {
    agent,
    onText: (text) => events.forEach((e, i) => text.includes(events.slice(0, i + 1).join("")) && seen[i].resolve()),
  });
  assert.deepEqual(late, [], `events ${late} did not reach the caller before the upstream sent the next`);
  assert.equal(a.status, 200);
  assert.match(a.headers["content-type"], /^text\/event-stream/);
  assert.equal(a.headers["transfer-encoding"], "chunked");
  assert.equal(a.headers["access-control-allow-origin"], "*");
  assert.equal(a.text, events.join(""));
  assert.ok(a.chunks.length >= events.length, `${a.chunks.length} chunks`);
  const r = up.requests[0];
  assert.equal(r.json.stream, true);
  assert.deepEqual(r.json, { model: DEFAULT_MODEL, messages: userMessages().messages, temperature: 1, stream: true });
  assert.equal(r.headers.authorization, `Bearer ${KEY}`);

  // The caller's connection stays usable after a streamed answer.
  const b = await chatRaw(ctx, moai, userMessages(), { agent });
  assert.equal(b.status, 200, b.text);
  assert.equal(JSON.parse(b.text).content, "not streamed");
  assert.equal(b.reusedSocket, true, "keep-alive after a chunked answer");
  // An upstream that ignores "stream" and sends one JSON body: the usual JSON answer.
  const c = await chatRaw(ctx, moai, { ...userMessages("json anyway"), stream: true }, { agent });
  assert.equal(c.status, 200, c.text);
  assert.match(c.headers["content-type"], /^application\/json/);
  assert.deepEqual(JSON.parse(c.text), { content: "not streamed", role: "assistant", usage: null });
  agent.destroy();
});

defineCase("stream_errors", async (ctx) => {
  const up = await ctx.upstream({
    answer: (req, res, r) => {
      const what = r.json.messages[0].content;
      if (what === "fail") return sendJson(res, 500, { error: "model overloaded" });
      // Starts a stream, then goes silent.
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: {"choices":[{"delta":{"content":"par"}}]}\n\n');
    },
  });
  const moai = await startMoai(ctx, { upstream: up, args: ["--llm-timeout-ms", "500"] });
  // An upstream error before the stream began is an ordinary JSON error.
  const a = await chat(ctx, moai, { ...userMessages("fail"), stream: true });
  assert.equal(a.status, 500, a.text);
  assert.match(a.headers.get("content-type"), /^application\/json/);
  assert.equal(a.json.error, "model overloaded");
  // Silence after the stream began ends it with an error event.
  const started = Date.now();
  const b = await chatRaw(ctx, moai, { ...userMessages("silent"), stream: true });
  assert.equal(b.status, 200);
  assert.ok(b.text.startsWith('data: {"choices":[{"delta":{"content":"par"}}]}\n\n'), b.text);
  assert.match(b.text, /event: error\ndata: \{"error":"LLM upstream timed out"/);
  assert.ok(Date.now() - started < 5000);
});

defineCase("missing_key", async (ctx) => {
  const up = await ctx.upstream({ answer: (req, res) => sendJson(res, 200, completion("no")) });
  const moai = await startMoai(ctx, { upstream: up, key: null });
  const a = await chat(ctx, moai, userMessages());
  assert.equal(a.status, 500, a.text);
  assert.deepEqual(a.json, { error: "RED_PILL_API_KEY not configured" });
  assert.equal(up.requests.length, 0);
});

defineCase("bad_input", async (ctx) => {
  const up = await ctx.upstream({ answer: (req, res) => sendJson(res, 200, completion("no")) });
  const moai = await startMoai(ctx, { upstream: up, args: ["--max-body-bytes", "2048"] });
  const required = { error: "messages array required" };
  for (const body of [{}, { messages: [] }, { messages: "hi" }, { messages: null }, [1, 2], "null", "42"]) {
    const a = await chat(ctx, moai, body);
    assert.equal(a.status, 400, `${JSON.stringify(body)}: ${a.text}`);
    assert.deepEqual(a.json, required);
  }
  for (const body of ["{not json", "", '{"messages": [', '{"messages":[]} trailing']) {
    const a = await chat(ctx, moai, body);
    assert.equal(a.status, 400, `${JSON.stringify(body)}: ${a.text}`);
    assert.equal(a.json.error, "Invalid JSON body");
  }
  const badModel = await chat(ctx, moai, { ...userMessages(), model: 5 });
  assert.equal(badModel.status, 400, badModel.text);
  const badTemperature = await chat(ctx, moai, { ...userMessages(), temperature: "hot" });
  assert.equal(badTemperature.status, 400, badTemperature.text);
  const get = await chat(ctx, moai, null, { method: "GET" });
  assert.equal(get.status, 405, get.text);
  assert.ok(get.json.error);
  const big = await chat(ctx, moai, userMessages("x".repeat(4096)));
  assert.equal(big.status, 413, big.text);
  assert.ok(big.json.error);
  assert.equal(up.requests.length, 0, "bad input never reaches the upstream");
  // Still serving.
  const ok = await chat(ctx, moai, userMessages());
  assert.equal(ok.status, 200, ok.text);
});

defineCase("proxy_token", async (ctx) => {
  const up = await ctx.upstream({ answer: (req, res) => sendJson(res, 200, completion("authorized")) });
  const token = "caller-token-123";
  const moai = await startMoai(ctx, { upstream: up, args: ["--llm-proxy-token", token] });
  const none = await chat(ctx, moai, userMessages());
  assert.equal(none.status, 401, none.text);
  assert.ok(none.json.error);
  assert.equal(none.headers.get("access-control-allow-origin"), "*");
  const wrong = await chat(ctx, moai, userMessages(), { headers: { authorization: "Bearer caller-token-12" } });
  assert.equal(wrong.status, 401, wrong.text);
  const basic = await chat(ctx, moai, userMessages(), { headers: { authorization: `Basic ${token}` } });
  assert.equal(basic.status, 401, basic.text);
  assert.equal(up.requests.length, 0);
  const right = await chat(ctx, moai, userMessages(), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(right.status, 200, right.text);
  assert.equal(right.json.content, "authorized");
  assert.equal(up.requests.length, 1);
  assert.equal(up.requests[0].headers.authorization, `Bearer ${KEY}`, "the caller's token is not passed on");
});

defineCase("rate_limit", async (ctx) => {
  const up = await ctx.upstream({ answer: (req, res) => sendJson(res, 200, completion("ok")) });
  const moai = await startMoai(ctx, { upstream: up, args: ["--llm-rate-limit-per-minute", "3"] });
  for (let i = 0; i < 3; i++) {
    const a = await chat(ctx, moai, userMessages());
    assert.equal(a.status, 200, `request ${i}: ${a.text}`);
  }
  const limited = await chat(ctx, moai, userMessages());
  assert.equal(limited.status, 429, limited.text);
  assert.ok(limited.json.error);
  const retry = Number(limited.headers.get("retry-after"));
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After: ${limited.headers.get("retry-after")}`);
  assert.equal(limited.headers.get("access-control-allow-origin"), "*");
  assert.equal(up.requests.length, 3, "a limited request never reaches the upstream");

  // 0 = unlimited.
  const open = await startMoai(ctx, { upstream: up, args: ["--llm-rate-limit-per-minute", "0"] });
  for (let i = 0; i < 10; i++) assert.equal((await chat(ctx, open, userMessages())).status, 200);
});

defineCase("keep_alive", async (ctx) => {
  const up = await ctx.upstream({
    answer: async (req, res) => {
      await sleep(20);
      sendJson(res, 200, completion("pooled"));
    },
  });
  const moai = await startMoai(ctx, { upstream: up, args: ["--llm-rate-limit-per-minute", "0"] });
  for (let i = 0; i < 8; i++) assert.equal((await chat(ctx, moai, userMessages())).status, 200);
  assert.ok(up.connections <= 2, `8 sequential requests used ${up.connections} upstream connections`);
  const before = up.connections;
  for (let round = 0; round < 3; round++) {
    const answers = await Promise.all([0, 1, 2, 3].map(() => chat(ctx, moai, userMessages())));
    for (const a of answers) assert.equal(a.status, 200, a.text);
  }
  const burst = up.connections - before;
  assert.ok(burst <= 4, `3 bursts of 4 requests opened ${burst} new upstream connections`);
  assert.ok(up.connections < up.requests.length, `${up.connections} connections for ${up.requests.length} requests`);

  // The upstream drops idle connections: the pool must notice, not fail the request.
  up.server.keepAliveTimeout = 100;
  assert.equal((await chat(ctx, moai, userMessages())).status, 200);
  await sleep(400);
  const after = await chat(ctx, moai, userMessages());
  assert.equal(after.status, 200, after.text);
  for (const s of up.sockets) s.destroy(); // closed under the pool's feet, without warning
  await sleep(100);
  const again = await chat(ctx, moai, userMessages());
  assert.equal(again.status, 200, again.text);
});

defineCase("key_redaction", async (ctx) => {
  const half = Math.floor(KEY.length / 2);
  const up = await ctx.upstream({
    answer: async (req, res, r) => {
      const what = r.json.messages[0].content;
      if (what === "echo") return sendJson(res, 200, completion(`your key is ${KEY}!`));
      if (what === "fail") return sendJson(res, 502, `upstream saw ${req.headers.authorization}`);
      // The key split across two pieces of a stream.
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: {"k":"${KEY.slice(0, half)}`);
      await sleep(150);
      res.write(`${KEY.slice(half)}"}\n\n`);
      await sleep(50);
      res.end("data: [DONE]\n\n");
    },
  });
  const moai = await startMoai(ctx, { upstream: up });
  const a = await chat(ctx, moai, userMessages("echo"));
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.content, "your key is [redacted]!");
  const b = await chat(ctx, moai, userMessages("fail"));
  assert.equal(b.status, 500, b.text);
  assert.equal(b.json.message, "upstream saw Bearer [redacted]");
  const c = await chatRaw(ctx, moai, { ...userMessages("stream"), stream: true });
  assert.equal(c.status, 200);
  assert.equal(c.text, 'data: {"k":"[redacted]"}\n\ndata: [DONE]\n\n');
  // The test can see the key where it is supposed to be: at the upstream.
  assert.ok(up.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`));
});

// ---- runner ------------------------------------------------------------------------

async function runCase(name) {
  const ctx = { dir: mkdtempSync(join(tmpdir(), "moai-llm-")), servers: [], upstreams: [], responses: [] };
  ctx.upstream = async (options) => {
    const up = await startUpstream(options);
    ctx.upstreams.push(up);
    return up;
  };
  try {
    await cases[name](ctx);
    for (const s of ctx.servers) {
      const exit = await s.stop();
      assert.equal(exit.code, 0, `moai exit ${JSON.stringify(exit)}`);
    }
    for (const s of ctx.servers) {
      assert.ok(s.log.length > 0, "the server logged something");
      const bad = s.log.split("\n").filter((line) => line.includes(KEY));
      assert.deepEqual(bad, [], "the API key appears in the server log");
    }
    assert.ok(ctx.responses.length > 0);
    const leaked = ctx.responses.filter((r) => r.includes(KEY));
    assert.deepEqual(leaked, [], "the API key appears in a response");
  } catch (e) {
    for (const s of ctx.servers) console.error(`---- moai log (port ${s.port}) ----\n${s.log}`);
    throw e;
  } finally {
    for (const s of ctx.servers) await s.stop();
    for (const up of ctx.upstreams) await up.close();
    rmSync(ctx.dir, { recursive: true, force: true });
  }
}

const only = argument("--case");
const names = only ? [only] : Object.keys(cases);
if (only && !cases[only]) {
  console.error(`unknown case ${only}; known: ${Object.keys(cases).join(", ")}`);
  process.exit(2);
}
let failed = 0;
for (const name of names) {
  const started = Date.now();
  try {
    await runCase(name);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
  }
}
process.exit(failed ? 1 : 0);
