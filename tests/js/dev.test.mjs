// End to end over real HTTP on loopback: `scripts/dev.sh` (what `make dev` runs) starts the
// simulator, `wrangler dev` and the demo checkout; a checkout goes through the Worker to the
// simulator and its webhook comes back; then Debian's Chromium, driven by playwright-core, uses the
// demo page like a customer and saves screenshots to out/screenshots/.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { chromium } from "playwright-core";
import { eventually } from "./wait.mjs";
import { signCheckoutIntent } from "../../src/node/server.cjs";

// scripts/dev.sh's fixed demo value (not a secret): the proxy under `make dev` requires intents.
const DEV_INTENT_SECRET = "isec_dev_simulator_0123456789";
// sim/dev.mjs's fixed admin token under `make dev` (not a secret).
const DEV_ADMIN_TOKEN = "adm_dev_simulator_0123456789abcdef";
// With DEV_TURNSTILE=1 (as here) it requires Turnstile too: the token Cloudflare's test keys give.
const TURNSTILE_TOKEN = "XXXX.DUMMY.TOKEN.XXXX";

const root = resolve(import.meta.dirname, "../..");
const freePort = () =>
  new Promise((done) => {
    const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => done(p)); });
  });

let dev, proxy, sim, www, output = "";

before(async () => {
  const [devPort, simPort, wwwPort] = [await freePort(), await freePort(), await freePort()];
  proxy = `http://127.0.0.1:${devPort}`;
  sim = `http://127.0.0.1:${simPort}`;
  www = `http://127.0.0.1:${wwwPort}`;
  dev = spawn("scripts/dev.sh", [], {
    cwd: root,
    detached: true,
    env: { ...process.env, DEV_PORT: String(devPort), SIM_PORT: String(simPort), WWW_PORT: String(wwwPort), SIM_WEBHOOK_DELAY_MS: "200", DEV_IP_RATE_LIMIT: "1000", DEV_TURNSTILE: "1", DEV_PERSIST_TO: mkdtempSync(resolve(tmpdir(), "palpluss-dev-")) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [dev.stdout, dev.stderr]) stream.on("data", (d) => { output += d; });
  for (let i = 0; i < 600 && !output.includes("[dev] ready"); i++) {
    if (dev.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(output.includes("[dev] ready"), `make dev did not come up:\n${output}`);
});

after(async () => {
  try { process.kill(-dev.pid, "SIGTERM"); } catch {}
  await new Promise((r) => (dev.exitCode !== null ? r() : dev.on("exit", r)));
});

const ORDER = { amount: 250, accountReference: "E2E-1", transactionDesc: "End to end" };
const post = (body) =>
  fetch(`${proxy}/payments/stk`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: www },
    body: JSON.stringify({ ...ORDER, intent: signCheckoutIntent(ORDER, DEV_INTENT_SECRET), turnstileToken: TURNSTILE_TOKEN, ...body }),
  });

test("make dev prints the URLs and a ready curl command, and serves the demo checkout", async () => {
  assert.match(output, new RegExp(`payment proxy is on ${proxy}`));
  assert.match(output, new RegExp(`demo checkout is on ${www}`));
  const page = await fetch(www);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Pay with M-Pesa/);
  const wasm = await fetch(`${www}/pkg/checkout/web/palpluss_stk_bg.wasm`);
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  assert.equal((await fetch(`${www}/pkg/..%2fCargo.toml`)).status, 404);
  assert.match(output, /curl -s http:\/\/127\.0\.0\.1:\d+\/payments\/stk/);
});

describe("the whole payment over loopback: simulator -> Worker -> merchant sink", { concurrency: true }, () => {
  /** Pushes, then follows the payment's event stream until its final status. */
  async function pay(phone) {
    const r = await post({ phone });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("access-control-allow-origin"), www);
    const { data } = await r.json();
    assert.equal(data.status, "PENDING");
    assert.match(data.statusToken, /^[A-Za-z0-9_-]{22,}$/);
    const stream = await fetch(`${proxy}${data.statusUrl}/events?token=${data.statusToken}`, { headers: { origin: www } });
    assert.match(stream.headers.get("content-type"), /text\/event-stream/);
    let text = "";
    let finalAt;
    const decoder = new TextDecoder();
    for await (const chunk of stream.body) {
      text += decoder.decode(chunk);
      if (/"final":true/.test(text)) { finalAt = Date.now(); break; }
    }
    const events = [...text.matchAll(/data: (.*)\n\n/g)].map((m) => JSON.parse(m[1]));
    return { data, events, final: events.at(-1), finalAt };
  }
  const merchantEvents = async (id) => (await (await fetch(`${sim}/dev/merchant`)).json()).filter((e) => e.event.data?.payment?.transactionId === id);
  const deliveries = async (id) => (await (await fetch(`${sim}/dev/deliveries`)).json()).filter((d) => d.id === id);

  test("paid: the webhook is confirmed, the browser sees it within a second, the merchant gets one verified event", async () => {
    const { data, final, finalAt } = await pay("0712 345 678");
    assert.deepEqual([final.status, final.confirmed, final.phone], ["SUCCESS", true, "2547******78"]);
    assert.match(final.mpesaReceipt, /^[A-Z0-9]{10}$/);
    const [delivery] = await deliveries(data.transactionId);
    const lag = finalAt - delivery.at;
    console.log(`# webhook sent to success on the browser's stream: ${lag} ms`);
    assert.ok(lag >= 0, "not before the webhook was sent");
    const [event] = await eventually(async () => { const e = await merchantEvents(data.transactionId); return e.length ? e : undefined; }, "the merchant event");
    assert.equal(event.verified, true);
    assert.equal(event.event.type, "payment.succeeded");
    assert.equal(event.event.data.payment.phone, "254712345678");
    const status = await (await fetch(`${proxy}${data.statusUrl}`, { headers: { authorization: `Bearer ${data.statusToken}` } })).json();
    assert.deepEqual(status.data, final);
  });

  test("cancelled: CANCELLED with the customer's message, and a payment.cancelled event", async () => {
    const { data, final } = await pay("0700 001 032");
    assert.deepEqual([final.status, final.resultCode], ["CANCELLED", "1032"]);
    assert.match(final.message, /cancelled/);
    const [event] = await eventually(async () => { const e = await merchantEvents(data.transactionId); return e.length ? e : undefined; }, "the merchant event");
    assert.deepEqual([event.verified, event.event.type], [true, "payment.cancelled"]);
  });

  test("no webhook at all: the Worker asks PalPluss itself and still finishes", async () => {
    const started = Date.now();
    const { data, final } = await pay("0700 000 003");
    assert.deepEqual([final.status, final.confirmed], ["SUCCESS", true]);
    assert.ok(Date.now() - started >= 14_000, "found by the 15 s poll");
    assert.deepEqual(await deliveries(data.transactionId), [], "no webhook was ever sent");
  });

  test("a lying webhook (SUCCESS) loses to PalPluss's GET (FAILED), and a forged one changes nothing", async () => {
    const { data, final } = await pay("0700 000 666");
    assert.deepEqual([final.status, final.resultCode, final.mpesaReceipt], ["FAILED", "2001", null]);
    assert.match(final.message, /PIN/);
    // A forged webhook with a wrong secret does not even find the route.
    const forged = await fetch(`${proxy}/webhooks/palpluss/not-the-secret-0123456`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ transaction: { id: data.transactionId, status: "SUCCESS" } }) });
    assert.equal(forged.status, 404);
    const after = await (await fetch(`${proxy}${data.statusUrl}?token=${data.statusToken}`)).json();
    assert.equal(after.data.status, "FAILED");
  });
});

