#!/usr/bin/env node
// `make soak`: the whole payment lifecycle under load, bounded in time and on loopback only.
//
// The built Worker (Miniflare, with its Durable Objects and alarms) talks to the simulator, which
// enforces PalPluss's 60 requests a minute per key, posts its webhooks back to the Worker (twice,
// never, late or lying for some test numbers) and receives the signed merchant events.
// SOAK_CHECKOUTS (default 200) customers pay at once for SOAK_SECONDS (default 300): each pushes
// with a signed intent and an Idempotency-Key (waiting out a 429's Retry-After), follows
// GET /payments/{id} every 3 s to a final status, then starts again. SOAK_HOSTILE lanes (default 8)
// send invalid and hostile requests throughout, and four more lanes attack the guard: a flood from
// one IP, a flood at one phone, one Idempotency-Key replayed (and reused with another body), and
// forged intents. The guard runs with its defaults (10 a minute per IP, 60 s cooldown and 5 an hour
// per phone, INTENT_SECRET set).
// Prints the figures; fails on an unexpected answer, a 5xx, an upstream 429, an event delivered
// twice or unverified, a push the guard should have stopped, or workerd memory at the end over 1.5x
// the middle.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { Miniflare } from "miniflare";
import { createRequire } from "node:module";
import { startSimulator } from "../sim/palpluss-sim.mjs";
import { builtWorker } from "./built-worker.mjs";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const CHECKOUTS = Number(process.env.SOAK_CHECKOUTS ?? 200);
const HOSTILE = Number(process.env.SOAK_HOSTILE ?? 8);
const ORIGIN = "https://shop.example";
const WEBHOOK_SECRET = "whk_soak_0123456789abcdef";
const INTENT_SECRET = "isec_soak_0123456789abcdef";
const { signCheckoutIntent } = createRequire(import.meta.url)("../src/node/server.cjs");

