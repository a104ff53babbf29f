#!/usr/bin/env node
// `make bench`: the Worker per request, against a plain-JavaScript Worker with the same contract
// (bench/worker-js/payments.mjs) and the same Durable Objects (the Rust Worker's own classes,
// bound across Workers) and Rate Limiting binding. Both in one Miniflare, each on its own loopback
// socket, in interleaved rounds, 16 requests at a time, on the three paths of the goal, after a
// route that does not exist (404: what every request pays, whatever it asks):
//   invalid checkout   POST /payments/stk that fails validation (400 before any object);
//   status read        GET /payments/{id} with its token (the Payment object's view);
//   accepted push      POST /payments/stk accepted (limiter, the phone's and the budget's
//                      objects, PalPluss, the Payment record).
// Throughput ratios per path (the Rust Worker's over the JavaScript one's: 1.0x or more is the
// goal), then the first answer after a cold start (a new Miniflare to the first response, both
// Workers in turn, several times; the goal: within 1.2x). Figures, never assertions.
// BENCH_QUICK=1 shortens it. Results also in out/bench/per-request.json.
import { Agent } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { Miniflare } from "miniflare";
import { builtWorker, compatibilityDate } from "../scripts/built-worker.mjs";
import { acceptedCheckout, benchBindings, invalidCheckout, send, startUpstream, statusRead, wideRateLimit, median, objectsWorkerBindings } from "./worker-harness.mjs";

const root = resolve(import.meta.dirname, "..");
const QUICK = process.env.BENCH_QUICK === "1";
const CONCURRENCY = 16;
const PER_ROUND = QUICK ? 160 : 800;
const ROUNDS = QUICK ? 2 : 5;
const COLD_STARTS = QUICK ? 3 : 7;

const upstream = await startUpstream();
const bindings = benchBindings(upstream.url);

/** Both Workers in one Miniflare, each on its own socket, and the Durable Objects in a third
 * Worker (the Rust build again, serving no requests) that both bind: the same objects, reached
 * the same way, from either. */
function options() {
  const { cf, ...rust } = builtWorker(bindings);
  const durableObjects = objectsWorkerBindings(rust.durableObjects);
  return {
    cf,
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.on("data", (c) => process.env.BENCH_DEBUG && process.stderr.write(c));
    },
    workers: [
      { ...rust, name: "rust", durableObjects, ratelimits: wideRateLimit, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] },
      { ...rust, name: "objects" },
      {
        name: "js",
        modules: true,
        scriptPath: resolve(root, "bench/worker-js/payments.mjs"),
        compatibilityDate,
        durableObjects,
        ratelimits: wideRateLimit,
        bindings,
        // wrangler.toml's static assets (the operator page) for both: in Miniflare every request
        // first passes their router, about half of what a 404 costs there, and not the Worker's doing.
        ...(rust.assets && { assets: rust.assets }),
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      },
    ],
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
let n = 0;
const paths = {
  // Not one of the contract's paths: the cost every request pays, whatever it asks (a 404).
  "no such route": { expect: 404, request: () => ["GET", "/no-such-route", {}] },
  "invalid checkout": { expect: 400, request: invalidCheckout },
  "status read": { expect: 200, request: (worker) => statusRead(worker.payments[n++ % worker.payments.length]) },
  // Fewer: each push holds the key's health and budget for a while (they refuse a flood, BUSY).
  "accepted push": { expect: 200, request: acceptedCheckout, share: 0.25 },
};

