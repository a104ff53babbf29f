// The guard of the public proxy (DESIGN.md, "Abuse guard and idempotency"), one test per code,
// through Miniflare against the built Worker: its Rate Limiting binding (wrangler.toml's
// [[ratelimits]]) and Guard objects, with a scripted PalPluss and a siteverify stand-in that
// answers like Cloudflare's published Turnstile test keys.
import { test, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./miniflare.mjs";
import { builtWorker, ratelimits } from "../../scripts/built-worker.mjs";
import { signCheckoutIntent } from "../../pkg/node/index.mjs";
import { eventually } from "./wait.mjs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const KEY = "fake_api_key_guard-test-key_0000";
const WEBHOOK_SECRET = "whk_guard_0123456789abcdef";
const INTENT_SECRET = "isec_guard_0123456789abcdef";
const ORIGIN = "https://shop.example";
const SITEVERIFY = "https://turnstile.test/siteverify";
// Cloudflare's Turnstile test secret keys: always passes, always fails, "token already spent".
const TURNSTILE_PASS = "1x0000000000000000000000000000000AA";
const TURNSTILE_FAIL = "2x0000000000000000000000000000000AA";
const TURNSTILE_SPENT = "3x0000000000000000000000000000000AA";
const DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX";
const BASE = {
  PALPLUSS_API_KEY: KEY,
  PALPLUSS_BASE_URL: "https://api.palpluss.test/v1",
  CALLBACK_URL: "",
  WEBHOOK_SECRET,
  ALLOWED_ORIGINS: ORIGIN,
  TURNSTILE_VERIFY_URL: SITEVERIFY,
};
const bodies = [];
const logs = [];
const instances = [];
after(async () => {
  await Promise.all(instances.map((mf) => mf.dispose()));
  for (const secret of [KEY, WEBHOOK_SECRET, INTENT_SECRET, TURNSTILE_PASS, TURNSTILE_FAIL]) {
    assert.ok(!bodies.some((b) => b.includes(secret)), "a secret in a response body");
    assert.ok(!logs.some((l) => l.includes(secret)), "a secret in a log line");
  }
});

let phones = 0;
/** A fresh valid phone number for each call: the per-phone guard is tested on purpose only. */
const freshPhone = () => `0799${String(++phones).padStart(6, "0")}`;
let ips = 0;
const freshIp = () => `2001:db8:1::${(++ips).toString(16)}`;
const checkout = (over = {}) => ({ amount: 1500, phone: freshPhone(), accountReference: "ORDER-1042", transactionDesc: "Order 1042", ...over });

let transactions = 0;
async function guarded(bindings = {}, { persist } = {}) {
  const palpluss = { pushes: [], gate: null, answer: null, statuses: new Map() };
  const siteverify = { calls: [], down: false };
  const { mf, call } = await startWorker({
    ...builtWorker({ ...BASE, ...bindings }),
    ...(persist && { durableObjectsPersist: persist }),
    outboundService: async (request) => {
      const url = new URL(request.url);
      if (request.url === SITEVERIFY) {
        const form = new URLSearchParams(await request.text());
        siteverify.calls.push(Object.fromEntries(form));
        if (siteverify.down) return new Response("upstream error", { status: 502 });
        const secret = form.get("secret");
        const answer =
          secret === TURNSTILE_PASS ? { success: true, "error-codes": [] }
          : secret === TURNSTILE_SPENT ? { success: false, "error-codes": ["timeout-or-duplicate"] }
          : { success: false, "error-codes": ["invalid-input-response"] };
        return Response.json(answer);
      }
      if (url.pathname === "/v1/payments/stk") {
        const body = await request.json();
        palpluss.pushes.push(body);
        if (palpluss.gate) await palpluss.gate;
        if (palpluss.answer) return palpluss.answer(body);
        const id = `0000${String(++transactions).padStart(4, "0")}-95ea-4a8f-8467-1fbe74f5d6f4`;
        palpluss.statuses.set(id, "PENDING");
        return Response.json({ success: true, data: { transactionId: id, status: "PENDING", amount: body.amount, phone: body.phone }, requestId: "up-1" });
      }
      const match = url.pathname.match(/^\/v1\/transactions\/(.+)$/);
      if (match) {
        const status = palpluss.statuses.get(match[1]) ?? "PENDING";
        return Response.json({ success: true, data: { transaction_id: match[1], status, amount: 1500, result_code: status === "FAILED" ? "1032" : null }, requestId: "up-2" });
      }
      return new Response("unexpected", { status: 599 });
    },
  }, { logs, bodies });
  instances.push(mf);
  /** A push; `ip` and `key` (Idempotency-Key) are optional, a fresh IP by default. */
  const push = (body, { ip = freshIp(), key, headers = {} } = {}) =>
    call("/payments/stk", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": ip, ...(key !== undefined && { "idempotency-key": key }), ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { mf, palpluss, siteverify, call, push };
}

const refused = (r, status, code) => {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json.success, false);
  assert.equal(r.json.error.code, code, r.text);
  assert.ok(r.json.error.message.length > 10, "a message fit for the customer");
  return r.json.error;
};
const retryAfter = (r) => Number(r.headers.get("retry-after"));

describe("per client IP", () => {
  test("wrangler.toml declares the binding with the default of 10 a minute", () => {
    assert.deepEqual(ratelimits.IP_RATE_LIMITER, { simple: { limit: 10, period: 60 } });
  });

  test("past the limit: 429 RATE_LIMITED with Retry-After; other IPs and bad bodies alike", async () => {
    const w = await guarded();
    const ip = "203.0.113.7";
    let accepted = 0;
    let limited;
    // Until the first refusal: at least 10 go, and at most 10 in each minute window the run touched
    // (one window more in case the limiter's windows are not aligned to the minute), however slow.
    const started = Date.now();
    for (let i = 0; i < 400 && !limited; i++) {
      const r = await w.push(checkout(), { ip });
      if (r.status === 429) limited = r;
      else (assert.equal(r.status, 200, r.text), accepted++);
    }
    const windows = Math.floor(Date.now() / 60_000) - Math.floor(started / 60_000) + 2;
    assert.ok(limited, "the limit was reached");
    assert.ok(accepted >= 10 && accepted <= 10 * windows, `${accepted} accepted before the first 429 over ${windows} windows`);
    refused(limited, 429, "RATE_LIMITED");
    assert.ok(retryAfter(limited) >= 1 && retryAfter(limited) <= 60, limited.headers.get("retry-after"));
    assert.equal(limited.json.error.details.retryAfterSeconds, retryAfter(limited));
    // The limit comes first: an invalid body from that IP is refused the same way, unread.
    refused(await w.push({ amount: "lots" }, { ip }), 429, "RATE_LIMITED");
    const pushes = w.palpluss.pushes.length;
    // Another client is not affected.
    assert.equal((await w.push(checkout(), { ip: "203.0.113.8" })).status, 200);
    assert.equal(w.palpluss.pushes.length, pushes + 1);
  });
});

describe("Idempotency-Key", () => {
  test("the same key and the same validated body is answered once and replayed", async () => {
    const w = await guarded();
    const body = checkout({ phone: "0712 000 001" });
    const first = await w.push(body, { key: "order-1042-attempt-1" });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    // The same payment written differently is the same body.
    const again = await w.push({ ...body, phone: "254712000001", accountReference: " ORDER-1042 " }, { key: "order-1042-attempt-1" });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.text, first.text, "the kept answer, byte for byte");
    assert.equal(w.palpluss.pushes.length, 1, "no second push");
  });

  test("same key, other body: 422 IDEMPOTENCY_KEY_REUSED", async () => {
    const w = await guarded();
    assert.equal((await w.push(checkout(), { key: "k-422" })).status, 200);
    refused(await w.push(checkout({ amount: 1 }), { key: "k-422" }), 422, "IDEMPOTENCY_KEY_REUSED");
    refused(await w.push({ amount: 1 }, { key: "k-422" }), 422, "IDEMPOTENCY_KEY_REUSED");
    assert.equal(w.palpluss.pushes.length, 1);
  });

  test("malformed keys: 400 IDEMPOTENCY_KEY_INVALID, nothing sent", async () => {
    const w = await guarded();
    // (Empty keys and control characters are refused too, tested natively: fetch cannot send them.)
    for (const key of ["has space", "k".repeat(256), "a b c"]) {
      refused(await w.push(checkout(), { key }), 400, "IDEMPOTENCY_KEY_INVALID");
    }
    assert.equal((await w.push(checkout(), { key: "k".repeat(255) })).status, 200, "255 characters is fine");
    assert.equal(w.palpluss.pushes.length, 1);
  });

  test("a key in flight: 409 IDEMPOTENCY_KEY_IN_USE whatever the body; the answer is then kept", async () => {
    const w = await guarded();
    let release;
    w.palpluss.gate = new Promise((r) => (release = r));
    const body = checkout();
    const first = w.push(body, { key: "k-409" });
    await eventually(() => w.palpluss.pushes.length === 1, "the first push upstream");
    refused(await w.push(body, { key: "k-409" }), 409, "IDEMPOTENCY_KEY_IN_USE");
    refused(await w.push(checkout({ amount: 7 }), { key: "k-409" }), 409, "IDEMPOTENCY_KEY_IN_USE");
    refused(await w.push("[1]", { key: "k-409" }), 409, "IDEMPOTENCY_KEY_IN_USE");
    release();
    assert.equal((await first).status, 200);
    assert.equal((await w.push(body, { key: "k-409" })).headers.get("idempotent-replayed"), "true");
    assert.equal(w.palpluss.pushes.length, 1);
  });

  test("the proxy's own 4xx are not kept; PalPluss's answers are, whatever their status", async () => {
    const w = await guarded();
    // Invalid body: 400, the key stays free.
    const invalid = await w.push({ ...checkout(), amount: 0 }, { key: "k-own" });
    refused(invalid, 400, "VALIDATION_FAILED");
    assert.equal((await w.push(checkout(), { key: "k-own" })).status, 200, "the key was not taken by a 400");
    // A refusal by PalPluss is an answer given after the push was sent: kept and replayed.
    w.palpluss.answer = () => Response.json({ success: false, error: { code: "STK_TEMP_BANNED", message: "wait" }, requestId: "up" }, { status: 429, headers: { "retry-after": "3600" } });
    const body = checkout();
    const banned = await w.push(body, { key: "k-upstream" });
    assert.equal(banned.status, 429);
    const replay = await w.push(body, { key: "k-upstream" });
    assert.equal(replay.status, 429);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.equal(replay.headers.get("retry-after"), "3600");
    assert.equal(replay.text, banned.text);
    assert.equal(w.palpluss.pushes.length, 2, "the replay sent nothing");
  });

  test("a key released before PalPluss stays released after the objects are reloaded from storage", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palpluss-guard-"));
    const body = checkout({ phone: "0712 000 600" });
    const first = await guarded({ INTENT_SECRET }, { persist: dir });
    // A valid body takes the key; its bad intent is refused before PalPluss, which releases it.
    refused(await first.push({ ...body, intent: "not-an-intent" }, { key: "k-restart" }), 400, "INTENT_INVALID");
    instances.splice(instances.indexOf(first.mf), 1);
    await first.mf.dispose();
    const second = await guarded({ INTENT_SECRET }, { persist: dir });
    const { amount, accountReference, transactionDesc } = body;
    const intent = signCheckoutIntent({ amount, accountReference, transactionDesc }, INTENT_SECRET);
    const ok = await second.push({ ...body, intent }, { key: "k-restart" });
    assert.equal(ok.status, 200, ok.text);
  });

  test("20 simultaneous requests with one key give exactly one push", async () => {
    const w = await guarded();
    let release;
    w.palpluss.gate = new Promise((r) => (release = r));
    const body = checkout();
    const all = Array.from({ length: 20 }, () => w.push(body, { key: "k-concurrent" }));
    await eventually(() => w.palpluss.pushes.length >= 1, "a push upstream");
    // Let every other request reach its decision before the one push answers.
    await new Promise((r) => setTimeout(r, 500));
    release();
    const answers = await Promise.all(all);
    assert.equal(w.palpluss.pushes.length, 1, "exactly one push");
    const statuses = answers.map((r) => (r.headers.get("idempotent-replayed") ? "replay" : r.status));
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join());
    assert.ok(statuses.every((s) => s === 200 || s === 409 || s === "replay"), statuses.join());
  });
});

