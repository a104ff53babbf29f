// The payment index in D1 (DESIGN.md, "Wave 3: the merchant's side"): the built Worker in
// Miniflare with the DB binding wrangler.toml declares applies its migrations itself on first use,
// writes a row per payment (masked phone, keyed hash, never the full number) and one per event
// delivery attempt, off the customer's path; without DB everything else works.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { startWorker } from "./miniflare.mjs";
import { builtWorker } from "../../scripts/built-worker.mjs";
import { eventually } from "./wait.mjs";
import { root } from "./consumer.mjs";

const MERCHANT = "https://merchant.example/events";
const logs = [];
const bodies = [];
const instances = [];
after(() => Promise.all(instances.map((mf) => mf.dispose())));

let counter = 0;
/** The built Worker with a scripted PalPluss (paid once asked) and a merchant answering `merchantStatus`. */
async function worker({ withDb = true, merchantStatus = 204 } = {}) {
  const options = builtWorker({
    PALPLUSS_API_KEY: "fake_api_key_index_key", PALPLUSS_BASE_URL: "https://api.palpluss.test/v1", CALLBACK_URL: "",
    WEBHOOK_SECRET: "whk_index_0123456789", MERCHANT_WEBHOOK_URL: MERCHANT, MERCHANT_WEBHOOK_SECRET: "msec_index_0123456789",
    PHONE_COOLDOWN_SECONDS: "0",
  });
  if (!withDb) delete options.d1Databases;
  const merchant = [];
  const { mf, call } = await startWorker({
    ...options,
    outboundService: async (request) => {
      if (request.url === MERCHANT) {
        merchant.push(await request.text());
        return new Response(null, { status: merchantStatus });
      }
      const url = new URL(request.url);
      if (url.pathname === "/v1/payments/stk") {
        const id = `1d1d${String(++counter).padStart(4, "0")}-95ea-4a8f-8467-1fbe74f5d6f4`;
        const body = await request.json();
        return Response.json({ success: true, data: { transactionId: id, status: "PENDING", amount: body.amount, phone: body.phone }, requestId: "up-1" });
      }
      const tx = url.pathname.match(/^\/v1\/transactions\/(.+)$/)?.[1];
      return Response.json({ success: true, data: { transaction_id: tx, status: "SUCCESS", amount: 1500, result_code: "0", result_desc: "ok", mpesa_receipt: "K4NZ2Z9YFV" }, requestId: "up-2" });
    },
  }, { logs, bodies });
  instances.push(mf);
  const pay = async (phone = "0712 345 678") => {
    const r = await call("/payments/stk", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": `2001:db8:1d::${++counter}` }, body: JSON.stringify({ amount: 1500, phone, accountReference: "INV-7", transactionDesc: "Order 7" }) });
    assert.equal(r.status, 200, r.text);
    return r.json.data;
  };
  const hook = (id) => call("/webhooks/palpluss/whk_index_0123456789", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ event: "transaction.updated", transaction: { id, status: "SUCCESS", amount: 1500 } }) });
  const db = withDb ? await mf.getD1Database("DB") : null;
  const rows = async (sql, ...values) => (await db.prepare(sql).bind(...values).all()).results;
  return { mf, call, pay, hook, db, rows, merchant };
}

test("the Worker applies migrations/ itself on first use, once, recorded as wrangler records them", async () => {
  const w = await worker();
  await w.pay();
  const applied = await eventually(async () => { try { const r = await w.rows("SELECT name FROM d1_migrations ORDER BY id"); return r.length ? r : undefined; } catch { return undefined; } }, "the migrations");
  assert.deepEqual(applied.map((r) => r.name), readdirSync(join(root, "migrations")).filter((f) => f.endsWith(".sql")).sort());
  await w.pay("0711 222 333");
  await eventually(async () => ((await w.rows("SELECT id FROM payments")).length === 2) || undefined, "two rows");
  assert.equal((await w.rows("SELECT name FROM d1_migrations")).length, applied.length, "not applied twice");
});

test("a payment's row: written at the push, then its confirmed final status, receipt and final time; the phone only masked and hashed", async () => {
  const w = await worker();
  const data = await w.pay("0712 345 678");
  const [row] = await eventually(async () => { try { const r = await w.rows("SELECT * FROM payments WHERE id = ?", data.transactionId); return r.length ? r : undefined; } catch { return undefined; } }, "the row");
  assert.deepEqual({ ...row, created: undefined, updated: undefined, phone_hash: undefined },
    { id: data.transactionId, status: "PENDING", amount: 1500, phone_masked: "2547******78", account_reference: "INV-7", receipt: null, final_at: null, created: undefined, updated: undefined, phone_hash: undefined });
  assert.match(row.phone_hash, /^[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(row).includes("712345678"), "no full phone in the index");
  await w.hook(data.transactionId);
  const [paid] = await eventually(async () => { const r = await w.rows("SELECT * FROM payments WHERE id = ? AND status = 'SUCCESS'", data.transactionId); return r.length ? r : undefined; }, "the paid row");
  assert.equal(paid.receipt, "K4NZ2Z9YFV");
  assert.ok(paid.final_at >= paid.created && paid.updated >= paid.created);
  // Same phone, same hash: the admin's phone filter can find it without the index holding the number.
  const other = await w.pay("0712 345 678");
  const hashes = await eventually(async () => { const r = await w.rows("SELECT DISTINCT phone_hash FROM payments WHERE id IN (?, ?)", data.transactionId, other.transactionId); return (await w.rows("SELECT id FROM payments WHERE id = ?", other.transactionId)).length ? r : undefined; }, "the second row");
  assert.equal(hashes.length, 1);
});

test("every delivery attempt of a merchant event is a row: delivered or not", async () => {
  const ok = await worker();
  const paid = await ok.pay();
  await ok.hook(paid.transactionId);
  const [delivered] = await eventually(async () => { const r = await ok.rows("SELECT * FROM deliveries WHERE payment_id = ?", paid.transactionId); return r.length ? r : undefined; }, "the delivery row");
  assert.deepEqual([delivered.type, delivered.attempt, delivered.delivered], ["payment.succeeded", 1, 1]);
  assert.match(delivered.event_id, /^evt_[0-9a-f]{24}$/);
  assert.equal(JSON.parse(ok.merchant[0]).id, delivered.event_id);
  const down = await worker({ merchantStatus: 503 });
  const failed = await down.pay();
  await down.hook(failed.transactionId);
  const [attempt] = await eventually(async () => { const r = await down.rows("SELECT * FROM deliveries WHERE payment_id = ?", failed.transactionId); return r.length ? r : undefined; }, "the failed attempt");
  assert.deepEqual([attempt.attempt, attempt.delivered], [1, 0]);
});

test("without DB the push, the webhook, the status and the event all work as before", async () => {
  const w = await worker({ withDb: false });
  const data = await w.pay();
  await w.hook(data.transactionId);
  const status = await eventually(async () => { const r = await w.call(`/payments/${data.transactionId}`, { headers: { authorization: `Bearer ${data.statusToken}` } }); return r.json?.data?.final ? r.json.data : undefined; }, "the final status");
  assert.equal(status.status, "SUCCESS");
  await eventually(() => w.merchant.length || undefined, "the event");
  assert.ok(!logs.some((l) => l.includes("payment index (DB) could not be written")), "nothing tried to write");
});