test("the simulator's ban test number comes back with Retry-After, and the key is banned for that long", async () => {
  const r = await post({ phone: "0700 000 429" });
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("retry-after"), "5");
  assert.equal((await r.json()).error.code, "STK_TEMP_BANNED");
  // The ban is short: the key is ok again (and the next tests can pay).
  await eventually(async () => (await (await fetch(`${proxy}/health`)).json()).key?.state === "ok", "the ban's end");
});

test("invalid input is answered by the Worker, and its log lines are JSON with a masked phone", async () => {
  const r = await post({ phone: "0712", amount: 0 });
  assert.equal(r.status, 400);
  const body = await r.json();
  assert.equal(body.error.code, "VALIDATION_FAILED");
  const jsonLines = () => output.split("\n").filter((l) => l.startsWith("{"));
  const line = await eventually(() => jsonLines().map((l) => JSON.parse(l)).find((l) => l.requestId === body.requestId), "the log line");
  const lines = jsonLines();
  assert.equal(line.status, 400);
  assert.ok(lines.some((l) => l.includes('"phone":"2547******78"')));
  assert.ok(!lines.some((l) => l.includes("254712345678")), "full phone numbers are never logged");
  assert.ok(!lines.some((l) => l.includes("whk_dev_simulator")), "the webhook secret is never logged");
});

