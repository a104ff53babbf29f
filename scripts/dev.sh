#!/usr/bin/env bash
# `make dev`: the Worker under `wrangler dev` on 127.0.0.1:8787 against the built-in PalPluss
# simulator on 127.0.0.1:8788, and the demo checkout on 127.0.0.1:8080: no account, no key, no
# internet. The runner is sim/dev.mjs, the same one the npm package ships as `palpluss-stk-dev`
# (the Cloudflare template's `npm run dev`); its header lists the variables it reads.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node sim/dev.mjs
