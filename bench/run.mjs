#!/usr/bin/env node
// `make bench`: size and speed of palpluss-stk beside what users would pick instead, all measured
// in this one run on this machine. Prints one table and writes out/bench/results.json. Figures are
// reported, never asserted.
//
// BENCH_QUICK=1 shortens every phase (for a smoke run).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { Miniflare } from "miniflare";
import { builtWorker, compatibilityDate } from "../scripts/built-worker.mjs";
import * as pkg from "../pkg/node/index.mjs";
import { lpnNormalize, regexNormalize, zodValidateStkRequest } from "./alternatives.mjs";
import { medianRace } from "./boundary-suite.mjs";
import { seededRandom } from "./random.mjs";

const root = resolve(import.meta.dirname, "..");
const QUICK = process.env.BENCH_QUICK === "1";
const rows = [];
const row = (group, what, figure, unit, vs = "") => rows.push({ group, what, figure, unit, vs });
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

// ---------------------------------------------------------------- size
// The gzip command, as the budgets are stated ("gzip -9"); zlib's level 9 differs by a few hundred bytes.
const gz = (bytes) => execFileSync("gzip", ["-9c"], { input: bytes, maxBuffer: 1 << 26 }).length;
const file = (path) => readFileSync(resolve(root, path));
function entrySize(dir) {
  const wasm = file(`${dir}/palpluss_stk_bg.wasm`);
  const glue = file(`${dir}/palpluss_stk.js`);
  return { raw: wasm.length + glue.length, gzip: gz(wasm) + gz(glue) };
}
function bundleSize(entry) {
  const out = execFileSync(resolve(root, "node_modules/.bin/esbuild"), [entry, "--bundle", "--minify", "--format=esm", "--log-level=error"], { cwd: root, maxBuffer: 1 << 26 });
  return { raw: out.length, gzip: gz(out) };
}
const sizes = {
  core: entrySize("pkg/web"),
  checkout: entrySize("pkg/checkout/web"),
  libphonenumber: bundleSize("bench/size/libphonenumber.mjs"),
  zodStk: bundleSize("bench/size/zod-stk.mjs"),
};
const kb = (n) => (n / 1000).toFixed(1);
row("size (gzip -9)", "palpluss-stk browser entry (wasm + glue)", kb(sizes.core.gzip), "KB", `raw ${kb(sizes.core.raw)} KB; ${ratio(sizes.core.gzip, sizes.libphonenumber.gzip)} of libphonenumber-js`);
row("size (gzip -9)", "palpluss-stk with StkClient + form helper", kb(sizes.checkout.gzip), "KB", `raw ${kb(sizes.checkout.raw)} KB`);
row("size (gzip -9)", "libphonenumber-js/min parse + isValid (esbuild --minify)", kb(sizes.libphonenumber.gzip), "KB", `raw ${kb(sizes.libphonenumber.raw)} KB`);
row("size (gzip -9)", "zod + libphonenumber-js, same STK rules (esbuild --minify)", kb(sizes.zodStk.gzip), "KB", `raw ${kb(sizes.zodStk.raw)} KB; palpluss-stk is ${ratio(sizes.core.gzip, sizes.zodStk.gzip)} of it`);

// ---------------------------------------------------------------- speed in Node
// A realistic mix: mostly valid numbers in every spelling customers use, and the usual mistakes.
const phones = [];
const spellings = [(n) => `0${n}`, (n) => `+254${n}`, (n) => `254${n}`, (n) => `0${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`, (n) => `+254 ${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`];
const invalid = ["0712 345", "020 123 4567", "0800 720 000", "+44 20 7946 0958", "07123456789", "0712abc678", "", "712345678", "0150 123 456"];
const rand = seededRandom(42);
for (let i = 0; i < 1000; i++) {
  if (rand(10) < 7) {
    const prefix = ["7", "11", "10", "74", "79", "76"][rand(6)];
    const national = (prefix + String(rand(1e9)).padStart(9, "0")).slice(0, 9);
    phones.push(spellings[rand(spellings.length)](national));
  } else {
    phones.push(invalid[rand(invalid.length)]);
  }
}
const requests = phones.map((phone, i) => ({
  amount: i % 11 === 0 ? 0 : 100 + (i % 5000),
  phone,
  accountReference: i % 13 === 0 ? "REFERENCE-TOO-LONG" : `INV-${i}`,
  transactionDesc: "Order",
  callbackUrl: i % 17 === 0 ? "http://shop.example/cb" : "https://shop.example/mpesa",
}));

