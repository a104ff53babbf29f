// The PalPluss simulator behaves like PalPluss: auth, input rules, envelopes, transactions,
// webhooks, and every documented test number.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSimulator, OUTCOMES } from "../../sim/palpluss-sim.mjs";
import { eventually } from "./wait.mjs";

let sim;
const auth = (key = "sim_test_key") => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
const stk = (body, authorization = auth()) =>
  fetch(`${sim.url}/payments/stk`, { method: "POST", headers: { "content-type": "application/json", authorization }, body: JSON.stringify(body) });
const order = (phone, extra = {}) => ({ amount: 100, phone, accountReference: "INV-1", transactionDesc: "Test", callbackUrl: `${sim.origin}/dev/webhooks`, ...extra });
const webhookFor = (id) => eventually(() => sim.webhooks.find((h) => h.transaction?.id === id), `a webhook for ${id}`);

before(async () => { sim = await startSimulator({ port: 0, apiKey: "sim_test_key", webhookDelayMs: 50, slowMs: 300 }); });
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
