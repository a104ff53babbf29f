//! The JS bindings under Node (wasm-bindgen-test-runner's default environment).
#![cfg(all(target_arch = "wasm32", feature = "browser"))]

#[path = "common/bindings.rs"]
mod bindings;