const swallow = (f) => (x) => { try { return f(x); } catch { return null; } };
const phoneImpls = {
  "palpluss-stk normalizePhone": swallow(pkg.normalizePhone),
  "palpluss-stk checkPhone (no throw)": (x) => { const r = pkg.checkPhone(x); return r.ok ? r.phone : null; },
  "libphonenumber-js parse + isValid": swallow(lpnNormalize),
  "plain-JS regex normaliser": swallow(regexNormalize),
};
const stkImpls = {
  "palpluss-stk validateStkRequest": (x) => pkg.validateStkRequest(x),
  "zod + libphonenumber-js": (x) => zodValidateStkRequest(x),
};

/** Median ns per call over interleaved rounds (the order of implementations changes every round). */
const race = (impls, inputs) => medianRace(impls, inputs, { rounds: QUICK ? 5 : 21, ms: QUICK ? 10 : 40, rand });

// The implementations must agree before their speed means anything.
const agree = (f) => phones.filter((p) => (f(p) === null) === (phoneImpls["palpluss-stk normalizePhone"](p) === null)).length;
const timeRatio = (ours, theirs) => `palpluss-stk takes ${ratio(ours, theirs)} the time`;
const phoneSpeed = race(phoneImpls, phones);
const ours = phoneSpeed["palpluss-stk normalizePhone"];
for (const [name, ns] of Object.entries(phoneSpeed)) {
  const vs = name === "palpluss-stk normalizePhone" ? "70% valid, 30% invalid (thrown)" : `${timeRatio(ours, ns)}; agrees on ${agree(phoneImpls[name])}/${phones.length} inputs`;
  row("speed (Node, per call)", name, ns.toFixed(0), "ns", vs);
}
// Throwing dominates the mix above (an Error costs microseconds in any library): valid numbers alone
// show the parsing and the call boundary.
const validPhones = phones.filter((p) => phoneImpls["palpluss-stk normalizePhone"](p) !== null);
const validSpeed = race(phoneImpls, validPhones);
const oursValid = validSpeed["palpluss-stk normalizePhone"];
for (const [name, ns] of Object.entries(validSpeed)) {
  const vs = name === "palpluss-stk normalizePhone" ? "valid numbers only" : timeRatio(oursValid, ns);
  row("speed (Node, valid only)", name, ns.toFixed(0), "ns", vs);
}
const stkSpeed = race(stkImpls, requests);
const oursStk = stkSpeed["palpluss-stk validateStkRequest"];
const stkAgree = requests.filter((r) => pkg.validateStkRequest(r).ok === zodValidateStkRequest(r).ok).length;
for (const [name, ns] of Object.entries(stkSpeed)) {
  const vs = name.startsWith("palpluss") ? "" : `${timeRatio(oursStk, ns)}; same verdict on ${stkAgree}/${requests.length} requests`;
  row("speed (Node, per call)", name, ns.toFixed(0), "ns", vs);
}

// ---------------------------------------------------------------- the Worker
const dryRun = execFileSync(resolve(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", "target/deploy-dry-run"], {
  cwd: root, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" }, stdio: ["ignore", "pipe", "pipe"],
});
const upload = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(dryRun);
const jsWorker = bundleSize("bench/worker-js/index.mjs");
row("Worker", "upload (wrangler deploy --dry-run)", upload ? upload[2] : "?", "KiB gzip", `raw ${upload ? upload[1] : "?"} KiB; plain-JS Worker ${(jsWorker.gzip / 1024).toFixed(1)} KiB gzip`);

