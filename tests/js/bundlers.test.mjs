// The npm package with zero configuration where JavaScript developers bundle it, each from the
// packed tarball: a JavaScript Cloudflare Worker bundled by wrangler and run in Miniflare; Vite and
// webpack 5 builds loaded in headless Chromium. Nothing here configures wasm: that is the point.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { Miniflare } from "miniflare";
import { chromium } from "playwright-core";
import { build as viteBuild } from "vite";
import webpack from "webpack";
import { consumerProject, root, run } from "./consumer.mjs";

let project, dir;
before(() => {
  project = consumerProject("bundlers");
  dir = project.dir;
});
after(() => project?.remove());

/** What every consumer computes with the package, as JSON. */
const USAGE = `
import { normalizePhone, validateCheckout, checkPhone } from "palpluss-stk";
export function usage(body) {
  let refused;
  try { normalizePhone("020 123 4567"); } catch (e) { refused = e.code; }
  const v = validateCheckout(body);
  return { n: normalizePhone(body.phone), ok: v.ok, value: v.value, refused, network: checkPhone(body.phone).network };
}
`;
const BODY = { amount: "1500", phone: "0712 345 678", accountReference: "INV-1", transactionDesc: "Order 1" };
const EXPECTED = {
  n: "254712345678",
  ok: true,
  value: { amount: 1500, phone: "254712345678", accountReference: "INV-1", transactionDesc: "Order 1" },
  refused: "PHONE_LANDLINE",
  network: "safaricom",
};

test("a JavaScript Cloudflare Worker: bundled by wrangler, run in Miniflare", async () => {
  const worker = join(dir, "worker");
  mkdirSync(worker, { recursive: true });
  writeFileSync(join(worker, "usage.js"), USAGE);
  writeFileSync(join(worker, "index.js"), `
    import { usage } from "./usage.js";
    export default { async fetch(req) { return Response.json(usage(await req.json())); } };`);
  writeFileSync(join(worker, "wrangler.toml"), `name = "consumer"\nmain = "index.js"\ncompatibility_date = "2026-04-26"\n`);
  const out = run(process.execPath, [join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", "dist"], {
    cwd: worker,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", DO_NOT_TRACK: "1", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  assert.match(out, /Total Upload/);
  const dist = join(worker, "dist");
  assert.ok(readdirSync(dist).some((f) => f.endsWith(".wasm")), `wrangler kept the wasm as a module: ${readdirSync(dist)}`);
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(dist, "index.js"),
    modulesRoot: dist,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate: "2026-04-26",
    cf: false,
  });
  try {
    for (let i = 0; i < 2; i++) {
      const res = await mf.dispatchFetch("http://worker/", { method: "POST", body: JSON.stringify(BODY) });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), EXPECTED);
    }
  } finally {
    await mf.dispose();
  }
});

describe("browser bundles in headless Chromium", () => {
  let browser, server, origin;
  const site = () => join(dir, "site");
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

  before(async () => {
    mkdirSync(site(), { recursive: true });
    server = createServer((req, res) => {
      const path = normalize(join(site(), decodeURIComponent(new URL(req.url, "http://x").pathname)));
      try {
        const body = readFileSync(path.endsWith("/") ? join(path, "index.html") : path);
        res.writeHead(200, { "content-type": types[extname(path) || ".html"] ?? "application/octet-stream" }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise((done) => server.listen(0, "127.0.0.1", done));
    origin = `http://127.0.0.1:${server.address().port}`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"],
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise((done) => (server ? server.close(done) : done()));
  });

  /** Opens a built page; its script stores `usage(BODY)` (and the checkout entry's check) in window.result. */
  async function result(path) {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000); // a busy machine is slow, not broken
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
    await page.goto(`${origin}${path}`);
    await page.waitForFunction(() => window.result !== undefined || window.failure !== undefined);
    const value = await page.evaluate(() => window.result ?? { failure: String(window.failure) });
    await page.close();
    assert.deepEqual(errors, []);
    return value;
  }

  function writeApp(folder) {
    const app = join(dir, folder);
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, "usage.js"), USAGE);
    writeFileSync(join(app, "main.js"), `
      import { usage } from "./usage.js";
      import { StkClient, attachCheckoutForm } from "palpluss-stk/checkout";
      try {
        window.result = { ...usage(${JSON.stringify(BODY)}), checkout: typeof StkClient === "function" && typeof attachCheckoutForm === "function" };
      } catch (e) { window.failure = e; }`);
    writeFileSync(join(app, "index.html"), `<!doctype html><title>consumer</title><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>`);
    return app;
  }

  test("Vite: the production build loads and answers", async () => {
    const app = writeApp("vite-app");
    await viteBuild({
      root: app,
      configFile: false,
      logLevel: "warn",
      base: "./",
      build: { outDir: join(site(), "vite"), emptyOutDir: true },
    });
    assert.ok(readdirSync(join(site(), "vite/assets")).some((f) => f.endsWith(".wasm")), "Vite emitted the .wasm as an asset");
    assert.deepEqual(await result("/vite/"), { ...EXPECTED, checkout: true });
  });

  test("webpack 5: the production build loads and answers", async () => {
    const app = writeApp("webpack-app");
    const out = join(site(), "webpack");
    const stats = await new Promise((done, fail) =>
      webpack({ mode: "production", context: app, entry: "./main.js", output: { path: out, filename: "main.js" } }, (err, s) =>
        err ? fail(err) : done(s)),
    );
    assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
    writeFileSync(join(out, "index.html"), `<!doctype html><title>consumer</title><link rel="icon" href="data:,"><script src="./main.js"></script>`);
    assert.deepEqual(await result("/webpack/"), { ...EXPECTED, checkout: true });
  });
});
