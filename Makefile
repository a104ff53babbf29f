# palpluss-stk: the front door. `make test` installs what it needs (idempotently), builds and runs
# every test; `make build` builds the npm package into pkg/; `make size` prints the browser budget.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

WASM_BINDGEN_VERSION := 0.2.130
export PATH := $(HOME)/.cargo/bin:$(PATH)
WASM_TARGET := wasm32-unknown-unknown
WASM_TEST := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	cargo test --target $(WASM_TARGET) --features browser,tiny-allocator
FUZZ_SECONDS ?= 60

.PHONY: help tools build test test-native test-wasm test-js lint size fuzz clean

help:
	@echo "make test    install tools, build, run every test (native, wasm in Node and Chromium, npm package)"
	@echo "make build   build the npm package into pkg/"
	@echo "make size    browser entry size (wasm + JS glue), raw and gzip -9"
	@echo "make fuzz    fuzz the phone parser and the validators for FUZZ_SECONDS (default 60) each"

## tools: everything the build and the tests need, skipped when already present.
tools: node_modules/.installed
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@if [[ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 10 minutes, once)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  echo "installing Debian's chromium and chromium-driver"; \
	  SUDO=$$([[ $$(id -u) == 0 ]] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build: tools
	scripts/build-pkg.sh

test: build lint test-native test-wasm test-js
	@echo "all tests passed"

lint:
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --all-targets --target $(WASM_TARGET) --features browser,tiny-allocator -- -D warnings

test-native:
	cargo test --quiet

test-wasm: tools
	$(WASM_TEST) --test node
	CHROMEDRIVER=$$(command -v chromedriver) $(WASM_TEST) --test browser

test-js: build
	node --test tests/js/

size: build
	@scripts/size.sh

fuzz: tools
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cd fuzz && for target in phone validate; do \
	  cargo +nightly fuzz run $$target -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096; \
	done

clean:
	cargo clean
	rm -rf pkg/node pkg/web pkg/bundler fuzz/target