const envelope = JSON.stringify({ success: true, data: { transactionId: "fa98a577-95ea-4a8f-8467-1fbe74f5d6f4", status: "PENDING", amount: 100, phone: "254712345678" }, requestId: "c1b2a3d4-0000-0000-0000-000000000000" });
const upstream = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": envelope.length }).end(envelope));
});
upstream.keepAliveTimeout = 65_000;
await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
const bindings = {
  PALPLUSS_API_KEY: "bench_key", PALPLUSS_BASE_URL: `http://127.0.0.1:${upstream.address().port}/v1`,
  CALLBACK_URL: `http://127.0.0.1:${upstream.address().port}/cb`, ALLOWED_ORIGINS: "https://shop.example",
};
const quiet = { handleRuntimeStdio(o, e) { o.resume(); e.resume(); } };
const workers = {
  "palpluss-stk Worker (Rust/wasm)": new Miniflare({ ...builtWorker(bindings), ...quiet }),
  "plain-JS Worker (bench/worker-js)": new Miniflare({ modules: true, compatibilityDate, cf: false, bindings, ...quiet, scriptPath: resolve(root, "bench/worker-js/index.mjs") }),
};
const bodies = requests.slice(0, 200).map((r) => { const { callbackUrl, ...checkout } = r; return JSON.stringify(checkout); });
async function load(mf, seconds) {
  const latencies = [];
  const deadline = performance.now() + seconds * 1000;
  let i = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (performance.now() < deadline) {
      const body = bodies[i++ % bodies.length];
      const start = performance.now();
      const r = await mf.dispatchFetch("http://proxy.test/payments/stk", { method: "POST", headers: { "content-type": "application/json", origin: "https://shop.example" }, body });
      await r.arrayBuffer();
      latencies.push(performance.now() - start);
    }
  }));
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p50: latencies[latencies.length >> 1], p99: latencies[Math.floor(latencies.length * 0.99)] };
}
const runs = Object.fromEntries(Object.keys(workers).map((n) => [n, []]));
for (const mf of Object.values(workers)) await mf.ready;
for (const [, mf] of Object.entries(workers)) await load(mf, 1); // warm-up
for (let round = 0; round < (QUICK ? 1 : 3); round++) {
  for (const [name, mf] of Object.entries(workers)) runs[name].push(await load(mf, QUICK ? 2 : 5));
}
const med = (list, key) => list.map((r) => r[key]).sort((a, b) => a - b)[list.length >> 1];
const rpsOf = Object.fromEntries(Object.entries(runs).map(([n, l]) => [n, med(l, "rps")]));
const [oursW, plainW] = Object.keys(workers);
for (const [name, list] of Object.entries(runs)) {
  const vs = name === oursW ? `${ratio(rpsOf[oursW], rpsOf[plainW])} the plain-JS Worker's throughput` : "";
  row("Worker (Miniflare, concurrency 32)", `${name} req/s, p50 / p99 ms`, rpsOf[name].toFixed(0), "req/s", `${med(list, "p50").toFixed(1)} / ${med(list, "p99").toFixed(1)} ms ${vs}`);
}
for (const mf of Object.values(workers)) await mf.dispose();
upstream.close();

// ---------------------------------------------------------------- report
const width = (k) => Math.max(...rows.map((r) => String(r[k]).length), k.length);
const cols = ["group", "what", "figure", "unit", "vs"];
const line = (r) => cols.map((c) => String(r[c]).padEnd(width(c))).join("  ");
console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
console.log(cols.map((c) => "-".repeat(width(c))).join("  "));
for (const r of rows) console.log(line(r));
mkdirSync(resolve(root, "out/bench"), { recursive: true });
const machine = { node: process.version, cpus: (await import("node:os")).cpus().length, date: new Date().toISOString(), quick: QUICK };
writeFileSync(resolve(root, "out/bench/results.json"), JSON.stringify({ machine, rows, sizes, phoneSpeed, validSpeed, stkSpeed, workers: runs }, null, 2));
console.log(`\nwritten to out/bench/results.json (${machine.cpus} cores, Node ${machine.node})`);
