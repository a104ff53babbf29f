// Deploy without Rust (DESIGN.md, "Wave 3: deploy without Rust"), all from the packed npm tarball,
// offline, with cargo hidden from PATH: templates/cloudflare with the tarball installed;
// `wrangler deploy --dry-run` bundles it; the bundle runs in Miniflare with the template's bindings
// and passes a push, a confirmed webhook, the status route and a signed event; a JavaScript Worker
// that mounts `handle` under /pay/ beside its own route does the same; and `npm run dev` in the
// template serves a page where a simulated payment reaches "paid" in Chromium.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { Miniflare } from "miniflare";
import { chromium } from "playwright-core";
import { root, run } from "./consumer.mjs";
import { eventually } from "./wait.mjs";

const TEMPLATE = join(root, "templates/cloudflare");
const ORIGIN = "https://shop.example";
const WEBHOOK_SECRET = "whk_template_0123456789";
const INTENT_SECRET = "isec_template_0123456789";
/** PATH without any folder that holds cargo: the merchant has Node only. */
const PATH = process.env.PATH.split(delimiter).filter((dir) => dir && !existsSync(join(dir, "cargo"))).join(delimiter);
const env = { ...process.env, PATH, WRANGLER_SEND_METRICS: "false", DO_NOT_TRACK: "1", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const freePort = () =>
  new Promise((done) => {
    const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => done(p)); });
  });

let dir, app, sim, tarball;
const simLog = [];
const cleanups = [];

