// A consumer project in a temporary folder with the packed npm tarball installed, the way a
// customer gets the package. Shared by the package and bundler tests.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "../..");

/** Runs a command, with its output in the error when it fails. */
export function run(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
  } catch (e) {
    e.message += `\n${e.stdout ?? ""}${e.stderr ?? ""}`;
    throw e;
  }
}

/** Packs pkg/, installs the tarball into a new project; returns its folder and the packed file list. */
export function consumerProject(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `palpluss-stk-${prefix}-`));
  const packed = run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: join(root, "pkg") });
  const [{ filename, files }] = JSON.parse(packed);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--offline", join(dir, filename)], { cwd: dir });
  assert.ok(files.length > 0);
  return { dir, files: files.map((f) => f.path).sort(), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
