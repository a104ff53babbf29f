// "The whole payment at the edge" of DESIGN.md through Miniflare: the built Worker with its
// Durable Objects (SQLite) and alarms, a scripted PalPluss and a merchant endpoint behind
// `outboundService`. One test per contract sentence; the slow ones (the 15 s fallback poll, the
// 30 s event retry) run concurrently.
import { test, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startWorker } from "./miniflare.mjs";
import { builtWorker } from "../../scripts/built-worker.mjs";
import { eventually } from "./wait.mjs";

const KEY = "fake_api_key_LIFECYCLE-key_for_tests";
const WEBHOOK_SECRET = "whk_lifecycle_0123456789";
const MERCHANT_SECRET = "msec_lifecycle_0123456789";
const ORIGIN = "https://shop.example";
const API = "https://api.palpluss.test/v1";
const MERCHANT = "https://merchant.example/events";
const BASE = {
  PALPLUSS_API_KEY: KEY,
  PALPLUSS_BASE_URL: API,
  CALLBACK_URL: "",
  WEBHOOK_SECRET,
  ALLOWED_ORIGINS: ORIGIN,
  MERCHANT_WEBHOOK_URL: MERCHANT,
  MERCHANT_WEBHOOK_SECRET: MERCHANT_SECRET,
  // One phone is pushed many times: the per-phone guard is tested in guard.test.mjs.
  PHONE_COOLDOWN_SECONDS: "0",
  PHONE_MAX_PER_HOUR: "10000",
};
const CHECKOUT = { amount: 1500, phone: "0712 345 678", accountReference: "INV-1", transactionDesc: "Order 1" };
const logs = [];
const bodies = [];
const instances = [];
after(async () => {
  await Promise.all(instances.map((mf) => mf.dispose()));
  // No secret ever left the Worker, in a body or a log line.
  for (const secret of [KEY, Buffer.from(`${KEY}:`).toString("base64"), WEBHOOK_SECRET, MERCHANT_SECRET]) {
    assert.ok(!bodies.some((b) => b.includes(secret)), "a secret in a response body");
    assert.ok(!logs.some((l) => l.includes(secret)), `a secret in a log line: ${logs.find((l) => l.includes(secret))}`);
  }
});

let counter = 0;
/**
 * A Worker with a scripted PalPluss: every push creates a transaction whose status GET answers
 * (`tx.status`, `tx.resultCode`, `tx.receipt`); `merchant.answer` is the merchant's status code.
 */