before(async () => {
  assert.equal(spawnSync("cargo", ["--version"], { env }).error?.code, "ENOENT", "cargo is hidden from PATH");
  dir = mkdtempSync(join(tmpdir(), "palpluss-stk-template-"));
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: join(root, "pkg") }));
  tarball = join(dir, packed.filename);
  console.log(`# npm tarball: ${(packed.size / 1000).toFixed(1)} kB packed, ${(packed.unpackedSize / 1000).toFixed(1)} kB unpacked, ${packed.files.length} files`);
  // The template as git has it, ignored files left out (what `npm create cloudflare` or the Deploy
  // button clones).
  app = join(dir, "app");
  const tracked = run("git", ["ls-files", "--cached", "--others", "--exclude-standard", "templates/cloudflare"], { cwd: root }).split("\n").filter(Boolean);
  for (const file of tracked) cpSync(join(root, file), join(app, file.slice("templates/cloudflare/".length)));
  // Offline, npm can install only what its cache holds by resolved URL and integrity: the template's
  // dev tools get the lock entries `make tools` installed them from (wrangler, the same pinned
  // version). palpluss-stk comes from the tarball.
  writeFileSync(join(app, "package-lock.json"), JSON.stringify(lockFor(JSON.parse(readFileSync(join(app, "package.json"), "utf8")))));
  const started = Date.now();
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: app, env });
  console.log(`# npm install in the template (offline, from the cache): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const { startSimulator } = await import(join(app, "node_modules/palpluss-stk/dev/palpluss-sim.mjs"));
  sim = await startSimulator({ webhookDelayMs: 200, log: (line) => simLog.push(line) });
});

/** A lockfile for `project`'s devDependencies: their entries in the repository's lockfile, closed. */
function lockFor(project) {
  const { packages } = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  const picked = {};
  /** Where Node would find `name` from the package at `from` (its own node_modules, then up). */
  const resolve = (from, name) => {
    for (let dir = from; ; dir = dir.includes("/node_modules/") ? dir.slice(0, dir.lastIndexOf("/node_modules/")) : "") {
      const path = `${dir ? `${dir}/` : ""}node_modules/${name}`;
      if (packages[path]) return path;
      if (!dir) return undefined;
    }
  };
  const add = (path) => {
    if (!path || picked[path]) return;
    picked[path] = packages[path];
    const { dependencies = {}, optionalDependencies = {}, peerDependencies = {} } = packages[path];
    for (const name of Object.keys({ ...dependencies, ...optionalDependencies, ...peerDependencies })) add(resolve(path, name));
  };
  for (const name of Object.keys(project.devDependencies)) add(resolve("", name));
  return { name: project.name, lockfileVersion: 3, requires: true, packages: { "": { name: project.name, dependencies: project.dependencies, devDependencies: project.devDependencies }, ...picked } };
}

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the template's wrangler.toml binds and migrates what the repository's does, and its Miniflare helper is the repository's", () => {
  // The differences: the template's D1 migrations and admin page are the package's.
  const body = (file) => { const text = readFileSync(file, "utf8"); return text.slice(text.indexOf("# The API key is a secret")).replace('migrations_dir = "node_modules/palpluss-stk/migrations"', 'migrations_dir = "migrations"').replace('directory = "node_modules/palpluss-stk/public"', 'directory = "public"'); };
  assert.equal(body(join(TEMPLATE, "wrangler.toml")), body(join(root, "wrangler.toml")));
  assert.equal(readFileSync(join(TEMPLATE, "scripts/built-worker.mjs"), "utf8"), readFileSync(join(root, "scripts/built-worker.mjs"), "utf8"));
  const toml = readFileSync(join(TEMPLATE, "wrangler.toml"), "utf8");
  assert.match(toml, /^main = "src\/index.js"$/m);
  assert.doesNotMatch(toml, /^\[build\]/m, "nothing to build: the package ships the Worker built");
  // Its main module is the package README's one line.
  const line = /^export \{ default, .*\} from "palpluss-stk\/worker";$/m.exec(readFileSync(join(root, "pkg/README.md"), "utf8"))?.[0];
  assert.ok(line && readFileSync(join(TEMPLATE, "src/index.js"), "utf8").includes(line));
  // Every binding and secret the Deploy button asks for has a description.
  const { cloudflare } = JSON.parse(readFileSync(join(TEMPLATE, "package.json"), "utf8"));
  const secrets = [...readFileSync(join(TEMPLATE, ".dev.vars.example"), "utf8").matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
  const bindings = [...toml.matchAll(/^(?:name|binding) = "([A-Z_]+)"$/gm)].map((m) => m[1]);
  for (const name of [...secrets, ...bindings]) assert.ok(cloudflare.bindings[name]?.description, `a description for ${name}`);
});

test("the package's Env type names every variable the Worker reads and every binding wrangler.toml declares", async () => {
  const dts = readFileSync(join(app, "node_modules/palpluss-stk/worker/index.d.ts"), "utf8");
  const envBlock = dts.slice(dts.indexOf("export interface Env {"), dts.indexOf("\n}", dts.indexOf("export interface Env {")));
  const declared = [...envBlock.matchAll(/^ {2}([A-Z_]+)\??:/gm)].map((m) => m[1]);
  // Each with its doc line.
  for (const name of declared) assert.match(envBlock, new RegExp(`/\\*\\*[^\\n]*\\*/\\n {2}${name}\\??:`), `${name} has a doc line`);
  const mf = new Miniflare(await templateWorker({}));
  cleanups.push(() => mf.dispose());
  const health = await (await mf.dispatchFetch("https://proxy.example/health")).json();
  const variables = Object.keys(health.variables);
  const toml = readFileSync(join(TEMPLATE, "wrangler.toml"), "utf8");
  const bindings = [...toml.matchAll(/^(?:name|binding) = "([A-Z_]+)"$/gm)].map((m) => m[1]);
  assert.deepEqual([...declared].sort(), [...variables, ...bindings].sort());
});

test("the Worker entry's types check a TypeScript Worker that uses handle, signCheckoutIntent and Env", () => {
  writeFileSync(join(app, "src/typed.ts"), `
    import { handle, signCheckoutIntent, type Env, type WorkerContext } from "palpluss-stk/worker";
    export { Payment, Budget, Guard } from "palpluss-stk/worker";
    export default {
      async fetch(request: Request, env: Env, ctx: WorkerContext): Promise<Response> {
        if (new URL(request.url).pathname.startsWith("/pay/")) return handle(request, env, ctx);
        const intent: string = await signCheckoutIntent({ amount: 1500, accountReference: "ORDER-1042" }, env.INTENT_SECRET ?? "");
        return Response.json({ intent, limit: env.IP_RATE_LIMITER ? "on" : "off" });
      },
    };`);
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  run(process.execPath, [tsc, "--noEmit", "--strict", "--target", "es2022", "--lib", "es2022,dom", "--module", "esnext", "--moduleResolution", "bundler", "--skipLibCheck", "false", "src/typed.ts"], { cwd: app, env });
  // A wrong use is refused: the types say something.
  writeFileSync(join(app, "src/wrong.ts"), `import { handle } from "palpluss-stk/worker";\nhandle("not a request", {}, {});\n`);
  assert.throws(() => run(process.execPath, [tsc, "--noEmit", "--strict", "--target", "es2022", "--lib", "es2022,dom", "--module", "esnext", "--moduleResolution", "bundler", "src/wrong.ts"], { cwd: app, env }), /TS2345/);
});

test("the Worker entry's signCheckoutIntent (Web Crypto) gives the Node entry's token", async () => {
  const { signCheckoutIntent: webCrypto } = await import(join(app, "node_modules/palpluss-stk/worker/intent.js"));
  const { signCheckoutIntent: node } = await import(join(app, "node_modules/palpluss-stk/node/index.mjs"));
  for (const order of [{ amount: 1500, accountReference: " ORDER-1042 ", transactionDesc: "Order 1042" }, { amount: 1, accountReference: "Ünïcode-ref", expiresInSeconds: 60 }]) {
    assert.equal(await webCrypto(order, INTENT_SECRET, { now: 1_800_000_000 }), node(order, INTENT_SECRET, { now: 1_800_000_000 }));
  }
  await assert.rejects(webCrypto({ amount: 0, accountReference: "A" }, INTENT_SECRET), TypeError);
  await assert.rejects(webCrypto({ amount: 10, accountReference: "A" }, ""), /INTENT_SECRET/);
});

test("wrangler deploy --dry-run bundles the template with no Rust and no build step", () => {
  const out = run(join(app, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", "dist"], { cwd: app, env });
  const [, size, gzip] = /Total Upload: ([\d.]+ KiB) \/ gzip: ([\d.]+ KiB)/.exec(out) ?? [];
  assert.ok(gzip, out);
  console.log(`# the template's upload: ${size}, gzip ${gzip}`);
  assert.ok(existsSync(join(app, "dist/index.js")));
  assert.ok(readdirSync(join(app, "dist")).some((f) => f.endsWith(".wasm")), "the Worker's wasm is an upload module");
});

