#!/usr/bin/env bash
# `make dev`: the Worker under `wrangler dev` on 127.0.0.1:8787 against the built-in PalPluss
# simulator on 127.0.0.1:8788: no account, no key, no internet. With PALPLUSS_API_KEY in .dev.vars
# the simulator is not started and the Worker talks to PalPluss with that key instead.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=127.0.0.1
DEV_PORT=${DEV_PORT:-8787}
SIM_PORT=${SIM_PORT:-8788}
WWW_PORT=${WWW_PORT:-8080}
export WRANGLER_SEND_METRICS=false DO_NOT_TRACK=1 WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false

pids=()
cleanup() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

args=(dev --ip "$HOST" --port "$DEV_PORT" --show-interactive-dev-session=false)
if grep -qs '^PALPLUSS_API_KEY=.' .dev.vars; then
  echo "[dev] .dev.vars has a PALPLUSS_API_KEY: the Worker talks to PalPluss (${PALPLUSS_BASE_URL:-https://api.palpluss.com/v1})"
  mode="PalPluss"
else
  # The whole loop on loopback: the simulator posts its webhooks to the Worker's own webhook route
  # (CALLBACK_URL left empty, so it is derived from WEBHOOK_SECRET and the Worker's host), and the
  # Worker posts signed events to the simulator's merchant sink, which verifies them. The keys and
  # secrets below are fixed test values for the simulator, not secrets, so plain --vars are fine.
  export SIM_API_KEY=sim_test_key
  export SIM_MERCHANT_SECRET=msec_dev_simulator_0123456789
  DEV_WEBHOOK_SECRET=whk_dev_simulator_0123456789
  # The demo page is rendered with an intent signed with this (scripts/serve-www.mjs), as a
  # merchant's server would: an amount changed in the browser is refused (INTENT_MISMATCH).
  export INTENT_SECRET=isec_dev_simulator_0123456789
  node sim/palpluss-sim.mjs --host "$HOST" --port "$SIM_PORT" &
  pids+=($!)
  args+=(
    --var "PALPLUSS_API_KEY:$SIM_API_KEY"
    --var "PALPLUSS_BASE_URL:http://$HOST:$SIM_PORT/v1"
    --var "WEBHOOK_SECRET:$DEV_WEBHOOK_SECRET"
    --var "MERCHANT_WEBHOOK_URL:http://$HOST:$SIM_PORT/dev/merchant"
    --var "MERCHANT_WEBHOOK_SECRET:$SIM_MERCHANT_SECRET"
    --var "INTENT_SECRET:$INTENT_SECRET"
    # The simulator's test numbers are reused all day: the hourly cap per phone is opened wide
    # (the cooldown stays, so PHONE_BUSY can be seen by paying twice in a row).
    --var "PHONE_MAX_PER_HOUR:1000"
  )
  mode="the simulator (http://$HOST:$SIM_PORT; its webhooks come back to the Worker, signed events go to http://$HOST:$SIM_PORT/dev/merchant)"
fi
# DEV_TURNSTILE=1: the proxy requires Turnstile and the demo shows the widget, with Cloudflare's
# published test keys (always pass). With the simulator both the widget and siteverify are its
# offline stand-ins; with PalPluss they are Cloudflare's own (internet needed).
if [[ "${DEV_TURNSTILE:-}" == 1 ]]; then
  export TURNSTILE_SITE_KEY=1x00000000000000000000AA
  args+=(--var "TURNSTILE_SECRET:1x0000000000000000000000000000000AA")
  if [[ $mode != PalPluss ]]; then
    export TURNSTILE_SCRIPT_URL="http://$HOST:$SIM_PORT/turnstile/v0/api.js"
    args+=(--var "TURNSTILE_VERIFY_URL:http://$HOST:$SIM_PORT/turnstile/v0/siteverify")
  fi
fi
# The demo checkout's origin may call the proxy (unless .dev.vars says otherwise).
if ! grep -qs '^ALLOWED_ORIGINS=' .dev.vars; then
  args+=(--var "ALLOWED_ORIGINS:http://$HOST:$WWW_PORT,http://localhost:$WWW_PORT")
fi
# DEV_PERSIST_TO: where wrangler keeps this session's Durable Objects (default .wrangler/state).
if [[ -n "${DEV_PERSIST_TO:-}" ]]; then
  args+=(--persist-to "$DEV_PERSIST_TO")
fi
# DEV_IP_RATE_LIMIT: pushes per minute per client IP in this session (wrangler.toml says 10; every
# local request comes from one IP). The override is a copy of wrangler.toml with that one number.
if [[ -n "${DEV_IP_RATE_LIMIT:-}" ]]; then
  sed -E "s/^simple = \{ limit = [0-9]+,/simple = { limit = ${DEV_IP_RATE_LIMIT},/" wrangler.toml > wrangler.dev.toml
  args+=(--config wrangler.dev.toml)
fi
node_modules/.bin/wrangler "${args[@]}" &
pids+=($!)
node scripts/serve-www.mjs --host "$HOST" --port "$WWW_PORT" --proxy "http://$HOST:$DEV_PORT" &
pids+=($!)

for _ in $(seq 1 240); do
  # Up as soon as /health answers at all; a 503 says which variable is missing.
  if node -e 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) console.error("[dev] configuration incomplete:", await r.text()); process.exit(0) }, () => process.exit(1))' \
    "http://$HOST:$DEV_PORT/health"; then
    intent=""
    if [[ -n "${INTENT_SECRET:-}" ]]; then
      # A day-long intent for the printed command (the demo page signs a fresh one per load).
      intent=$(node -e 'const { signCheckoutIntent } = require("./src/node/server.cjs");
        process.stdout.write(", \"intent\": \"" + signCheckoutIntent({ amount: 100, accountReference: "INV-1", transactionDesc: "Test", expiresInSeconds: 86400 }, process.env.INTENT_SECRET) + "\"")')
    fi
    if [[ "${DEV_TURNSTILE:-}" == 1 ]]; then
      # The token Cloudflare's test site keys give (the test secret accepts it).
      intent="$intent, \"turnstileToken\": \"XXXX.DUMMY.TOKEN.XXXX\""
    fi
    cat <<MSG

[dev] ready: the payment proxy is on http://$HOST:$DEV_PORT, talking to $mode
[dev] the demo checkout is on http://$HOST:$WWW_PORT
[dev] try it:
  curl -s http://$HOST:$DEV_PORT/payments/stk -H 'content-type: application/json' \\
    -d '{"amount": 100, "phone": "0712 345 678", "accountReference": "INV-1", "transactionDesc": "Test"$intent}'
[dev] the answer has statusUrl and statusToken: curl -s "http://$HOST:$DEV_PORT/payments/{id}?token={statusToken}"
[dev] merchant events (verified signatures): curl -s http://$HOST:$SIM_PORT/dev/merchant
[dev] test numbers: 0700 001 032 cancelled, 0700 000 003 no webhook, 0700 000 666 lying webhook, 0700 000 429 banned: see README.md
[dev] Ctrl-C stops everything.

MSG
    break
  fi
  if ! kill -0 "${pids[@]}" 2>/dev/null; then echo "[dev] a server exited early" >&2; exit 1; fi
  sleep 0.5
done
wait -n "${pids[@]}"
