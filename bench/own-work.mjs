#!/usr/bin/env node
// `make bench`: the Worker's own work per request, beside the plain-JavaScript Worker's, with
// HTTP taken out. bench/per-request.mjs measures throughput over loopback HTTP, where Miniflare's
// routing and the client (on the same 2 cores) are most of each request and blur the difference;
// here one isolate calls each Worker's fetch handler in a loop (bench/worker-js/own-work-driver.mjs),
// with the same bindings and the same Durable Objects (the Rust build's, in a second Worker), and
// the caller times each loop. Interleaved rounds; per path the median and the fastest round, in
// µs per request, and the ratio (JavaScript's time over Rust's: 1.0x or more is the goal).
// BENCH_QUICK=1 shortens it. Results also in out/bench/own-work.json. Figures, never assertions.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { Miniflare } from "miniflare";
import { builtWorker, compatibilityDate } from "../scripts/built-worker.mjs";
import { benchBindings, send, startUpstream, wideRateLimit, median, objectsWorkerBindings } from "./worker-harness.mjs";

const root = resolve(import.meta.dirname, "..");
const QUICK = process.env.BENCH_QUICK === "1";
const PER_ROUND = QUICK ? 500 : 2000;
const ROUNDS = QUICK ? 3 : 9;

const upstream = await startUpstream();
const bindings = benchBindings(upstream.url);
const { cf, ...rust } = builtWorker(bindings);
const durableObjects = objectsWorkerBindings(rust.durableObjects);
const mf = new Miniflare({
  cf,
  handleRuntimeStdio(stdout, stderr) {
    stdout.resume();
    stderr.resume();
  },
  workers: [
    {
      name: "driver",
      modules: true,
      scriptPath: resolve(root, "bench/worker-js/own-work-driver.mjs"),
      modulesRoot: root,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }, { type: "ESModule", include: ["**/*.js", "**/*.mjs"] }],
      compatibilityDate,
      bindings,
      durableObjects,
      ratelimits: wideRateLimit,
      d1Databases: rust.d1Databases,
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    },
    { ...rust, name: "objects" },
  ],
});
await mf.ready;
const url = await mf.unsafeGetDirectURL("driver");
/** One loop of `n` requests of `path` through one Worker: µs per request, and the answers' data. */
async function loop(worker, path, n, extra = {}) {
  const started = performance.now();
  const r = await send(url, "GET", `/?${new URLSearchParams({ worker, path, n, ...extra })}`);
  const ms = performance.now() - started;
  if (r.status !== 200) throw new Error(`${worker} ${path}: ${r.status} ${r.body.slice(0, 300)}`);
  return { us: (ms * 1000) / n, ...JSON.parse(r.body) };
}
const expected = { "no such route": "404", "invalid checkout": "400", "status read": "200", "accepted push": "200" };
// Payments for the status reads (pushed through the Rust Worker, recorded in the shared objects),
// left to settle: PalPluss answers their first status check SUCCESS.
const payments = (await loop("rust", "accepted push", 64, { collect: 1 })).data;
if (!payments.every((p) => p?.statusToken)) throw new Error("a push for the status reads was not accepted");
await new Promise((r) => setTimeout(r, 17_000));

const results = { perRound: PER_ROUND, rounds: ROUNDS, paths: {} };
console.log(`the Worker's own work per request, Rust vs plain JavaScript (one isolate, no HTTP, ${ROUNDS} interleaved rounds of ${PER_ROUND}; µs per request, median and fastest round):`);
for (const path of Object.keys(expected)) {
  // Fewer pushes: each holds the key's budget and health for a while.
  const n = path === "accepted push" ? PER_ROUND / 10 : PER_ROUND;
  const extra = { payments: JSON.stringify(payments) };
  const times = { rust: [], js: [] };
  for (const worker of ["rust", "js"]) await loop(worker, path, n / 4, extra);
  for (let round = 0; round < ROUNDS; round++) {
    for (const worker of round % 2 ? ["js", "rust"] : ["rust", "js"]) {
      const { us, statuses } = await loop(worker, path, n, extra);
      if (Object.keys(statuses).join() !== expected[path]) throw new Error(`${worker} ${path}: answers ${JSON.stringify(statuses)}`);
      times[worker].push(us);
    }
  }
  const ratio = median(times.js) / median(times.rust);
  results.paths[path] = { rustUs: median(times.rust), jsUs: median(times.js), rustFastestUs: Math.min(...times.rust), jsFastestUs: Math.min(...times.js), ratio };
  const verdict = path === "no such route" ? "(not a goal)" : ratio >= 1 ? "(goal met)" : "(goal 1.0x: missed)";
  console.log(
    `  ${path.padEnd(18)} Rust ${median(times.rust).toFixed(0).padStart(5)} µs (${Math.min(...times.rust).toFixed(0)})   JS ${median(times.js).toFixed(0).padStart(5)} µs (${Math.min(...times.js).toFixed(0)})   ${ratio.toFixed(2)}x ${verdict}`,
  );
}
await mf.dispose();
upstream.close();
mkdirSync(resolve(root, "out/bench"), { recursive: true });
writeFileSync(resolve(root, "out/bench/own-work.json"), `${JSON.stringify(results, null, 2)}\n`);