/** Miniflare options for the template, from its own scripts/built-worker.mjs (package's Worker). */
async function templateWorker(bindings, script) {
  const { builtWorker } = await import(join(app, "scripts/built-worker.mjs"));
  const options = builtWorker(bindings);
  return script ? { ...options, scriptPath: join(app, script), modulesRoot: join(app, script, "..") } : options;
}

/** A Miniflare on its own loopback port (PalPluss's simulator posts its webhooks there). */
async function serve(options) {
  const port = await freePort();
  const mf = new Miniflare({ ...options, host: "127.0.0.1", port, handleRuntimeStdio(out, err) { out.resume(); err.resume(); } });
  await mf.ready;
  cleanups.push(() => mf.dispose());
  return `http://127.0.0.1:${port}`;
}

const proxyBindings = () => ({
  PALPLUSS_API_KEY: sim.apiKey,
  PALPLUSS_BASE_URL: sim.url,
  CALLBACK_URL: "",
  WEBHOOK_SECRET,
  ALLOWED_ORIGINS: ORIGIN,
  MERCHANT_WEBHOOK_URL: `${sim.origin}/dev/merchant`,
  MERCHANT_WEBHOOK_SECRET: sim.merchantSecret,
});

/**
 * One payment through a proxy at `base` (e.g. `http://127.0.0.1:1234/pay`): the push, PalPluss's
 * webhook to the Worker's derived callback, the payment confirmed on the status route, and the
 * signed event verified by the simulator's merchant sink.
 */
async function pays(base, phone, extra = {}) {
  const checkout = { amount: 1500, phone, accountReference: "ORDER-1042", transactionDesc: "Order 1042", ...extra };
  const r = await fetch(`${base}/payments/stk`, { method: "POST", headers: { "content-type": "application/json", origin: ORIGIN }, body: JSON.stringify(checkout) });
  const pushed = await r.json();
  assert.equal(r.status, 200, JSON.stringify(pushed));
  const { transactionId, statusUrl, statusToken } = pushed.data;
  assert.equal(statusUrl, `/payments/${transactionId}`);
  // PalPluss's webhook reached the Worker's derived callback (under the base path) and was taken.
  const callback = `${base}/webhooks/palpluss/${WEBHOOK_SECRET}`;
  await eventually(() => sim.deliveries.some((d) => d.id === transactionId) || undefined, "PalPluss's webhook");
  assert.equal(sim.transactions.get(transactionId)?.callback_url, callback);
  await eventually(() => simLog.some((l) => l.includes(`-> ${callback}: 200`)) || undefined, "the webhook answered 200");
  const status = await eventually(async () => {
    const s = await fetch(`${base}${statusUrl}`, { headers: { authorization: `Bearer ${statusToken}` } });
    const { data } = await s.json();
    return data?.final && data.confirmed ? data : undefined;
  }, "the confirmed payment");
  assert.deepEqual([status.status, status.phone], ["SUCCESS", `2547******${phone.slice(-2)}`]);
  assert.match(status.mpesaReceipt, /^[A-Z0-9]{10}$/);
  const [event] = await eventually(() => { const e = sim.merchantEvents.filter((m) => m.event?.data?.payment?.transactionId === transactionId); return e.length ? e : undefined; }, "the signed event");
  assert.deepEqual([event.verified, event.event.type], [true, "payment.succeeded"]);
  const health = await (await fetch(`${base}/health`)).json();
  assert.equal(health.ok, true, JSON.stringify(health));
  return transactionId;
}

