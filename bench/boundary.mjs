#!/usr/bin/env node
// `make bench`, the call boundary: every phone and validation export against its plain-JS or
// library equivalent, in Node (the ESM and the CommonJS entry) and in headless Chromium (the web
// entry), side by side, with the budgets met or missed in plain words. Figures, never assertions.
// BENCH_QUICK=1 shortens it.
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { chromium } from "playwright-core";
import * as esm from "../pkg/node/index.mjs";
import * as alt from "./alternatives.mjs";
import { runSuite, verdicts } from "./boundary-suite.mjs";

const root = resolve(import.meta.dirname, "..");
const quick = process.env.BENCH_QUICK === "1";
const cjs = createRequire(import.meta.url)("../pkg/node/index.cjs");
const results = {};
results["Node, ESM entry"] = runSuite(esm, alt, { quick });
results["Node, CommonJS entry"] = runSuite(cjs, alt, { quick });

// Chromium: the web entry as a page loads it, the suite and the alternatives bundled for it.
const bundle = execFileSync(resolve(root, "node_modules/.bin/esbuild"), ["--bundle", "--format=esm", "--log-level=error", "--external:/pkg/*"], {
  cwd: root, maxBuffer: 1 << 26,
  input: `import init, * as pkg from "/pkg/web/palpluss_stk.js";
    import * as alt from "./bench/alternatives.mjs";
    import { runSuite } from "./bench/boundary-suite.mjs";
    await init();
    window.__results = runSuite(pkg, alt, { quick: ${quick} });`,
});
const types = { ".js": "text/javascript", ".wasm": "application/wasm" };
const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (path === "/") return res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script type="module" src="/suite.js"></script>');
  if (path === "/suite.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
  if (path.startsWith("/pkg/web/") && !path.includes("..")) {
    try {
      return res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" }).end(readFileSync(resolve(root, path.slice(1))));
    } catch {}
  }
  res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(600_000);
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.__results, null, { timeout: 600_000 });
  results["Chromium, web entry"] = await page.evaluate(() => window.__results);
} finally {
  await browser.close();
  server.close();
}

const ns = (n) => `${n.toFixed(0)} ns`;
const envs = Object.keys(results);
const rows = [
  ["normalizePhone, valid", (r) => ns(r.normalize.ours)],
  ["  plain-JS regex normaliser", (r) => ns(r.normalize.regex)],
  ["  libphonenumber-js", (r) => ns(r.normalize.libphonenumber)],
  ["checkPhone, valid", (r) => ns(r.check.ours)],
  ["  plain-JS equivalent", (r) => ns(r.check.plain)],
  ["limits()", (r) => ns(r.limits.ours)],
  ["validateCheckout", (r) => ns(r.validate.ours)],
  ["  zod + libphonenumber-js", (r) => ns(r.validate.zod)],
  ["normalizePhones, 100,000, per number", (r) => ns(r.batch.ours)],
  ["  plain-JS normaliser in a loop", (r) => ns(r.batch.regex)],
];
const first = Math.max(...rows.map(([w]) => w.length));
const col = Math.max(...envs.map((e) => e.length)) + 2;
console.log(`${"per call".padEnd(first)}  ${envs.map((e) => e.padStart(col)).join("")}`);
for (const [what, f] of rows) console.log(`${what.padEnd(first)}  ${envs.map((e) => f(results[e]).padStart(col)).join("")}`);
for (const env of envs) {
  console.log(`\n${env}:`);
  for (const line of verdicts(results[env])) console.log(`  ${line}`);
}
mkdirSync(resolve(root, "out/bench"), { recursive: true });
writeFileSync(resolve(root, "out/bench/boundary.json"), JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
console.log("\nwritten to out/bench/boundary.json");