async function lifecycle(bindings = {}) {
  const palpluss = { transactions: new Map(), gets: [], pushes: [], getGate: null };
  const merchant = { events: [], answer: 200 };
  const { mf, call } = await startWorker({
    ...builtWorker({ ...BASE, ...bindings }),
    outboundService: async (request) => {
      const url = new URL(request.url);
      if (request.url === MERCHANT) {
        const raw = await request.text();
        merchant.events.push({ raw, body: JSON.parse(raw), signature: request.headers.get("palpluss-stk-signature"), at: Date.now() });
        return new Response(null, { status: merchant.answer });
      }
      if (url.pathname === "/v1/payments/stk") {
        const body = await request.json();
        const id = `0000${String(++counter).padStart(4, "0")}-95ea-4a8f-8467-1fbe74f5d6f4`;
        palpluss.pushes.push({ body, authorization: request.headers.get("authorization") });
        palpluss.transactions.set(id, { status: "PENDING", resultCode: null, receipt: null });
        return Response.json({ success: true, data: { transactionId: id, status: "PENDING", amount: body.amount, phone: body.phone, providerCheckoutId: "ws_CO_1" }, requestId: "up-1" });
      }
      const match = url.pathname.match(/^\/v1\/transactions\/(.+)$/);
      if (match && request.method === "GET") {
        palpluss.gets.push({ id: match[1], authorization: request.headers.get("authorization"), at: Date.now() });
        if (palpluss.getGate) await palpluss.getGate;
        const tx = palpluss.transactions.get(match[1]);
        if (!tx) return Response.json({ success: false, error: { code: "TRANSACTION_NOT_FOUND", message: "no" }, requestId: "up" }, { status: 404 });
        return Response.json({ success: true, data: { transaction_id: match[1], status: tx.status, amount: 1500, result_code: tx.resultCode, result_desc: tx.resultCode ? `desc ${tx.resultCode}` : null, ...(tx.receipt && { mpesa_receipt: tx.receipt }) }, requestId: "up-2" });
      }
      return new Response("unexpected", { status: 599 });
    },
  }, { logs, bodies });
  instances.push(mf);
  const push = async (checkout = CHECKOUT) => {
    // Each from its own client IP: the per-IP limit is tested in guard.test.mjs.
    const ip = `2001:db8::${(++counter).toString(16)}`;
    const r = await call("/payments/stk", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": ip }, body: JSON.stringify(checkout) });
    return r;
  };
  const status = (id, token, init = {}) => call(`/payments/${id}`, { headers: { authorization: `Bearer ${token}` }, ...init });
  const webhook = (body, secret = WEBHOOK_SECRET) =>
    call(`/webhooks/palpluss/${secret}`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const hook = (id, status, extra = {}) => ({ event: "transaction.updated", event_type: `transaction.${status.toLowerCase()}`, transaction: { id, status, amount: 1500, ...extra } });
  /** Waits for the payment's status (through the public route) to satisfy `check`. */
  const until = (id, token, check, what) => eventually(async () => { const r = await status(id, token); return r.status === 200 && check(r.json.data) ? r.json.data : undefined; }, what);
  return { mf, palpluss, merchant, call, push, status, webhook, hook, until };
}

const verify = (raw, header, secret = MERCHANT_SECRET) => {
  const { t, v1 } = Object.fromEntries(header.split(",").map((p) => p.split("=")));
  return createHmac("sha256", secret).update(`${t}.${raw}`).digest("hex") === v1;
};

describe("payment record and status", () => {
  test("an accepted push gains statusUrl and statusToken, the rest unchanged", async () => {
    const w = await lifecycle();
    const r = await w.push();
    assert.equal(r.status, 200);
    const { data } = r.json;
    assert.equal(data.statusUrl, `/payments/${data.transactionId}`);
    assert.match(data.statusToken, /^[A-Za-z0-9_-]{22,}$/, "base64url, at least 128 bits");
    assert.deepEqual({ ...data, statusUrl: undefined, statusToken: undefined },
      { transactionId: data.transactionId, status: "PENDING", amount: 1500, phone: "254712345678", providerCheckoutId: "ws_CO_1", statusUrl: undefined, statusToken: undefined });
    assert.equal(r.json.success, true);
    assert.equal(r.json.requestId, "up-1");
    const again = await w.push();
    assert.notEqual(again.json.data.statusToken, data.statusToken, "a token per payment");
  });

  test("GET /payments/{id} with the token (Bearer or ?token=) answers the status object, phone masked", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    const r = await w.status(data.transactionId, data.statusToken);
    assert.equal(r.status, 200);
    assert.equal(r.json.success, true);
    assert.ok(r.json.requestId);
    const s = r.json.data;
    assert.deepEqual(Object.keys(s).sort(), ["accountReference", "amount", "confirmed", "final", "message", "mpesaReceipt", "phone", "resultCode", "resultDesc", "status", "transactionId", "updatedAt"]);
    assert.equal(s.status, "PENDING");
    assert.equal(s.final, false);
    assert.equal(s.confirmed, false);
    assert.equal(s.phone, "2547******78");
    assert.equal(s.amount, 1500);
    assert.equal(s.accountReference, "INV-1");
    assert.match(s.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(s.message, /PIN/);
    const byQuery = await w.call(`/payments/${data.transactionId}?token=${data.statusToken}`);
    assert.deepEqual(byQuery.json.data, s);
  });

  test("unknown id, wrong, missing or malformed token and malformed id all give the same 404", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    const answers = [
      await w.status("ffffffff-95ea-4a8f-8467-1fbe74f5d6f4", data.statusToken),
      await w.status(data.transactionId, `${data.statusToken}x`),
      await w.call(`/payments/${data.transactionId}`),
      await w.status(data.transactionId, "a".repeat(5000)),
      await w.status("bad%20id", data.statusToken),
      await w.call(`/payments/${data.transactionId}/events?token=wrong`),
    ];
    for (const r of answers) {
      assert.equal(r.status, 404, r.text);
      assert.deepEqual({ ...r.json, requestId: undefined }, { success: false, error: { code: "PAYMENT_NOT_FOUND", message: answers[0].json.error.message }, requestId: undefined });
    }
  });

  test("CORS for the status routes as for the push", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    const r = await w.status(data.transactionId, data.statusToken, { headers: { authorization: `Bearer ${data.statusToken}`, origin: ORIGIN } });
    assert.equal(r.headers.get("access-control-allow-origin"), ORIGIN);
    const preflight = await w.call(`/payments/${data.transactionId}`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get("access-control-allow-headers"), /Authorization/);
    assert.match(preflight.headers.get("access-control-allow-methods"), /GET/);
    const other = await w.call(`/payments/${data.transactionId}`, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    assert.equal(other.status, 403);
  });

  test("the event stream sends the status at once and at each change, and closes after a final one", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    const response = await w.mf.dispatchFetch(`https://pay.shop.example/payments/${data.transactionId}/events?token=${data.statusToken}`, { headers: { origin: ORIGIN } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type"), /^text\/event-stream/);
    assert.equal(response.headers.get("access-control-allow-origin"), ORIGIN);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const events = () => [...text.matchAll(/event: status\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]));
    const readUntil = async (check) => { while (!check()) { const { value, done } = await reader.read(); if (done) return false; text += decoder.decode(value); } return true; };
    assert.ok(await readUntil(() => events().length >= 1));
    assert.equal(events()[0].status, "PENDING");
    // PalPluss says PROCESSING, then SUCCESS: each shows on the stream, then it closes.
    w.palpluss.transactions.get(data.transactionId).status = "PROCESSING";
    await w.webhook(w.hook(data.transactionId, "PROCESSING"));
    assert.ok(await readUntil(() => events().length >= 2));
    assert.equal(events()[1].status, "PROCESSING");
    Object.assign(w.palpluss.transactions.get(data.transactionId), { status: "SUCCESS", resultCode: "0" });
    const webhookAt = Date.now();
    await w.webhook(w.hook(data.transactionId, "SUCCESS", { mpesa_receipt: "K4NZ2Z9YFV" }));
    assert.ok(await readUntil(() => events().some((e) => e.final)));
    const paid = events().at(-1);
    console.log(`# webhook to SSE final status: ${Date.now() - webhookAt} ms`);
    assert.deepEqual([paid.status, paid.final, paid.confirmed, paid.mpesaReceipt], ["SUCCESS", true, true, "K4NZ2Z9YFV"]);
    const { done } = await reader.read();
    assert.equal(done, true, "closed after the final status");
    // Opened on a final payment: one event, then closed.
    const late = await w.call(`/payments/${data.transactionId}/events?token=${data.statusToken}`);
    assert.equal([...late.text.matchAll(/event: status/g)].length, 1);
  });
});

describe("Kiswahili", () => {
  const SW = "sw-KE,sw;q=0.9,en;q=0.8";
  test("a push answers in the language Accept-Language prefers, codes unchanged", async () => {
    const w = await lifecycle();
    const bad = { ...CHECKOUT, amount: 0, phone: "0712" };
    const post = (language) => w.call("/payments/stk", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": `2001:db8::a${++counter}`, ...(language && { "accept-language": language }) }, body: JSON.stringify(bad) });
    const sw = await post(SW);
    assert.equal(sw.status, 400);
    assert.equal(sw.json.error.code, "VALIDATION_FAILED");
    assert.equal(sw.json.error.message, "Baadhi ya maelezo ya malipo yanahitaji kurekebishwa.");
    assert.deepEqual(sw.json.error.details.fields.map((f) => [f.field, f.code, f.message]), [
      ["amount", "AMOUNT_TOO_SMALL", "Kiasi lazima kiwe angalau KES 1."],
      ["phone", "PHONE_TOO_SHORT", "Namba hii ni fupi mno: namba ya simu ya Kenya ina tarakimu 10, mfano 0712 345 678."],
    ]);
    assert.match(sw.headers.get("vary"), /Accept-Language/);
    for (const language of [undefined, "en-GB,en;q=0.9", "fr-FR", "en;q=0.9,sw;q=0.8", "sw;q=0"]) {
      const en = await post(language);
      assert.equal(en.json.error.message, "Some payment details need correcting.", String(language));
      assert.deepEqual(en.json.error.details.fields.map((f) => f.code), ["AMOUNT_TOO_SMALL", "PHONE_TOO_SHORT"]);
    }
    assert.equal(w.palpluss.pushes.length, 0);
  });

  test("the status routes answer in ?lang= or Accept-Language, the merchant's event in English", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    Object.assign(w.palpluss.transactions.get(data.transactionId), { status: "CANCELLED", resultCode: "1032" });
    await w.webhook(w.hook(data.transactionId, "CANCELLED"));
    await w.until(data.transactionId, data.statusToken, (s) => s.final, "cancelled");
    const message = async (path, headers = {}) =>
      (await w.call(path, { headers: { authorization: `Bearer ${data.statusToken}`, ...headers } })).json.data.message;
    const at = `/payments/${data.transactionId}`;
    const cancelledSw = "Umeghairi ombi la M-Pesa. Jaribu tena ukiwa tayari.";
    const cancelledEn = "You cancelled the M-Pesa prompt. Try again when you are ready.";
    assert.equal(await message(`${at}?lang=sw`), cancelledSw);
    assert.equal(await message(at, { "accept-language": SW }), cancelledSw);
    assert.equal(await message(at), cancelledEn);
    assert.equal(await message(`${at}?lang=en`, { "accept-language": SW }), cancelledEn, "lang wins");
    assert.equal(await message(`${at}?lang=xx`, { "accept-language": SW }), cancelledSw, "an unknown lang is ignored");
    const stream = await w.call(`${at}/events?token=${data.statusToken}&lang=sw`);
    const events = [...stream.text.matchAll(/event: status\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]));
    assert.equal(events.length, 1);
    assert.equal(events[0].message, cancelledSw);
    await eventually(() => w.merchant.events[0], "the merchant's event");
    assert.equal(w.merchant.events[0].body.data.payment.message, cancelledEn);
  });
});

