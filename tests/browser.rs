//! The JS bindings in headless Chromium.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/bindings.rs"]
mod bindings;
