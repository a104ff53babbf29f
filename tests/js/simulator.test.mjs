// The PalPluss simulator behaves like PalPluss: auth, input rules, envelopes, transactions,
// webhooks, and every documented test number.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startSimulator, OUTCOMES, DELIVERIES } from "../../sim/palpluss-sim.mjs";
import { eventually } from "./wait.mjs";

let sim;
const auth = (key = "sim_test_key") => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
const stk = (body, authorization = auth()) =>
  fetch(`${sim.url}/payments/stk`, { method: "POST", headers: { "content-type": "application/json", authorization }, body: JSON.stringify(body) });
const order = (phone, extra = {}) => ({ amount: 100, phone, accountReference: "INV-1", transactionDesc: "Test", callbackUrl: `${sim.origin}/dev/webhooks`, ...extra });
const webhookFor = (id) => eventually(() => sim.webhooks.find((h) => h.transaction?.id === id), `a webhook for ${id}`);

before(async () => { sim = await startSimulator({ port: 0, apiKey: "sim_test_key", webhookDelayMs: 50, slowMs: 300, lateWebhookMs: 400, ratePerMinute: 0 }); });
after(() => sim.close());

test("Basic auth: missing, malformed and wrong keys are refused; base64(key:) and the raw key pass", async () => {
  for (const [header, code] of [[undefined, "AUTH_HEADER_INVALID"], ["Bearer x", "AUTH_HEADER_INVALID"], [auth("wrong"), "INVALID_API_KEY"]]) {
    const r = await fetch(`${sim.url}/payments/stk`, { method: "POST", headers: header ? { authorization: header } : {}, body: "{}" });
    assert.equal(r.status, 401);
    assert.equal((await r.json()).error.code, code);
  }
  assert.equal((await stk(order("0712345678"), "Basic sim_test_key")).status, 200);
});

test("PalPluss's own input rules", async () => {
  for (const [body, status, code] of [
    [order("0201234567"), 400, "INVALID_PHONE"],
    [order("0712345678", { amount: 0 }), 400, "VALIDATION_ERROR"],
    [order("0712345678", { accountReference: "x".repeat(13) }), 400, "VALIDATION_ERROR"],
    [order("0712345678", { transactionDesc: "x".repeat(14) }), 400, "VALIDATION_ERROR"],
    [order("0712345678", { callbackUrl: undefined }), 400, "VALIDATION_ERROR"],
    [order("0712345678", { channelId: "nope" }), 400, "CHANNEL_NOT_FOUND"],
    [order("0712345678", { credential_id: "nope" }), 404, "CREDENTIAL_NOT_FOUND"],
  ]) {
    const r = await stk(body);
    assert.equal(r.status, status);
    const json = await r.json();
    assert.equal(json.success, false);
    assert.equal(json.error.code, code);
    assert.match(json.requestId, /^[0-9a-f-]{36}$/);
  }
});

test("a push is PENDING with fresh ids, then settles by webhook and in GET /transactions/{id}", async () => {
  const r = await stk(order("+254 712 345 678"));
  assert.equal(r.status, 200);
  const { data } = await r.json();
  assert.equal(data.status, "PENDING");
  assert.equal(data.phone, "254712345678");
  assert.match(data.transactionId, /^[0-9a-f-]{36}$/);
  assert.match(data.providerCheckoutId, /^ws_CO_\d{20}$/);
  const second = await (await stk(order("0712345678"))).json();
  assert.notEqual(second.data.transactionId, data.transactionId);

  const hook = await webhookFor(data.transactionId);
  assert.equal(hook.event, "transaction.updated");
  assert.equal(hook.event_type, "transaction.success");
  assert.equal(hook.transaction.status, "SUCCESS");
  assert.match(hook.transaction.mpesa_receipt, /^[A-Z0-9]{10}$/);

  const tx = await fetch(`${sim.url}/transactions/${data.transactionId}`, { headers: { authorization: auth() } });
  assert.equal(tx.status, 200);
  assert.equal((await tx.json()).data.status, "SUCCESS");
  const bad = await fetch(`${sim.url}/transactions/not-a-uuid`, { headers: { authorization: auth() } });
  assert.equal((await bad.json()).error.code, "INVALID_UUID");
  const missing = await fetch(`${sim.url}/transactions/00000000-0000-4000-8000-000000000000`, { headers: { authorization: auth() } });
  assert.equal(missing.status, 404);
});