const sim = await startSimulator({ webhookDelayMs: 2000, lateWebhookMs: 20000 });
// Miniflare listens on a port picked here, so that the callback can point at it.
const port = await new Promise((done) => {
  const probe = createServer().listen(0, "127.0.0.1", () => { const p = probe.address().port; probe.close(() => done(p)); });
});
const base = `http://127.0.0.1:${port}`;
const mf = new Miniflare({
  ...builtWorker({
    PALPLUSS_API_KEY: sim.apiKey,
    PALPLUSS_BASE_URL: sim.url,
    CALLBACK_URL: `${base}/webhooks/palpluss/${WEBHOOK_SECRET}`,
    ALLOWED_ORIGINS: ORIGIN,
    UPSTREAM_TIMEOUT_MS: "10000",
    WEBHOOK_SECRET,
    MERCHANT_WEBHOOK_URL: `${sim.origin}/dev/merchant`,
    MERCHANT_WEBHOOK_SECRET: sim.merchantSecret,
    INTENT_SECRET,
  }),
  host: "127.0.0.1",
  port,
  handleRuntimeStdio(stdout, stderr) { stdout.resume(); stderr.resume(); },
});
await mf.ready;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Every request from its own client IP: customers are many people, and the per-IP guard is not what
// this soak measures (tests/js/guard.test.mjs floods one IP on purpose).
let ips = 0;
const clientIp = () => `2001:db8:5::${(++ips).toString(16)}`;
const json = (body, headers = {}) => ({ method: "POST", headers: { "content-type": "application/json", origin: ORIGIN, "cf-connecting-ip": clientIp(), ...headers }, body: JSON.stringify(body) });
/** A checkout as the merchant's page would send it: with an intent signed for its order. */
const order = (body, { secret = INTENT_SECRET, ...intentOverrides } = {}) => {
  const { amount, accountReference, transactionDesc } = body;
  return { ...body, intent: signCheckoutIntent({ amount, accountReference, transactionDesc, ...intentOverrides }, secret) };
};
// Each customer pays from its own phone; every tenth attempt uses a test number instead (cancelled,
// failed, no webhook, a late, duplicated or lying one), which the per-phone guard then rations.
const specials = ["0700 001 032", "0700 000 001", "0700 000 003", "0700 000 020", "0700 000 002", "0700 000 666"];
const customerPhone = (n, attempt) => (attempt % 10 === 9 ? specials[(n + attempt) % specials.length] : `0713 ${String(n).padStart(6, "0").replace(/(\d{3})(\d{3})/, "$1 $2")}`);
const hostile = [
  [() => json({ amount: -1, phone: "0201234567", accountReference: "", transactionDesc: "x".repeat(40) }), [400]],
  [() => json({ amount: 1, phone: "0712345678", accountReference: "A", transactionDesc: "B", callbackUrl: "https://evil.example" }), [400]],
  [() => ({ method: "POST", headers: { "content-type": "application/json" }, body: "{\"amount\": 1," + "\u0000".repeat(100) }), [400]],
  [() => ({ method: "POST", headers: { "content-type": "text/plain" }, body: "amount=1" }), [415]],
  [() => json({ pad: "x".repeat(20000) }), [413]],
  [() => json({ amount: "١٠٠", phone: "\u202E0712345678", accountReference: "😀".repeat(50), transactionDesc: "\uD800" }), [400]],
  [() => json({ amount: 1, phone: "0712345678", accountReference: "A", transactionDesc: "B" }, { origin: "https://evil.example" }), [403]],
  [() => ({ method: "GET", headers: { authorization: "Bearer nope" } }), [404], "/payments/fa98a577-95ea-4a8f-8467-1fbe74f5d6f4"],
  [() => ({ method: "POST", body: "not json" }), [400], `/webhooks/palpluss/${WEBHOOK_SECRET}`],
  [() => ({ method: "POST", body: "{}" }), [404], "/webhooks/palpluss/forged_secret_0123456789"],
  [() => json({ transaction: { id: "ffffffff-95ea-4a8f-8467-1fbe74f5d6f4", status: "SUCCESS" } }), [200], `/webhooks/palpluss/${WEBHOOK_SECRET}`],
];

const stats = { pushes: 0, accepted: 0, busy: 0, confirmed: 0, unfinished: 0, hostile: 0 };
const outcomes = {};
const statuses = {};
const unexpected = [];
const latencies = [];
const accepted = new Set();
const deadline = Date.now() + SECONDS * 1000;

async function call(path, init, expected) {
  const started = performance.now();
  let status, body;
  try {
    const r = await fetch(`${base}${path}`, init);
    body = await r.text();
    status = r.status;
    if (status === 429) body = { text: body, retryAfter: Number(r.headers.get("retry-after")) };
  } catch (e) {
    status = `error ${e.message}`;
  }
  latencies.push(performance.now() - started);
  statuses[status] = (statuses[status] ?? 0) + 1;
  if (!expected.includes(status)) unexpected.push(`${init.method} ${path}: ${status} ${String(body?.text ?? body).slice(0, 120)}`);
  return { status, body };
}

async function customer(n) {
  let i = n;
  let attempt = 0;
  while (Date.now() < deadline) {
    const phone = customerPhone(n, attempt++);
    stats.pushes++;
    const body = order({ amount: 100 + (i++ % 900), phone, accountReference: `SOAK-${n}`, transactionDesc: "Soak" });
    const push = await call("/payments/stk", json(body, { "idempotency-key": `soak-${n}-${attempt}` }), [200, 429]);
    if (push.status === 429) {
      stats.busy++;
      await sleep(Math.min(Math.max(push.body.retryAfter || 1, 1), 30) * 1000 * (0.5 + Math.random()));
      continue;
    }
    if (push.status !== 200) { await sleep(1000); continue; }
    const { data } = JSON.parse(push.body);
    stats.accepted++;
    accepted.add(data.transactionId);
    let final;
    while (Date.now() < deadline && !final) {
      await sleep(3000);
      const r = await call(`${data.statusUrl}?token=${data.statusToken}`, { method: "GET", headers: { origin: ORIGIN } }, [200]);
      const payment = r.status === 200 ? JSON.parse(r.body).data : undefined;
      if (payment?.final) final = payment;
    }
    if (!final) { stats.unfinished++; continue; }
    if (final.confirmed) stats.confirmed++;
    outcomes[final.status] = (outcomes[final.status] ?? 0) + 1;
  }
}

