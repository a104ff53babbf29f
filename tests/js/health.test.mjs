// "Wave 3: the key's health" of DESIGN.md through Miniflare: the built Worker with its Durable
// Objects, a scripted PalPluss and a merchant endpoint behind `outboundService`, short windows set
// through the HEALTH_* variables. The breaker (no push reaches PalPluss during a ban, status checks
// go on, the ban survives a restart), the window (known payers first, strangers refused, a phone
// that failed waits), the signed key.* events once per change, GET /health.
import { test, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker } from "./miniflare.mjs";
import { builtWorker } from "../../scripts/built-worker.mjs";
import { eventually } from "./wait.mjs";

const KEY = "fake_api_key_HEALTH-key_for_tests";
const WEBHOOK_SECRET = "whk_health_0123456789";
const MERCHANT_SECRET = "msec_health_0123456789";
const API = "https://api.palpluss.test/v1";
const MERCHANT = "https://merchant.example/events";
const BASE = {
  PALPLUSS_API_KEY: KEY,
  PALPLUSS_BASE_URL: API,
  CALLBACK_URL: "",
  WEBHOOK_SECRET,
  MERCHANT_WEBHOOK_URL: MERCHANT,
  MERCHANT_WEBHOOK_SECRET: MERCHANT_SECRET,
  PHONE_COOLDOWN_SECONDS: "0",
  PHONE_MAX_PER_HOUR: "10000",
};
const logs = [];
const bodies = [];
const instances = [];
after(async () => {
  await Promise.all(instances.map((mf) => mf.dispose()));
  for (const secret of [KEY, WEBHOOK_SECRET, MERCHANT_SECRET]) {
    assert.ok(!bodies.some((b) => b.includes(secret)), "a secret in a response body");
    assert.ok(!logs.some((l) => l.includes(secret)), "a secret in a log line");
  }
});

let counter = 0;
const checkout = (phone) => ({ amount: 1500, phone, accountReference: "INV-1", transactionDesc: "Order 1" });

