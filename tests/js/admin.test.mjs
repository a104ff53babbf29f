// The admin API (DESIGN.md, "Wave 3: the merchant's side") through Miniflare with D1: without
// ADMIN_TOKEN every /admin route is 404; a missing or wrong token is the same 401 everywhere; the
// list with filters and cursor paging, the streamed CSV, one payment with its deliveries, resending
// its event, the key's health with outcomes per hour; phones masked except under a full-number filter.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./miniflare.mjs";
import { builtWorker } from "../../scripts/built-worker.mjs";
import { eventually } from "./wait.mjs";

const TOKEN = "adm_test_0123456789abcdef0123";
const MERCHANT = "https://merchant.example/events";
const logs = [];
const bodies = [];
const instances = [];
after(async () => {
  await Promise.all(instances.map((mf) => mf.dispose()));
  assert.ok(!bodies.some((b) => b.includes(TOKEN)) && !logs.some((l) => l.includes(TOKEN)), "the token never leaves the Worker");
});

let counter = 0;
async function worker(bindings = {}, { withDb = true } = {}) {
  const options = builtWorker({
    PALPLUSS_API_KEY: "fake_api_key_admin_key", PALPLUSS_BASE_URL: "https://api.palpluss.test/v1", CALLBACK_URL: "",
    WEBHOOK_SECRET: "whk_admin_0123456789", MERCHANT_WEBHOOK_URL: MERCHANT, MERCHANT_WEBHOOK_SECRET: "msec_admin_0123456789",
    PHONE_COOLDOWN_SECONDS: "0", PHONE_MAX_PER_HOUR: "10000", ADMIN_TOKEN: TOKEN, ...bindings,
  });
  if (!withDb) delete options.d1Databases;
  const merchant = [];
  const outcome = new Map();
  const { mf, call } = await startWorker({
    ...options,
    outboundService: async (request) => {
      if (request.url === MERCHANT) { merchant.push(JSON.parse(await request.text())); return new Response(null, { status: 204 }); }
      const url = new URL(request.url);
      if (url.pathname === "/v1/payments/stk") {
        const id = `adad${String(++counter).padStart(4, "0")}-95ea-4a8f-8467-1fbe74f5d6f4`;
        const body = await request.json();
        return Response.json({ success: true, data: { transactionId: id, status: "PENDING", amount: body.amount, phone: body.phone }, requestId: "up" });
      }
      const tx = url.pathname.match(/^\/v1\/transactions\/(.+)$/)?.[1];
      const status = outcome.get(tx) ?? "SUCCESS";
      return Response.json({ success: true, data: { transaction_id: tx, status, amount: 1, result_code: status === "SUCCESS" ? "0" : "1032", result_desc: "d", ...(status === "SUCCESS" && { mpesa_receipt: "K4NZ2Z9YFV" }) }, requestId: "up" });
    },
  }, { logs, bodies });
  instances.push(mf);
  const admin = (path, init = {}) => call(`/admin${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...init.headers } });
  const pay = async ({ phone = "0712 345 678", amount = 100, reference = "INV-1", status } = {}) => {
    const r = await call("/payments/stk", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": `2001:db8:ad::${++counter}` }, body: JSON.stringify({ amount, phone, accountReference: reference, transactionDesc: "Order" }) });
    assert.equal(r.status, 200, r.text);
    const id = r.json.data.transactionId;
    if (status) {
      outcome.set(id, status);
      await call("/webhooks/palpluss/whk_admin_0123456789", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ event: "transaction.updated", transaction: { id, status, amount } }) });
    }
    return id;
  };
  const db = withDb ? await mf.getD1Database("DB") : null;
  return { mf, call, admin, pay, db, merchant };
}

/** Waits until the index has `n` payments (it is written in the background). */
const indexed = (w, n, where = "1 = 1") => eventually(async () => {
  try { return (await w.db.prepare(`SELECT COUNT(*) AS n FROM payments WHERE ${where}`).first()).n >= n || undefined; } catch { return undefined; }
}, `${n} indexed payments`);

let w;
let ids = [];
before(async () => {
  w = await worker();
  ids.push(await w.pay({ phone: "0712 345 678", reference: "INV-1", status: "SUCCESS" }));
  ids.push(await w.pay({ phone: "0711 222 333", reference: "INV-2", status: "CANCELLED" }));
  for (let i = 0; i < 5; i++) ids.push(await w.pay({ phone: "0722 000 111", reference: `INV-${10 + i}` }));
  await indexed(w, 7);
  await indexed(w, 2, "final_at IS NOT NULL");
});

test("without ADMIN_TOKEN every /admin route is 404, like any unknown path", async () => {
  const off = await worker({ ADMIN_TOKEN: "" });
  for (const path of ["", "/", "/payments", "/payments.csv", "/health", `/payments/${ids[0]}`]) {
    const r = await off.admin(path);
    assert.equal(r.status, 404, path);
    assert.equal(r.json.error.code, "NOT_FOUND");
  }
});

test("the operator page: served from the static assets once ADMIN_TOKEN is set (no token needed to load it), else 404", async () => {
  const page = await w.call("/admin/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /^text\/html/);
  assert.match(page.text, /<title>Payments/);
  assert.match((await w.call("/admin/admin.js")).headers.get("content-type"), /javascript/);
  const redirect = await w.mf.dispatchFetch("https://pay.shop.example/admin", { redirect: "manual" });
  assert.deepEqual([redirect.status, redirect.headers.get("location")], [308, "https://pay.shop.example/admin/"]);
  const off = await worker({ ADMIN_TOKEN: "" });
  for (const path of ["/admin/", "/admin/admin.js", "/admin"]) assert.equal((await off.call(path)).status, 404, path);
  // Everything else still goes to the Worker, not to the assets.
  assert.equal((await w.call("/health")).status, 200);
});

test("no or a wrong token: the same 401 on every route, existing or not", async () => {
  const answers = [];
  for (const path of ["/payments", "/payments.csv", "/health", `/payments/${ids[0]}`, "/nothing-here", "/payments/x/events/resend"]) {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, "Bearer "]) {
      const r = await w.call(`/admin${path}`, { headers: authorization ? { authorization } : {} });
      answers.push({ status: r.status, code: r.json?.error?.code, message: r.json?.error?.message });
    }
  }
  assert.deepEqual(new Set(answers.map((a) => JSON.stringify(a))).size, 1, "one answer for all");
  assert.deepEqual([answers[0].status, answers[0].code], [401, "UNAUTHORIZED"]);
});

test("without DB: 503 ADMIN_DB_MISSING (after the token check)", async () => {
  const nodb = await worker({}, { withDb: false });
  const r = await nodb.admin("/payments");
  assert.deepEqual([r.status, r.json.error.code], [503, "ADMIN_DB_MISSING"]);
  assert.equal((await nodb.call("/admin/payments")).status, 401);
});

test("the list: newest first, masked phones, filters, cursor paging to the end", async () => {
  const all = await w.admin("/payments");
  assert.equal(all.status, 200);
  const { payments, nextCursor } = all.json.data;
  assert.equal(payments.length, 7);
  assert.equal(nextCursor, null);
  assert.deepEqual(payments.map((p) => p.transactionId), [...ids].reverse());
  assert.ok(payments.every((p) => /^2547\*{6}\d\d$/.test(p.phone)), "masked");
  const paid = payments.find((p) => p.transactionId === ids[0]);
  assert.deepEqual([paid.status, paid.mpesaReceipt, paid.accountReference], ["SUCCESS", "K4NZ2Z9YFV", "INV-1"]);
  assert.match(paid.finalAt, /^\d{4}-\d\d-\d\dT/);

  assert.deepEqual((await w.admin("/payments?status=cancelled")).json.data.payments.map((p) => p.transactionId), [ids[1]]);
  assert.deepEqual((await w.admin("/payments?reference=INV-2")).json.data.payments.map((p) => p.transactionId), [ids[1]]);
  // The full number as the filter: found by its keyed hash, shown in full (the caller has it).
  const byPhone = (await w.admin(`/payments?phone=${encodeURIComponent("+254 712 345 678")}`)).json.data.payments;
  assert.deepEqual(byPhone.map((p) => [p.transactionId, p.phone]), [[ids[0], "254712345678"]]);
  assert.equal((await w.admin("/payments?since=2099-01-01")).json.data.payments.length, 0);
  assert.equal((await w.admin("/payments?until=2000-01-01T00:00:00Z")).json.data.payments.length, 0);

  // Pages of 3: every payment once, in order.
  const seen = [];
  let cursor = "";
  for (let page = 0; page < 5; page++) {
    const r = await w.admin(`/payments?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
    seen.push(...r.json.data.payments.map((p) => p.transactionId));
    cursor = r.json.data.nextCursor;
    if (!cursor) break;
  }
  assert.deepEqual(seen, [...ids].reverse());

  for (const [query, parameter] of [["limit=201", "limit"], ["status=PAID", "status"], ["since=yesterday", "since"], ["phone=12", "phone"], ["cursor=%%%", "cursor"]]) {
    const r = await w.admin(`/payments?${query}`);
    assert.deepEqual([r.status, r.json.error.code], [400, "ADMIN_BAD_FILTER"], query);
    assert.match(r.json.error.message, new RegExp(parameter));
  }
});