async function attacker() {
  let i = 0;
  while (Date.now() < deadline) {
    const [make, expected, path = "/payments/stk"] = hostile[i++ % hostile.length];
    stats.hostile++;
    await call(path, make(), expected);
    await sleep(20);
  }
}

// The guard's attackers. Each tags its pushes (accountReference) so the simulator's log shows what
// got through.
const guardStats = { ipFlood: 0, phoneFlood: 0, replay: 0, forged: 0 };
const FLOOD_IP = "198.51.100.66";
async function ipFlooder() {
  let i = 0;
  while (Date.now() < deadline) {
    guardStats.ipFlood++;
    const phone = `0714 ${String(i++).padStart(6, "0").replace(/(\d{3})(\d{3})/, "$1 $2")}`;
    await call("/payments/stk", json(order({ amount: 10, phone, accountReference: "FLOOD-IP", transactionDesc: "Flood" }), { "cf-connecting-ip": FLOOD_IP }), [200, 429]);
    await sleep(50);
  }
}
async function phoneFlooder() {
  while (Date.now() < deadline) {
    guardStats.phoneFlood++;
    await call("/payments/stk", json(order({ amount: 10, phone: "0715 000 000", accountReference: "FLOOD-PH", transactionDesc: "Flood" })), [200, 429]);
    await sleep(50);
  }
}
async function replayer() {
  const body = order({ amount: 42, phone: "0716 000 000", accountReference: "REPLAY", transactionDesc: "Replay" });
  const other = order({ ...body, amount: 43 });
  let i = 0;
  while (Date.now() < deadline) {
    guardStats.replay++;
    // The same key, mostly with the same body (a retrying browser), sometimes with another.
    const reuse = i++ % 5 === 4;
    await call("/payments/stk", json(reuse ? other : body, { "idempotency-key": "soak-replayed-key" }), reuse ? [409, 422, 429, 200] : [200, 409, 422, 429]);
    await sleep(50);
  }
}
async function forger() {
  const base = { amount: 1500, phone: "0717 000 000", accountReference: "FORGED", transactionDesc: "Forged" };
  const genuine = order(base).intent;
  const [p, s] = genuine.split(".");
  const forgeries = [
    () => ({ ...base, amount: 1, intent: genuine }), // the amount lowered in the browser
    () => order(base, { secret: "isec_not_the_merchants_secret" }),
    () => ({ ...base, intent: `${Buffer.from(JSON.stringify({ amount: 1500, accountReference: "FORGED", exp: 4102444800 })).toString("base64url")}.${s}` }),
    () => ({ ...base, intent: `${p}.${s.slice(0, -2)}` }),
    () => ({ ...base, intent: signCheckoutIntent(base, INTENT_SECRET, { now: Date.now() / 1000 - 3600 }) }), // expired
    () => ({ ...base, intent: "garbage" }),
    () => base,
  ];
  let i = 0;
  while (Date.now() < deadline) {
    guardStats.forged++;
    await call("/payments/stk", json(forgeries[i++ % forgeries.length]()), [400]);
    await sleep(20);
  }
}

