#!/usr/bin/env bash
# Prints the size of each entry of the npm package: wasm and JS glue, raw and gzip -9.
set -euo pipefail
cd "$(dirname "$0")/.."
gz() { gzip -9c "$1" | wc -c; }
printf '%-17s %-28s %9s %9s\n' entry file raw gzip-9
# The bundler and workerd entries are small wrappers that load the web build beside them.
uses() {
  case $1 in
    bundler | workerd) echo "pkg/web/palpluss_stk_bg.wasm pkg/web/palpluss_stk.js pkg/$1/index.js" ;;
    checkout/bundler) echo "pkg/checkout/web/palpluss_stk_bg.wasm pkg/checkout/web/palpluss_stk.js pkg/$1/index.js" ;;
    *) echo pkg/$1/palpluss_stk_bg.wasm pkg/$1/*.js pkg/$1/*.mjs ;;
  esac
}
for entry in web bundler workerd node checkout/web checkout/bundler; do
  total_raw=0 total_gz=0
  for f in $(uses $entry); do
    [[ -e $f ]] || continue
    raw=$(wc -c < "$f") z=$(gz "$f")
    total_raw=$((total_raw + raw)) total_gz=$((total_gz + z))
    printf '%-17s %-28s %9d %9d\n' "$entry" "${f#pkg/}" "$raw" "$z"
  done
  printf '%-17s %-28s %9d %9d  (%.1f KB gzip)\n' "$entry" TOTAL "$total_raw" "$total_gz" "$(echo "$total_gz / 1000" | bc -l)"
done
# The Worker (make build builds it into build/). The upload limit applies to what
# `wrangler deploy --dry-run` reports (`make bench` prints it), about 2% more than this sum.
if [[ -e build/index_bg.wasm ]]; then
  total_raw=0 total_gz=0
  for f in build/index_bg.wasm build/rust.js build/index.js build/worker/shim.mjs; do
    raw=$(wc -c < "$f") z=$(gz "$f")
    total_raw=$((total_raw + raw)) total_gz=$((total_gz + z))
    printf '%-17s %-28s %9d %9d\n' worker "${f#build/}" "$raw" "$z"
  done
  printf '%-17s %-28s %9d %9d  (%.1f KiB gzip)\n' worker TOTAL "$total_raw" "$total_gz" "$(echo "$total_gz / 1024" | bc -l)"
fi
