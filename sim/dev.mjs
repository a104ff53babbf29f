#!/usr/bin/env node
// The local payment flow with no account, key or internet: the Worker under `wrangler dev`
// (DEV_PORT, default 8787) against the built-in PalPluss simulator (SIM_PORT, 8788), and the demo
// checkout page (WWW_PORT, 8080). `make dev` runs it in this repository; the npm package ships it
// as the `palpluss-stk-dev` bin, which the Cloudflare template's `npm run dev` runs. Either way it
// serves the wrangler.toml of the folder it is started in.
//
// With PALPLUSS_API_KEY in .dev.vars the simulator is not started and the Worker talks to PalPluss
// with that key instead. DEV_TURNSTILE=1: the proxy requires Turnstile and the page shows the widget
// (Cloudflare's published test keys). DEV_PERSIST_TO: where wrangler keeps this session's Durable
// Objects. DEV_IP_RATE_LIMIT: pushes per minute per client IP (every local request has one IP).
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { startSimulator } from "./palpluss-sim.mjs";

const here = import.meta.dirname;
// In the repository this file is sim/dev.mjs; in the npm package, dev/dev.mjs beside the package's
// own folders (the demo page in dev/www, the package root served at /pkg/).
const inRepository = existsSync(resolve(here, "../Cargo.toml"));
const WWW = inRepository ? resolve(here, "../www") : resolve(here, "www");
const PKG = inRepository ? resolve(here, "../pkg") : resolve(here, "..");
const EXAMPLES = resolve(here, "../examples");
const { signCheckoutIntent } = createRequire(import.meta.url)(inRepository ? "../src/node/server.cjs" : "../node/server.cjs");

