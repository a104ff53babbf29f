#!/usr/bin/env node
// A CPU profile of the Worker under load on one path, through workerd's inspector (the DevTools
// protocol: Profiler.start/stop), summed by function: where its time goes, per request.
//
//   node bench/profile.mjs [invalid|status|push|notfound] [requests]    (WORKER=js: the plain-JS Worker)
//
// Writes out/bench/worker-<path>.cpuprofile (open it in Chrome's DevTools) and prints the
// functions with the most self time. wasm functions are named when the build kept a name section
// (worker-build's wasm-opt drops it; `wasm-function[N]` otherwise): PROFILE_BUILD=dir runs the
// Worker built there instead of build/, e.g. by (as scripts/build-worker.sh lays out build/)
//   worker-build --profiling -d target/profile-build --features worker &&
//   mv target/profile-build/index.js target/profile-build/rust.js && cp src/worker/front.js target/profile-build/index.js
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { builtWorker, compatibilityDate } from "../scripts/built-worker.mjs";
import { acceptedCheckout, benchBindings, invalidCheckout, send, startUpstream, statusRead, wideRateLimit, objectsWorkerBindings } from "./worker-harness.mjs";

const root = resolve(import.meta.dirname, "..");
const which = process.argv[2] ?? "invalid";
const REQUESTS = Number(process.argv[3] ?? 3000);
const INSPECTOR = 9239;

const upstream = await startUpstream();
const bindings = benchBindings(upstream.url);
const ratelimits = wideRateLimit;
const rust = {
  ...builtWorker(bindings),
  ...(process.env.PROFILE_BUILD && { scriptPath: resolve(root, process.env.PROFILE_BUILD, "index.js"), modulesRoot: resolve(root, process.env.PROFILE_BUILD) }),
  ratelimits,
};
// WORKER=js: the plain-JavaScript Worker of bench/per-request.mjs, with the Rust build's objects.
const { cf, ...objects } = rust;
const js = {
  name: "js", modules: true, scriptPath: resolve(root, "bench/worker-js/payments.mjs"), compatibilityDate, bindings, ratelimits,
  durableObjects: objectsWorkerBindings(objects.durableObjects),
};
const mf = new Miniflare({
  ...(process.env.WORKER === "js" ? { cf, workers: [{ ...js, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }, { ...objects, name: "objects" }] } : rust),
  inspectorPort: INSPECTOR,
  // A socket of its own: requests over loopback HTTP with a Content-Length, as browsers send them
  // (Miniflare's dispatchFetch sends bodies chunked).
  unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  handleRuntimeStdio(stdout, stderr) {
    stdout.resume();
    stderr.resume();
  },
});
await mf.ready;
const direct = await mf.unsafeGetDirectURL(process.env.WORKER === "js" ? "js" : undefined);
let n = 0;
const call = async ([method, path, init]) => {
  n++;
  return send(direct, method, path, init);
};
const payment = JSON.parse((await call(acceptedCheckout())).body).data;
const request = { invalid: invalidCheckout, status: () => statusRead(payment), push: acceptedCheckout, notfound: () => ["GET", "/nope", {}] }[which];
const one = () => call(request());
for (let i = 0; i < 50; i++) await one();

const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR}/json`)).json();
const wanted = process.env.WORKER === "js" ? /core:user:js/ : /core:user/;
const target = targets.find((t) => wanted.test(`${t.id} ${t.title} ${t.webSocketDebuggerUrl}`)) ?? targets[0];
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r) => ws.once("open", r));
let id = 0;
const pending = new Map();
ws.on("message", (m) => {
  const msg = JSON.parse(m);
  if (msg.id && pending.has(msg.id)) pending.get(msg.id)(msg.result);
});
const cdp = (method, params = {}) => new Promise((r) => { pending.set(++id, r); ws.send(JSON.stringify({ id, method, params })); });
await cdp("Profiler.enable");
await cdp("Profiler.setSamplingInterval", { interval: 100 });
await cdp("Profiler.start");
const started = performance.now();
const lanes = Array.from({ length: 8 }, async () => { while (n < REQUESTS + 51) await one(); });
await Promise.all(lanes);
const seconds = (performance.now() - started) / 1000;
const { profile } = await cdp("Profiler.stop");
ws.close();
await mf.dispose();
upstream.close();

mkdirSync(resolve(root, "out/bench"), { recursive: true });
writeFileSync(resolve(root, `out/bench/${process.env.WORKER === "js" ? "js-" : ""}worker-${which}.cpuprofile`), JSON.stringify(profile));
// Self time per function, from the samples.
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const dt = profile.timeDeltas;
profile.samples.forEach((nodeId, i) => {
  const { functionName, url, lineNumber } = byId.get(nodeId).callFrame;
  const name = `${functionName || "(anonymous)"} ${url ? url.split("/").pop() : ""}${lineNumber >= 0 && url ? `:${lineNumber}` : ""}`;
  self.set(name, (self.get(name) ?? 0) + (dt[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`${which}: ${REQUESTS} requests in ${seconds.toFixed(1)} s; the isolate's profile, self time:`);
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / REQUESTS).toFixed(1).padStart(7)} µs/request  ${name}`);
}
