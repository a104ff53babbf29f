// Ready to publish: `cargo publish --dry-run` (which builds the packaged crate on its own) and
// `npm publish --dry-run` from pkg/ both run clean, and each package carries what its users need
// (the licences the manifests declare) and nothing of the JS tooling the crate does not need.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { root } from "./consumer.mjs";

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, CARGO_TERM_COLOR: "never" } });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return { out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

test("the crate packages the sources, tests, docs and licences, and none of the JS tooling", () => {
  const files = run("cargo", ["package", "--list", "--allow-dirty"], root).stdout.split("\n").filter(Boolean);
  for (const expected of ["Cargo.toml", "README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE", "src/lib.rs", "src/rules/phone_data.rs", "tests/phone.rs", "tests/data/ke-carriers.tsv", "examples/checkout.rs", "examples/checkout.html"]) {
    assert.ok(files.includes(expected), `crate contains ${expected}`);
  }
  const tooling = files.filter((f) => /^(bench|scripts|sim|www|pkg|fuzz|node_modules|tests\/js)\/|package(-lock)?\.json$|wrangler\.toml$/.test(f));
  assert.deepEqual(tooling, []);
});

test("cargo publish --dry-run runs clean", () => {
  // --allow-dirty: a developer runs this before committing; CI runs it on a clean clone.
  const { out } = run("cargo", ["publish", "--dry-run", "--allow-dirty", "--quiet"], root);
  assert.doesNotMatch(out, /^warning/m, out);
});

test("npm publish --dry-run from pkg/ runs clean and ships the licences", () => {
  const { out, stdout } = run("npm", ["publish", "--dry-run", "--json", "--ignore-scripts"], join(root, "pkg"));
  // The one warning allowed: no registry login on this machine (a dry run does not need one).
  const warnings = out.split("\n").filter((l) => /npm warn/i.test(l) && !/requires you to be logged in/.test(l));
  assert.deepEqual(warnings, [], out);
  const parsed = JSON.parse(stdout);
  const json = parsed["palpluss-stk"] ?? parsed; // npm 11 keys the answer by package name
  const files = json.files.map((f) => f.path);
  for (const expected of ["LICENSE-MIT", "LICENSE-APACHE", "CHANGELOG.md", "README.md", "package.json"]) {
    assert.ok(files.includes(expected), `tarball contains ${expected}`);
  }
  assert.equal(json.name, "palpluss-stk");
});
