#!/usr/bin/env node
// Where the Worker's time per request goes, counted rather than timed: every call from the
// Worker's wasm into JavaScript (an import of wasm-bindgen's glue) and from JavaScript into the
// wasm (an export), per request, on the three paths of bench/per-request.mjs.
//
// It runs a copy of build/ whose glue counts the calls (target/bench-crossings/: the imports
// object and the exports wrapped, the count written to the log after each request), in Miniflare
// with the same Durable Objects and bindings, and prints per path the calls per request and the
// imports called most, each named by the start of its glue function's source (the build shortens
// import names). Durable Objects run in the same isolate: a request's count includes the objects'
// own calls, which is what the request costs. BENCH_QUICK=1 is accepted (it is short anyway).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Miniflare } from "miniflare";
import { builtWorker } from "../scripts/built-worker.mjs";
import { acceptedCheckout, benchBindings, invalidCheckout, send, startUpstream, statusRead, wideRateLimit } from "./worker-harness.mjs";

const root = resolve(import.meta.dirname, "..");
const copy = resolve(root, "target/bench-crossings");
rmSync(copy, { recursive: true, force: true });
mkdirSync(copy, { recursive: true });
cpSync(resolve(root, "build"), copy, { recursive: true });
// The glue is worker-build's module (rust.js); index.js, the Worker's own entry, calls through it.
const glue = readFileSync(resolve(copy, "rust.js"), "utf8");
const instantiate = /WebAssembly\.Instance\((\w+),(\w+)\(\)\)/g;
if (!instantiate.test(glue)) throw new Error("the glue's WebAssembly.Instance call was not found: update bench/crossings.mjs");
const counting = `
const __counts = (globalThis.__crossings = { imports: new Map(), exports: new Map() });
const __label = (name, f) => name + " " + String(f).replace(/^function\\s*/, "").slice(0, 90);
function __countImports(imports) {
  for (const module of Object.values(imports)) {
    if (!module || typeof module !== "object") continue;
    for (const [name, f] of Object.entries(module)) {
      if (typeof f !== "function") continue;
      const label = __label(name, f);
      module[name] = function (...args) {
        __counts.imports.set(label, (__counts.imports.get(label) ?? 0) + 1);
        return f.apply(this, args);
      };
    }
  }
  return imports;
}
function __countExports(instance) {
  const exports = {};
  for (const [name, f] of Object.entries(instance.exports)) {
    exports[name] = typeof f !== "function" ? f : function (...args) {
      __counts.exports.set(name, (__counts.exports.get(name) ?? 0) + 1);
      return f.apply(this, args);
    };
  }
  return { exports };
}
globalThis.__takeCrossings = () => {
  const taken = { imports: Object.fromEntries(__counts.imports), exports: Object.fromEntries(__counts.exports) };
  __counts.imports.clear();
  __counts.exports.clear();
  return taken;
};
`;
const patched = counting + glue.replace(instantiate, "__countExports(new WebAssembly.Instance($1,__countImports($2())))").replace(/new __countExports\(new /g, "__countExports(new ");
writeFileSync(resolve(copy, "rust.js"), patched);
// The entry: the built Worker, with a route that hands over the counts since the last call.
writeFileSync(
  resolve(copy, "counting-entry.mjs"),
  `import Worker from "./index.js";
export * from "./index.js";
export default class extends Worker {
  async fetch(request) {
    if (new URL(request.url).pathname === "/__crossings") return Response.json(globalThis.__takeCrossings());
    return super.fetch(request);
  }
}
`,
);

const upstream = await startUpstream();
const mf = new Miniflare({
  ...builtWorker(benchBindings(upstream.url)),
  scriptPath: resolve(copy, "counting-entry.mjs"),
  modulesRoot: copy,
  ratelimits: wideRateLimit,
  unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  handleRuntimeStdio(stdout, stderr) {
    stdout.resume();
    stderr.resume();
  },
});
await mf.ready;
const direct = await mf.unsafeGetDirectURL();
const call = async ([method, path, init]) => send(direct, method, path, init);
const take = async () => JSON.parse((await call(["GET", "/__crossings", {}])).body);
const push = async () => JSON.parse((await call(acceptedCheckout())).body).data;
const paths = {
  "invalid checkout": () => call(invalidCheckout()),
  "status read": (payment) => call(statusRead(payment)),
  "accepted push": push,
};
const REQUESTS = 20;
const payment = await push();
const summary = {};
for (const [path, request] of Object.entries(paths)) {
  for (let i = 0; i < 3; i++) await request(payment); // warm: one-off work (config, caches) is not per request
  await take();
  for (let i = 0; i < REQUESTS; i++) await request(payment);
  // The objects' background work (alarms, the index) lands in later counts too: let it settle.
  await new Promise((r) => setTimeout(r, 200));
  const counts = await take();
  const imports = Object.entries(counts.imports).sort((a, b) => b[1] - a[1]);
  const total = (list) => list.reduce((sum, [, c]) => sum + c, 0);
  summary[path] = { importsPerRequest: total(imports) / REQUESTS, exportsPerRequest: total(Object.entries(counts.exports)) / REQUESTS };
  console.log(`${path}: ${(total(imports) / REQUESTS).toFixed(1)} calls into JS and ${(total(Object.entries(counts.exports)) / REQUESTS).toFixed(1)} into wasm per request; the most called imports:`);
  for (const [label, c] of imports.slice(0, Number(process.env.TOP ?? 14))) console.log(`  ${(c / REQUESTS).toFixed(1).padStart(6)}  ${label.replace(/\s+/g, " ")}`);
}
await mf.dispose();
upstream.close();
mkdirSync(resolve(root, "out/bench"), { recursive: true });
writeFileSync(resolve(root, "out/bench/crossings.json"), `${JSON.stringify(summary, null, 2)}\n`);