const HOST = "127.0.0.1";
const env = process.env;
const DEV_PORT = Number(env.DEV_PORT || 8787);
const SIM_PORT = Number(env.SIM_PORT || 8788);
const WWW_PORT = Number(env.WWW_PORT || 8080);
const project = process.cwd();
Object.assign(env, { WRANGLER_SEND_METRICS: "false", DO_NOT_TRACK: "1", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" });

/** A value from the project's .dev.vars (dotenv lines), if set and not empty. */
function devVar(name) {
  const file = join(project, ".dev.vars");
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, "utf8").split("\n").find((l) => l.startsWith(`${name}=`));
  const value = line?.slice(name.length + 1).trim().replace(/^"(.*)"$/, "$1");
  return value || undefined;
}

// Fixed test values for the simulator, not secrets: plain --vars are fine.
const SIM_API_KEY = "sim_test_key";
const SIM_MERCHANT_SECRET = "msec_dev_simulator_0123456789";
const DEV_WEBHOOK_SECRET = "whk_dev_simulator_0123456789";
// The demo page is rendered with an intent signed with this, as a merchant's server would: an
// amount changed in the browser is refused (INTENT_MISMATCH).
const DEV_INTENT_SECRET = "isec_dev_simulator_0123456789";
// The admin API's token under `make dev` (a fixed test value, like the others).
const DEV_ADMIN_TOKEN = "adm_dev_simulator_0123456789abcdef";
/** The demo's one order, as the merchant's server knows it. */
const ORDER = { amount: 1500, accountReference: "ORDER-1042", transactionDesc: "Order 1042" };

const vars = {};
const stops = [];
let mode;
let intentSecret;
const withPalPluss = Boolean(devVar("PALPLUSS_API_KEY"));
if (withPalPluss) {
  mode = "PalPluss";
  console.log(`[dev] .dev.vars has a PALPLUSS_API_KEY: the Worker talks to PalPluss (${env.PALPLUSS_BASE_URL || "https://api.palpluss.com/v1"})`);
} else {
  // The whole loop on loopback: the simulator posts its webhooks to the Worker's own webhook route
  // (CALLBACK_URL left empty, so it is derived from WEBHOOK_SECRET and the Worker's host), and the
  // Worker posts signed events to the simulator's merchant sink, which verifies them.
  Object.assign(env, { SIM_API_KEY, SIM_MERCHANT_SECRET });
  const sim = await startSimulator({ port: SIM_PORT, host: HOST, log: (line) => console.log(`[simulator] ${line}`) });
  stops.push(() => sim.close());
  console.log(`[simulator] PalPluss simulator on ${sim.url} (API key "${sim.apiKey}")`);
  intentSecret = DEV_INTENT_SECRET;
  Object.assign(vars, {
    PALPLUSS_API_KEY: SIM_API_KEY,
    PALPLUSS_BASE_URL: sim.url,
    WEBHOOK_SECRET: DEV_WEBHOOK_SECRET,
    MERCHANT_WEBHOOK_URL: `${sim.origin}/dev/merchant`,
    MERCHANT_WEBHOOK_SECRET: SIM_MERCHANT_SECRET,
    INTENT_SECRET: DEV_INTENT_SECRET,
    ADMIN_TOKEN: DEV_ADMIN_TOKEN,
    // The simulator's test numbers are reused all day: the hourly cap per phone is opened wide (the
    // cooldown stays, so PHONE_BUSY can be seen by paying twice in a row).
    PHONE_MAX_PER_HOUR: "1000",
  });
  mode = `the simulator (${sim.origin}; its webhooks come back to the Worker, signed events go to ${sim.origin}/dev/merchant)`;
}
let turnstile = { siteKey: "", script: "https://challenges.cloudflare.com/turnstile/v0/api.js" };
if (env.DEV_TURNSTILE === "1") {
  // With the simulator both the widget and siteverify are its offline stand-ins; with PalPluss
  // they are Cloudflare's own (internet needed).
  turnstile.siteKey = "1x00000000000000000000AA";
  vars.TURNSTILE_SECRET = "1x0000000000000000000000000000000AA";
  if (!withPalPluss) {
    turnstile.script = `http://${HOST}:${SIM_PORT}/turnstile/v0/api.js`;
    vars.TURNSTILE_VERIFY_URL = `http://${HOST}:${SIM_PORT}/turnstile/v0/siteverify`;
  }
}
// The demo checkout's origin may call the proxy (unless .dev.vars says otherwise).
if (!devVar("ALLOWED_ORIGINS")) vars.ALLOWED_ORIGINS = `http://${HOST}:${WWW_PORT},http://localhost:${WWW_PORT}`;

const args = ["dev", "--ip", HOST, "--port", String(DEV_PORT), "--show-interactive-dev-session=false"];
for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
if (env.DEV_PERSIST_TO) args.push("--persist-to", env.DEV_PERSIST_TO);
if (env.DEV_IP_RATE_LIMIT) {
  // A copy of wrangler.toml with that one number, beside it (its paths stay relative to it).
  const toml = readFileSync(join(project, "wrangler.toml"), "utf8");
  writeFileSync(join(project, "wrangler.dev.toml"), toml.replace(/^simple = \{ limit = \d+,/m, `simple = { limit = ${Number(env.DEV_IP_RATE_LIMIT)},`));
  args.push("--config", "wrangler.dev.toml");
}
const wrangler = spawn(join(project, "node_modules/.bin/wrangler"), args, { stdio: "inherit", env });
stops.push(() => wrangler.kill("SIGTERM"));

const proxy = `http://${HOST}:${DEV_PORT}`;
const www = serveCheckout({ port: WWW_PORT, proxy, intentSecret, turnstile });
stops.push(() => www.close());

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(stops.map((f) => f()));
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
wrangler.on("exit", (code) => {
  if (!stopping) console.error(`[dev] wrangler dev exited (${code})`);
  stop(code ?? 1);
});

// Up as soon as /health answers at all; a 503 says which variable is missing.
for (let i = 0; i < 480; i++) {
  const health = await fetch(`${proxy}/health`).catch(() => null);
  if (health) {
    if (!health.ok) console.error("[dev] configuration incomplete:", await health.text());
    ready();
    break;
  }
  await new Promise((r) => setTimeout(r, 250));
}

function ready() {
  let extra = "";
  // A day-long intent for the printed command (the demo page signs a fresh one per load).
  if (intentSecret) extra += `, "intent": "${signCheckoutIntent({ amount: 100, accountReference: "INV-1", transactionDesc: "Test", expiresInSeconds: 86400 }, intentSecret)}"`;
  // The token Cloudflare's test site keys give (the test secret accepts it).
  if (turnstile.siteKey) extra += `, "turnstileToken": "XXXX.DUMMY.TOKEN.XXXX"`;
  console.log(`
[dev] ready: the payment proxy is on ${proxy}, talking to ${mode}
[dev] the demo checkout is on http://${HOST}:${WWW_PORT}
[dev] try it:
  curl -s ${proxy}/payments/stk -H 'content-type: application/json' \\
    -d '{"amount": 100, "phone": "0712 345 678", "accountReference": "INV-1", "transactionDesc": "Test"${extra}}'
[dev] the answer has statusUrl and statusToken: curl -s "${proxy}/payments/{id}?token={statusToken}"
[dev] merchant events (verified signatures): curl -s http://${HOST}:${SIM_PORT}/dev/merchant${withPalPluss ? "" : `
[dev] the operator page: ${proxy}/admin/ (token ${DEV_ADMIN_TOKEN})`}
[dev] test numbers: 0700 001 032 cancelled, 0700 000 003 no webhook, 0700 000 666 lying webhook, 0700 000 429 banned: see the README
[dev] Ctrl-C stops everything.
`);
}

/**
 * Serves the demo checkout (WWW) and the npm package it imports (PKG at /pkg/) on loopback.
 * /config.js tells the page where the proxy is. With an intent secret the page is rendered as a
 * merchant's server would: with a fresh signed intent for the order. With a Turnstile site key it
 * shows the widget.
 */
function serveCheckout({ port, proxy, intentSecret, turnstile }) {
  const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml" };
  /** Maps a URL path into WWW or PKG, refusing anything that would leave them. */
  const fileFor = (pathname) => {
    // In the repository, /example/ is examples/: the Rust client's checkout (examples/checkout.rs).
    const [dir, rest] = pathname.startsWith("/pkg/")
      ? [PKG, pathname.slice(5)]
      : inRepository && pathname.startsWith("/example/")
        ? [EXAMPLES, pathname.slice(9) || "checkout.html"]
        : [WWW, pathname.slice(1) || "index.html"];
    const file = normalize(join(dir, decodeURIComponent(rest)));
    return file.startsWith(dir + sep) ? file : null;
  };
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url, "http://www");
    if (pathname === "/config.js") {
      res.writeHead(200, { "content-type": TYPES[".js"], "cache-control": "no-store" });
      return res.end(`export const proxyUrl = ${JSON.stringify(proxy)};\nexport const turnstileSiteKey = ${JSON.stringify(turnstile.siteKey)};\nexport const turnstileScriptUrl = ${JSON.stringify(turnstile.script)};\n`);
    }
    try {
      const file = fileFor(pathname);
      if (!file || req.method !== "GET") throw new Error("not found");
      let body = await readFile(file);
      if (file.endsWith("index.html") && intentSecret) {
        const intent = signCheckoutIntent(ORDER, intentSecret);
        body = body.toString("utf8").replace("<!-- intent -->", `<input type="hidden" name="intent" value="${intent}">`);
      }
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Not found");
    }
  });
  server.listen(port, HOST, () => console.log(`[www] demo checkout on http://${HOST}:${port} (proxy ${proxy})`));
  return { close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) };
}
