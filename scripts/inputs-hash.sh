#!/usr/bin/env bash
# Prints one hash of everything a wasm build reads: the crate's sources and manifests, the calling
# build script, and the versions of the tools it runs. The build scripts skip their work when the
# hash equals the one recorded by their last complete build (so `make dev` builds once, not twice,
# and a warm start is quick), and rebuild when any source changed.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  find src Cargo.toml Cargo.lock package-lock.json "$@" -type f -print0 | sort -z | xargs -0 sha256sum
  wasm-bindgen --version 2>/dev/null || true
  worker-build --version 2>/dev/null || true
  rustc --version
} | sha256sum | cut -d' ' -f1
