// Miniflare options for the payment proxy, with every binding wrangler.toml declares. In the
// repository: the Worker `scripts/build-worker.sh` built into build/ (the Worker tests, `make soak`
// and `make bench` use it). In the Cloudflare template (templates/cloudflare/scripts/, a copy of
// this file that a test keeps identical): the npm package's built Worker in node_modules. The
// compatibility date is wrangler.toml's.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const worker = existsSync(resolve(root, "Cargo.toml"))
  ? { scriptPath: resolve(root, "build/index.js"), modulesRoot: resolve(root, "build") }
  : { scriptPath: resolve(root, "node_modules/palpluss-stk/worker/index.js"), modulesRoot: resolve(root, "node_modules/palpluss-stk/worker") };
const [, compatibilityDate] = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(resolve(root, "wrangler.toml"), "utf8"));

export { compatibilityDate };

/** The Durable Object bindings wrangler.toml declares, as Miniflare options (SQLite-backed). */
const toml = readFileSync(resolve(root, "wrangler.toml"), "utf8");
export const durableObjects = Object.fromEntries(
  [...toml.matchAll(/\[\[durable_objects\.bindings\]\]\s*name\s*=\s*"([^"]+)"\s*class_name\s*=\s*"([^"]+)"/g)].map(
    ([, name, className]) => [name, { className, useSQLite: true }],
  ),
);

/** The Rate Limiting bindings wrangler.toml declares (`[[ratelimits]]`), as Miniflare options. */
export const ratelimits = Object.fromEntries(
  [...toml.matchAll(/\[\[ratelimits\]\]\s*name\s*=\s*"([^"]+)"[^\[]*?simple\s*=\s*\{\s*limit\s*=\s*(\d+)\s*,\s*period\s*=\s*(\d+)\s*\}/g)].map(
    ([, name, limit, period]) => [name, { simple: { limit: Number(limit), period: Number(period) } }],
  ),
);

/** The D1 bindings wrangler.toml declares (`[[d1_databases]]`), as Miniflare's `d1Databases`. */
export const d1Databases = [...toml.matchAll(/\[\[d1_databases\]\]\s*binding\s*=\s*"([^"]+)"/g)].map(([, name]) => name);

/** The static assets wrangler.toml declares (`[assets] directory`, `binding`), as Miniflare's
 * `assets`, the Worker run ahead of them (wrangler.toml runs it first on /admin, the only paths
 * where it serves them, through the binding). */
const assetsSection = /^\[assets\]\s*directory\s*=\s*"([^"]+)"\s*binding\s*=\s*"([^"]+)"/m.exec(toml);
export const assets = assetsSection && {
  directory: resolve(root, assetsSection[1]),
  binding: assetsSection[2],
  routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
};

/** Options for `new Miniflare(...)`: the built Worker, offline (`cf: false`), with every binding
 * wrangler.toml declares (its Durable Objects, rate limits, D1 databases and static assets) and these
 * variables. */
export function builtWorker(bindings) {
  return {
    modules: true,
    ...worker,
    // Every .js is an ES module here (Miniflare's default reads .js beside the entry as CommonJS).
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }, { type: "ESModule", include: ["**/*.js"] }],
    compatibilityDate,
    cf: false,
    durableObjects,
    ratelimits,
    d1Databases,
    ...(assets && { assets }),
    bindings,
  };
}
