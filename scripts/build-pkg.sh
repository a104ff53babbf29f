#!/usr/bin/env bash
# Builds the npm package in pkg/:
#   pkg/node/              CommonJS (wasm-bindgen --target nodejs) + index.mjs, the ESM entry for Node
#   pkg/web/               ES module for <script type="module"> (await init())
#   pkg/bundler/           for bundlers: the web glue, initialised by top-level await from
#                          `new URL("../web/….wasm", import.meta.url)`, which Vite and webpack 5
#                          both understand with no configuration (no wasm ES-module integration)
#   pkg/workerd/           for JavaScript Cloudflare Workers: imports the .wasm, which workerd hands
#                          over as a compiled WebAssembly.Module, and initialises synchronously
#   pkg/checkout/web/      the validators + StkClient + attachCheckoutForm, for <script type="module">
#   pkg/checkout/bundler/  the same, for bundlers
# Every .wasm is shrunk with wasm-opt from the npm binaryen package (never Debian's binaryen 108,
# which produces modules that fail to load).
set -euo pipefail
cd "$(dirname "$0")/.."

STAMP=pkg/.build-stamp
HASH=$(scripts/inputs-hash.sh scripts/build-pkg.sh)
if [[ "$(cat "$STAMP" 2>/dev/null)" == "$HASH" && -f pkg/web/palpluss_stk_bg.wasm ]]; then
  echo "pkg/ is up to date"
  exit 0
fi
rm -f "$STAMP"

WASM_OPT=node_modules/.bin/wasm-opt
# Two builds of the one crate: the validators alone (the main entry, under 20 KB gzip), and the
# checkout (validators + StkClient + attachCheckoutForm) for browsers. Separate target dirs keep
# both builds cached (and apart from the Worker's build: an up-to-date build does not copy its
# artifact again, so a shared target dir can hand over another feature set's .wasm).
cargo build --quiet --release --lib --target wasm32-unknown-unknown --features abort-on-panic \
  --target-dir target/core
cargo build --quiet --release --lib --target wasm32-unknown-unknown \
  --features checkout,abort-on-panic --target-dir target/checkout
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
bind "$CHECKOUT" web pkg/checkout/web

# Short import names in the browser builds (the Node build keeps wasm-bindgen's: there they are
# the CommonJS module's own exports, and its size has no budget).
node scripts/short-imports.mjs pkg/web/palpluss_stk_bg.wasm pkg/web/palpluss_stk.js
node scripts/short-imports.mjs pkg/checkout/web/palpluss_stk_bg.wasm pkg/checkout/web/palpluss_stk.js

# The loader's three warnings, said in fewer words (the browser entry has a 20 KB budget): what to
# do, not wasm-bindgen's account of it. Each must match once, or the build stops.
shorten() { # file old new
  perl -0pi -e 'BEGIN { ($old, $new) = splice @ARGV, 1, 2 } $n = s/\Q$old\E/$new/g; END { exit($n == 1 ? 0 : 1) }' "$1" "$2" "$3" ||
    { echo "build-pkg: a loader warning was not found once in $1: $2" >&2; exit 1; }
}
for glue in pkg/web/palpluss_stk.js pkg/checkout/web/palpluss_stk.js; do
  shorten "$glue" '`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n' \
    'palpluss-stk: serve the .wasm as application/wasm; loading it the slow way:'
  shorten "$glue" 'using deprecated parameters for `initSync()`; pass a single object instead' 'palpluss-stk: call initSync({ module })'
  shorten "$glue" 'using deprecated parameters for the initialization function; pass a single object instead' \
    'palpluss-stk: call init({ module_or_path })'
done

# The fast paths (src/js/fast.js, over src/js/fast.rs's buffer) take the place of the
# generated normalizePhone, checkPhone, limits and validateCheckout, which stay in the module as the ordinary path. The glue is
# wasm-bindgen's (pinned version); each rename must match once, or the build stops.
add_fast_paths() { # glue-file esm|cjs
  local file=$1 kind=$2
  rename() { # from to
    [[ $(grep -c "^$1" "$file") == 1 ]] || { echo "build-pkg: '$1' not found once in $file" >&2; exit 1; }
    sed -i "s/^$1/$2/" "$file"
  }
  if [[ $kind == esm ]]; then
    rename 'export function normalizePhone(' 'function slowNormalizePhone('
    rename 'export function limits(' 'function slowLimits('
    rename 'export function checkPhone(' 'function slowCheckPhone('
    rename 'export function validateCheckout(' 'function slowValidateCheckout('
    { cat src/js/fast.js; echo 'export { normalizePhone, normalizePhones, checkPhone, limits, validateCheckout };'; } >> "$file"
  else
    rename 'function normalizePhone(' 'function slowNormalizePhone('
    rename 'exports.normalizePhone = normalizePhone;' ''
    rename 'function limits(' 'function slowLimits('
    rename 'exports.limits = limits;' ''
    rename 'function checkPhone(' 'function slowCheckPhone('
    rename 'exports.checkPhone = checkPhone;' ''
    rename 'function validateCheckout(' 'function slowValidateCheckout('
    rename 'exports.validateCheckout = validateCheckout;' ''
    { cat src/js/fast.js; echo 'exports.normalizePhone = normalizePhone; exports.normalizePhones = normalizePhones; exports.checkPhone = checkPhone; exports.limits = limits; exports.validateCheckout = validateCheckout;'; } >> "$file"
  fi
}
add_fast_paths pkg/web/palpluss_stk.js esm
add_fast_paths pkg/checkout/web/palpluss_stk.js esm
add_fast_paths pkg/node/palpluss_stk.js cjs

