// End to end over real HTTP on loopback: `scripts/dev.sh` (what `make dev` runs) starts the
// simulator and `wrangler dev`; a checkout goes through the Worker to the simulator and its webhook
// comes back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const freePort = () =>
  new Promise((done) => {
    const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => done(p)); });
  });

let dev, proxy, sim, output = "";

before(async () => {
  const [devPort, simPort] = [await freePort(), await freePort()];
  proxy = `http://127.0.0.1:${devPort}`;
  sim = `http://127.0.0.1:${simPort}`;
  dev = spawn("scripts/dev.sh", [], {
    cwd: root,
    detached: true,
    env: { ...process.env, DEV_PORT: String(devPort), SIM_PORT: String(simPort), SIM_WEBHOOK_DELAY_MS: "200" },
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

const post = (body) =>
  fetch(`${proxy}/payments/stk`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: proxy },
    body: JSON.stringify({ amount: 250, accountReference: "E2E-1", transactionDesc: "End to end", ...body }),
  });

async function webhook(id) {
  for (let i = 0; i < 100; i++) {
    const hooks = await (await fetch(`${sim}/dev/webhooks`)).json();
    const hook = hooks.find((h) => h.transaction.id === id);
    if (hook) return hook;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no webhook for ${id}`);
}

test("make dev prints the URL and a ready curl command", () => {
  assert.match(output, new RegExp(`payment proxy is on ${proxy}`));
  assert.match(output, /curl -s http:\/\/127\.0\.0\.1:\d+\/payments\/stk/);
});

test("a checkout goes through wrangler dev to the simulator, and its webhook arrives", async () => {
  const r = await post({ phone: "0712 345 678" });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("access-control-allow-origin"), proxy);
  const { data } = await r.json();
  assert.equal(data.status, "PENDING");
  assert.equal(data.phone, "254712345678");
  const hook = await webhook(data.transactionId);
  assert.equal(hook.transaction.status, "SUCCESS");
  assert.equal(hook.transaction.amount, 250);

  const cancelled = await (await post({ phone: "0700 001 032" })).json();
  assert.equal((await webhook(cancelled.data.transactionId)).transaction.result_code, "1032");
});

test("the simulator's 429 test number comes back with Retry-After", async () => {
  const r = await post({ phone: "0700 000 429" });
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("retry-after"), "3600");
  assert.equal((await r.json()).error.code, "STK_TEMP_BANNED");
});

test("invalid input is answered by the Worker, and its log lines are JSON with a masked phone", async () => {
  const r = await post({ phone: "0712", amount: 0 });
  assert.equal(r.status, 400);
  const body = await r.json();
  assert.equal(body.error.code, "VALIDATION_FAILED");
  await new Promise((res) => setTimeout(res, 300));
  const lines = output.split("\n").filter((l) => l.startsWith("{"));
  const line = lines.map((l) => JSON.parse(l)).find((l) => l.requestId === body.requestId);
  assert.equal(line.status, 400);
  assert.ok(lines.some((l) => l.includes('"phone":"2547******78"')));
  assert.ok(!lines.some((l) => l.includes("254712345678")), "full phone numbers are never logged");
});