describe("webhooks in, confirmed", () => {
  test("without CALLBACK_URL the callback is the Worker's own webhook route; a set CALLBACK_URL wins", async () => {
    const w = await lifecycle();
    await w.push();
    assert.equal(w.palpluss.pushes[0].body.callbackUrl, `https://pay.shop.example/webhooks/palpluss/${WEBHOOK_SECRET}`);
    const explicit = await lifecycle({ CALLBACK_URL: "https://shop.example/mpesa" });
    await explicit.push();
    assert.equal(explicit.palpluss.pushes[0].body.callbackUrl, "https://shop.example/mpesa");
  });

  test("any other path or secret is 404, and without WEBHOOK_SECRET the route does not exist", async () => {
    const w = await lifecycle();
    for (const path of [`/webhooks/palpluss/${WEBHOOK_SECRET}x`, "/webhooks/palpluss/", `/webhooks/palpluss/${WEBHOOK_SECRET.slice(0, -1)}`, `/webhooks/other/${WEBHOOK_SECRET}`]) {
      const r = await w.call(path, { method: "POST", body: "{}" });
      assert.equal(r.status, 404, path);
      assert.equal(r.json.error.code, "NOT_FOUND");
    }
    const none = await lifecycle({ WEBHOOK_SECRET: "", CALLBACK_URL: "https://shop.example/mpesa" });
    assert.equal((await none.webhook({}, "")).status, 404);
  });

  test("a webhook is answered 200 at once, then confirmed by GET /transactions/{id} with the key", async () => {
    const w = await lifecycle();
    const pushedAt = Date.now();
    const { data } = (await w.push()).json;
    Object.assign(w.palpluss.transactions.get(data.transactionId), { status: "FAILED", resultCode: "2001" });
    let release;
    w.palpluss.getGate = new Promise((r) => { release = r; });
    const r = await w.webhook(w.hook(data.transactionId, "FAILED", { result_code: "2001" }));
    assert.equal(r.status, 200, "answered while PalPluss has not answered the confirmation yet");
    assert.equal(r.json.success, true);
    await eventually(() => w.palpluss.gets.length === 1, "the confirmation request");
    assert.equal(w.palpluss.gets[0].authorization, `Basic ${Buffer.from(`${KEY}:`).toString("base64")}`);
    release();
    w.palpluss.getGate = null;
    const s = await w.until(data.transactionId, data.statusToken, (s) => s.final, "the confirmed status");
    assert.deepEqual([s.status, s.confirmed, s.resultCode, s.mpesaReceipt], ["FAILED", true, "2001", null]);
    assert.match(s.message, /PIN/);
    // Upstream calls for a payment whose webhook came: the push and one confirmation (plus the
    // 15 s poll only if this machine was so slow that the test outlived it).
    const polled = Date.now() - pushedAt >= 14_000 ? 1 : 0;
    assert.equal(w.palpluss.pushes.length, 1);
    assert.ok(w.palpluss.gets.length >= 1 && w.palpluss.gets.length <= 1 + polled, `${w.palpluss.gets.length} GETs`);
    // The log shows the route, never the secret.
    assert.ok(logs.some((l) => l.includes("/webhooks/palpluss/***")));
  });

  test("duplicates, replays and out-of-order webhooks change nothing twice and cost no second call", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    Object.assign(w.palpluss.transactions.get(data.transactionId), { status: "CANCELLED", resultCode: "1032" });
    await w.webhook(w.hook(data.transactionId, "CANCELLED"));
    await w.until(data.transactionId, data.statusToken, (s) => s.final, "cancelled");
    const calls = w.palpluss.gets.length;
    for (const status of ["CANCELLED", "CANCELLED", "PENDING", "SUCCESS", "FAILED"]) {
      assert.equal((await w.webhook(w.hook(data.transactionId, status))).status, 200);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(w.palpluss.gets.length, calls, "no upstream call for a settled payment");
    const s = (await w.status(data.transactionId, data.statusToken)).json.data;
    assert.equal(s.status, "CANCELLED");
    assert.match(s.message, /cancelled/);
    assert.equal(w.merchant.events.length, 1, "one event per payment and final status");
  });

  test("a webhook for a transaction this Worker did not create is acknowledged and ignored", async () => {
    const w = await lifecycle();
    const r = await w.webhook(w.hook("ffffffff-1111-4a8f-8467-1fbe74f5d6f4", "SUCCESS"));
    assert.equal(r.status, 200);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(w.palpluss.gets.length, 0);
  });

  test("a forged SUCCESS webhook loses to the GET; a receipt shows only once the GET says SUCCESS", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    Object.assign(w.palpluss.transactions.get(data.transactionId), { status: "FAILED", resultCode: "1" });
    await w.webhook(w.hook(data.transactionId, "SUCCESS", { mpesa_receipt: "FORGED1234" }));
    const s = await w.until(data.transactionId, data.statusToken, (s) => s.final, "the confirmed status");
    assert.deepEqual([s.status, s.mpesaReceipt], ["FAILED", null]);
    assert.match(s.message, /balance/);
    const event = await eventually(() => w.merchant.events[0], "the merchant event");
    assert.equal(event.body.type, "payment.failed");
  });

  test("hostile webhook bodies get a clear 400 and lose nothing", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    const cases = [
      ["not json", "INVALID_JSON"],
      ["[1,2,3]", "INVALID_JSON"],
      [JSON.stringify({ transaction: { id: data.transactionId, status: "SUCCESS", pad: "x".repeat(70 * 1024) } }), "BODY_TOO_LARGE"],
      [JSON.stringify({ transaction: { id: ["x"], status: 5 } }), "WEBHOOK_INVALID"],
      [JSON.stringify({ hello: "world" }), "WEBHOOK_INVALID"],
    ];
    for (const [body, code] of cases) {
      const r = await w.webhook(body);
      assert.equal(r.status, 400, body.slice(0, 40));
      assert.equal(r.json.error.code, code);
    }
    const big = await w.call(`/webhooks/palpluss/${WEBHOOK_SECRET}`, { method: "POST", body: "x".repeat(1 << 20) });
    assert.equal(big.status, 400);
    assert.equal(w.palpluss.gets.length, 0);
    // Unknown fields are fine; the payment still confirms after all that.
    Object.assign(w.palpluss.transactions.get(data.transactionId), { status: "SUCCESS", resultCode: "0", receipt: "R0R0R0R0R0" });
    const ok = await w.webhook({ ...w.hook(data.transactionId, "SUCCESS"), extra: { nested: [1, { deep: true }] } });
    assert.equal(ok.status, 200);
    const s = await w.until(data.transactionId, data.statusToken, (s) => s.final, "confirmed");
    assert.equal(s.mpesaReceipt, "R0R0R0R0R0");
  });

  test("SUCCESS then a confirmed REVERSED: the one change after a final status, with its own event", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    Object.assign(w.palpluss.transactions.get(data.transactionId), { status: "SUCCESS", resultCode: "0" });
    await w.webhook(w.hook(data.transactionId, "SUCCESS", { mpesa_receipt: "K4NZ2Z9YFV" }));
    await w.until(data.transactionId, data.statusToken, (s) => s.status === "SUCCESS", "paid");
    w.palpluss.transactions.get(data.transactionId).status = "REVERSED";
    await w.webhook(w.hook(data.transactionId, "REVERSED"));
    const s = await w.until(data.transactionId, data.statusToken, (s) => s.status === "REVERSED", "reversed");
    assert.equal(s.mpesaReceipt, "K4NZ2Z9YFV");
    await eventually(() => w.merchant.events.length === 2, "two events");
    assert.deepEqual(w.merchant.events.map((e) => e.body.type), ["payment.succeeded", "payment.reversed"]);
  });

  test("the budget: never more than UPSTREAM_RATE_PER_MINUTE calls with the key; a push that finds none gets 429 BUSY", async () => {
    const w = await lifecycle({ UPSTREAM_RATE_PER_MINUTE: "2" });
    assert.equal((await w.push()).status, 200);
    assert.equal((await w.push()).status, 200);
    const busy = await w.push();
    assert.equal(busy.status, 429);
    assert.equal(busy.json.error.code, "BUSY");
    const seconds = Number(busy.headers.get("retry-after"));
    assert.ok(seconds >= 1 && seconds <= 60, `Retry-After ${seconds}`);
    assert.equal(w.palpluss.pushes.length, 2);
  });
});

