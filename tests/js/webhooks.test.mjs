// Events any backend can verify (DESIGN.md, "Wave 3: the merchant's side"): real events from the
// built Worker carry Standard Webhooks headers beside Palpluss-Stk-Signature, and verify with the
// standardwebhooks libraries for Node (npm) and Python (PyPI), with Stripe's scheme (our Node
// verifyWebhook), for both secret forms and while rotating two secrets.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { startWorker } from "./miniflare.mjs";
import { builtWorker } from "../../scripts/built-worker.mjs";
import { eventually } from "./wait.mjs";
import { root } from "./consumer.mjs";
import { verifyWebhook } from "../../src/node/server.cjs";

const MERCHANT = "https://merchant.example/events";
const STANDARD = `whsec_${randomBytes(32).toString("base64")}`;
const PLAIN = "msec_old_webhooks_0123456789";
const logs = [];
const bodies = [];
const instances = [];
after(() => Promise.all(instances.map((mf) => mf.dispose())));

/** The built Worker with a scripted PalPluss (every payment is paid) and a merchant that keeps what arrives. */
async function worker(secret) {
  const events = [];
  let n = 0;
  const { mf, call } = await startWorker({
    ...builtWorker({
      PALPLUSS_API_KEY: "fake_api_key_webhooks_key", PALPLUSS_BASE_URL: "https://api.palpluss.test/v1", CALLBACK_URL: "",
      WEBHOOK_SECRET: "whk_webhooks_0123456789", MERCHANT_WEBHOOK_URL: MERCHANT, MERCHANT_WEBHOOK_SECRET: secret,
    }),
    outboundService: async (request) => {
      if (request.url === MERCHANT) {
        events.push({ raw: await request.text(), headers: Object.fromEntries(request.headers) });
        return new Response(null, { status: 204 });
      }
      const url = new URL(request.url);
      const id = `0000${String(++n).padStart(4, "0")}-95ea-4a8f-8467-1fbe74f5d6f4`;
      if (url.pathname === "/v1/payments/stk") {
        return Response.json({ success: true, data: { transactionId: id, status: "PENDING", amount: 1500, phone: "254712345678" }, requestId: "up-1" });
      }
      const tx = url.pathname.match(/^\/v1\/transactions\/(.+)$/)?.[1];
      return Response.json({ success: true, data: { transaction_id: tx, status: "SUCCESS", amount: 1500, result_code: "0", result_desc: "ok", mpesa_receipt: "K4NZ2Z9YFV" }, requestId: "up-2" });
    },
  }, { logs, bodies });
  instances.push(mf);
  const r = await call("/payments/stk", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ amount: 1500, phone: "0712 345 678", accountReference: "INV-1", transactionDesc: "Order 1" }) });
  assert.equal(r.status, 200, r.text);
  const id = r.json.data.transactionId;
  await call("/webhooks/palpluss/whk_webhooks_0123456789", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ event: "transaction.updated", transaction: { id, status: "SUCCESS", amount: 1500 } }) });
  const [event] = await eventually(() => (events.length ? events : undefined), "the merchant event");
  return event;
}