test("test numbers choose the outcome", async () => {
  for (const [phone, outcome] of Object.entries(OUTCOMES)) {
    const r = await stk(order(`0${phone.slice(3)}`));
    if (outcome.kind === "result") {
      const { data } = await r.json();
      const hook = await webhookFor(data.transactionId);
      assert.equal(hook.transaction.status, outcome.status, phone);
      assert.equal(hook.transaction.result_code, outcome.resultCode, phone);
      assert.equal(hook.transaction.mpesa_receipt, null);
    } else if (outcome.kind === "http") {
      assert.equal(r.status, outcome.status, phone);
      const json = await r.json();
      assert.equal(json.error.code, outcome.code);
      assert.equal(r.headers.get("retry-after"), outcome.retryAfterHeader ?? null);
      if (outcome.details) assert.deepEqual(json.error.details, outcome.details);
    } else if (outcome.kind === "html") {
      assert.equal(r.status, 502);
      assert.match(r.headers.get("content-type"), /text\/html/);
      await r.text();
    } else if (outcome.kind === "slow") {
      assert.equal(r.status, 504, "answered only after slowMs");
      await r.text();
    }
  }
  const cancelled = sim.webhooks.find((h) => h.transaction.result_code === "1032");
  assert.equal(cancelled.event_type, "transaction.cancelled");
});

const get = async (id) => (await (await fetch(`${sim.url}/transactions/${id}`, { headers: { authorization: auth() } })).json()).data;
const push = async (phone) => (await (await stk(order(phone))).json()).data.transactionId;
const hooksFor = (id) => sim.webhooks.filter((h) => h.transaction?.id === id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("delivery test numbers: twice, none, late, lying, progress", async () => {
  assert.deepEqual(Object.values(DELIVERIES).sort(), ["late", "lying", "none", "progress", "twice"]);
  const twice = await push("0700 000 002");
  await eventually(() => hooksFor(twice).length === 2, "two webhooks");
  assert.deepEqual(hooksFor(twice).map((h) => h.transaction.status), ["SUCCESS", "SUCCESS"]);

  const none = await push("0700 000 003");
  await eventually(async () => (await get(none)).status === "SUCCESS", "GET knows");
  await sleep(200);
  assert.equal(hooksFor(none).length, 0, "no webhook at all");

  const late = await push("0700 000 020");
  await eventually(async () => (await get(late)).status === "SUCCESS", "GET knows first");
  assert.equal(hooksFor(late).length, 0, "the webhook is not there yet");
  await eventually(() => hooksFor(late).length === 1, "the late webhook");

  const lying = await push("0700 000 666");
  const lie = await webhookFor(lying);
  assert.equal(lie.transaction.status, "SUCCESS");
  assert.match(lie.transaction.mpesa_receipt, /^[A-Z0-9]{10}$/);
  const truth = await get(lying);
  assert.deepEqual([truth.status, truth.result_code, truth.mpesa_receipt ?? null], ["FAILED", "2001", null]);

  const progress = await push("0700 000 100");
  const seen = new Set();
  await eventually(async () => { seen.add((await get(progress)).status); return seen.has("SUCCESS"); }, "the final status", { everyMs: 5 });
  assert.ok(seen.has("PROCESSING"), [...seen].join());
  assert.equal((await webhookFor(progress)).transaction.status, "SUCCESS");
});

test("PalPluss's requests-a-minute limit per key, with x-ratelimit headers", async () => {
  const limited = await startSimulator({ port: 0, webhookDelayMs: 10_000, ratePerMinute: 3 });
  try {
    const call = () => fetch(`${limited.url}/payments/stk`, { method: "POST", headers: { "content-type": "application/json", authorization: auth() }, body: JSON.stringify(order("0712345678")) });
    const answers = [await call(), await call(), await call(), await call()];
    assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 429]);
    assert.deepEqual(answers.map((r) => r.headers.get("x-ratelimit-remaining")), ["2", "1", "0", "0"]);
    const refused = await answers[3].json();
    assert.equal(refused.error.code, "RATE_LIMIT_EXCEEDED");
    assert.ok(Number(answers[3].headers.get("retry-after")) >= 1);
    const status = await fetch(`${limited.url}/transactions/00000000-0000-4000-8000-000000000000`, { headers: { authorization: auth() } });
    assert.equal(status.status, 429, "status checks count too");
    assert.equal(limited.stats.rateLimited, 2);
  } finally {
    await limited.close();
  }
});