describe("slow paths, concurrently", { concurrency: true }, () => {
  test("no webhook: the Worker asks PalPluss itself 15 s after the push, then every 10 s", async () => {
    const w = await lifecycle();
    const pushedAt = Date.now();
    const { data } = (await w.push()).json;
    w.palpluss.transactions.get(data.transactionId).status = "PROCESSING";
    await eventually(() => w.palpluss.gets.length >= 1, "the first poll", { limitMs: 90_000, everyMs: 200 });
    const first = w.palpluss.gets[0].at - pushedAt;
    assert.ok(first >= 14_000, `first poll after ${first} ms`);
    Object.assign(w.palpluss.transactions.get(data.transactionId), { status: "SUCCESS", resultCode: "0", receipt: "POLL123456" });
    const s = await w.until(data.transactionId, data.statusToken, (s) => s.final, "the polled final status");
    assert.deepEqual([s.status, s.confirmed, s.mpesaReceipt], ["SUCCESS", true, "POLL123456"]);
    const gap = w.palpluss.gets[1].at - w.palpluss.gets[0].at;
    assert.ok(gap >= 9_000, `second poll ${gap} ms after the first`);
    const event = await eventually(() => w.merchant.events[0], "the event");
    assert.equal(event.body.type, "payment.succeeded");
  });

  test("an open stream on a payment that stays open sends a comment line every 15 s", async () => {
    const w = await lifecycle();
    const { data } = (await w.push()).json;
    const response = await w.mf.dispatchFetch(`https://pay.shop.example/payments/${data.transactionId}/events?token=${data.statusToken}`);
    const reader = response.body.getReader();
    const opened = Date.now();
    let text = "";
    while (!text.includes(": keep-alive")) {
      const { value, done } = await reader.read();
      assert.equal(done, false, "still open");
      text += new TextDecoder().decode(value);
    }
    const after = Date.now() - opened;
    assert.ok(after >= 14_000, `first comment after ${after} ms`);
    // The 15 s poll may have confirmed PENDING meanwhile (an event of its own); nothing is final.
    const statuses = [...text.matchAll(/data: (.*)\n\n/g)].map((m) => JSON.parse(m[1]));
    assert.ok(statuses.length >= 1 && statuses.every((p) => p.status === "PENDING" && !p.final), text);
    await reader.cancel();
  });

  test("merchant events are signed, retried after 30 s with the same id and a fresh t, and end at a 2xx", async () => {
    const w = await lifecycle();
    w.merchant.answer = 500;
    const { data } = (await w.push()).json;
    Object.assign(w.palpluss.transactions.get(data.transactionId), { status: "SUCCESS", resultCode: "0", receipt: "EVT1234567" });
    await w.webhook(w.hook(data.transactionId, "SUCCESS"));
    const first = await eventually(() => w.merchant.events[0], "the first delivery");
    w.merchant.answer = 204;
    assert.ok(verify(first.raw, first.signature), `signature ${first.signature}`);
    assert.ok(!verify(first.raw.replace("1500", "1"), first.signature), "a tampered body fails");
    assert.match(first.body.id, /^evt_[0-9a-f]{24}$/);
    assert.equal(first.body.type, "payment.succeeded");
    assert.equal(first.body.data.payment.phone, "254712345678", "the merchant gets the full phone");
    assert.equal(first.body.data.payment.mpesaReceipt, "EVT1234567");
    assert.ok(Math.abs(first.body.created - Date.now() / 1000) < 120);
    const second = await eventually(() => w.merchant.events[1], "the retry", { limitMs: 120_000, everyMs: 250 });
    const waited = second.at - first.at;
    assert.ok(waited >= 29_000, `retried after ${waited} ms`);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.raw, first.raw, "the same body");
    assert.notEqual(second.signature, first.signature, "a fresh t");
    assert.ok(verify(second.raw, second.signature));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(w.merchant.events.length, 2, "a 2xx ends it");
  });
});

describe("configuration", () => {
  test("MERCHANT_WEBHOOK_URL without MERCHANT_WEBHOOK_SECRET is a configuration error", async () => {
    const w = await lifecycle({ MERCHANT_WEBHOOK_SECRET: "" });
    const r = await w.push();
    assert.equal(r.status, 500);
    assert.equal(r.json.error.code, "CONFIG_MISSING_MERCHANT_WEBHOOK_SECRET");
  });
});
