#!/usr/bin/env node
// `make soak`: a bounded mix of valid, invalid and hostile requests through the built Worker
// (Miniflare, not wrangler dev) to the simulator over loopback, for SOAK_SECONDS (default 60) at
// SOAK_CONCURRENCY (default 32). Prints the counts; fails on any unexpected 5xx or answer, or when
// workerd's memory at the end is over 1.5x what it was half-way.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { Miniflare } from "miniflare";
import { startSimulator } from "../sim/palpluss-sim.mjs";
import { builtWorker } from "./built-worker.mjs";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 32);
const ORIGIN = "https://shop.example";

const sim = await startSimulator({ webhookDelayMs: 500 });
const mf = new Miniflare({
  ...builtWorker({ PALPLUSS_API_KEY: sim.apiKey, PALPLUSS_BASE_URL: sim.url, CALLBACK_URL: `${sim.origin}/dev/webhooks`, ALLOWED_ORIGINS: ORIGIN, UPSTREAM_TIMEOUT_MS: "5000" }),
  handleRuntimeStdio(stdout, stderr) { stdout.resume(); stderr.resume(); },
});
await mf.ready;

const json = (body, headers = {}) => ({ method: "POST", headers: { "content-type": "application/json", origin: ORIGIN, ...headers }, body: JSON.stringify(body) });
const good = (phone) => json({ amount: 1 + Math.floor(Math.random() * 5000), phone, accountReference: "SOAK-1", transactionDesc: "Soak" });
// [name, weight, request, expected statuses]
const mix = [
  ["valid", 40, () => good(["0712 345 678", "+254110123456", "254733123456", "0700 001 032"][Math.floor(Math.random() * 4)]), [200]],
  ["banned 429", 3, () => good("0700 000 429"), [429]],
  ["invalid fields", 20, () => json({ amount: -1, phone: "0201234567", accountReference: "", transactionDesc: "x".repeat(40) }), [400]],
  ["server field", 5, () => json({ amount: 1, phone: "0712345678", accountReference: "A", transactionDesc: "B", callbackUrl: "https://evil.example" }), [400]],
  ["bad JSON", 8, () => ({ method: "POST", headers: { "content-type": "application/json" }, body: "{\"amount\": 1," + "\u0000".repeat(100) }), [400]],
  ["not JSON", 5, () => ({ method: "POST", headers: { "content-type": "text/plain" }, body: "amount=1" }), [415]],
  ["too large", 4, () => json({ pad: "x".repeat(20000) }), [413]],
  ["hostile unicode", 6, () => json({ amount: "١٠٠", phone: "\u202E0712345678", accountReference: "😀".repeat(50), transactionDesc: "\uD800" }), [400]],
  ["wrong origin", 4, () => good("0712345678"), [403], { origin: "https://evil.example" }],
  ["preflight", 3, () => ({ method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "POST" } }), [204]],
  ["unknown route", 2, () => ({ method: "GET" }), [404], { path: "/../../etc/passwd" }],
];
const total = mix.reduce((s, m) => s + m[1], 0);
const pick = () => { let r = Math.random() * total; for (const m of mix) if ((r -= m[1]) < 0) return m; return mix[0]; };

const counts = {}, statuses = {}, unexpected = [];
const latencies = [];
const workerdPids = () => execFileSync("pgrep", ["-f", "workerd serve"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
const rssKiB = () => workerdPids().reduce((sum, pid) => {
  try { return sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]); } catch { return sum; }
}, 0);

const deadline = Date.now() + SECONDS * 1000;
const memory = [];
const sampler = setInterval(() => memory.push(rssKiB()), 5000);
async function lane() {
  while (Date.now() < deadline) {
    const [name, , make, expected, opts = {}] = pick();
    const init = make();
    if (opts.origin) init.headers.origin = opts.origin;
    const started = performance.now();
    let status;
    try {
      const r = await mf.dispatchFetch(`http://proxy.test${opts.path ?? "/payments/stk"}`, init);
      await r.arrayBuffer();
      status = r.status;
    } catch (e) {
      status = `error ${e.message}`;
    }
    latencies.push(performance.now() - started);
    counts[name] = (counts[name] ?? 0) + 1;
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (!expected.includes(status)) unexpected.push(`${name}: ${status}`);
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, lane));
clearInterval(sampler);
await mf.dispose();
await sim.close();

latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
const requests = latencies.length;
console.log(`soak: ${requests} requests in ${SECONDS}s at concurrency ${CONCURRENCY} (${(requests / SECONDS).toFixed(0)} req/s), p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
console.log("by kind:  ", JSON.stringify(counts));
console.log("by status:", JSON.stringify(statuses));
console.log("workerd RSS KiB every 5 s:", memory.join(" "));
const fiveXX = Object.entries(statuses).filter(([s]) => !/^\d+$/.test(s) || Number(s) >= 500);
// workerd's heaps grow while the load ramps up, then level off; a leak keeps growing. Compare the
// end of the run with its middle.
const half = memory[Math.floor((memory.length - 1) / 2)] ?? 0, last = memory.at(-1) ?? 0;
const growth = half ? last / half : 1;
console.log(`unexpected answers: ${unexpected.length}; 5xx or errors: ${fiveXX.length ? JSON.stringify(fiveXX) : 0}; memory end/middle x${growth.toFixed(2)}`);
if (unexpected.length) console.log("first unexpected:", unexpected.slice(0, 5));
process.exit(unexpected.length || fiveXX.length || growth > 1.5 ? 1 : 0);