# The browser glue ships minified (exported names are kept; the .d.ts files document them).
for dir in pkg/web pkg/checkout/web; do
  for js in "$dir"/*.js; do
    node_modules/.bin/esbuild --minify --format=esm --log-level=warning \
      "$js" --outfile="$js.min" && mv "$js.min" "$js"
  done
done

# wasm-bindgen declares `[Symbol.dispose]()` on classes, which only type-checks with TypeScript's
# esnext.disposable lib; drop the declaration (the method stays at runtime) so the types check with
# the default libs.
for dts in pkg/checkout/web/palpluss_stk.d.ts; do
  sed -i '/\[Symbol\.dispose\]()/d' "$dts"
done

# Node decides CommonJS or ESM per folder; say it explicitly so the package root can stay neutral.
echo '{ "type": "commonjs" }' > pkg/node/package.json
for dir in pkg/web pkg/checkout/web; do echo '{ "type": "module", "sideEffects": false }' > "$dir/package.json"; done

# Bundler entries: the web build, initialised once by top-level await. The literal
# `new URL("…", import.meta.url)` is what lets a bundler find, copy and hash the .wasm.
for dir in pkg/bundler pkg/checkout/bundler pkg/workerd; do rm -rf "$dir"; mkdir -p "$dir"; done
for dir in pkg/bundler pkg/checkout/bundler; do
  cat > "$dir/index.js" <<'JS'
import init from "../web/palpluss_stk.js";

await init({ module_or_path: new URL("../web/palpluss_stk_bg.wasm", import.meta.url) });

export * from "../web/palpluss_stk.js";
JS
  echo 'export * from "../web/palpluss_stk.js";' > "$dir/index.d.ts"
  echo '{ "type": "module", "sideEffects": ["./index.js"] }' > "$dir/package.json"
done
# workerd imports a .wasm as a compiled WebAssembly.Module (wrangler's default module rules), so the
# module initialises synchronously, with no fetch and no top-level await.
cat > pkg/workerd/index.js <<'JS'
import module from "../web/palpluss_stk_bg.wasm";
import { initSync } from "../web/palpluss_stk.js";

initSync({ module });

export * from "../web/palpluss_stk.js";
JS
echo 'export * from "../web/palpluss_stk.js";' > pkg/workerd/index.d.ts
echo '{ "type": "module", "sideEffects": ["./index.js"] }' > pkg/workerd/package.json
# The wrappers ship minified too, as the glue does (they count in their entries' sizes).
for js in pkg/bundler/index.js pkg/checkout/bundler/index.js pkg/workerd/index.js; do
  node_modules/.bin/esbuild --minify --format=esm --log-level=warning "$js" --outfile="$js.min" && mv "$js.min" "$js"
done

# The licences and the changelog ship in the tarball too.
cp LICENSE-MIT LICENSE-APACHE CHANGELOG.md pkg/

# ESM entry for Node: the web glue, instantiated synchronously from the file next to it, so that
# `import { normalizePhone } from "palpluss-stk"` needs no init call. Node's entries also carry
# verifyWebhook and signCheckoutIntent (src/node/, node:crypto's HMAC), which the browser entries
# never load.
cat > pkg/node/index.mjs <<'JS'
import { readFileSync } from "node:fs";
import { initSync } from "../web/palpluss_stk.js";

initSync({ module: readFileSync(new URL("../web/palpluss_stk_bg.wasm", import.meta.url)) });

export * from "../web/palpluss_stk.js";
export { verifyWebhook, WebhookVerificationError, signCheckoutIntent } from "./server.cjs";
JS
cp src/node/server.cjs pkg/node/server.cjs
cat > pkg/node/index.cjs <<'JS'
"use strict";
const core = require("./palpluss_stk.js");
const server = require("./server.cjs");
for (const name of Object.keys(core)) exports[name] = core[name];
exports.verifyWebhook = server.verifyWebhook;
exports.WebhookVerificationError = server.WebhookVerificationError;
exports.signCheckoutIntent = server.signCheckoutIntent;
JS
{ echo 'export * from "./palpluss_stk.js";'; cat src/node/server.d.ts; } > pkg/node/index.d.ts
rm -f pkg/*/.gitignore pkg/checkout/*/.gitignore
echo "$HASH" > "$STAMP"
