//! `StkClient.waitForResult`: how a payment ended, from the proxy's status routes (feature
//! `checkout`). It follows `GET /payments/{id}/events` (SSE) and falls back to polling
//! `GET /payments/{id}` every 3 s when the stream fails; it gives up after 5 minutes.
//!
//! The browser APIs are reached through `js-sys` (`EventSource`, `setTimeout`): a handful of
//! dynamic calls cost less wasm than typed bindings for each.

#[allow(unused_imports)]
use crate::prelude::*;
use js_sys::{Array, Function, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::client_config::{stk_error, ClientConfig};
use super::http::fetch;
use crate::rules::notice::Notice;
use crate::rules::text::join;

/// How long to wait for a final status (the proxy stops polling PalPluss after 5 minutes too).
const WAIT_MS: f64 = 300_000.0;
/// How often to ask when the stream is not available.
const POLL_MS: i32 = 3_000;

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn is_final(payment: &JsValue) -> bool {
    get(payment, "final") == JsValue::TRUE
}

/// Where to follow a transaction: `(statusUrl, statusToken)`, both as the push answer gave them.
pub(crate) fn status_route(transaction: &JsValue) -> Option<(String, String)> {
    let url = get(transaction, "statusUrl").as_string().filter(|u| u.starts_with("/payments/"))?;
    let token = get(transaction, "statusToken").as_string()?;
    let safe = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'));
    (safe(&url) && safe(&token) && !token.is_empty()).then_some((url, token))
}

/// Waits for the final payment; see the module docs. `on_update` gets every status seen.
pub(crate) async fn wait_for_result(
    config: ClientConfig,
    transaction: JsValue,
    signal: JsValue,
    on_update: JsValue,
) -> Result<JsValue, JsValue> {
    let Some((path, token)) = status_route(&transaction) else {
        let error = js_sys::Error::new(
            "waitForResult needs the transaction requestPayment resolved with (statusUrl and statusToken).",
        );
        error.set_name("TypeError");
        return Err(error.into());
    };
    let deadline = js_sys::Date::now() + WAIT_MS;
    let aborted = || get(&signal, "aborted") == JsValue::TRUE;
    let mut last_status = JsValue::UNDEFINED;
    let mut tell = |payment: &JsValue| {
        let status = get(payment, "status");
        if status != last_status {
            last_status = status;
            if let Some(callback) = on_update.dyn_ref::<Function>() {
                let _ = callback.call1(&JsValue::UNDEFINED, payment);
            }
        }
    };
    let base = join(&[config.base_url.as_str(), &path]);
    // The payment's message in the client's language (`lang`: an EventSource cannot send headers).
    let l = config.locale();
    let lang = l.as_str();

    // The stream first: every change at once.
    let events = join(&[base.as_str(), "/events?token=", &token, "&lang=", lang]);
    let base = join(&[base.as_str(), "?lang=", lang]);
    if let Some(payment) = follow_stream(&events, &signal, deadline, &mut tell).await {
        return Ok(payment);
    }
    // Then polling, until a final status, the deadline or the signal.
    let authorization = join(&["Bearer ", &token]);
    loop {
        if aborted() {
            return Err(stk_error("StkAbortError", "abort", "ABORTED", Notice::WaitAborted.message(l)).into());
        }
        if js_sys::Date::now() >= deadline {
            return Err(stk_error("StkTimeoutError", "timeout", "TIMEOUT", Notice::WaitTimeout.message(l)).into());
        }
        let headers = [("Authorization", authorization.as_str()), ("Accept", "application/json")];
        if let Ok(response) = fetch("GET", &base, &headers, None, None).await {
            let status = response.status();
            let json = response.body_text().await.ok().and_then(|t| JSON::parse(&t).ok()).unwrap_or(JsValue::UNDEFINED);
            if status == 404 {
                // The proxy no longer knows it (retention), or never did: asking again will not help.
                let e = stk_error("StkApiError", "api", "PAYMENT_NOT_FOUND", Notice::PaymentNotFound.message(l));
                let _ = Reflect::set(&e, &"httpStatus".into(), &JsValue::from(404));
                return Err(e.into());
            }
            let payment = get(&json, "data");
            if status == 200 && payment.is_object() {
                tell(&payment);
                if is_final(&payment) {
                    return Ok(payment);
                }
            }
        }
        sleep(POLL_MS, &signal).await;
    }
}

/// Follows the SSE stream: the final payment, or `None` when the stream fails or closes first (or
/// the signal fires).
async fn follow_stream(url: &str, signal: &JsValue, deadline: f64, tell: &mut impl FnMut(&JsValue)) -> Option<JsValue> {
    let constructor: Function = get(&js_sys::global(), "EventSource").dyn_into().ok()?;
    let source = Reflect::construct(&constructor, &Array::of1(&JsValue::from_str(url))).ok()?;
    let close = {
        let source = source.clone();
        move || {
            if let Ok(close) = get(&source, "close").dyn_into::<Function>() {
                let _ = close.call0(&source);
            }
        }
    };
    // Each event is handed over through a promise that the listeners settle; the loop below reads
    // them one at a time, so `tell` runs here, not inside a JS callback.
    loop {
        let next = Promise::new(&mut |resolve, _| {
            let on_status = resolve.clone();
            let once = |f: Function| Closure::once_into_js(move |event: JsValue| f.call1(&JsValue::UNDEFINED, &event));
            let add = |target: &JsValue, kind: &str, listener: JsValue| {
                if let Ok(add) = get(target, "addEventListener").dyn_into::<Function>() {
                    let options = js_sys::Object::new();
                    let _ = Reflect::set(&options, &"once".into(), &JsValue::TRUE);
                    let _ = add.call3(target, &JsValue::from_str(kind), &listener, &options);
                }
            };
            add(&source, "status", once(on_status));
            add(&source, "error", once(resolve.clone()));
            add(signal, "abort", once(resolve.clone()));
            // A stream that goes quiet still ends at the deadline.
            set_timeout(&resolve, (deadline - js_sys::Date::now()).max(0.0) as i32);
        });
        let event = JsFuture::from(next).await.ok()?;
        let data = get(&event, "data").as_string();
        let payment = match data.and_then(|d| JSON::parse(&d).ok()) {
            Some(payment) if payment.is_object() && get(&event, "type").as_string().as_deref() == Some("status") => {
                payment
            }
            // An error event, the signal, or an event that is not a payment.
            _ => {
                close();
                return None;
            }
        };
        tell(&payment);
        if is_final(&payment) {
            close();
            return Some(payment);
        }
    }
}

/// `setTimeout(callback, ms)`.
fn set_timeout(callback: &Function, ms: i32) {
    let global = js_sys::global();
    if let Ok(set_timeout) = get(&global, "setTimeout").dyn_into::<Function>() {
        let _ = set_timeout.call2(&global, callback, &JsValue::from(ms));
    }
}

/// Waits `ms`, or less when the signal fires.
async fn sleep(ms: i32, signal: &JsValue) {
    let timer = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
        if let Ok(add) = get(signal, "addEventListener").dyn_into::<Function>() {
            let _ = add.call2(signal, &JsValue::from_str("abort"), &resolve);
        }
    });
    let _ = JsFuture::from(timer).await;
}
