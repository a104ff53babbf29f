# palpluss-stk: the front door. `make test` installs what it needs (idempotently), builds and runs
# every test; `make build` builds the npm package into pkg/; `make size` prints the browser budget.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

WASM_BINDGEN_VERSION := 0.2.130
WORKER_BUILD_VERSION := 0.8.7
export PATH := $(HOME)/.cargo/bin:$(PATH)
WASM_TARGET := wasm32-unknown-unknown
# The wasm tests: an optimised build (profile wasm-test), and a whole-run limit for the browser
# runner far above what a busy 2-core machine needs (its default, 20 s, is not).
WASM_RUNNER := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner WASM_BINDGEN_TEST_TIMEOUT=900
WASM_TEST := $(WASM_RUNNER) cargo test --profile wasm-test --target $(WASM_TARGET) --features browser,tiny-allocator
WASM_TEST_CHECKOUT := $(WASM_RUNNER) cargo test --profile wasm-test --target $(WASM_TARGET) --features checkout,tiny-allocator
FUZZ_SECONDS ?= 60
# libphonenumber's metadata and carrier map, as Python's phonenumbers ships them (make update-phone-data).
PHONENUMBERS_VERSION := 9.0.43

.PHONY: help tools py-webhooks build worker dev test test-native test-wasm test-client test-js lint size fuzz soak bench clean update-phone-data
export WRANGLER_SEND_METRICS := false
export DO_NOT_TRACK := 1
export WRANGLER_HIDE_BANNER := true
export CLOUDFLARE_CF_FETCH_ENABLED := false

help:
	@echo "make dev     the Worker (wrangler dev, 127.0.0.1:8787) against the PalPluss simulator (127.0.0.1:8788)"
	@echo "make test    install tools, build, run every test (native, wasm in Node and Chromium, the Rust client, npm package, Worker)"
	@echo "make build   build the Worker into build/ and the npm package (with that Worker) into pkg/"
	@echo "make size    browser entry and Worker upload sizes"
	@echo "make soak    5 minutes of 200 customers paying at once (the whole lifecycle) plus hostile traffic,"
	@echo "             then the key's health under an attack of cancels (about 11 minutes more)"
	@echo "make bench   size and speed beside libphonenumber-js, zod and plain JS (table + out/bench/results.json),"
	@echo "             and the Worker per request beside a plain-JavaScript Worker (out/bench/per-request.json,"
	@echo "             over HTTP; out/bench/own-work.json, its own work in one isolate)"
	@echo "make fuzz    fuzz the phone parser and the validators for FUZZ_SECONDS (default 60) each"
	@echo "make update-phone-data  regenerate src/rules/phone_data.rs from libphonenumber's metadata (PHONENUMBERS_VERSION)"

## tools: everything the build and the tests need, skipped when already present.
tools: node_modules/.installed py-webhooks
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@if [[ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 10 minutes, once)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if [[ "$$(worker-build --version 2>/dev/null)" != "$(WORKER_BUILD_VERSION)" ]]; then \
	  echo "installing worker-build $(WORKER_BUILD_VERSION) (about 10 minutes, once)"; \
	  cargo install worker-build --version $(WORKER_BUILD_VERSION) --locked; \
	fi
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  echo "installing Debian's chromium and chromium-driver"; \
	  SUDO=$$([[ $$(id -u) == 0 ]] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

## The Python Standard Webhooks library the webhook tests verify real events with (PyPI).
PY_WEBHOOKS := target/py-webhooks/bin/python
STANDARDWEBHOOKS_PY_VERSION := 1.1.0
py-webhooks:
	@[[ -x $(PY_WEBHOOKS) ]] || python3 -m venv target/py-webhooks
	@$(PY_WEBHOOKS) -c 'import importlib.metadata as m; assert m.version("standardwebhooks") == "$(STANDARDWEBHOOKS_PY_VERSION)"' 2>/dev/null || \
	  target/py-webhooks/bin/pip install --quiet --disable-pip-version-check standardwebhooks==$(STANDARDWEBHOOKS_PY_VERSION)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build: tools
	scripts/build-pkg.sh
	scripts/build-worker.sh
	scripts/package-worker.sh

worker: tools
	scripts/build-worker.sh
	scripts/package-worker.sh

dev: build
	scripts/dev.sh

test: build lint test-native test-wasm test-client test-js
	@echo "all tests passed"

lint:
	node scripts/check-architecture.mjs
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --all-targets --target $(WASM_TARGET) --features browser,tiny-allocator -- -D warnings
	cargo clippy --quiet --lib --target $(WASM_TARGET) --features abort-on-panic -- -D warnings
	cargo clippy --quiet --lib --target $(WASM_TARGET) --features checkout,abort-on-panic -- -D warnings
	cargo clippy --quiet --all-targets --target $(WASM_TARGET) --features checkout,tiny-allocator -- -D warnings
	cargo clippy --quiet --target $(WASM_TARGET) --features worker -- -D warnings
	cargo clippy --quiet --all-targets --features client -- -D warnings
	cargo clippy --quiet --all-targets --target $(WASM_TARGET) --features client -- -D warnings

# With `client`: its decisions and its behaviour off wasm32 are tested natively (the feature only
# adds that module).
test-native:
	cargo test --quiet --features client

test-wasm: tools
	$(WASM_TEST) --test node
	CHROMEDRIVER=$$(command -v chromedriver) $(WASM_TEST) --test browser
	CHROMEDRIVER=$$(command -v chromedriver) $(WASM_TEST_CHECKOUT) --test checkout

## test-client: the Rust client (feature `client`) in headless Chromium against the built Worker and
## the simulator (scripts/test-client.mjs starts them), and its example built for the browser.
test-client: build
	cargo build --quiet --profile wasm-test --target $(WASM_TARGET) --features client --example checkout
	CHROMEDRIVER=$$(command -v chromedriver) node scripts/test-client.mjs

test-js: build
	node --test --test-concurrency=1 tests/js/

size: build
	@scripts/size.sh
	@node_modules/.bin/wrangler deploy --dry-run --outdir target/deploy-dry-run 2>&1 | grep "Total Upload"

soak: build
	node scripts/soak.mjs
	node scripts/soak-health.mjs

bench: build
	node bench/run.mjs
	node bench/boundary.mjs
	node bench/guard.mjs
	node bench/csv.mjs
	node bench/per-request.mjs
	node bench/own-work.mjs
	node bench/crossings.mjs

fuzz: tools
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cd fuzz && for target in phone validate; do \
	  cargo +nightly fuzz run $$target -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096; \
	done

## update-phone-data: the KE ranges and network hint from libphonenumber's data, written as Rust.
update-phone-data:
	@[[ -x target/phone-data-venv/bin/python ]] || python3 -m venv target/phone-data-venv
	target/phone-data-venv/bin/pip install --quiet --disable-pip-version-check phonenumbers==$(PHONENUMBERS_VERSION)
	target/phone-data-venv/bin/python scripts/update-phone-data.py
	rustfmt --edition 2021 src/rules/phone_data.rs

clean:
	cargo clean
	rm -rf pkg/node pkg/web pkg/bundler pkg/workerd pkg/checkout pkg/worker pkg/dev build .wrangler fuzz/target