/** Verifies with PyPI's standardwebhooks: `"ok"` or the library's error name. */
function python(secret, event) {
  const script = `
import json, sys
from standardwebhooks import Webhook
secret, raw, headers = json.loads(sys.stdin.read())
try:
    payload = Webhook(secret).verify(raw, headers)
    print("ok " + payload["type"])
except Exception as e:
    print(type(e).__name__)`;
  const r = spawnSync(join(root, "target/py-webhooks/bin/python"), ["-c", script], { input: JSON.stringify([secret, event.raw, event.headers]), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const tampered = (event) => ({ ...event, raw: event.raw.replace("SUCCESS", "FAILED") });

test("a whsec_ secret: the event verifies with standardwebhooks (Node and Python), and Stripe's scheme with the secret's text", async () => {
  const event = await worker(STANDARD);
  const { headers } = event;
  const body = JSON.parse(event.raw);
  assert.equal(headers["webhook-id"], body.id);
  assert.match(headers["webhook-id"], /^evt_[0-9a-f]{24}$/);
  assert.match(headers["webhook-timestamp"], /^\d{10}$/);
  assert.match(headers["webhook-signature"], /^v1,[A-Za-z0-9+/]{43}=$/);
  assert.equal(headers["palpluss-stk-signature"].split(",")[0], `t=${headers["webhook-timestamp"]}`);

  assert.equal(new Webhook(STANDARD).verify(event.raw, headers).type, "payment.succeeded");
  assert.throws(() => new Webhook(STANDARD).verify(tampered(event).raw, headers), /signature/i);
  assert.throws(() => new Webhook(`whsec_${randomBytes(32).toString("base64")}`).verify(event.raw, headers), /signature/i);
  assert.equal(python(STANDARD, event), "ok payment.succeeded");
  assert.equal(python(STANDARD, tampered(event)), "WebhookVerificationError");
  // Stripe's scheme (Palpluss-Stk-Signature) is keyed with the whole text, whsec_ included.
  assert.equal(verifyWebhook(event.raw, headers["palpluss-stk-signature"], STANDARD).id, body.id);
});

test("a plain secret: Palpluss-Stk-Signature as before, and Standard Webhooks with the text as the raw key", async () => {
  const event = await worker(PLAIN);
  assert.equal(verifyWebhook(event.raw, event.headers["palpluss-stk-signature"], PLAIN).type, "payment.succeeded");
  assert.equal(new Webhook(PLAIN, { format: "raw" }).verify(event.raw, event.headers).type, "payment.succeeded");
  assert.equal(python(`whsec_${Buffer.from(PLAIN).toString("base64")}`, event), "ok payment.succeeded");
});

test("rotation: two secrets ('new old') sign every event with both; each verifies alone", async () => {
  const event = await worker(`${STANDARD} ${PLAIN}`);
  const signatures = event.headers["webhook-signature"].split(" ");
  assert.equal(signatures.length, 2);
  assert.equal(event.headers["palpluss-stk-signature"].match(/v1=/g).length, 2);
  assert.equal(new Webhook(STANDARD).verify(event.raw, event.headers).type, "payment.succeeded");
  assert.equal(new Webhook(PLAIN, { format: "raw" }).verify(event.raw, event.headers).type, "payment.succeeded");
  assert.equal(python(STANDARD, event), "ok payment.succeeded");
  assert.equal(verifyWebhook(event.raw, event.headers["palpluss-stk-signature"], STANDARD).type, "payment.succeeded");
  assert.equal(verifyWebhook(event.raw, event.headers["palpluss-stk-signature"], PLAIN).type, "payment.succeeded");
});

test("malformed secrets are refused by the configuration check, naming the variable and never the value", async () => {
  for (const secret of ["whsec_dG9vIHNob3J0", "whsec_not base64!", `${STANDARD} ${PLAIN} ${PLAIN}`, `${STANDARD}  ${PLAIN}`]) {
    const { mf, call } = await startWorker(builtWorker({
      PALPLUSS_API_KEY: "fake_api_key_webhooks_key", CALLBACK_URL: "https://shop.example/cb", MERCHANT_WEBHOOK_URL: MERCHANT, MERCHANT_WEBHOOK_SECRET: secret,
    }), { logs, bodies });
    instances.push(mf);
    const health = await call("/health");
    assert.equal(health.status, 503);
    assert.equal(health.json.error.code, "CONFIG_INVALID_MERCHANT_WEBHOOK_SECRET");
    assert.ok(!health.text.includes(secret.split(" ")[0].slice(6, 20)), "the value is not in the answer");
  }
});

test("the README's Standard Webhooks snippets for Node and Python verify a real event and refuse a changed one", async () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const js = /```js\n(import \{ Webhook \} from "standardwebhooks";[\s\S]*?)```/.exec(readme)?.[1];
  const py = /```python\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(js && py, "both snippets are in the README");
  const event = await worker(STANDARD);
  // Node: the snippet as a module beside the repository's node_modules.
  const dir = join(root, "target/readme-snippets");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "handle.mjs"), js);
  process.env.MERCHANT_WEBHOOK_SECRET = STANDARD;
  const { handle } = await import(join(dir, `handle.mjs?${Date.now()}`));
  assert.equal(handle(event.raw, event.headers).type, "payment.succeeded");
  assert.throws(() => handle(tampered(event).raw, event.headers), /signature/i);
  // Python: the snippet, then one call with the event.
  const call = `\nimport json, sys\nraw, headers = json.loads(sys.stdin.read())\ntry:\n    print(handle(raw.encode(), headers)["type"])\nexcept Exception as e:\n    print(type(e).__name__)\n`;
  const run = (e) => spawnSync(join(root, "target/py-webhooks/bin/python"), ["-c", py + call], { input: JSON.stringify([e.raw, e.headers]), encoding: "utf8", env: { ...process.env, MERCHANT_WEBHOOK_SECRET: STANDARD } });
  assert.equal(run(event).stdout.trim(), "payment.succeeded", run(event).stderr);
  assert.equal(run(tampered(event)).stdout.trim(), "WebhookVerificationError");
});

test("no secret in any answer or log line", () => {
  for (const secret of [STANDARD, PLAIN, STANDARD.slice(6)]) {
    assert.ok(!bodies.some((b) => b.includes(secret)), "a secret in a response body");
    assert.ok(!logs.some((l) => l.includes(secret)), "a secret in a log line");
  }
});
