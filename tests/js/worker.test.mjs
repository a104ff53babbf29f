// The Worker contract of DESIGN.md, one test per row, through the Miniflare API against the built
// Worker (build/). Every upstream call is captured by `outboundService`; every response and every
// log line is kept and checked at the end for the API key.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { Miniflare } from "miniflare";
import { builtWorker } from "../../scripts/built-worker.mjs";
import { eventually } from "./wait.mjs";

const KEY = "fake_api_key_S3CRET-key_for_tests_only";
const BASIC = Buffer.from(`${KEY}:`).toString("base64");
const ORIGIN = "https://shop.example";
const CALLBACK = "https://shop.example/webhooks/mpesa";
const CHANNEL = "3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6f";
const CREDENTIAL = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
// The wave-1 contract: one phone is pushed many times here, so the per-phone guard is opened wide
// (tests/js/guard.test.mjs tests it at its defaults).
const BASE = { PALPLUSS_API_KEY: KEY, PALPLUSS_BASE_URL: "https://api.palpluss.test/v1", CALLBACK_URL: CALLBACK, ALLOWED_ORIGINS: `${ORIGIN}, https://www.shop.example`, PHONE_COOLDOWN_SECONDS: "0", PHONE_MAX_PER_HOUR: "10000" };
const CHECKOUT = { amount: 1500, phone: "0712 345 678", accountReference: "INV-1", transactionDesc: "Order 1" };

const seen = { bodies: [], headers: [], logs: [] };
const workers = [];

const pending = (body = {}) =>
  Response.json({
    success: true,
    data: { transactionId: "fa98a577-95ea-4a8f-8467-1fbe74f5d6f4", status: "PENDING", amount: body.amount, phone: body.phone, providerCheckoutId: "ws_CO_1" },
    requestId: "c1b2a3d4-0000-0000-0000-000000000000",
  });

let ipCount = 0;
const nextIp = () => `2001:db8::${(++ipCount).toString(16)}`;

