// Miniflare options for the Worker that `scripts/build-worker.sh` built into build/, shared by the
// Worker tests, `make soak` and `make bench`. The compatibility date is wrangler.toml's.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
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

/** Options for `new Miniflare(...)`: the built Worker, offline (`cf: false`), with every binding
 * wrangler.toml declares (its Durable Objects) and these variables. */
export function builtWorker(bindings) {
  return {
    modules: true,
    scriptPath: resolve(root, "build/index.js"),
    modulesRoot: resolve(root, "build"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate,
    cf: false,
    durableObjects,
    ratelimits,
    bindings,
  };
}
