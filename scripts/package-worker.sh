#!/usr/bin/env bash
# Puts the Worker that scripts/build-worker.sh built into build/ into the npm package, as it is
# (one build, no second copy in git), with what a merchant with no Rust needs beside it:
#   pkg/worker/   `palpluss-stk/worker`: proxy.js (the Worker's entry, src/worker/front.js), rust.js +
#                 its .wasm (worker-build's output), index.js
#                 (default, the Durable Object classes, handle, signCheckoutIntent), index.d.ts
#   pkg/dev/      the `palpluss-stk-sim` and `palpluss-stk-dev` bins (sim/) and the demo page (www/)
#   pkg/migrations/  the payment index's D1 migrations (the template's migrations_dir points here)
#   pkg/public/   the operator's page (public/admin/; the template's [assets] directory)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/index.js && -f build/rust.js && -f build/index_bg.wasm ]] || { echo "package-worker: run scripts/build-worker.sh first" >&2; exit 1; }
rm -rf pkg/worker pkg/dev pkg/migrations pkg/public
mkdir -p pkg/worker pkg/dev/www
cp build/index.js pkg/worker/proxy.js
cp build/rust.js pkg/worker/rust.js
cp build/index_bg.wasm pkg/worker/index_bg.wasm
# The entry imports worker-build's module, which imports its wasm, by these names; the copies keep them.
grep -q '"./rust.js"' pkg/worker/proxy.js || { echo "package-worker: proxy.js does not import ./rust.js" >&2; exit 1; }
grep -q '"./index_bg.wasm"' pkg/worker/rust.js || { echo "package-worker: rust.js does not import ./index_bg.wasm" >&2; exit 1; }
cp src/worker/npm/index.js src/worker/npm/intent.js src/worker/npm/index.d.ts pkg/worker/
echo '{ "type": "module", "sideEffects": ["./proxy.js", "./rust.js", "./index.js"] }' > pkg/worker/package.json
cp sim/palpluss-sim.mjs sim/dev.mjs pkg/dev/
chmod +x pkg/dev/palpluss-sim.mjs pkg/dev/dev.mjs
cp www/index.html www/app.js www/style.css pkg/dev/www/
echo '{ "type": "module" }' > pkg/dev/package.json
mkdir -p pkg/migrations
cp migrations/*.sql pkg/migrations/
cp -r public pkg/public
