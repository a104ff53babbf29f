#!/usr/bin/env bash
# Prints the size of each entry of the npm package: wasm and JS glue, raw and gzip -9.
set -euo pipefail
cd "$(dirname "$0")/.."
gz() { gzip -9c "$1" | wc -c; }
printf '%-17s %-28s %9s %9s\n' entry file raw gzip-9
for entry in web bundler node checkout/web checkout/bundler; do
  total_raw=0 total_gz=0
  for f in pkg/$entry/palpluss_stk_bg.wasm pkg/$entry/*.js pkg/$entry/*.mjs; do
    [[ -e $f ]] || continue
    raw=$(wc -c < "$f") z=$(gz "$f")
    total_raw=$((total_raw + raw)) total_gz=$((total_gz + z))
    printf '%-17s %-28s %9d %9d\n' "$entry" "${f#pkg/$entry/}" "$raw" "$z"
  done
  printf '%-17s %-28s %9d %9d  (%.1f KB gzip)\n' "$entry" TOTAL "$total_raw" "$total_gz" "$(echo "$total_gz / 1000" | bc -l)"
done