describe("the template's bundle in Miniflare", () => {
  test("a push, a confirmed webhook, the status route and a signed event", async () => {
    const base = await serve(await templateWorker(proxyBindings(), "dist/index.js"));
    await pays(base, "0712 345 678");
  });
});

describe("a JavaScript Worker with the proxy under /pay/ beside its own routes", () => {
  let base;
  before(async () => {
    // The README's example, as it is there (the template's README shows the same code).
    const example = (file) => /```js\n(import \{ handle[\s\S]*?)```/.exec(readFileSync(file, "utf8"))?.[1];
    const shop = example(join(root, "README.md"));
    assert.ok(shop, "the README's handle example");
    assert.equal(example(join(TEMPLATE, "README.md")), shop);
    writeFileSync(join(app, "src/shop.js"), shop);
    run(join(app, "node_modules/.bin/wrangler"), ["deploy", "src/shop.js", "--dry-run", "--outdir", "dist-shop"], { cwd: app, env });
    const origin = await serve(await templateWorker({ ...proxyBindings(), BASE_PATH: "/pay", INTENT_SECRET }, "dist-shop/shop.js"));
    base = `${origin}/pay`;
    // The Worker's own answer outside /pay, not the proxy's.
    const own = await fetch(`${origin}/shop`);
    assert.deepEqual([own.status, await own.text()], [404, "Not found"]);
  });

  test("its own route signs the intent the proxy then accepts; push, webhook, status and event under /pay", async () => {
    const { intent } = await (await fetch(`${base.replace(/\/pay$/, "")}/orders/1042/intent`)).json();
    const id = await pays(base, "0711 222 333", { intent });
    // Outside /pay the proxy's routes do not exist; a changed amount is refused by the intent.
    const root404 = await fetch(`${base.replace(/\/pay$/, "")}/payments/${id}`);
    assert.equal(root404.status, 404);
    const forged = await fetch(`${base}/payments/stk`, { method: "POST", headers: { "content-type": "application/json", origin: ORIGIN }, body: JSON.stringify({ amount: 15, phone: "0711 222 444", accountReference: "ORDER-1042", transactionDesc: "Order 1042", intent }) });
    assert.equal((await forged.json()).error.code, "INTENT_MISMATCH");
  });
});

describe("npm run dev in the template", () => {
  let dev, output = "", www, proxy, browser;
  before(async () => {
    const [devPort, simPort, wwwPort] = [await freePort(), await freePort(), await freePort()];
    proxy = `http://127.0.0.1:${devPort}`;
    www = `http://127.0.0.1:${wwwPort}`;
    const started = Date.now();
    dev = spawn("npm", ["run", "dev"], {
      cwd: app,
      detached: true,
      env: { ...env, DEV_PORT: String(devPort), SIM_PORT: String(simPort), WWW_PORT: String(wwwPort), SIM_WEBHOOK_DELAY_MS: "300", DEV_PERSIST_TO: join(dir, "dev-state") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [dev.stdout, dev.stderr]) stream.on("data", (d) => { output += d; });
    cleanups.push(async () => {
      try { process.kill(-dev.pid, "SIGTERM"); } catch {}
      await new Promise((r) => (dev.exitCode !== null ? r() : dev.on("exit", r)));
    });
    for (let i = 0; i < 900 && !output.includes("[dev] ready"); i++) {
      if (dev.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(output.includes("[dev] ready"), `npm run dev did not come up:\n${output}`);
    console.log(`# npm run dev to ready: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"],
    });
    cleanups.push(() => browser.close());
  });

  test("the demo checkout pays: a simulated payment reaches the paid screen", async () => {
    assert.match(output, new RegExp(`payment proxy is on ${proxy}`));
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    page.setDefaultTimeout(120_000); // a busy machine is slow, not broken
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const started = Date.now();
    await page.goto(www);
    await page.locator("#loading").waitFor({ state: "detached" });
    await page.locator("#phone").pressSequentially("0712 345 678");
    await page.getByRole("button", { name: /Pay KES/ }).click();
    await page.locator("#paid").waitFor({ state: "visible" });
    assert.match(await page.locator("#paid-receipt").textContent(), /^[A-Z0-9]{10}$/);
    console.log(`# the page opened to "paid": ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
