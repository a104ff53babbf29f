#!/usr/bin/env node
// `make bench`: the admin API's CSV export of 100,000 payments in Miniflare, streamed. The payment
// index is filled directly (D1, the Worker's own schema), then GET /admin/payments.csv is read
// chunk by chunk while workerd's resident memory is sampled: a streamed export keeps it flat (one
// page of 1,000 rows at a time), where a buffered one would grow with the rows. Figures are
// printed, never asserted. BENCH_QUICK=1 exports 20,000.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Miniflare } from "miniflare";
import { builtWorker } from "../scripts/built-worker.mjs";

const ROWS = process.env.BENCH_QUICK === "1" ? 20_000 : 100_000;
const TOKEN = "adm_bench_0123456789abcdef0123";
const mf = new Miniflare({
  ...builtWorker({ PALPLUSS_API_KEY: "pk_bench", CALLBACK_URL: "https://shop.example/cb", ADMIN_TOKEN: TOKEN }),
  handleRuntimeStdio(o, e) { o.resume(); e.resume(); },
});
await mf.ready;
const admin = (path) => mf.dispatchFetch(`https://proxy.example/admin${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
// The first admin call applies the migrations.
await (await admin("/payments?limit=1")).arrayBuffer();

const db = await mf.getD1Database("DB");
const started = performance.now();
// One statement (a recursive sequence), so the fill takes seconds, not one round trip per row.
const t0 = Date.UTC(2026, 10, 1);
await db.prepare(`WITH RECURSIVE seq(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM seq WHERE j < ?1 - 1)
  INSERT INTO payments (id, created, updated, status, amount, phone_masked, phone_hash, account_reference, receipt, final_at)
  SELECT printf('%08d-95ea-4a8f-8467-1fbe74f5d6f4', j), ?2 + j * 1000, ?2 + j * 1000 + 9000,
    CASE WHEN j % 3 = 0 THEN 'CANCELLED' ELSE 'SUCCESS' END, 100 + j % 5000, printf('2547******%02d', j % 100),
    '${"0".repeat(64)}', 'ORDER-' || j, CASE WHEN j % 3 = 0 THEN NULL ELSE 'K4NZ2Z9YFV' END, ?2 + j * 1000 + 9000 FROM seq`).bind(ROWS, t0).run();
console.log(`the payment index filled with ${ROWS.toLocaleString("en")} payments in ${((performance.now() - started) / 1000).toFixed(1)} s`);

/** workerd's resident memory (MiB): the newest workerd child of this process. */
function workerdRss() {
  const pids = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" })
    .split("\n").map((l) => l.trim().split(/\s+/)).filter(([, comm]) => comm === "workerd").map(([pid]) => pid);
  const status = readFileSync(`/proc/${pids.at(-1)}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function exportCsv(query = "") {
  const before = workerdRss();
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, workerdRss()); }, 25);
  const start = performance.now();
  const response = await admin(`/payments.csv${query}`);
  let bytes = 0;
  let lines = 0;
  let firstChunkMs;
  for await (const chunk of response.body) {
    firstChunkMs ??= performance.now() - start;
    bytes += chunk.byteLength;
    for (const b of chunk) if (b === 10) lines++;
  }
  clearInterval(sampler);
  peak = Math.max(peak, workerdRss());
  return { rows: lines - 1, bytes, ms: performance.now() - start, firstChunkMs, before, peak };
}

const small = await exportCsv(`?since=${new Date(t0 + (ROWS - 2000) * 1000).toISOString()}`);
const all = await exportCsv();
const again = await exportCsv();
await mf.dispose();
const mib = (n) => `${n.toFixed(1)} MiB`;
console.log("CSV export (GET /admin/payments.csv, streamed 1,000 rows a page), workerd's resident memory:");
for (const [name, r] of [["last 2,000 payments", small], ["every payment", all], ["every payment again", again]]) {
  console.log(`  ${name.padEnd(20)} ${r.rows.toLocaleString("en").padStart(7)} rows, ${(r.bytes / 1e6).toFixed(1)} MB in ${(r.ms / 1000).toFixed(1)} s (first bytes after ${r.firstChunkMs.toFixed(0)} ms); memory ${mib(r.before)} before, peak ${mib(r.peak)} (+${mib(r.peak - r.before)})`);
}
console.log(`${all.rows === ROWS && again.rows === ROWS ? "every row exported" : `ROWS MISSING: ${all.rows} of ${ROWS}`}; the peak grew ${mib(all.peak - all.before)} for ${(all.bytes / 1e6).toFixed(1)} MB of CSV, then ${mib(again.peak - again.before)} for the same export again`);