/** `count` requests of one path, CONCURRENCY at a time: requests per second. */
async function run(worker, path, count) {
  const { expect, request, share = 1 } = paths[path];
  count = Math.round(count * share);
  let left = count;
  const started = performance.now();
  const lane = async () => {
    while (left-- > 0) {
      const [method, url, init] = request(worker);
      const r = await send(worker.url, method, url, { ...init, agent });
      if (r.status !== expect) throw new Error(`${worker.name} ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return count / ((performance.now() - started) / 1000);
}

// ---------------------------------------------------------------- throughput
const mf = new Miniflare(options());
await mf.ready;
const workers = [];
for (const name of ["rust", "js"]) workers.push({ name, url: await mf.unsafeGetDirectURL(name), payments: [] });
const rates = Object.fromEntries(Object.keys(paths).map((p) => [p, { rust: [], js: [] }]));
/** Warm-up, then interleaved rounds of one path (alternating which Worker goes first). */
async function measure(path) {
  for (const worker of workers) await run(worker, path, PER_ROUND / 4);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...workers].reverse() : workers;
    for (const worker of order) rates[path][worker.name].push(await run(worker, path, PER_ROUND));
  }
}
// Path by path, the pushes last: every accepted payment has work of its own in the objects for a
// while (its first status check 15 s later, its index rows), which would load the paths after it.
await measure("no such route");
await measure("invalid checkout");
// Payments for the status reads, pushed through each Worker (their records live in the same
// objects), then left to settle (PalPluss answers their status check SUCCESS).
for (const worker of workers) {
  for (let i = 0; i < 64; i++) {
    const [method, url, init] = acceptedCheckout();
    const r = await send(worker.url, method, url, { ...init, agent });
    const data = JSON.parse(r.body).data;
    if (!data?.statusToken) throw new Error(`${worker.name}: a push was not accepted: ${r.status} ${r.body}`);
    worker.payments.push(data);
  }
}
await new Promise((r) => setTimeout(r, 20_000));
await measure("status read");
await measure("accepted push");
await mf.dispose();

// ---------------------------------------------------------------- cold start
/** A new Miniflare, then the time to the first answer from one Worker (an invalid checkout). */
async function coldStart(name) {
  const started = performance.now();
  const fresh = new Miniflare(options());
  await fresh.ready;
  const url = await fresh.unsafeGetDirectURL(name);
  const [method, path, init] = invalidCheckout();
  const r = await send(url, method, path, init);
  const ms = performance.now() - started;
  await fresh.dispose();
  if (r.status !== 400) throw new Error(`${name} cold start: ${r.status}`);
  return ms;
}
const cold = { rust: [], js: [] };
for (let i = 0; i < COLD_STARTS; i++) for (const name of i % 2 ? ["js", "rust"] : ["rust", "js"]) cold[name].push(await coldStart(name));
upstream.close();
agent.destroy();

// ---------------------------------------------------------------- report
const results = { concurrency: CONCURRENCY, perRound: PER_ROUND, rounds: ROUNDS, paths: {}, coldStart: {} };
console.log(`the Worker per request, Rust vs plain JavaScript (Miniflare, loopback HTTP, ${CONCURRENCY} at a time, ${ROUNDS} interleaved rounds of ${PER_ROUND}):`);
let missed = [];
for (const [path, { rust, js }] of Object.entries(rates)) {
  const ratio = median(rust) / median(js);
  results.paths[path] = { rustPerSecond: median(rust), jsPerSecond: median(js), ratio };
  if (ratio < 1 && path !== "no such route") missed.push(`${path} ${ratio.toFixed(2)}x`);
  const verdict = path === "no such route" ? "(not a goal: the cost of any request)" : ratio >= 1 ? "(goal met)" : "(goal 1.0x: missed)";
  console.log(`  ${path.padEnd(18)} Rust ${median(rust).toFixed(0).padStart(6)}/s   JS ${median(js).toFixed(0).padStart(6)}/s   ${ratio.toFixed(2)}x ${verdict}`);
}
const coldRatio = median(cold.rust) / median(cold.js);
results.coldStart = { rustMs: median(cold.rust), jsMs: median(cold.js), ratio: coldRatio, runs: COLD_STARTS };
console.log(`  cold start         Rust ${median(cold.rust).toFixed(0).padStart(6)} ms  JS ${median(cold.js).toFixed(0).padStart(6)} ms  ${coldRatio.toFixed(2)}x ${coldRatio <= 1.2 ? "(goal 1.2x or less: met)" : "(goal 1.2x or less: missed)"}`);
if (coldRatio > 1.2) missed.push(`cold start ${coldRatio.toFixed(2)}x`);
console.log(missed.length ? `goal missed on: ${missed.join(", ")}` : "goal met on every path and on cold start");
mkdirSync(resolve(root, "out/bench"), { recursive: true });
writeFileSync(resolve(root, "out/bench/per-request.json"), `${JSON.stringify(results, null, 2)}\n`);
