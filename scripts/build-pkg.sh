#!/usr/bin/env bash
# Builds the npm package in pkg/: one release wasm, bound for three loaders.
#   pkg/node/     CommonJS (wasm-bindgen --target nodejs) + index.mjs, the ESM entry for Node
#   pkg/web/      ES module for <script type="module"> (await init())
#   pkg/bundler/  ES module importing the .wasm, for bundlers
# Every .wasm is shrunk with wasm-opt from the npm binaryen package (never Debian's binaryen 108,
# which produces modules that fail to load).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM=target/wasm32-unknown-unknown/release/palpluss_stk.wasm
WASM_OPT=node_modules/.bin/wasm-opt

cargo build --quiet --release --lib --target wasm32-unknown-unknown --features browser,tiny-allocator

for target in nodejs web bundler; do
  dir=pkg/${target/nodejs/node}
  rm -rf "$dir"
  wasm-bindgen --target "$target" --out-dir "$dir" "$WASM"
done

# The three _bg.wasm files differ only in import module names; optimise each.
for dir in pkg/node pkg/web pkg/bundler; do
  "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$dir/palpluss_stk_bg.wasm" -o "$dir/palpluss_stk_bg.wasm"
done

# The browser glue ships minified (whitespace and syntax only: names stay readable in stack traces).
for dir in pkg/web pkg/bundler; do
  for js in "$dir"/*.js; do
    node_modules/.bin/esbuild --minify-whitespace --minify-syntax --format=esm --log-level=warning \
      "$js" --outfile="$js.min" && mv "$js.min" "$js"
  done
done

# Node decides CommonJS or ESM per folder; say it explicitly so the package root can stay neutral.
echo '{ "type": "commonjs" }' > pkg/node/package.json
echo '{ "type": "module", "sideEffects": false }' > pkg/web/package.json
echo '{ "type": "module", "sideEffects": ["./palpluss_stk.js"] }' > pkg/bundler/package.json

# ESM entry for Node: the web glue, instantiated synchronously from the file next to it, so that
# `import { normalizePhone } from "palpluss-stk"` needs no init call.
cat > pkg/node/index.mjs <<'JS'
import { readFileSync } from "node:fs";
import { initSync } from "../web/palpluss_stk.js";

initSync({ module: readFileSync(new URL("../web/palpluss_stk_bg.wasm", import.meta.url)) });

export * from "../web/palpluss_stk.js";
JS
rm -f pkg/*/.gitignore