test("the CSV export: every selected payment, a header, masked phones, streamed", async () => {
  const r = await w.mf.dispatchFetch("https://pay.shop.example/admin/payments.csv", { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/csv/);
  assert.match(r.headers.get("content-disposition"), /attachment/);
  assert.equal(r.headers.get("content-length"), null, "streamed, not buffered");
  const lines = (await r.text()).trim().split("\r\n");
  assert.equal(lines[0], "transactionId,status,amount,phone,accountReference,mpesaReceipt,createdAt,updatedAt,finalAt");
  assert.equal(lines.length, 8);
  assert.ok(lines.slice(1).every((l) => /,2547\*{6}\d\d,/.test(l)));
  const cancelled = (await (await w.mf.dispatchFetch("https://pay.shop.example/admin/payments.csv?status=CANCELLED", { headers: { authorization: `Bearer ${TOKEN}` } })).text()).trim().split("\r\n");
  assert.equal(cancelled.length, 2);
  assert.match(cancelled[1], new RegExp(`^${ids[1]},CANCELLED,`));
});

test("one payment with its deliveries, and resending its event (the same id)", async () => {
  const one = await eventually(async () => { const r = await w.admin(`/payments/${ids[0]}`); return r.json.data?.payment?.deliveries?.length ? r : undefined; }, "a delivery");
  const { payment } = one.json.data;
  assert.equal(payment.transactionId, ids[0]);
  assert.deepEqual(payment.deliveries.map((d) => [d.type, d.attempt, d.delivered]), [["payment.succeeded", 1, true]]);
  const first = w.merchant.filter((e) => e.data.payment.transactionId === ids[0]);
  assert.equal(first.length, 1);
  const resent = await w.admin(`/payments/${ids[0]}/events/resend`, { method: "POST" });
  assert.equal(resent.status, 202);
  assert.equal(resent.json.data.eventId, first[0].id);
  await eventually(() => w.merchant.filter((e) => e.data.payment.transactionId === ids[0]).length === 2 || undefined, "the event again");
  const again = w.merchant.filter((e) => e.data.payment.transactionId === ids[0]);
  assert.equal(again[1].id, first[0].id, "a backend that keeps ids handles it once");
  // Not final yet: nothing to resend. Unknown: 404.
  const pending = await w.admin(`/payments/${ids[2]}/events/resend`, { method: "POST" });
  assert.deepEqual([pending.status, pending.json.error.code], [409, "ADMIN_NOT_FINAL"]);
  assert.equal((await w.admin("/payments/ffffffff-95ea-4a8f-8467-1fbe74f5d6f4")).status, 404);
});

test("the key's health: its state, and 48 hours of outcomes with the success rate", async () => {
  const r = await w.admin("/health");
  assert.equal(r.status, 200);
  assert.equal(r.json.data.key.state, "ok");
  const hours = r.json.data.hours;
  assert.equal(hours.length, 48);
  // The two final payments (in the last hour, or the one before if the hour turned meanwhile).
  const counted = hours.filter((h) => h.outcomes > 0);
  assert.deepEqual([counted.reduce((n, h) => n + h.outcomes, 0), counted.reduce((n, h) => n + h.paid, 0)], [2, 1]);
  if (counted.length === 1) assert.deepEqual([counted[0].successRate, counted[0].byStatus], [0.5, { SUCCESS: 1, CANCELLED: 1 }]);
  assert.ok(hours.every((h, i) => i === 0 || Date.parse(h.hour) - Date.parse(hours[i - 1].hour) === 3_600_000), "hour by hour");
  // The budget's use: the calls made with the key in the last minute (7 pushes, some status checks).
  assert.ok(r.json.data.key.callsLastMinute >= 7 && r.json.data.key.callsPerMinute === 60, JSON.stringify(r.json.data.key));
  assert.deepEqual(typeof r.json.data.refusals, "object");
});

test("the proxy's refusals of pushes, by code, reach the index (a tally per isolate, added about once a minute)", async () => {
  const db = w.db;
  // Tallies are added to the index when an isolate's minute has passed: write one as the Worker
  // would, then check the admin API sums it (the tally itself is tested natively).
  const hour = Math.floor(Date.now() / 3_600_000);
  await db.prepare("INSERT INTO refusals (hour, code, count) VALUES (?1, 'RATE_LIMITED', 3), (?1 - 1, 'PHONE_BUSY', 2), (?1 - 100, 'PHONE_BUSY', 50)").bind(hour).run();
  const r = await w.admin("/health");
  assert.deepEqual(r.json.data.refusals, { RATE_LIMITED: 3, PHONE_BUSY: 2 }, "48 hours only");
  // A refused push answers at once, whatever the tally does.
  const refused = await w.call("/payments/stk", { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
  assert.equal(refused.status, 400);
});
