#!/usr/bin/env node
// Serves the demo checkout (www/) and the npm package it imports (pkg/ at /pkg/) on loopback.
//   node scripts/serve-www.mjs [--port 8080] [--host 127.0.0.1] [--proxy http://127.0.0.1:8787]
// /config.js tells the page where the payment proxy is. With INTENT_SECRET in the environment the
// page is rendered like a merchant's server would: with a fresh signed intent for the order, so
// the proxy refuses a checkout whose amount was changed in the browser. With TURNSTILE_SITE_KEY the
// page shows a Turnstile widget.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const host = arg("host", "127.0.0.1");
const port = Number(arg("port", 8080));
const proxy = arg("proxy", "http://127.0.0.1:8787");
const root = resolve(import.meta.dirname, "..");
const { signCheckoutIntent } = createRequire(import.meta.url)("../src/node/server.cjs");
/** The demo's one order, as the merchant's server knows it. */
const ORDER = { amount: 1500, accountReference: "ORDER-1042", transactionDesc: "Order 1042" };
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml" };

/** Maps a URL path into www/ or pkg/, refusing anything that would leave them. */
function fileFor(pathname) {
  const [base, rest] = pathname.startsWith("/pkg/") ? ["pkg", pathname.slice(5)] : ["www", pathname.slice(1) || "index.html"];
  const dir = join(root, base);
  const file = normalize(join(dir, decodeURIComponent(rest)));
  return file.startsWith(dir + sep) ? file : null;
}

createServer(async (req, res) => {
  const { pathname } = new URL(req.url, "http://www");
  if (pathname === "/config.js") {
    res.writeHead(200, { "content-type": TYPES[".js"], "cache-control": "no-store" });
    // TURNSTILE_SITE_KEY: the page shows a Turnstile widget (its script from TURNSTILE_SCRIPT_URL).
    const siteKey = process.env.TURNSTILE_SITE_KEY ?? "";
    const script = process.env.TURNSTILE_SCRIPT_URL ?? "https://challenges.cloudflare.com/turnstile/v0/api.js";
    return res.end(`export const proxyUrl = ${JSON.stringify(proxy)};\nexport const turnstileSiteKey = ${JSON.stringify(siteKey)};\nexport const turnstileScriptUrl = ${JSON.stringify(script)};\n`);
  }
  const file = fileFor(pathname);
  try {
    if (!file || req.method !== "GET") throw new Error("not found");
    let body = await readFile(file);
    if (file.endsWith("index.html") && process.env.INTENT_SECRET) {
      const intent = signCheckoutIntent(ORDER, process.env.INTENT_SECRET);
      body = body.toString("utf8").replace("<!-- intent -->", `<input type="hidden" name="intent" value="${intent}">`);
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(body);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("Not found");
  }
}).listen(port, host, () => console.log(`[www] demo checkout on http://${host}:${port} (proxy ${proxy})`));
