//! A checkout component for a Rust web app, on `palpluss_stk::client`, in plain web-sys (the same
//! calls fit a Leptos action, a Yew callback or a Dioxus event handler).
//!
//! It takes a page's `<form id="checkout" data-proxy="…">` with inputs named `amount` and `phone`,
//! a `<p id="checkout-status" role="status">`, and one `<small data-error-for="…">` per field
//! (examples/checkout.html): checks the form as the customer submits it (every field error in
//! place, nothing sent), pushes it, then shows each status until the final one.
//!
//! Build it beside the page; `make dev` serves examples/ at http://127.0.0.1:8080/example/ beside
//! the proxy the page names:
//!
//! ```text
//! cargo build --release --target wasm32-unknown-unknown --features client --example checkout
//! wasm-bindgen --target web --out-dir examples/rust \
//!     target/wasm32-unknown-unknown/release/examples/checkout.wasm
//! make dev    # then open http://127.0.0.1:8080/example/
//! ```
#![cfg(target_arch = "wasm32")]

use futures_util::StreamExt;
use palpluss_stk::client::{StkClient, StkError};
use palpluss_stk::{Locale, RawStkRequest, RawValue};
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, HtmlFormElement, HtmlInputElement};

/// Where the proxy is when the form does not say (`make dev` runs it here).
const PROXY: &str = "http://127.0.0.1:8787";

/// Mounts the checkout on the page's `#checkout` form, if there is one.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let Some(form) = document.get_element_by_id("checkout") else { return Ok(()) };
    let form: HtmlFormElement = form.dyn_into()?;
    let locale = match document.document_element().map(|html| html.get_attribute("lang")) {
        Some(Some(lang)) if lang.starts_with("sw") => Locale::Sw,
        _ => Locale::En,
    };
    let proxy = form.get_attribute("data-proxy").unwrap_or_else(|| PROXY.to_owned());
    mount(document, form, StkClient::new(proxy).with_locale(locale))
}

/// Checks and pays on every submit of `form`.
fn mount(document: Document, form: HtmlFormElement, client: StkClient) -> Result<(), JsValue> {
    let target = form.clone();
    let on_submit = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        event.prevent_default();
        let (document, form, client) = (document.clone(), target.clone(), client.clone());
        wasm_bindgen_futures::spawn_local(async move { pay(&document, &form, &client).await });
    });
    form.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref())?;
    // The listener lives as long as the page.
    on_submit.forget();
    Ok(())
}

/// One attempt: check, push, follow. Every outcome ends as a message for the customer.
async fn pay(document: &Document, form: &HtmlFormElement, client: &StkClient) {
    let status = document.get_element_by_id("checkout-status");
    let say = |text: &str| {
        if let Some(status) = &status {
            status.set_text_content(Some(text));
        }
    };
    show_field_errors(document, &[]);
    let raw = RawStkRequest {
        amount: RawValue::from(input(form, "amount")),
        phone: RawValue::from(input(form, "phone")),
        account_reference: "ORDER-1042".into(),
        transaction_desc: "Order 1042".into(),
        ..RawStkRequest::default()
    };
    let outcome = async {
        let form = client.validate(&raw)?;
        let accepted = client.push(&form).await?;
        let mut updates = client.wait_for_result(&accepted);
        while let Some(update) = updates.next().await {
            say(&update?.message);
        }
        Ok::<(), StkError>(())
    };
    if let Err(error) = outcome.await {
        if let StkError::Validation { fields, .. } = &error {
            let fields: Vec<_> = fields.iter().map(|f| (f.field().as_str(), f.message())).collect();
            show_field_errors(document, &fields);
        }
        say(error.message());
    }
}

/// The value of the form's input named `name` ("" when there is none).
fn input(form: &HtmlFormElement, name: &str) -> String {
    let element = form.elements().named_item(name);
    element.and_then(|e| e.dyn_into::<HtmlInputElement>().ok()).map(|i| i.value()).unwrap_or_default()
}

/// Writes each field's message into its `[data-error-for]` element and clears the others.
fn show_field_errors(document: &Document, errors: &[(&str, &str)]) {
    let Ok(slots) = document.query_selector_all("[data-error-for]") else { return };
    for i in 0..slots.length() {
        let Some(slot) = slots.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
        let field = slot.get_attribute("data-error-for").unwrap_or_default();
        let message = errors.iter().find(|(f, _)| *f == field).map(|(_, m)| *m);
        slot.set_text_content(message);
    }
}
