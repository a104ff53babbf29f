//! The JS bindings under Node (wasm-bindgen-test-runner's default environment).
#![cfg(target_arch = "wasm32")]

#[path = "common/bindings.rs"]
mod bindings;
