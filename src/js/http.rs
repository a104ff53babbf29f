//! The checkout's two requests (a push, a status poll) over the platform's `fetch`, directly: the
//! few calls the client needs, without an HTTP library (gloo-net needed std, which the checkout
//! build does without, as the validators build does).

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::values::{set, static_js};

#[wasm_bindgen]
extern "C" {
    /// A `Request` (its constructor throws on a malformed URL).
    type FetchRequest;
    #[wasm_bindgen(constructor, js_class = "Request", catch)]
    fn new(url: &str, init: &Object) -> Result<FetchRequest, JsValue>;

    /// The global `fetch` (a window's or a worker's), given one `Request`, as the platform's own
    /// fetch wrappers and a page's test stubs expect.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(request: &FetchRequest) -> Result<Promise, JsValue>;

    /// What `fetch` resolves with.
    pub(crate) type FetchResponse;
    /// The HTTP status.
    #[wasm_bindgen(method, getter)]
    pub(crate) fn status(this: &FetchResponse) -> u16;
    #[wasm_bindgen(method, catch)]
    fn text(this: &FetchResponse) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn headers(this: &FetchResponse) -> FetchHeaders;

    type FetchHeaders;
    #[wasm_bindgen(method, catch, js_name = get)]
    fn get_header(this: &FetchHeaders, name: &str) -> Result<Option<String>, JsValue>;
}

/// Sends one request. Fails with what `fetch` rejected with (a `TypeError` for the network, the
/// signal's reason for an abort or a timeout).
pub(crate) async fn fetch(
    method: &'static str,
    url: &str,
    headers: &[(&'static str, &str)],
    body: Option<&str>,
    signal: Option<&JsValue>,
) -> Result<FetchResponse, JsValue> {
    let init = Object::new();
    set(&init, "method", &static_js(method));
    let header_object = Object::new();
    for (name, value) in headers {
        set(&header_object, name, &JsValue::from_str(value));
    }
    set(&init, "headers", &header_object);
    if let Some(body) = body {
        set(&init, "body", &JsValue::from_str(body));
    }
    if let Some(signal) = signal {
        set(&init, "signal", signal);
    }
    let response = JsFuture::from(global_fetch(&FetchRequest::new(url, &init)?)?).await?;
    Ok(response.unchecked_into())
}

impl FetchResponse {
    /// The body as text.
    pub(crate) async fn body_text(&self) -> Result<String, JsValue> {
        let text = JsFuture::from(self.text()?).await?;
        Ok(text.as_string().unwrap_or_default())
    }

    /// A header's value, if the answer has it.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers().get_header(name).ok().flatten()
    }
}

/// Whether a failure was the abort signal firing (`AbortSignal.timeout` rejects with a
/// `TimeoutError`, an abort with an `AbortError`).
pub(crate) fn is_abort(error: &JsValue) -> bool {
    let name = Reflect::get(error, &static_js("name")).ok().and_then(|n| n.as_string());
    matches!(name.as_deref(), Some("TimeoutError" | "AbortError"))
}
