// The Worker's upload limit of wave 3 (the key's health and the merchant's side together): at most
// 256 KiB gzip, as wrangler measures the upload (the figure Cloudflare applies its own limits to).
// Offline: --dry-run builds and measures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

test("the Worker's upload keeps to 256 KiB gzip (wrangler deploy --dry-run)", () => {
  const out = execFileSync(resolve(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", "target/deploy-dry-run"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", DO_NOT_TRACK: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const upload = /Total Upload: [\d.]+ KiB \/ gzip: ([\d.]+) KiB/.exec(out);
  assert.ok(upload, `wrangler said: ${out}`);
  assert.ok(Number(upload[1]) <= 256, `${upload[1]} KiB gzip`);
});