describe("per phone", () => {
  test("an open push keeps its phone busy (429 PHONE_BUSY) until it is final", async () => {
    const w = await guarded();
    const phone = "0712 000 100";
    const first = await w.push(checkout({ phone }));
    assert.equal(first.status, 200, first.text);
    const busy = await w.push(checkout({ phone: "254712000100" }));
    refused(busy, 429, "PHONE_BUSY");
    assert.ok(retryAfter(busy) >= 1 && retryAfter(busy) <= 60, busy.headers.get("retry-after"));
    assert.equal(w.palpluss.pushes.length, 1);
    // The customer cancels; PalPluss's webhook, once confirmed, frees the phone at once.
    const id = first.json.data.transactionId;
    w.palpluss.statuses.set(id, "FAILED");
    await w.call(`/webhooks/palpluss/${WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ event_type: "transaction.failed", transaction: { id, status: "FAILED" } }) });
    const again = await eventually(async () => {
      const r = await w.push(checkout({ phone }));
      return r.status === 200 ? r : undefined;
    }, "the phone to be free again");
    assert.equal(again.status, 200);
  });

  test("at most PHONE_MAX_PER_HOUR pushes to a phone: 429 PHONE_LIMIT until the hour has passed", async () => {
    const w = await guarded({ PHONE_COOLDOWN_SECONDS: "0" });
    const phone = "0712 000 200";
    for (let i = 0; i < 5; i++) assert.equal((await w.push(checkout({ phone }))).status, 200);
    const limit = await w.push(checkout({ phone }));
    refused(limit, 429, "PHONE_LIMIT");
    assert.ok(retryAfter(limit) > 3000 && retryAfter(limit) <= 3600, limit.headers.get("retry-after"));
    assert.equal(w.palpluss.pushes.length, 5);
    assert.equal((await w.push(checkout())).status, 200, "other phones are not affected");
  });

  test("a push PalPluss refused counts but does not keep the phone busy", async () => {
    const w = await guarded({ PHONE_MAX_PER_HOUR: "2" });
    w.palpluss.answer = () => Response.json({ success: false, error: { code: "VALIDATION_ERROR", message: "no" }, requestId: "up" }, { status: 400 });
    const phone = "0712 000 300";
    assert.equal((await w.push(checkout({ phone }))).status, 400);
    assert.equal((await w.push(checkout({ phone }))).status, 400, "not busy");
    refused(await w.push(checkout({ phone })), 429, "PHONE_LIMIT");
  });

  test("a push that timed out keeps its phone busy, and its 504 is kept for its key", async () => {
    const w = await guarded({ UPSTREAM_TIMEOUT_MS: "300" });
    let release;
    w.palpluss.gate = new Promise((r) => (release = r));
    const body = checkout({ phone: "0712 000 500" });
    const timedOut = await w.push(body, { key: "k-timeout" });
    refused(timedOut, 504, "UPSTREAM_TIMEOUT");
    // The prompt may be on the phone: no second one during the cooldown, even with another key.
    refused(await w.push(checkout({ phone: "0712 000 500" }), { key: "k-timeout-2" }), 429, "PHONE_BUSY");
    // The same key gets the same answer again, without a push (the 504 came after the push was sent).
    const replay = await w.push(body, { key: "k-timeout" });
    assert.equal(replay.status, 504);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.equal(w.palpluss.pushes.length, 1);
    release();
  });

  test("20 simultaneous pushes to one phone give one push", async () => {
    const w = await guarded();
    const answers = await Promise.all(Array.from({ length: 20 }, () => w.push(checkout({ phone: "0712 000 400" }))));
    assert.equal(w.palpluss.pushes.length, 1);
    const codes = answers.map((r) => (r.status === 200 ? 200 : r.json.error.code));
    assert.equal(codes.filter((c) => c === 200).length, 1, codes.join());
    assert.equal(codes.filter((c) => c === "PHONE_BUSY").length, 19, codes.join());
  });
});

describe("signed checkout intents", () => {
  // Signed `ago` seconds in the past, for 900 s: its exp is `ago - 900` seconds ago.
  const signedAgo = (ago) => ({ now: Date.now() / 1000 - ago });
  test("with INTENT_SECRET: required, checked, and never forwarded", async () => {
    const w = await guarded({ INTENT_SECRET });
    const order = { amount: 1500, accountReference: "ORDER-1042" };
    const intent = signCheckoutIntent(order, INTENT_SECRET);
    refused(await w.push(checkout()), 400, "INTENT_REQUIRED");
    const ok = await w.push(checkout({ intent }));
    assert.equal(ok.status, 200, ok.text);
    assert.ok(!("intent" in w.palpluss.pushes[0]), "the intent stays at the proxy");
    // Tampered in the browser: the amount lowered to 1.
    const mismatch = refused(await w.push(checkout({ intent, amount: 1 })), 400, "INTENT_MISMATCH");
    assert.deepEqual(mismatch.details.fields.map((f) => f.field), ["amount"]);
    const desc = signCheckoutIntent({ ...order, transactionDesc: "Order 1042" }, INTENT_SECRET);
    const both = refused(await w.push(checkout({ intent: desc, accountReference: "ORDER-9", transactionDesc: "Other" })), 400, "INTENT_MISMATCH");
    assert.deepEqual(both.details.fields.map((f) => f.field), ["accountReference", "transactionDesc"]);
    // Forged, truncated, another secret's, not base64url.
    const [p, s] = intent.split(".");
    const cheaper = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, "base64url")), amount: 1 })).toString("base64url");
    for (const bad of [`${cheaper}.${s}`, intent.slice(0, -3), signCheckoutIntent(order, "isec_another_secret_0000"), "not an intent", `${p}.${s}=`]) {
      refused(await w.push(checkout({ intent: bad })), 400, "INTENT_INVALID");
    }
    // Expired beyond the 60 s skew.
    refused(await w.push(checkout({ intent: signCheckoutIntent(order, INTENT_SECRET, signedAgo(965)) })), 400, "INTENT_EXPIRED");
    assert.equal((await w.push(checkout({ intent: signCheckoutIntent(order, INTENT_SECRET, signedAgo(920)) }))).status, 200, "within the skew");
    assert.equal(w.palpluss.pushes.length, 2);
  });

  test("without INTENT_SECRET an intent is not allowed (FIELD_NOT_ALLOWED)", async () => {
    const w = await guarded();
    const r = refused(await w.push(checkout({ intent: signCheckoutIntent({ amount: 1500, accountReference: "ORDER-1042" }, INTENT_SECRET) })), 400, "VALIDATION_FAILED");
    assert.deepEqual(r.details.fields.map((f) => [f.field, f.code]), [["intent", "FIELD_NOT_ALLOWED"]]);
    assert.equal(w.palpluss.pushes.length, 0);
  });
});

describe("Turnstile", () => {
  test("with TURNSTILE_SECRET: required, checked at siteverify with secret, response and remoteip", async () => {
    const w = await guarded({ TURNSTILE_SECRET: TURNSTILE_PASS });
    refused(await w.push(checkout()), 400, "TURNSTILE_REQUIRED");
    refused(await w.push(checkout({ turnstileToken: "  " })), 400, "TURNSTILE_REQUIRED");
    const ok = await w.push(checkout({ turnstileToken: DUMMY_TOKEN }), { ip: "198.51.100.9" });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(w.siteverify.calls.at(-1), { secret: TURNSTILE_PASS, response: DUMMY_TOKEN, remoteip: "198.51.100.9" });
    assert.ok(!("turnstileToken" in w.palpluss.pushes[0]), "the token stays at the proxy");
    w.siteverify.down = true;
    refused(await w.push(checkout({ turnstileToken: DUMMY_TOKEN })), 503, "TURNSTILE_UNAVAILABLE");
    assert.equal(w.palpluss.pushes.length, 1);
  });

  test("a token siteverify refuses: 403 TURNSTILE_FAILED", async () => {
    for (const secret of [TURNSTILE_FAIL, TURNSTILE_SPENT]) {
      const w = await guarded({ TURNSTILE_SECRET: secret });
      refused(await w.push(checkout({ turnstileToken: DUMMY_TOKEN })), 403, "TURNSTILE_FAILED");
      assert.equal(w.palpluss.pushes.length, 0);
    }
  });

  test("without TURNSTILE_SECRET a token is accepted and ignored; over 2048 characters it is TOO_LONG", async () => {
    const w = await guarded();
    assert.equal((await w.push(checkout({ turnstileToken: DUMMY_TOKEN }))).status, 200);
    assert.equal(w.siteverify.calls.length, 0);
    assert.ok(!("turnstileToken" in w.palpluss.pushes[0]));
    const long = refused(await w.push(checkout({ turnstileToken: "x".repeat(2049) })), 400, "VALIDATION_FAILED");
    assert.deepEqual(long.details.fields.map((f) => [f.field, f.code]), [["turnstileToken", "TOO_LONG"]]);
  });
});

describe("CORS for the guard's headers", () => {
  test("preflight allows Idempotency-Key; answers expose Idempotent-Replayed", async () => {
    const w = await guarded();
    const pre = await w.call("/payments/stk", { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type, idempotency-key" } });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get("access-control-allow-headers"), /Idempotency-Key/);
    const r = await w.push(checkout(), { headers: { origin: ORIGIN } });
    assert.match(r.headers.get("access-control-expose-headers"), /Idempotent-Replayed/);
    assert.match(r.headers.get("access-control-expose-headers"), /Retry-After/);
  });
});
