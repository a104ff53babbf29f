#!/usr/bin/env bash
# Builds the npm package in pkg/:
#   pkg/node/              CommonJS (wasm-bindgen --target nodejs) + index.mjs, the ESM entry for Node
#   pkg/web/               ES module for <script type="module"> (await init())
#   pkg/bundler/           ES module importing the .wasm, for bundlers
#   pkg/checkout/web/      the validators + StkClient + attachCheckoutForm, for <script type="module">
#   pkg/checkout/bundler/  the same, for bundlers
# Every .wasm is shrunk with wasm-opt from the npm binaryen package (never Debian's binaryen 108,
# which produces modules that fail to load).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_OPT=node_modules/.bin/wasm-opt
# Two builds of the one crate: the validators alone (the main entry, under 20 KB gzip), and the
# checkout (validators + StkClient + attachCheckoutForm) for browsers. Separate target dirs keep
# both builds cached (and apart from the Worker's build: an up-to-date build does not copy its
# artifact again, so a shared target dir can hand over another feature set's .wasm).
cargo build --quiet --release --lib --target wasm32-unknown-unknown --features browser,tiny-allocator \
  --target-dir target/core
cargo build --quiet --release --lib --target wasm32-unknown-unknown \
  --features checkout,tiny-allocator --target-dir target/checkout
CORE=target/core/wasm32-unknown-unknown/release/palpluss_stk.wasm
CHECKOUT=target/checkout/wasm32-unknown-unknown/release/palpluss_stk.wasm

bind() { # wasm target dir
  rm -rf "$3"
  wasm-bindgen --target "$2" --out-dir "$3" "$1"
  "$WASM_OPT" -Oz --converge --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$3/palpluss_stk_bg.wasm" -o "$3/palpluss_stk_bg.wasm"
}
bind "$CORE" nodejs pkg/node
bind "$CORE" web pkg/web
bind "$CORE" bundler pkg/bundler
bind "$CHECKOUT" web pkg/checkout/web
bind "$CHECKOUT" bundler pkg/checkout/bundler

# The browser glue ships minified (exported names are kept; the .d.ts files document them).
for dir in pkg/web pkg/bundler pkg/checkout/web pkg/checkout/bundler; do
  for js in "$dir"/*.js; do
    node_modules/.bin/esbuild --minify --format=esm --log-level=warning \
      "$js" --outfile="$js.min" && mv "$js.min" "$js"
  done
done

# wasm-bindgen declares `[Symbol.dispose]()` on classes, which only type-checks with TypeScript's
# esnext.disposable lib; drop the declaration (the method stays at runtime) so the types check with
# the default libs.
for dts in pkg/checkout/*/palpluss_stk.d.ts; do
  sed -i '/\[Symbol\.dispose\]()/d' "$dts"
done

# Node decides CommonJS or ESM per folder; say it explicitly so the package root can stay neutral.
echo '{ "type": "commonjs" }' > pkg/node/package.json
for dir in pkg/web pkg/checkout/web; do echo '{ "type": "module", "sideEffects": false }' > "$dir/package.json"; done
for dir in pkg/bundler pkg/checkout/bundler; do
  echo '{ "type": "module", "sideEffects": ["./palpluss_stk.js"] }' > "$dir/package.json"
done

# ESM entry for Node: the web glue, instantiated synchronously from the file next to it, so that
# `import { normalizePhone } from "palpluss-stk"` needs no init call.
cat > pkg/node/index.mjs <<'JS'
import { readFileSync } from "node:fs";
import { initSync } from "../web/palpluss_stk.js";

initSync({ module: readFileSync(new URL("../web/palpluss_stk_bg.wasm", import.meta.url)) });

export * from "../web/palpluss_stk.js";
JS
rm -f pkg/*/.gitignore pkg/checkout/*/.gitignore