test("the merchant sink verifies both signatures (Palpluss-Stk-Signature and Standard Webhooks) and lists what arrived", async () => {
  const body = JSON.stringify({ id: "evt_1", type: "payment.succeeded", created: 1, data: { payment: {} } });
  const t = Math.floor(Date.now() / 1000);
  const sign = (secret) => `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
  // The simulator's secret is a plain one: its Standard Webhooks key is its text.
  const standard = (secret) => ({ "webhook-id": "evt_1", "webhook-timestamp": String(t), "webhook-signature": `v1,${createHmac("sha256", secret).update(`evt_1.${t}.${body}`).digest("base64")}` });
  const post = (headers) => fetch(`${sim.origin}/dev/merchant`, { method: "POST", headers, body });
  assert.equal((await post({ "palpluss-stk-signature": sign(sim.merchantSecret), ...standard(sim.merchantSecret) })).status, 200);
  assert.equal((await post({ "palpluss-stk-signature": sign("wrong_secret_0123456789"), ...standard(sim.merchantSecret) })).status, 400);
  assert.equal((await post({ "palpluss-stk-signature": sign(sim.merchantSecret), ...standard("wrong_secret_0123456789") })).status, 400);
  const list = await (await fetch(`${sim.origin}/dev/merchant`)).json();
  assert.deepEqual(list.map((e) => [e.verified, e.standardVerified, e.event.id]), [[true, true, "evt_1"], [false, true, "evt_1"], [true, false, "evt_1"]]);
});

test("the key's ban, as a model: too many known pushes with a low paid share ban every push for a while", async () => {
  const model = await startSimulator({ port: 0, webhookDelayMs: 20, ratePerMinute: 0, banMinPushes: 6, banMinSuccessRate: 0.5, banSeconds: 5, banWindowMs: 60_000 });
  const push = (phone) =>
    fetch(`${model.url}/payments/stk`, { method: "POST", headers: { "content-type": "application/json", authorization: auth() }, body: JSON.stringify({ amount: 100, phone, accountReference: "INV-1", transactionDesc: "Test", callbackUrl: `${model.origin}/dev/webhooks` }) });
  const settled = (n) => eventually(() => [...model.transactions.values()].filter((t) => t.status !== "PENDING").length >= n, `${n} settled`);
  try {
    // 3 paid, 3 cancelled (from the attacker's range): a share of 0.5 is not under the line.
    for (const phone of ["0712000001", "0712000002", "0712000003", "0799900001", "0799900002", "0799800003"]) {
      assert.equal((await push(phone)).status, 200, phone);
    }
    await settled(6);
    assert.equal([...model.transactions.values()].filter((t) => t.status === "CANCELLED").length, 2);
    assert.equal([...model.transactions.values()].filter((t) => t.status === "EXPIRED").length, 1);
    assert.equal((await push("0799900004")).status, 200, "3 of 6 paid: no ban");
    await settled(7);
    // 3 of 7 is under half: the next push, whoever it is for, meets the ban.
    const r = await push("0712000009");
    assert.equal(r.status, 429);
    const body = await r.json();
    assert.equal(body.error.code, "STK_TEMP_BANNED");
    assert.ok(body.error.details.retryAfterSeconds >= 1 && body.error.details.retryAfterSeconds <= 5);
    assert.equal(model.stats.bans, 1);
    assert.equal((await push("0712000010")).status, 429, "still banned");
    assert.equal(model.stats.pushesIntoBan, 1, "the push that started the ban is not one sent into it");
    // The ban ends; the recent history still counts, so the model bans again at the next bad push.
    await new Promise((resolve) => setTimeout(resolve, 5100));
    assert.equal((await push("0712000011")).status, 429, "the same history, judged again");
    assert.equal(model.stats.bans, 2);
  } finally {
    await model.close();
  }
  // SIM_BAN_MIN_PUSHES=0: never.
  const lenient = await startSimulator({ port: 0, webhookDelayMs: 5, ratePerMinute: 0, banMinPushes: 0 });
  try {
    for (let i = 0; i < 8; i++) {
      const r = await fetch(`${lenient.url}/payments/stk`, { method: "POST", headers: { "content-type": "application/json", authorization: auth() }, body: JSON.stringify({ amount: 1, phone: `07999000${10 + i}`, accountReference: "A", transactionDesc: "B", callbackUrl: `${lenient.origin}/dev/webhooks` }) });
      assert.equal(r.status, 200);
    }
  } finally {
    await lenient.close();
  }
});
