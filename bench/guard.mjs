#!/usr/bin/env node
// `make bench`, second part: what the guard adds to an accepted push, against the wave-1 proxy
// (validate and forward, nothing else), measured in Miniflare on this machine in this one run.
//
// The wave-1 Worker is built from the repository's own history (commit WAVE1, in a git worktree
// under target/bench-wave1, built once and kept). Three lanes, each sending accepted pushes one at
// a time to a local upstream that answers at once:
//   wave-1                the proxy as it was before the lifecycle and the guard;
//   now, plain push       today's Worker, no Idempotency-Key and no INTENT_SECRET: the per-IP
//                         limiter, the phone's Guard object, the budget and the Payment record;
//   now, full guard       the same with an Idempotency-Key (two more Guard-object calls) and a
//                         signed intent checked (INTENT_SECRET);
//   now, plain, no DB     the plain push without the payment index (D1 binding DB): the index is
//                         written in the background, so the budget is +5 ms at p50 at most.
// Every push is accepted (distinct IPs and phones, wide limits), so the figures are the guard's
// work, not its refusals. Figures are reported, never asserted. BENCH_QUICK=1 shortens it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { Miniflare } from "miniflare";
import { builtWorker, compatibilityDate } from "../scripts/built-worker.mjs";

const WAVE1 = "8783bf4"; // the last commit whose Worker is the wave-1 proxy
const root = resolve(import.meta.dirname, "..");
const QUICK = process.env.BENCH_QUICK === "1";
const PER_ROUND = QUICK ? 40 : 200;
const ROUNDS = QUICK ? 1 : 3;
const INTENT_SECRET = "isec_bench_0123456789abcdef";
const { signCheckoutIntent } = createRequire(import.meta.url)("../src/node/server.cjs");

// ---------------------------------------------------------------- the wave-1 Worker
const wave1 = resolve(root, "target/bench-wave1");
if (!existsSync(resolve(wave1, "build/index_bg.wasm"))) {
  if (!existsSync(resolve(wave1, "Cargo.toml"))) {
    execFileSync("git", ["worktree", "add", "--force", "--detach", wave1, WAVE1], { cwd: root, stdio: "inherit" });
  }
  if (!existsSync(resolve(wave1, "node_modules"))) symlinkSync(resolve(root, "node_modules"), resolve(wave1, "node_modules"));
  // The crate registry's dependencies are shared with today's build (same target directory).
  mkdirSync(resolve(wave1, "target"), { recursive: true });
  if (!existsSync(resolve(wave1, "target/worker"))) symlinkSync(resolve(root, "target/worker"), resolve(wave1, "target/worker"));
  console.log(`building the wave-1 Worker (${WAVE1}) once into target/bench-wave1/build ...`);
  execFileSync("bash", ["scripts/build-worker.sh"], { cwd: wave1, stdio: "inherit" });
}

// ---------------------------------------------------------------- upstream and lanes
const upstream = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const { amount, phone } = JSON.parse(body || "{}");
    const answer = JSON.stringify({ success: true, data: { transactionId: randomUUID(), status: "PENDING", amount, phone }, requestId: randomUUID() });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) }).end(answer);
  });
});
upstream.keepAliveTimeout = 65_000;
await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${upstream.address().port}`;
const common = { PALPLUSS_API_KEY: "bench_key", PALPLUSS_BASE_URL: `${base}/v1`, CALLBACK_URL: `${base}/cb`, ALLOWED_ORIGINS: "https://shop.example" };
const wide = { UPSTREAM_RATE_PER_MINUTE: "10000", PHONE_COOLDOWN_SECONDS: "0", PHONE_MAX_PER_HOUR: "10000" };
const quiet = { handleRuntimeStdio(o, e) { o.resume(); e.resume(); } };
const wave1Options = {
  modules: true,
  scriptPath: resolve(wave1, "build/index.js"),
  modulesRoot: resolve(wave1, "build"),
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
  compatibilityDate,
  cf: false,
  bindings: common,
};
const withoutDb = (options) => ({ ...options, d1Databases: [] });
let n = 0;
const checkout = () => {
  n++;
  return { amount: 100 + (n % 900), phone: `0712${String(n % 1e6).padStart(6, "0")}`, accountReference: `B-${n % 1e6}`, transactionDesc: "Bench" };
};
const lanes = [
  { name: `wave-1 proxy (${WAVE1})`, mf: new Miniflare({ ...wave1Options, ...quiet }), request: () => ({ body: checkout(), headers: {} }) },
  { name: "now, plain push", mf: new Miniflare({ ...builtWorker({ ...common, ...wide }), ...quiet }), request: () => ({ body: checkout(), headers: {} }) },
  { name: "now, plain push, no DB", mf: new Miniflare({ ...withoutDb(builtWorker({ ...common, ...wide })), ...quiet }), request: () => ({ body: checkout(), headers: {} }) },
  {
    name: "now, full guard (key + intent)",
    mf: new Miniflare({ ...builtWorker({ ...common, ...wide, INTENT_SECRET }), ...quiet }),
    request: () => {
      const body = checkout();
      return { body: { ...body, intent: signCheckoutIntent(body, INTENT_SECRET) }, headers: { "idempotency-key": randomUUID() } };
    },
  },
];
for (const lane of lanes) await lane.mf.ready;

async function send(lane) {
  const { body, headers } = lane.request();
  const start = performance.now();
  const r = await lane.mf.dispatchFetch("http://proxy.test/payments/stk", {
    method: "POST",
    headers: { "content-type": "application/json", origin: "https://shop.example", "cf-connecting-ip": `2001:db8:b::${(n % 65535).toString(16)}`, ...headers },
    body: JSON.stringify(body),
  });
  await r.arrayBuffer();
  const ms = performance.now() - start;
  if (r.status !== 200) throw new Error(`${lane.name}: a push was not accepted (${r.status})`);
  return ms;
}

const samples = Object.fromEntries(lanes.map((l) => [l.name, []]));
for (const lane of lanes) for (let i = 0; i < 20; i++) await send(lane); // warm-up
// Interleaved rounds, so that a busy moment of the machine hits every lane alike.
for (let round = 0; round < ROUNDS; round++) {
  for (const lane of lanes) for (let i = 0; i < PER_ROUND; i++) samples[lane.name].push(await send(lane));
}
for (const lane of lanes) await lane.mf.dispose();
upstream.close();

const pct = (list, p) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(p * list.length))];
const figures = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, { p50: pct(list, 0.5), p99: pct(list, 0.99), n: list.length }]));
const [w1, plain, noDb, full] = lanes.map((l) => figures[l.name]);
console.log("accepted pushes, one at a time (Miniflare), ms:");
for (const [name, f] of Object.entries(figures)) console.log(`  ${name.padEnd(34)} p50 ${f.p50.toFixed(2).padStart(7)}  p99 ${f.p99.toFixed(2).padStart(7)}  (${f.n} pushes)`);
console.log(`added over wave-1: plain push p50 +${(plain.p50 - w1.p50).toFixed(2)} ms, p99 +${(plain.p99 - w1.p99).toFixed(2)} ms; full guard p50 +${(full.p50 - w1.p50).toFixed(2)} ms, p99 +${(full.p99 - w1.p99).toFixed(2)} ms`);
console.log("(today's lanes include the lifecycle's own work on a push: the budget and the Payment record)");
const dbCost = plain.p50 - noDb.p50;
console.log(`the payment index (DB bound vs not): p50 ${dbCost >= 0 ? "+" : ""}${dbCost.toFixed(2)} ms (budget +5 ms): ${dbCost <= 5 ? "within" : "OVER"} the budget`);