describe("the demo checkout in Chromium", () => {
  let browser;
  const shots = resolve(root, "out/screenshots");
  before(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"],
    });
  });
  after(() => browser?.close());

  /** axe-core on the page as it is now: no serious or critical accessibility violation. */
  async function accessible(page, screen) {
    await page.addScriptTag({ path: resolve(root, "node_modules/axe-core/axe.min.js") });
    const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`));
    assert.deepEqual(violations, [], `accessibility of the ${screen} screen`);
  }

  /**
   * One payment's POSTs: one, or on a busy machine a connection that failed before any answer and
   * the client's one retry with the same Idempotency-Key (which the proxy answers without a second push).
   */
  const onePayment = (posts) => {
    assert.ok(posts.length === 1 || posts.length === 2, `${posts.length} POSTs`);
    assert.equal(new Set(posts).size, 1, "one Idempotency-Key");
    assert.match(posts[0], /^[0-9a-f-]{36}$/);
  };

  /** A fresh page with the checkout loaded, recording every request to the proxy. */
  async function open(viewport, lang) {
    const page = await browser.newPage({ viewport });
    page.setDefaultTimeout(120_000); // a busy machine is slow, not broken
    // Each POST's Idempotency-Key.
    const posts = [];
    page.on("request", (r) => { if (r.url().startsWith(proxy) && r.method() === "POST") posts.push(r.headers()["idempotency-key"]); });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(lang ? `${www}/?lang=${lang}` : www);
    await page.locator("#loading").waitFor({ state: "detached" });
    // The Turnstile widget (the simulator's stand-in) has put its token in the form.
    await page.locator("input[name=cf-turnstile-response]").waitFor({ state: "attached" });
    return { page, posts, errors };
  }

  test("the phone is formatted as it is typed", async () => {
    const { page, errors } = await open({ width: 1280, height: 800 });
    await page.locator("#phone").pressSequentially("0712345678");
    assert.equal(await page.locator("#phone").inputValue(), "0712 345 678");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("bad values show each error in place and send no request", async () => {
    const { page, posts } = await open({ width: 1280, height: 800 });
    await page.locator("#phone").fill("0712 34");
    await page.locator("#reference").fill("ORDER-1042-EXTRA-LONG");
    await page.getByRole("button", { name: /Pay KES/ }).click();
    const phoneError = page.locator("#phone ~ .stk-error");
    await phoneError.waitFor();
    assert.match(await phoneError.textContent(), /too short/);
    assert.match(await page.locator("#reference ~ .stk-error").textContent(), /at most 12 characters/);
    assert.equal(await page.locator("#phone").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#reference").getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement.id), "phone", "focus goes to the first error");
    await page.locator("#phone").fill("020 123 4567");
    await page.locator("#phone").blur();
    assert.match(await phoneError.textContent(), /landline/);
    await page.screenshot({ path: resolve(shots, "errors-desktop.png"), fullPage: true });
    await accessible(page, "field errors");
    assert.deepEqual(posts, [], "no request reached the proxy");
    await page.close();
  });

  test("good values reach the pending state, then the paid screen with the receipt", async (t) => {
    // Two phones: a phone with an open payment is busy for a minute (the per-phone guard).
    for (const [name, viewport, phone] of [["desktop", { width: 1280, height: 800 }, "0712 345 678"], ["360px", { width: 360, height: 740 }, "0711 222 333"]]) {
      const { page, posts, errors } = await open(viewport);
      // When the paid screen appeared (the page and the simulator share this machine's clock).
      await page.evaluate(() => document.getElementById("checkout").addEventListener("stk:success", () => { window.__paidAt = Date.now(); }));
      await page.locator("#phone").pressSequentially(phone);
      await page.screenshot({ path: resolve(shots, `checkout-${name}.png`), fullPage: true });
      await accessible(page, `checkout (${name})`);
      await page.getByRole("button", { name: /Pay KES/ }).click();
      // "Check your phone", then (the simulator pays at once) the paid screen with the receipt.
      await page.locator("#pending-id").filter({ hasText: /^[0-9a-f-]{36}$/ }).waitFor({ state: "attached" });
      assert.match(await page.locator("#pending-title").textContent(), /Check your phone/);
      assert.equal(await page.locator("#pending-phone").textContent(), phone);
      await page.locator("#paid").waitFor({ state: "visible" });
      assert.match(await page.locator("#paid-receipt").textContent(), /^[A-Z0-9]{10}$/);
      assert.match(await page.locator("#paid-message").textContent(), /Paid/);
      // A figure, not a deadline: from PalPluss's webhook leaving the simulator to the paid screen
      // (the Worker confirms it with GET /transactions/{id} in between).
      const id = await page.locator("#pending-id").textContent();
      const webhook = (await (await fetch(`${sim}/dev/deliveries`)).json()).find((d) => d.id === id);
      const paidAt = await page.evaluate(() => window.__paidAt);
      if (webhook && paidAt) t.diagnostic(`${name}: webhook to paid screen ${paidAt - webhook.at} ms`);
      onePayment(posts);
      assert.deepEqual(errors, []);
      if (name === "360px") {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
        assert.equal(overflow, false, "nothing wider than a 360 px screen");
      }
      await page.screenshot({ path: resolve(shots, `paid-${name}.png`), fullPage: true });
      await accessible(page, `paid (${name})`);
      await page.close();
    }
  });

  test("waitForResult follows the Worker's event stream to the paid payment", async () => {
    const { page, errors } = await open({ width: 1280, height: 800 });
    const outcome = await page.evaluate(async (proxyUrl) => {
      // The page's own module instance, initialised by the demo.
      const { StkClient } = await import("/pkg/checkout/web/palpluss_stk.js");
      const client = new StkClient({ baseUrl: proxyUrl });
      const streams = [];
      const Original = window.EventSource;
      window.EventSource = class extends Original { constructor(url) { super(url); streams.push(url); } };
      const intent = document.querySelector("input[name=intent]").value;
      const turnstileToken = document.querySelector("input[name=cf-turnstile-response]").value;
      const tx = await client.requestPayment({ amount: 1500, phone: "0733 000 001", accountReference: "ORDER-1042", transactionDesc: "Order 1042", intent, turnstileToken });
      const updates = [];
      const payment = await client.waitForResult(tx, { onUpdate: (p) => updates.push(p.status) });
      const polled = performance.getEntriesByType("resource").some((e) => e.name.endsWith(tx.statusUrl));
      return { payment, updates, streamed: streams.length === 1 && streams[0].includes("/events?token="), polled };
    }, proxy);
    assert.equal(outcome.payment.status, "SUCCESS");
    assert.equal(outcome.payment.final, true);
    assert.equal(outcome.payment.confirmed, true);
    assert.match(outcome.payment.mpesaReceipt ?? "", /^[A-Z0-9]{10}$/);
    assert.equal(outcome.updates.at(-1), "SUCCESS");
    assert.ok(outcome.streamed, "the event stream was used");
    assert.equal(outcome.polled, false, "no polling while the stream works");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("an amount changed in the browser is refused by the signed intent; nothing reaches PalPluss", async () => {
    const { page, posts } = await open({ width: 1280, height: 800 });
    assert.match(await page.locator("input[name=intent]").inputValue(), /^[\w-]+\.[\w-]{43}$/, "the page carries an intent");
    const before = await (await fetch(`${sim}/dev/stats`)).json();
    // What a customer could do in the dev tools: pay 1 shilling for a 1,500 order.
    await page.evaluate(() => { document.querySelector("input[name=amount]").value = "1"; });
    await page.locator("#phone").fill("0722 000 111");
    const answer = page.waitForResponse((r) => r.url() === `${proxy}/payments/stk` && r.request().method() === "POST");
    await page.getByRole("button", { name: /Pay KES/ }).click();
    const refused = await (await answer).json();
    assert.equal(refused.error.code, "INTENT_MISMATCH");
    assert.deepEqual(refused.error.details.fields.map((f) => f.field), ["amount"]);
    const alert = page.locator(".stk-form-error");
    await alert.waitFor({ state: "visible" });
    assert.match(await alert.textContent(), /do not match your order/);
    assert.equal(await page.locator("#pending").isVisible(), false);
    onePayment(posts);
    const later = await (await fetch(`${sim}/dev/stats`)).json();
    assert.equal(later.apiCalls - later.gets, before.apiCalls - before.gets, "no push reached the simulator");
    await page.screenshot({ path: resolve(shots, "tampered-amount.png"), fullPage: true });
    await accessible(page, "refused intent");
    await page.close();
  });

  test("a failed payment brings the form back with why, ready for another try", async () => {
    const outcomes = [
      ["0700 001 032", /You cancelled the M-Pesa prompt/],
      ["0700 002 001", /PIN was wrong/],
      ["0700 001 037", /could not reach your phone/],
      ["0700 000 001", /balance is not enough/],
    ];
    for (const [phone, why] of outcomes) {
      const { page, errors } = await open({ width: 360, height: 740 });
      await page.locator("#phone").fill(phone);
      await page.getByRole("button", { name: /Pay KES/ }).click();
      const alert = page.locator(".stk-form-error");
      await alert.filter({ hasText: why }).waitFor({ state: "visible" });
      assert.equal(await page.locator("#pay-section").isVisible(), true);
      assert.equal(await page.locator("#pending").isVisible(), false);
      assert.equal(await page.locator("#phone").inputValue(), phone, "the phone is still filled in");
      assert.equal(await page.getByRole("button", { name: /Pay KES/ }).isEnabled(), true);
      assert.deepEqual(errors, []);
      await page.screenshot({ path: resolve(shots, `failed-${phone.replaceAll(" ", "")}-360px.png`), fullPage: true });
      await accessible(page, `failed (${phone})`);
      await page.close();
    }
  });

  test("no webhook at all: the Worker's own poll finds the payment and the paid screen follows", async () => {
    const { page, errors } = await open({ width: 1280, height: 800 });
    await page.locator("#phone").fill("0700 000 003");
    await page.getByRole("button", { name: /Pay KES/ }).click();
    // "Check your phone" lasts until the Worker's 15 s poll: long enough to look at.
    await page.locator("#pending").waitFor({ state: "visible" });
    await page.screenshot({ path: resolve(shots, "pending-desktop.png"), fullPage: true });
    await accessible(page, "check your phone");
    await page.locator("#paid").waitFor({ state: "visible" });
    assert.match(await page.locator("#paid-receipt").textContent(), /^[A-Z0-9]{10}$/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("PalPluss too slow: the customer is told to check the phone before trying again", async () => {
    const { page } = await open({ width: 360, height: 740 });
    await page.locator("#phone").fill("0700 000 504");
    await page.getByRole("button", { name: /Pay KES/ }).click();
    const alert = page.locator(".stk-form-error");
    await alert.filter({ hasText: /check your phone/i }).waitFor({ state: "visible" });
    assert.equal(await page.getByRole("button", { name: /Pay KES/ }).isEnabled(), true);
    await page.screenshot({ path: resolve(shots, "timeout-360px.png"), fullPage: true });
    await accessible(page, "timeout");
    await page.close();
  });

  test("the language switch turns the page and the form's messages into Kiswahili and back", async () => {
    const { page, errors } = await open({ width: 360, height: 740 });
    assert.equal(await page.getAttribute("html", "lang"), "en");
    await page.getByRole("button", { name: "Kiswahili" }).click();
    assert.equal(await page.getAttribute("html", "lang"), "sw");
    assert.equal(await page.getByRole("button", { name: "Kiswahili" }).getAttribute("aria-pressed"), "true");
    assert.equal(await page.locator("h1").textContent(), "Malipo");
    assert.equal(await page.locator("label[for=phone]").textContent(), "Namba ya simu ya M-Pesa");
    assert.match(page.url(), /[?&]lang=sw/);
    await page.locator("#phone").fill("0712 34");
    await page.getByRole("button", { name: "Lipa KES 1,500" }).click();
    const phoneError = page.locator("#phone ~ .stk-error");
    await phoneError.waitFor();
    assert.equal(await phoneError.textContent(), "Namba hii ni fupi mno: namba ya simu ya Kenya ina tarakimu 10, mfano 0712 345 678.");
    await page.screenshot({ path: resolve(shots, "errors-sw-360px.png"), fullPage: true });
    await accessible(page, "field errors (sw)");
    await page.getByRole("button", { name: "English" }).click();
    assert.equal(await page.locator("h1").textContent(), "Checkout");
    await page.getByRole("button", { name: "Pay KES 1,500" }).click();
    await phoneError.waitFor();
    assert.match(await phoneError.textContent(), /too short/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("in Kiswahili: paid with the receipt, then a cancelled prompt, past the Turnstile widget", async () => {
    const { page, errors } = await open({ width: 360, height: 740 }, "sw");
    assert.match(await page.locator(".turnstile-standin").textContent(), /Ukaguzi wa usalama umekamilika/);
    const before = await (await fetch(`${sim}/dev/stats`)).json();
    await page.evaluate(() => {
      window.__messages = [];
      document.getElementById("checkout").addEventListener("stk:status", (e) => window.__messages.push(e.detail.payment.message));
    });
    await page.locator("#phone").fill("0711 000 254");
    await page.getByRole("button", { name: "Lipa KES 1,500" }).click();
    // "Check your phone" may last only as long as the simulator's 200 ms: wait for what it filled
    // in, not for it to be on screen (then the paid screen).
    await page.locator("#pending-id").filter({ hasText: /^[0-9a-f-]{36}$/ }).waitFor({ state: "attached" });
    assert.equal(await page.locator("#pending-title").textContent(), "Angalia simu yako");
    await page.locator("#paid").waitFor({ state: "visible" });
    assert.equal(await page.locator("#paid-title").textContent(), "Umelipa");
    assert.equal(await page.locator("#paid-message").textContent(), "Umelipa. Asante!");
    assert.match(await page.locator("#paid-receipt").textContent(), /^[A-Z0-9]{10}$/);
    assert.equal((await page.evaluate(() => window.__messages)).at(-1), "Umelipa. Asante!");
    const after = await (await fetch(`${sim}/dev/stats`)).json();
    assert.equal(after.siteverify - before.siteverify, 1, "the proxy checked the widget's token");
    await page.screenshot({ path: resolve(shots, "paid-sw-360px.png"), fullPage: true });
    await accessible(page, "paid (sw)");
    await page.close();

    const second = await open({ width: 1280, height: 800 }, "sw");
    await second.page.locator("#phone").fill("0700 001 032");
    await second.page.getByRole("button", { name: "Lipa KES 1,500" }).click();
    const alert = second.page.locator(".stk-form-error");
    await alert.filter({ hasText: "Umeghairi" }).waitFor({ state: "visible" });
    assert.equal(await alert.textContent(), "Umeghairi ombi la M-Pesa. Jaribu tena ukiwa tayari.");
    assert.equal(await second.page.getByRole("button", { name: "Lipa KES 1,500" }).isEnabled(), true);
    assert.equal(await second.page.locator("#phone").inputValue(), "0700 001 032");
    await second.page.screenshot({ path: resolve(shots, "cancelled-sw-desktop.png"), fullPage: true });
    await accessible(second.page, "cancelled (sw)");
    assert.deepEqual([...errors, ...second.errors], []);
    await second.page.close();
  });

  test("a banned number shows the retry message", async () => {
    const { page } = await open({ width: 360, height: 740 });
    await page.locator("#phone").fill("0700 000 429");
    await page.getByRole("button", { name: /Pay KES/ }).click();
    const alert = page.locator(".stk-form-error");
    await alert.waitFor({ state: "visible" });
    assert.match(await alert.textContent(), /M-Pesa prompt are paused for about \d+ seconds/);
    assert.equal(await alert.getAttribute("role"), "alert");
    assert.equal(await page.getByRole("button", { name: /Pay KES/ }).isEnabled(), true, "the button comes back");
    await page.screenshot({ path: resolve(shots, "rate-limited-360px.png"), fullPage: true });
    await accessible(page, "rate limited");
    await page.close();
  });

  // The operator's page (public/admin/, Workers Static Assets) over the admin API, on the payments
  // the tests above made through the simulator.
  test("the operator page: sign in, payments with filters and CSV, one payment and resend, the key's chart", async () => {
    for (const [name, viewport] of [["desktop", { width: 1280, height: 900 }], ["360px", { width: 360, height: 740 }]]) {
      const page = await browser.newPage({ viewport, acceptDownloads: true });
      page.setDefaultTimeout(120_000);
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${proxy}/admin/`);
      await page.getByLabel("Admin token").fill("not-the-token-0123456789abcdef");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator("#sign-in-error").filter({ hasText: "not accepted" }).waitFor();
      await accessible(page, `admin sign-in (${name})`);
      await page.getByLabel("Admin token").fill(DEV_ADMIN_TOKEN);
      await page.getByRole("button", { name: "Sign in" }).click();
      const rows = page.locator("#payments tbody tr");
      await rows.first().waitFor();
      assert.ok(await rows.count() >= 3, "the payments made above");
      assert.ok((await page.locator("#payments tbody td:nth-child(4)").allTextContents()).every((p) => /^2547\*{6}\d\d$/.test(p)), "phones masked");
      await page.getByLabel("Status").selectOption("CANCELLED");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.locator("#list-status").filter({ hasText: /payment/ }).waitFor();
      assert.ok((await page.locator("#payments tbody td:nth-child(2)").allTextContents()).every((s) => s === "CANCELLED"));
      const download = page.waitForEvent("download");
      await page.getByRole("button", { name: "Download CSV" }).click();
      const csv = await (await download).path();
      const lines = (await import("node:fs")).readFileSync(csv, "utf8").trim().split("\r\n");
      assert.match(lines[0], /^transactionId,status,amount,phone/);
      assert.ok(lines.length >= 2 && lines.slice(1).every((l) => l.split(",")[1] === "CANCELLED"));
      await page.getByLabel("Status").selectOption("SUCCESS");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.locator("#payments tbody td:nth-child(2)", { hasText: "SUCCESS" }).first().waitFor();
      await page.locator("#payments tbody button").first().click();
      await page.locator("#detail").waitFor({ state: "visible" });
      await page.locator("#deliveries tbody tr td", { hasText: "payment.succeeded" }).first().waitFor();
      await page.getByRole("button", { name: "Send the event again" }).click();
      await page.locator("#resend-status").filter({ hasText: /^Sent again: evt_[0-9a-f]{24}$/ }).waitFor();
      assert.ok(await page.locator("#chart rect").count() >= 1, "the chart has bars");
      assert.match(await page.locator("#key-state").textContent(), /^State: /);
      await page.screenshot({ path: resolve(shots, `admin-${name}.png`), fullPage: true });
      await accessible(page, `admin (${name})`);
      assert.deepEqual(errors, []);
      await page.close();
    }
    // /admin to /admin/; the page's files come from the Worker's static assets (not its script).
    const redirect = await fetch(`${proxy}/admin`, { redirect: "manual" });
    assert.deepEqual([redirect.status, redirect.headers.get("location")], [308, `${proxy}/admin/`]);
    assert.match((await fetch(`${proxy}/admin/admin.js`)).headers.get("content-type"), /javascript/);
    assert.equal((await fetch(`${proxy}/admin/index.html`)).status, 401, "only the page's own paths load without the token");
    // Kept for the tab only: a new page (a new tab) asks again.
    const fresh = await browser.newPage();
    await fresh.goto(`${proxy}/admin/`);
    await fresh.getByLabel("Admin token").waitFor();
    await fresh.close();
  });
});
