#!/usr/bin/env node
// The Rust client's browser tests (tests/client.rs) against real servers: the PalPluss simulator,
// the built Worker (build/, in Miniflare, over HTTP) and in front of it a small proxy that breaks
// connections on purpose. Then `cargo test --test client` in headless Chromium; this script exits
// with its status. `make test` runs it (after `make build`).
//
// The front's faults are chosen by the client's base URL: `{FRONT}/t/{tag}/{fault}` forwards to
// the Worker with `/t/{tag}/{fault}` taken off, after
//   ok         nothing;
//   drop-first the first push of each Idempotency-Key reaches the Worker, then its connection is
//              cut before the answer (the retry must get the Worker's kept answer);
//   drop-all   every push's connection is cut before it reaches the Worker;
//   stall      pushes are never answered (the client's timeout must fire, with no retry);
//   cut-sse    the event stream is cut after its first event (polling must take over).
// `GET {FRONT}/log/{tag}` answers what the front saw for that tag, so that a test can check what
// was sent, not only what came back.
//
// Then the example (examples/checkout.rs, built by `make test-client` and bound here with the
// pinned wasm-bindgen) on its page (examples/checkout.html), served by the front at /example/ and
// paying through it, driven in Chromium like a customer would.
import { spawn, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { chromium } from "playwright-core";
import { createServer, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { Miniflare } from "miniflare";
import { builtWorker } from "./built-worker.mjs";
import { startSimulator } from "../sim/palpluss-sim.mjs";

const HOST = "127.0.0.1";
const ROOT = resolve(import.meta.dirname, "..");
const EXAMPLE_OUT = resolve(ROOT, "target/client-example");
// Fixed, so that the test binary (which has the proxy's URL compiled in) is not rebuilt each run.
const FRONT_PORT = Number(process.env.CLIENT_TEST_PROXY_PORT || 8797);
const RUNNER_PORT = Number(process.env.CLIENT_TEST_RUNNER_PORT || 8796);
const FRONT = `http://${HOST}:${FRONT_PORT}`;
const RUNNER_ORIGIN = `http://${HOST}:${RUNNER_PORT}`;
// Where nothing may listen (the "unreachable proxy" test).
const CLOSED_PORT = Number(process.env.CLIENT_TEST_CLOSED_PORT || 8795);
const listening = await new Promise((resolve) => {
  const socket = connect(CLOSED_PORT, HOST, () => resolve(true)).on("error", () => resolve(false));
  socket.setTimeout(2000, () => socket.destroy());
});
if (listening) throw new Error(`something listens on ${HOST}:${CLOSED_PORT}; set CLIENT_TEST_CLOSED_PORT to a free port`);

const sim = await startSimulator({ port: 0, host: HOST, webhookDelayMs: 1500 });
const workerLog = [];
const mf = new Miniflare({
  ...builtWorker({
    PALPLUSS_API_KEY: sim.apiKey,
    PALPLUSS_BASE_URL: sim.url,
    CALLBACK_URL: "",
    WEBHOOK_SECRET: "whk_client_tests_0123456789",
    // The tests run on the runner's page; the example's page is served by the front.
    ALLOWED_ORIGINS: `${RUNNER_ORIGIN},${FRONT}`,
    // Smaller than the client's default (250,000): the proxy's own validation is tested with it.
    AMOUNT_MAX: "10000",
    PHONE_MAX_PER_HOUR: "1000",
  }),
  // Every request comes from one address: the per-IP limit is the guard's tests' business.
  ratelimits: { IP_RATE_LIMITER: { simple: { limit: 10000, period: 60 } } },
  host: HOST,
  port: 0,
  // The Worker's log lines are shown only when a test fails.
  handleRuntimeStdio(stdout, stderr) {
    for (const stream of [stdout, stderr]) stream.on("data", (chunk) => workerLog.push(String(chunk)));
  },
});
const worker = await mf.ready;

/** What the front saw, by tag: { method, path, key, authorization, fault, outcome, ... }. */
const seen = new Map();
const record = (tag, entry) => {
  if (!seen.has(tag)) seen.set(tag, []);
  seen.get(tag).push(entry);
  return entry;
};
const dropped = new Set();

const front = createServer(async (req, res) => {
  // A new connection for every request: Chromium silently resends a request whose reused
  // connection drops, which would blur what the client itself sends.
  res.shouldKeepAlive = false;
  if (req.url.startsWith("/example/")) return serveExample(req, res);
  const match = /^\/(t|log)\/([\w-]+)(?:\/([\w-]+))?(\/.*)?$/.exec(req.url);
  if (match?.[1] === "log") {
    res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*", "cache-control": "no-store" });
    return res.end(JSON.stringify(seen.get(match[2]) ?? []));
  }
  if (!match || !match[4]) {
    res.writeHead(404);
    return res.end();
  }
  const [, , tag, fault, path] = match;
  const key = req.headers["idempotency-key"] ?? null;
  const isPush = req.method === "POST" && path === "/payments/stk";
  const isEvents = req.method === "GET" && /\/events(\?|$)/.test(path);
  const entry = record(tag, {
    method: req.method,
    path: path.replace(/token=[^&]*/, "token=…"),
    key,
    authorization: Boolean(req.headers.authorization),
    language: req.headers["accept-language"] ?? null,
    at: Date.now(),
  });
  const body = await new Promise((resolve) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });
  if (isPush && fault === "drop-all") {
    entry.outcome = "cut before the Worker";
    return req.socket.destroy();
  }
  if (isPush && fault === "stall") {
    entry.outcome = "stalled";
    res.on("close", () => (entry.closedByClient = true));
    return;
  }
  const headers = { ...req.headers, host: `${HOST}:${worker.port}` };
  const upstream = httpRequest(new URL(path, worker), { method: req.method, headers }, (answer) => {
    entry.status = answer.statusCode;
    entry.replayed = answer.headers["idempotent-replayed"] ?? null;
    if (isPush && fault === "drop-first" && key && !dropped.has(key)) {
      dropped.add(key);
      entry.outcome = "answered by the Worker, cut before the client";
      answer.resume();
      return req.socket.destroy();
    }
    res.writeHead(answer.statusCode, answer.headers);
    if (isEvents) {
      res.on("close", () => (entry.closedByClient = !entry.cut));
      if (fault === "cut-sse") {
        answer.on("data", (chunk) => {
          res.write(chunk);
          if (String(chunk).includes("event: status")) {
            entry.cut = true;
            entry.outcome = "cut after the first event";
            answer.destroy();
            setTimeout(() => res.socket?.destroy(), 50);
          }
        });
        return;
      }
    }
    answer.pipe(res);
  });
  upstream.on("error", () => res.socket?.destroy());
  res.on("close", () => upstream.destroy());
  upstream.end(body);
});
await new Promise((resolve, reject) => {
  front.once("error", (e) => reject(new Error(`the client tests' proxy cannot listen on ${FRONT} (${e.code}); set CLIENT_TEST_PROXY_PORT`)));
  front.listen(FRONT_PORT, HOST, resolve);
});

const cargo = spawn(
  "cargo",
  ["test", "--profile", "wasm-test", "--target", "wasm32-unknown-unknown", "--features", "client", "--test", "client", ...process.argv.slice(2)],
  {
    stdio: "inherit",
    env: {
      ...process.env,
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER: "wasm-bindgen-test-runner",
      WASM_BINDGEN_TEST_TIMEOUT: "900",
      WASM_BINDGEN_TEST_ADDRESS: `${HOST}:${RUNNER_PORT}`,
      // A page like a shop's (no cross-origin isolation headers).
      WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION: "1",
      PALPLUSS_STK_TEST_PROXY: FRONT,
      PALPLUSS_STK_TEST_CLOSED: `http://${HOST}:${CLOSED_PORT}`,
      CHROMEDRIVER: process.env.CHROMEDRIVER || "chromedriver",
    },
  },
);
let code = await new Promise((resolve) => cargo.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
if (code === 0) code = await checkExample();
if (code !== 0) process.stderr.write(`\nThe Worker's log:\n${workerLog.join("")}\n`);
front.closeAllConnections?.();
await Promise.allSettled([new Promise((r) => front.close(r)), mf.dispose(), sim.close()]);
process.exit(code);

/** Serves examples/checkout.html (paying through the front, tag "example") and its bound wasm. */
function serveExample(req, res) {
  const path = new URL(req.url, FRONT).pathname.slice("/example/".length);
  const types = { js: "text/javascript", wasm: "application/wasm", html: "text/html; charset=utf-8" };
  try {
    let body;
    if (path === "" || path === "checkout.html") {
      body = readFileSync(resolve(ROOT, "examples/checkout.html"), "utf8").replace(/data-proxy="[^"]*"/, 'data-proxy="/t/example/ok"');
    } else if (/^rust\/[\w.-]+\.(js|wasm)$/.test(path)) {
      body = readFileSync(resolve(EXAMPLE_OUT, path.slice(5)));
    } else throw new Error("not found");
    res.writeHead(200, { "content-type": types[path.split(".").pop()] ?? types.html, "cache-control": "no-store" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
}

/** The example in Chromium: an invalid phone is shown in place and sends nothing; a valid one pays. */
async function checkExample() {
  execFileSync("wasm-bindgen", ["--target", "web", "--out-dir", EXAMPLE_OUT, resolve(ROOT, "target/wasm32-unknown-unknown/wasm-test/examples/checkout.wasm")]);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
  let page;
  const consoleLines = [];
  try {
    page = await browser.newPage();
    page.on("console", (m) => consoleLines.push(m.text()));
    page.on("pageerror", (e) => consoleLines.push(String(e)));
    await page.goto(`${FRONT}/example/`);
    await page.fill("#phone", "020 123 4567");
    await page.click("button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#phone-error").textContent !== "", null, { timeout: 60_000 });
    const landline = await page.textContent("#phone-error");
    const pushesAfterInvalid = (seen.get("example") ?? []).filter((e) => e.method === "POST").length;
    await page.fill("#phone", "0712 345 609");
    await page.click("button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#checkout-status").textContent === "Paid. Thank you!", null, { timeout: 120_000 });
    const errorCleared = (await page.textContent("#phone-error")) === "";
    const pushes = (seen.get("example") ?? []).filter((e) => e.method === "POST").length;
    const failures = [];
    if (!/landline|mezani/i.test(landline)) failures.push(`the landline's error is not shown in place: "${landline}"`);
    if (pushesAfterInvalid !== 0) failures.push(`the invalid form sent ${pushesAfterInvalid} push(es)`);
    if (pushes !== 1) failures.push(`the valid form sent ${pushes} pushes, not 1`);
    if (!errorCleared) failures.push("the phone's error stayed after a valid submit");
    for (const f of failures) console.error(`example (examples/checkout.rs): ${f}`);
    console.log(failures.length ? "example: FAILED" : "example (examples/checkout.rs) in Chromium: a landline is refused in place, nothing sent; a valid phone pays ... ok");
    return failures.length ? 1 : 0;
  } catch (e) {
    const status = await page?.textContent("#checkout-status").catch(() => null);
    console.error(`example (examples/checkout.rs): ${e.message}\nits status line: ${JSON.stringify(status)}\nits console: ${consoleLines.join("\n")}\nwhat the front saw: ${JSON.stringify(seen.get("example") ?? [])}`);
    return 1;
  } finally {
    await browser.close();
  }
}