/** A Worker with its own bindings; `upstream.handler` answers its outbound requests. */
async function worker(bindings = BASE, { outbound = true } = {}) {
  const calls = [];
  const upstream = { handler: async (request) => pending(await request.clone().json()) };
  const logs = [];
  const mf = new Miniflare({
    ...builtWorker(bindings),
    ...(outbound && {
      outboundService: async (request) => {
        calls.push({ url: request.url, method: request.method, headers: Object.fromEntries(request.headers), body: await request.clone().text() });
        return upstream.handler(request);
      },
    }),
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) {
        stream.setEncoding("utf8");
        stream.on("data", (chunk) => {
          for (const line of chunk.split("\n").filter(Boolean)) logs.push(line), seen.logs.push(line);
        });
      }
    },
  });
  await mf.ready;
  workers.push(mf);
  const call = async (path, init = {}) => {
    const response = await mf.dispatchFetch(`http://proxy.test${path}`, init);
    const text = await response.text();
    seen.bodies.push(text);
    seen.headers.push(JSON.stringify([...response.headers]));
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: response.status, headers: response.headers, text, json };
  };
  // Each push from its own client IP: the per-IP limit is tested in guard.test.mjs.
  const post = (body, headers = {}) =>
    call("/payments/stk", {
      method: "POST",
      headers: Object.fromEntries(Object.entries({ "content-type": "application/json", origin: ORIGIN, "cf-connecting-ip": nextIp(), ...headers }).filter(([, v]) => v !== undefined)),
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { mf, calls, upstream, logs, call, post };
}

/** Waits until the Worker's log line for a request id has arrived (logs are asynchronous). */
async function logLine(w, requestId) {
  const line = await eventually(() => w.logs.find((l) => l.includes(requestId)), `the log line of ${requestId}`);
  return JSON.parse(line.slice(line.indexOf("{")));
}

const envelopeOf = (r, status, code) => {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json.success, false);
  assert.equal(r.json.error.code, code);
  assert.equal(typeof r.json.error.message, "string");
  assert.match(r.json.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(r.headers.get("x-request-id"), r.json.requestId);
};

let w;
before(async () => { w = await worker(); });
after(async () => {
  await Promise.all(workers.map((mf) => mf.dispose()));
  // The key, in any form, appears in no response body, header or log line of any test.
  for (const [what, list] of Object.entries(seen)) {
    for (const text of list) {
      assert.ok(!text.includes(KEY), `${what} leaked the key: ${text}`);
      assert.ok(!text.includes(BASIC), `${what} leaked the Basic credentials: ${text}`);
    }
  }
  assert.ok(seen.logs.length > 10, "log lines were captured");
});

describe("forwarding", () => {
  test("a valid checkout is forwarded normalised, with the server callbackUrl and the exact Authorization", async () => {
    const r = await w.post(CHECKOUT);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.success, true);
    assert.equal(r.json.data.status, "PENDING");
    assert.equal(w.calls.length, 1);
    const [call] = w.calls;
    assert.equal(call.url, "https://api.palpluss.test/v1/payments/stk");
    assert.equal(call.method, "POST");
    assert.equal(call.headers.authorization, `Basic ${BASIC}`);
    assert.equal(call.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(call.body), {
      amount: 1500, phone: "254712345678", accountReference: "INV-1", transactionDesc: "Order 1", callbackUrl: CALLBACK,
    });
    assert.equal(r.headers.get("access-control-allow-origin"), ORIGIN);
    assert.match(r.headers.get("x-request-id"), /^[0-9a-f-]{36}$/);
    const line = await logLine(w, r.headers.get("x-request-id"));
    assert.equal(line.phone, "2547******78");
    assert.equal(line.status, 200);
    assert.equal(line.upstreamStatus, 200);
    assert.ok(!JSON.stringify(line).includes("254712345678"), "the full phone is never logged");
  });

  test("channelId and credential_id are added when configured, and AMOUNT_MAX applies", async () => {
    const configured = await worker({ ...BASE, PALPLUSS_CHANNEL_ID: CHANNEL.toUpperCase(), PALPLUSS_CREDENTIAL_ID: CREDENTIAL, AMOUNT_MAX: "1000" });
    const r = await configured.post({ ...CHECKOUT, amount: 999 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(configured.calls[0].body), {
      amount: 999, phone: "254712345678", accountReference: "INV-1", transactionDesc: "Order 1",
      callbackUrl: CALLBACK, channelId: CHANNEL, credential_id: CREDENTIAL,
    });
    const tooMuch = await configured.post({ ...CHECKOUT, amount: 1001 });
    envelopeOf(tooMuch, 400, "VALIDATION_FAILED");
    assert.equal(tooMuch.json.error.details.fields[0].code, "AMOUNT_TOO_LARGE");
    assert.equal(configured.calls.length, 1);
  });

  test("a request without Origin (server to server, curl) is served without CORS headers", async () => {
    const r = await w.call("/payments/stk", { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(CHECKOUT) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("access-control-allow-origin"), null);
  });
});

describe("CORS", () => {
  test("preflight from an allowed origin", async () => {
    const r = await w.call("/payments/stk", { method: "OPTIONS", headers: { origin: "https://www.shop.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get("access-control-allow-origin"), "https://www.shop.example");
    assert.match(r.headers.get("access-control-allow-methods"), /POST/);
    assert.match(r.headers.get("access-control-allow-headers"), /Content-Type/i);
    assert.equal(r.headers.get("vary"), "Origin, Accept-Language", "answers differ by origin and language");
  });

  test("preflight from any other origin, or none, is refused", async () => {
    for (const origin of ["https://evil.example", "https://shop.example.evil.example", "HTTPS://SHOP.EXAMPLE", "null", undefined]) {
      const headers = origin ? { origin, "access-control-request-method": "POST" } : {};
      const r = await w.call("/payments/stk", { method: "OPTIONS", headers });
      envelopeOf(r, 403, "ORIGIN_NOT_ALLOWED");
      assert.equal(r.headers.get("access-control-allow-origin"), null);
    }
  });

  test("a POST from a disallowed origin is refused before PalPluss is called", async () => {
    const before = w.calls.length;
    const r = await w.post(CHECKOUT, { origin: "https://evil.example" });
    envelopeOf(r, 403, "ORIGIN_NOT_ALLOWED");
    assert.equal(r.headers.get("access-control-allow-origin"), null);
    assert.equal(w.calls.length, before);
  });
});

describe("the proxy's own errors", () => {
  test("404 for an unknown route", async () => {
    envelopeOf(await w.call("/payments/b2c/refunds", { method: "POST" }), 404, "NOT_FOUND");
    envelopeOf(await w.call("/transactions", { method: "POST" }), 404, "NOT_FOUND");
    envelopeOf(await w.call("/"), 404, "NOT_FOUND");
  });

  test("405 with Allow for a known route and the wrong method", async () => {
    const r = await w.call("/payments/stk", { method: "GET" });
    envelopeOf(r, 405, "METHOD_NOT_ALLOWED");
    assert.equal(r.headers.get("allow"), "POST, OPTIONS");
    const h = await w.call("/health", { method: "DELETE" });
    envelopeOf(h, 405, "METHOD_NOT_ALLOWED");
  });

  test("413 for a body over 16 KiB, declared or streamed", async () => {
    const before = w.calls.length;
    // The Worker answers as soon as it knows the body is too large, while the client may still be
    // sending it; HTTP allows that, and the client then sometimes sees the connection reset instead
    // of the answer ("fetch failed"). Such an attempt is sent again; any answer must be the 413.
    const answered = async (send) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await send();
        } catch (e) {
          if (!(e instanceof TypeError) || attempt === 5) throw e;
        }
      }
    };
    const big = JSON.stringify({ ...CHECKOUT, padding: "x".repeat(17 * 1024) });
    envelopeOf(await answered(() => w.post(big)), 413, "BODY_TOO_LARGE");
    const streamed = () =>
      w.call("/payments/stk", {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1024)));
            controller.close();
          },
        }),
        duplex: "half",
      });
    envelopeOf(await answered(streamed), 413, "BODY_TOO_LARGE");
    assert.equal(w.calls.length, before);
  });

  test("415 for a body that is not JSON", async () => {
    envelopeOf(await w.post("amount=1", { "content-type": "application/x-www-form-urlencoded" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    envelopeOf(await w.call("/payments/stk", { method: "POST", body: JSON.stringify(CHECKOUT) }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  test("400 INVALID_JSON for malformed JSON and duplicate keys", async () => {
    for (const body of ["{", "", "{\"amount\": 1,}", "\u0000", '{"amount": 1, "amount": 2}']) {
      envelopeOf(await w.post(body), 400, "INVALID_JSON");
    }
  });

  test("400 VALIDATION_FAILED lists every field and makes no upstream call", async () => {
    const before = w.calls.length;
    const r = await w.post({ amount: 0, phone: "020 123 4567", accountReference: "", transactionDesc: "x".repeat(14) });
    envelopeOf(r, 400, "VALIDATION_FAILED");
    assert.deepEqual(
      r.json.error.details.fields.map((e) => [e.field, e.code]),
      [["amount", "AMOUNT_TOO_SMALL"], ["phone", "PHONE_LANDLINE"], ["accountReference", "REQUIRED"], ["transactionDesc", "TOO_LONG"]],
    );
    for (const e of r.json.error.details.fields) assert.ok(e.message.length > 10);
    const notObject = await w.post("[1, 2]");
    envelopeOf(notObject, 400, "VALIDATION_FAILED");
    assert.equal(notObject.json.error.details.fields[0].code, "NOT_AN_OBJECT");
    assert.equal(w.calls.length, before);
  });

  test("a client that sends callbackUrl, channelId or credential_id gets 400 naming the field", async () => {
    const before = w.calls.length;
    for (const [field, value] of [["callbackUrl", "https://evil.example/steal"], ["channelId", CHANNEL], ["credential_id", null]]) {
      const r = await w.post({ ...CHECKOUT, [field]: value });
      envelopeOf(r, 400, "VALIDATION_FAILED");
      assert.deepEqual(r.json.error.details.fields.map((e) => [e.field, e.code]), [[field, "FIELD_NOT_ALLOWED"]]);
    }
    assert.equal(w.calls.length, before);
  });
});

describe("upstream answers", () => {
  const answer = (status, body, headers = {}) => async () =>
    new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
  const error = (code, details) => ({ success: false, error: { code, message: `${code} from PalPluss`, ...(details && { details }) }, requestId: "upstream-req" });

  test("400 and 401 from PalPluss come back with their status and envelope", async () => {
    for (const [status, code] of [[400, "INVALID_PHONE"], [401, "INVALID_API_KEY"], [402, "INSUFFICIENT_SERVICE_BALANCE"]]) {
      w.upstream.handler = answer(status, error(code));
      const r = await w.post(CHECKOUT);
      assert.equal(r.status, status);
      assert.deepEqual(r.json, error(code));
    }
  });

  test("429 keeps its status and gains Retry-After: from the header, from details, or a default", async () => {
    // The key's own limit: passed on, and then the Worker itself stops calling until it resets.
    const limited = await worker();
    limited.upstream.handler = answer(429, error("RATE_LIMIT_EXCEEDED"), { "retry-after": "30" });
    let r = await limited.post(CHECKOUT);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("retry-after"), "30");
    assert.match(r.headers.get("access-control-expose-headers"), /Retry-After/);
    r = await limited.post(CHECKOUT);
    envelopeOf(r, 429, "BUSY");
    assert.ok(Number(r.headers.get("retry-after")) >= 1 && Number(r.headers.get("retry-after")) <= 30, r.headers.get("retry-after"));
    assert.equal(limited.calls.length, 1, "no call while PalPluss's window has not reset");

    // The key's ban: PalPluss's answer is passed on, then the breaker answers itself (tested with
    // the health guard in tests/js/health.test.mjs); each on a Worker of its own.
    const banned = await worker();
    banned.upstream.handler = answer(429, error("STK_TEMP_BANNED", { retryAfterSeconds: 3599.5 }));
    r = await banned.post(CHECKOUT);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("retry-after"), "3600");
    assert.equal(r.json.error.code, "STK_TEMP_BANNED");
    assert.equal(r.json.requestId, "upstream-req", "PalPluss's own answer");

    const bare = await worker();
    bare.upstream.handler = answer(429, error("STK_TEMP_BANNED"));
    r = await bare.post(CHECKOUT);
    assert.equal(r.headers.get("retry-after"), "60");
  });

  test("500 from PalPluss comes back as it is, and is never retried", async () => {
    w.upstream.handler = answer(500, error("PLATFORM_CREDENTIALS_NOT_CONFIGURED"));
    const before = w.calls.length;
    const r = await w.post(CHECKOUT);
    assert.equal(r.status, 500);
    assert.equal(r.json.error.code, "PLATFORM_CREDENTIALS_NOT_CONFIGURED");
    assert.equal(w.calls.length, before + 1);
  });

  test("a non-JSON answer becomes 502", async () => {
    w.upstream.handler = answer(502, "<html>Bad gateway</html>", { "content-type": "text/html" });
    envelopeOf(await w.post(CHECKOUT), 502, "UPSTREAM_UNAVAILABLE");
    w.upstream.handler = answer(200, { hello: "world" });
    envelopeOf(await w.post(CHECKOUT), 502, "UPSTREAM_UNAVAILABLE");
  });

  test("an upstream that echoes the key is redacted", async () => {
    w.upstream.handler = answer(401, error("INVALID_API_KEY", { key: KEY, header: `Basic ${BASIC}` }));
    const r = await w.post(CHECKOUT);
    assert.equal(r.status, 401);
    assert.equal(r.json.error.details.key, "[redacted]");
    assert.equal(r.json.error.details.header, "Basic [redacted]");
  });

  test("a slow PalPluss gives 504 after UPSTREAM_TIMEOUT_MS, once, with no retry", async () => {
    const slow = await worker({ ...BASE, UPSTREAM_TIMEOUT_MS: "300" });
    // PalPluss answers only when the test says so: the 504 must come while it still has not.
    let answer;
    slow.upstream.handler = () => new Promise((resolve) => { answer = () => resolve(pending()); });
    const r = await slow.post(CHECKOUT);
    envelopeOf(r, 504, "UPSTREAM_TIMEOUT");
    assert.match(r.json.error.message, /check your phone/);
    assert.equal(typeof answer, "function", "the upstream was called and has not answered");
    answer();
    assert.equal(slow.calls.length, 1);
  });

  test("a refused connection gives 502", async () => {
    const port = await new Promise((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
    });
    const refused = await worker({ ...BASE, PALPLUSS_BASE_URL: `http://127.0.0.1:${port}/v1`, CALLBACK_URL: `http://127.0.0.1:${port}/cb` }, { outbound: false });
    envelopeOf(await refused.post(CHECKOUT), 502, "UPSTREAM_UNAVAILABLE");
  });
});

describe("configuration", () => {
  test("/health says the configuration is complete without revealing a value", async () => {
    const r = await w.call("/health");
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.variables.PALPLUSS_API_KEY, "set");
    assert.equal(r.json.variables.PALPLUSS_CHANNEL_ID, "default");
    assert.ok(!r.text.includes(CALLBACK) && !r.text.includes("api.palpluss.test"));
  });

  test("a missing API key gives 500 naming the variable, and /health says so", async () => {
    const { PALPLUSS_API_KEY, ...rest } = BASE;
    const broken = await worker(rest);
    envelopeOf(await broken.post(CHECKOUT), 500, "CONFIG_MISSING_PALPLUSS_API_KEY");
    const h = await broken.call("/health");
    assert.equal(h.status, 503);
    assert.equal(h.json.ok, false);
    assert.equal(h.json.variables.PALPLUSS_API_KEY, "missing");
    assert.equal(h.json.error.code, "CONFIG_MISSING_PALPLUSS_API_KEY");
    assert.equal(broken.calls.length, 0);
  });

  test("malformed values give 500 naming the variable, never its value", async () => {
    const cases = [
      [{ CALLBACK_URL: "http://shop.example/cb" }, "CONFIG_INVALID_CALLBACK_URL", "http://shop.example/cb"],
      [{ PALPLUSS_BASE_URL: "ftp://palpluss.example" }, "CONFIG_INVALID_PALPLUSS_BASE_URL", "ftp://palpluss.example"],
      [{ AMOUNT_MAX: "lots" }, "CONFIG_INVALID_AMOUNT_MAX", "lots"],
      [{ UPSTREAM_TIMEOUT_MS: "5" }, "CONFIG_INVALID_UPSTREAM_TIMEOUT_MS", "\"5\""],
      [{ PALPLUSS_CHANNEL_ID: "channel-7" }, "CONFIG_INVALID_PALPLUSS_CHANNEL_ID", "channel-7"],
      [{ ALLOWED_ORIGINS: "*" }, "CONFIG_INVALID_ALLOWED_ORIGINS", "\"*\""],
      [{ PALPLUSS_API_KEY: "has spaces in it" }, "CONFIG_INVALID_PALPLUSS_API_KEY", "has spaces"],
    ];
    for (const [override, code, value] of cases) {
      const broken = await worker({ ...BASE, ...override });
      const r = await broken.post(CHECKOUT, { origin: undefined });
      envelopeOf(r, 500, code);
      assert.ok(!r.text.includes(value), `${code} reveals its value: ${r.text}`);
      assert.equal(broken.calls.length, 0);
      const line = await logLine(broken, r.json.requestId);
      assert.equal(line.code, code);
      assert.ok(!JSON.stringify(line).includes(value));
    }
  });
});

describe("the Worker's own entry (src/worker/front.js) and worker-rs's", () => {
  // A checkout whose length is declared is served by the Worker's own entry; one streamed without
  // a length is handed to worker-rs's entry. Both must answer and log alike.
  const streamedPost = (body, ip) =>
    w.call("/payments/stk", {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN, "cf-connecting-ip": ip },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(body));
          controller.close();
        },
      }),
      duplex: "half",
    });
  const headerNames = (r) => [...r.headers.keys()].filter((name) => name !== "content-length").sort();
  const withoutIds = (r) => JSON.stringify(r.json, (key, value) => (["requestId", "statusToken"].includes(key) ? "…" : value));

  test("a checkout is answered and logged alike by both entries", async () => {
    const cases = [
      "{",
      "[1]",
      JSON.stringify({ amount: 0, phone: "020 123 4567", accountReference: "", transactionDesc: "Tea" }),
      JSON.stringify({ ...CHECKOUT, amount: 1501 }),
    ];
    for (const body of cases) {
      const declared = await w.post(body);
      const streamed = await streamedPost(body, nextIp());
      assert.equal(streamed.status, declared.status, body);
      assert.equal(withoutIds(streamed), withoutIds(declared), body);
      assert.deepEqual(headerNames(streamed), headerNames(declared), body);
      const ids = [declared, streamed].map((r) => r.headers.get("x-request-id"));
      const [a, b] = await Promise.all(ids.map((id) => logLine(w, id)));
      for (const line of [a, b]) delete line.requestId, delete line.durationMs, delete line.upstreamMs;
      assert.deepEqual(b, a, body);
    }
  });

  test("a status read by GET and by HEAD, with the token in the header or the query", async () => {
    // Its own transaction id (the default upstream answer reuses one for every push).
    const handler = w.upstream.handler;
    w.upstream.handler = async (request) => {
      const answer = await pending(await request.clone().json()).json();
      answer.data.transactionId = crypto.randomUUID();
      return Response.json(answer);
    };
    const pushed = await w.post(CHECKOUT).finally(() => (w.upstream.handler = handler));
    assert.equal(pushed.status, 200, pushed.text);
    const { statusUrl, statusToken } = pushed.json.data;
    const read = await w.call(statusUrl, { headers: { authorization: `Bearer ${statusToken}`, origin: ORIGIN } });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.json.data.status, "PENDING");
    assert.equal(read.headers.get("access-control-allow-origin"), ORIGIN);
    const viaQuery = await w.call(`${statusUrl}?token=${encodeURIComponent(statusToken)}&lang=sw`);
    assert.equal(viaQuery.status, 200, viaQuery.text);
    assert.equal(viaQuery.json.data.transactionId, read.json.data.transactionId);
    const head = await w.call(statusUrl, { method: "HEAD", headers: { authorization: `Bearer ${statusToken}` } });
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    envelopeOf(await w.call(statusUrl, { headers: { authorization: "Bearer st_wrong" } }), 404, "PAYMENT_NOT_FOUND");
    const unknown = await w.call(statusUrl, { method: "HEAD" });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, "");
  });

  test("after a trap in the wasm, the next requests are answered as before", async () => {
    const root = resolve(import.meta.dirname, "../..");
    const mf = new Miniflare({
      ...builtWorker(BASE),
      scriptPath: resolve(root, "tests/js/fixtures/trap-worker.mjs"),
      modulesRoot: root,
      outboundService: async (request) => pending(await request.clone().json()),
    });
    workers.push(mf);
    await mf.ready;
    const send = async (path, init) => {
      const response = await mf.dispatchFetch(`http://proxy.test${path}`, init);
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, json: text.startsWith("{") ? JSON.parse(text) : undefined };
    };
    const checkout = (body) =>
      send("/payments/stk", { method: "POST", headers: { "content-type": "application/json", origin: ORIGIN, "cf-connecting-ip": nextIp() }, body: JSON.stringify(body) });
    envelopeOf(await checkout({ ...CHECKOUT, amount: 0 }), 400, "VALIDATION_FAILED");
    for (let round = 0; round < 2; round++) {
      const trap = await send("/__trap");
      assert.equal(trap.text, "trapped");
      // Served by the Worker's own entry, then by worker-rs's (a preflight), then a push through both.
      envelopeOf(await checkout({ ...CHECKOUT, amount: 0 }), 400, "VALIDATION_FAILED");
      assert.equal((await send("/payments/stk", { method: "OPTIONS", headers: { origin: ORIGIN } })).status, 204);
      const pushed = await checkout(CHECKOUT);
      assert.equal(pushed.status, 200, pushed.text);
      assert.equal(pushed.json.data.status, "PENDING");
    }
  });
});
