#!/usr/bin/env bash
# Builds the Worker into build/ with worker-build, offline: wasm-bindgen from PATH (pinned to the
# Cargo.lock version), wasm-opt from the npm binaryen package (never Debian's), and esbuild from
# node_modules. wrangler.toml runs this as its build command.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
STAMP=build/.build-stamp
HASH=$(scripts/inputs-hash.sh scripts/build-worker.sh)
if [[ "$(cat "$STAMP" 2>/dev/null)" == "$HASH" && -f build/index_bg.wasm ]]; then
  echo "build/ is up to date"
  exit 0
fi
rm -f "$STAMP"
export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$PWD/node_modules/@esbuild/linux-x64/bin/esbuild"
# Its own target dir: see build-pkg.sh.
export CARGO_TARGET_DIR="$PWD/target/worker"
worker-build --release --features worker
# worker-build's entry becomes rust.js; the Worker's entry is front.js, which serves the requests
# served most step by step and hands the others to it (see src/worker/front.js).
mv build/index.js build/rust.js
# worker-build keeps the name section (about a fifth of the module); the upload budget is tighter
# than the value of symbolised stack traces for code that has no reachable panic. -Oz --converge
# repeats the size passes until nothing changes (1.7 KB gzip less than worker-build's single -Oz).
"$WASM_OPT_BIN" -Oz --converge --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --enable-exception-handling build/index_bg.wasm -o build/index_bg.wasm
# Short import names, in the .wasm and the glue alike (see the script): about 4.5 KB gzip.
node scripts/short-imports.mjs build/index_bg.wasm build/rust.js
cp src/worker/front.js build/index.js
echo "$HASH" > "$STAMP"