/** A Worker with a scripted PalPluss: `palpluss.next` answers the next push (default: accepted). */
async function health(bindings = {}, options = {}) {
  const palpluss = { transactions: new Map(), pushes: [], gets: [], next: null };
  const merchant = { events: [] };
  const { mf, call } = await startWorker({
    ...builtWorker({ ...BASE, ...bindings }),
    ...options,
    outboundService: async (request) => {
      const url = new URL(request.url);
      if (request.url === MERCHANT) {
        const raw = await request.text();
        merchant.events.push({ raw, body: JSON.parse(raw), signature: request.headers.get("palpluss-stk-signature") });
        return new Response(null, { status: 200 });
      }
      if (url.pathname === "/v1/payments/stk") {
        const body = await request.json();
        palpluss.pushes.push(body);
        if (palpluss.next) {
          const answer = palpluss.next;
          palpluss.next = null;
          return answer();
        }
        const id = `0000${String(++counter).padStart(4, "0")}-95ea-4a8f-8467-1fbe74f5d6f4`;
        palpluss.transactions.set(id, { status: "PENDING", phone: body.phone });
        return Response.json({ success: true, data: { transactionId: id, status: "PENDING", amount: body.amount, phone: body.phone }, requestId: "up-1" });
      }
      const match = url.pathname.match(/^\/v1\/transactions\/(.+)$/);
      if (match) {
        palpluss.gets.push(match[1]);
        const tx = palpluss.transactions.get(match[1]);
        if (!tx) return Response.json({ success: false, error: { code: "TRANSACTION_NOT_FOUND", message: "no" }, requestId: "up" }, { status: 404 });
        return Response.json({ success: true, data: { transaction_id: match[1], status: tx.status, amount: 1500, result_code: tx.status === "SUCCESS" ? "0" : "1032" }, requestId: "up-2" });
      }
      return new Response("unexpected", { status: 599 });
    },
  }, { logs, bodies });
  instances.push(mf);
  const push = (phone) =>
    call("/payments/stk", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": `2001:db8:7::${(++counter).toString(16)}` }, body: JSON.stringify(checkout(phone)) });
  /** PalPluss settles the payment and says so by webhook; waits until the Worker confirmed it. */
  const settle = async (data, status) => {
    palpluss.transactions.get(data.transactionId).status = status;
    await call(`/webhooks/palpluss/${WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ event: "transaction.updated", transaction: { id: data.transactionId, status } }) });
    await eventually(async () => {
      const r = await call(`/payments/${data.transactionId}`, { headers: { authorization: `Bearer ${data.statusToken}` } });
      return r.json?.data?.final && r.json.data.confirmed;
    }, `${data.transactionId} confirmed ${status}`);
  };
  const key = async () => (await call("/health")).json.key;
  return { mf, call, palpluss, merchant, push, settle, key };
}

const verify = (event) => {
  const { t, v1 } = Object.fromEntries(event.signature.split(",").map((p) => p.split("=")));
  return createHmac("sha256", MERCHANT_SECRET).update(`${t}.${event.raw}`).digest("hex") === v1;
};
const banned = (seconds) => () =>
  Response.json({ success: false, error: { code: "STK_TEMP_BANNED", message: "Too many failed STK pushes.", details: { retryAfterSeconds: seconds } }, requestId: "up-ban" }, { status: 429 });

describe("the breaker", () => {
  test("after PalPluss's ban no push reaches PalPluss until it ends; status checks go on; the merchant hears", async () => {
    const w = await health();
    const before = (await w.push("0712 000 001")).json.data;
    // Long enough that a busy machine still checks the refusals inside it; the wait for its end
    // below is bounded far above it.
    w.palpluss.next = banned(15);
    const ban = await w.push("0712 000 002");
    assert.equal(ban.status, 429);
    assert.equal(ban.json.requestId, "up-ban", "PalPluss's own answer first");
    assert.equal(w.palpluss.pushes.length, 2);

    // Now the proxy answers itself, in the customer's language, with the ban's rest as the wait.
    for (const [lang, words] of [["en", /paused for about \d+ seconds/], ["sw", /yamesitishwa kwa takriban sekunde \d+/]]) {
      const r = await w.call("/payments/stk", { method: "POST", headers: { "content-type": "application/json", "accept-language": lang, "cf-connecting-ip": "2001:db8:8::1" }, body: JSON.stringify(checkout("0712 000 003")) });
      assert.equal(r.status, 429);
      assert.equal(r.json.error.code, "STK_TEMP_BANNED");
      assert.match(r.json.error.message, words);
      const wait = Number(r.headers.get("retry-after"));
      assert.ok(wait >= 1 && wait <= 15, `Retry-After ${wait}`);
      assert.equal(r.json.error.details.retryAfterSeconds, wait);
    }
    assert.equal(w.palpluss.pushes.length, 2, "no push while the ban runs");
    const state = await w.key();
    assert.equal(state.state, "banned");
    assert.match(state.until, /^\d{4}-\d\d-\d\dT/);

    // Status checks go on: the payment made before the ban is confirmed.
    await w.settle(before, "SUCCESS");

    // The merchant is told, signed: key.banned, then key.restored when it ends.
    const told = await eventually(() => w.merchant.events.find((e) => e.body.type === "key.banned"), "key.banned");
    assert.ok(verify(told), "signed like payment events");
    assert.equal(told.body.data.key.state, "banned");
    assert.equal(told.body.data.key.until, state.until);
    const restored = await eventually(() => w.merchant.events.find((e) => e.body.type === "key.restored"), "key.restored");
    assert.ok(verify(restored));
    assert.equal(restored.body.data.key.state, "ok");
    assert.equal((await w.push("0712 000 004")).status, 200, "pushes go again");
    assert.equal(w.merchant.events.filter((e) => e.body.type.startsWith("key.")).length, 2, "once per change");
    assert.equal((await w.key()).state, "ok");
  });

  test("the ban is stored: a restarted Worker keeps refusing", async () => {
    const persist = mkdtempSync(join(tmpdir(), "health-"));
    const first = await health({}, { durableObjectsPersist: persist });
    first.palpluss.next = banned(600);
    assert.equal((await first.push("0712 000 010")).status, 429);
    instances.splice(instances.indexOf(first.mf), 1);
    await first.mf.dispose();
    const second = await health({}, { durableObjectsPersist: persist });
    const r = await second.push("0712 000 011");
    assert.equal(r.status, 429);
    assert.equal(r.json.error.code, "STK_TEMP_BANNED");
    assert.ok(Number(r.headers.get("retry-after")) > 500);
    assert.equal(second.palpluss.pushes.length, 0);
  });
});

describe("the window", () => {
  test("at risk: known payers first, strangers refused, a phone that failed waits; ok again on its own", async () => {
    const w = await health({ HEALTH_MIN_OUTCOMES: "4", HEALTH_MIN_SUCCESS_RATE: "0.5", HEALTH_WINDOW: "10" });
    // A payer: known from now on.
    const paid = (await w.push("0712 111 111")).json.data;
    await w.settle(paid, "SUCCESS");
    // Three cancels: 1 paid of 4.
    for (const phone of ["0799 900 001", "0799 900 002", "0799 900 003"]) {
      const data = (await w.push(phone)).json.data;
      await w.settle(data, "CANCELLED");
    }
    await eventually(async () => (await w.key()).state === "at_risk", "at risk");
    const state = await w.key();
    assert.equal(state.successRate, 0.25);
    assert.equal(state.outcomes, 4);
    const told = await eventually(() => w.merchant.events.find((e) => e.body.type === "key.at_risk"), "key.at_risk");
    assert.ok(verify(told));

    const sent = w.palpluss.pushes.length;
    const stranger = await w.push("0712 222 222");
    assert.equal(stranger.status, 429);
    assert.equal(stranger.json.error.code, "BUSY");
    assert.ok(Number(stranger.headers.get("retry-after")) >= 1);
    const failed = await w.push("0799 900 001");
    assert.equal(failed.status, 429);
    assert.equal(failed.json.error.code, "PHONE_LIMIT");
    assert.ok(Number(failed.headers.get("retry-after")) > 3000, "the rest of the hour");
    assert.equal(w.palpluss.pushes.length, sent, "neither reached PalPluss");

    // The known payer goes through, pays twice more: 3 of 6 is the line, ok again.
    const payAgain = async () => {
      const again = await w.push("0712 111 111");
      assert.equal(again.status, 200);
      await w.settle(again.json.data, "SUCCESS");
    };
    await payAgain();
    await payAgain();
    await eventually(async () => (await w.key()).state === "ok", "ok again");
    await eventually(() => w.merchant.events.find((e) => e.body.type === "key.restored"), "key.restored");
    // At the line a stranger, counted as a failure, would take the share under it; one more
    // payment makes room (4 of 7, and 4 of 8 with the stranger).
    assert.equal((await w.push("0712 222 222")).json.error?.code, "BUSY");
    await payAgain();
    assert.equal((await w.push("0712 222 222")).status, 200, "strangers go again");
  });

  test("HEALTH_MIN_SUCCESS_RATE=0 switches the window off", async () => {
    const w = await health({ HEALTH_MIN_OUTCOMES: "2", HEALTH_MIN_SUCCESS_RATE: "0" });
    for (const phone of ["0799 900 011", "0799 900 012", "0799 900 013"]) {
      await w.settle((await w.push(phone)).json.data, "CANCELLED");
    }
    assert.equal((await w.key()).state, "ok");
    assert.equal((await w.push("0712 333 333")).status, 200);
    assert.equal(w.merchant.events.filter((e) => e.body.type.startsWith("key.")).length, 0);
  });

  test("a malformed threshold is a configuration error that names the variable", async () => {
    const w = await health({ HEALTH_MIN_SUCCESS_RATE: "30%" });
    const r = await w.call("/health");
    assert.equal(r.status, 503);
    assert.equal(r.json.error.code, "CONFIG_INVALID_HEALTH_MIN_SUCCESS_RATE");
    assert.equal(r.json.key, undefined);
  });
});