const workerdPids = () => execFileSync("pgrep", ["-f", "workerd serve"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
const rssKiB = () => workerdPids().reduce((sum, pid) => {
  try { return sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]); } catch { return sum; }
}, 0);
const memory = [];
const sampler = setInterval(() => memory.push(rssKiB()), 10_000);
await Promise.all([
  ...Array.from({ length: CHECKOUTS }, (_, n) => customer(n)),
  ...Array.from({ length: HOSTILE }, attacker),
  ipFlooder(), phoneFlooder(), replayer(), forger(),
]);
clearInterval(sampler);
// Events still in flight get a moment to arrive before they are counted.
await sleep(3000);

const events = sim.merchantEvents;
const byId = new Map();
for (const e of events) byId.set(e.event.id, (byId.get(e.event.id) ?? 0) + 1);
const twice = [...byId.values()].filter((n) => n > 1).length;
const unverified = events.filter((e) => !e.verified).length;
const perPaymentStatus = new Map();
for (const e of events) {
  const key = `${e.event.data?.payment?.transactionId}/${e.event.type}`;
  perPaymentStatus.set(key, (perPaymentStatus.get(key) ?? 0) + 1);
}
const upstreamCalls = sim.stats.apiCalls + sim.stats.rateLimited;
// What the guard let through to PalPluss, by attacker, against what it may let through.
const sent = (reference) => sim.requests.filter((r) => r.body?.accountReference === reference).length;
const minutes = Math.ceil(SECONDS / 60) + 1; // the per-IP windows the run can touch
const through = { ipFlood: sent("FLOOD-IP"), phoneFlood: sent("FLOOD-PH"), replay: sent("REPLAY"), forged: sent("FORGED") };
const allowed = { ipFlood: 10 * minutes, phoneFlood: 5, replay: 1, forged: 0 };
const leaked = Object.keys(through).filter((k) => through[k] > allowed[k]);
await mf.dispose();
await sim.close();

latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]?.toFixed(1);
console.log(`soak: ${SECONDS}s, ${CHECKOUTS} customers paying at once + ${HOSTILE} hostile lanes; ${latencies.length} requests, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
console.log(`pushes tried ${stats.pushes}, accepted ${stats.accepted}, 429 BUSY ${stats.busy}; final and confirmed ${stats.confirmed}, still open at the end ${stats.unfinished}`);
console.log("outcomes:", JSON.stringify(outcomes));
console.log(`upstream calls ${upstreamCalls} (${(upstreamCalls / Math.max(1, stats.accepted)).toFixed(2)} per accepted push; GETs ${sim.stats.gets}); upstream 429s ${sim.stats.rateLimited}`);
console.log(`merchant events ${events.length} (distinct ids ${byId.size}, delivered twice ${twice}, unverified ${unverified}, payment+type pairs ${perPaymentStatus.size})`);
console.log(`hostile requests ${stats.hostile}; by status: ${JSON.stringify(statuses)}`);
console.log(`guard attackers: requests ${JSON.stringify(guardStats)}; pushes that reached PalPluss ${JSON.stringify(through)} (at most ${JSON.stringify(allowed)}); over the bound: ${leaked.length ? leaked.join(", ") : 0}`);
console.log("workerd RSS KiB every 10 s:", memory.join(" "));
const fiveXX = Object.entries(statuses).filter(([s]) => !/^\d+$/.test(s) || Number(s) >= 500);
const half = memory[Math.floor((memory.length - 1) / 2)] ?? 0, last = memory.at(-1) ?? 0;
const growth = half ? last / half : 1;
console.log(`unexpected answers: ${unexpected.length}; 5xx or errors: ${fiveXX.length ? JSON.stringify(fiveXX) : 0}; memory end/middle x${growth.toFixed(2)}`);
if (unexpected.length) console.log("first unexpected:", unexpected.slice(0, 5));
const failed = unexpected.length || fiveXX.length || leaked.length || sim.stats.rateLimited || twice || unverified || perPaymentStatus.size !== events.length || growth > 1.5;
process.exit(failed ? 1 : 0);
