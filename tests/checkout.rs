//! StkClient and attachCheckoutForm in headless Chromium, with `fetch` replaced by a scripted
//! stand-in that records every request (so "no request at all" is checked, not assumed).
#![cfg(all(target_arch = "wasm32", feature = "checkout"))]

use js_sys::{Function, Promise, Reflect};
use palpluss_stk::js::{attach_checkout_form, StkClient};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn js(source: &str) -> JsValue {
    Function::new_no_args(&format!("return ({source});")).call0(&JsValue::UNDEFINED).expect(source)
}

fn get(target: &JsValue, path: &str) -> JsValue {
    path.split('.')
        .fold(target.clone(), |v, key| Reflect::get(&v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED))
}

fn text(target: &JsValue, path: &str) -> String {
    get(target, path).as_string().unwrap_or_else(|| panic!("{path} is not a string"))
}

/// Replaces `fetch`: `respond` is the body of `(request) => ...` for this test.
fn stub_fetch(respond: &str) {
    js(&format!(
        r#"(() => {{
            globalThis.__calls = [];
            globalThis.fetch = async (request) => {{
                const body = await request.clone().text();
                globalThis.__calls.push({{ url: request.url, method: request.method, body, type: request.headers.get("content-type"), key: request.headers.get("idempotency-key"), auth: request.headers.get("authorization"), lang: request.headers.get("accept-language") }});
                return ((request) => {respond})(request);
            }};
        }})()"#
    ));
}

fn calls() -> u32 {
    js("globalThis.__calls.length").as_f64().unwrap_or(-1.0) as u32
}

async fn sleep(ms: u32) {
    JsFuture::from(js(&format!("new Promise((r) => setTimeout(r, {ms}))")).unchecked_into::<Promise>()).await.unwrap();
}

/// Waits until the JS `condition` holds: a busy machine is slow, not broken (the limit only stops
/// a test that would otherwise hang).
async fn until(condition: &str) {
    for _ in 0..6000 {
        if js(condition) == JsValue::TRUE {
            return;
        }
        sleep(10).await;
    }
    panic!("gave up waiting for {condition}");
}

fn client(options: &str) -> StkClient {
    StkClient::new(js(options).unchecked_into()).expect("valid options")
}

async fn pay(client: &StkClient, form: &str) -> Result<JsValue, JsValue> {
    JsFuture::from(client.request_payment(js(form))).await
}

const GOOD: &str =
    r#"{ amount: "1500", phone: "0712 345 678", accountReference: "INV-1", transactionDesc: "Order 1" }"#;
const PENDING: &str = r#"Response.json({ success: true, data: { transactionId: "tx-1", status: "PENDING", amount: 1500, phone: "254712345678" }, requestId: "r-1" })"#;

fn api(status: u16, body: &str, headers: &str) -> String {
    format!("new Response(JSON.stringify({body}), {{ status: {status}, headers: {{ 'content-type': 'application/json', {headers} }} }})")
}

#[wasm_bindgen_test]
async fn a_valid_checkout_is_posted_normalised_and_resolves_to_the_pending_transaction() {
    stub_fetch(PENDING);
    let tx = pay(&client(r#"{ baseUrl: "https://pay.example/" }"#), GOOD).await.expect("resolves");
    assert_eq!(text(&tx, "transactionId"), "tx-1");
    assert_eq!(text(&tx, "status"), "PENDING");
    assert_eq!(calls(), 1);
    let call = js("globalThis.__calls[0]");
    assert_eq!(text(&call, "url"), "https://pay.example/payments/stk");
    assert_eq!(text(&call, "method"), "POST");
    assert_eq!(text(&call, "type"), "application/json");
    assert_eq!(
        text(&call, "body"),
        r#"{"amount":1500,"phone":"254712345678","accountReference":"INV-1","transactionDesc":"Order 1"}"#
    );
}

#[wasm_bindgen_test]
async fn an_invalid_checkout_rejects_with_every_field_and_sends_nothing() {
    stub_fetch(PENDING);
    let c = client(r#"{ baseUrl: "" }"#);
    let error =
        pay(&c, r#"{ amount: 0, phone: "0712", accountReference: "", transactionDesc: "x" }"#).await.unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(text(&error, "name"), "StkValidationError");
    assert_eq!(text(&error, "kind"), "validation");
    assert_eq!(text(&error, "code"), "VALIDATION_FAILED");
    let fields: Vec<String> = js_sys::Array::from(&get(&error, "fields")).iter().map(|f| text(&f, "code")).collect();
    assert_eq!(fields, ["AMOUNT_TOO_SMALL", "PHONE_TOO_SHORT", "REQUIRED"]);
    let sneaky = pay(
        &c,
        r#"{ amount: 1, phone: "0712345678", accountReference: "A", transactionDesc: "B", callbackUrl: "https://evil.example" }"#,
    );
    assert_eq!(text(&sneaky.await.unwrap_err(), "fields.0.code"), "FIELD_NOT_ALLOWED");
    assert_eq!(text(&pay(&c, "42").await.unwrap_err(), "fields.0.code"), "NOT_AN_OBJECT");
    assert_eq!(calls(), 0, "no request at all");
}

#[wasm_bindgen_test]
async fn api_errors_carry_status_code_details_and_request_id() {
    let c = client(r#"{ baseUrl: "https://pay.example" }"#);
    stub_fetch(&api(
        400,
        r#"{ success: false, error: { code: "INVALID_PHONE", message: "Phone format not recognized." }, requestId: "r-2" }"#,
        "",
    ));
    let e = pay(&c, GOOD).await.unwrap_err();
    assert_eq!(
        (text(&e, "name").as_str(), text(&e, "kind").as_str(), text(&e, "code").as_str()),
        ("StkApiError", "api", "INVALID_PHONE")
    );
    assert_eq!(get(&e, "httpStatus").as_f64(), Some(400.0));
    assert_eq!(text(&e, "requestId"), "r-2");
    assert_eq!(text(&e, "apiMessage"), "Phone format not recognized.");
    assert!(text(&e, "message").contains("M-Pesa did not accept"));

    stub_fetch(&api(
        500,
        r#"{ success: false, error: { code: "INTERNAL_ERROR", message: "boom", details: { a: 1 } }, requestId: "r-3" }"#,
        "",
    ));
    let e = pay(&c, GOOD).await.unwrap_err();
    assert_eq!(get(&e, "httpStatus").as_f64(), Some(500.0));
    assert_eq!(get(&e, "details.a").as_f64(), Some(1.0));
    assert!(text(&e, "message").contains("unavailable"));

    stub_fetch(
        r#"new Response("<html>Bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } })"#,
    );
    let e = pay(&c, GOOD).await.unwrap_err();
    assert_eq!(text(&e, "code"), "HTTP_502");
    assert_eq!(text(&e, "kind"), "api");

    let fields = r#"{ success: false, error: { code: "VALIDATION_FAILED", message: "m", details: { fields: [{ field: "phone", code: "PHONE_NOT_MOBILE", message: "Not mobile." }] } }, requestId: "r-4" }"#;
    stub_fetch(&api(400, fields, ""));
    let e = pay(&c, GOOD).await.unwrap_err();
    assert_eq!(text(&e, "kind"), "validation");
    assert_eq!(text(&e, "fields.0.code"), "PHONE_NOT_MOBILE");
    assert_eq!(text(&e, "requestId"), "r-4");
}

#[wasm_bindgen_test]
async fn rate_limits_say_how_long_to_wait() {
    let c = client(r#"{ baseUrl: "https://pay.example" }"#);
    let banned = r#"{ success: false, error: { code: "STK_TEMP_BANNED", message: "Banned", details: { retryAfterSeconds: 3600 } }, requestId: "r" }"#;
    stub_fetch(&api(429, banned, "'retry-after': '120'"));
    let e = pay(&c, GOOD).await.unwrap_err();
    assert_eq!((text(&e, "name").as_str(), text(&e, "kind").as_str()), ("StkRateLimitError", "rate_limit"));
    assert_eq!(get(&e, "retryAfter").as_f64(), Some(120.0), "the header wins");
    assert_eq!(get(&e, "httpStatus").as_f64(), Some(429.0));
    assert!(text(&e, "message").contains("2 minutes"), "{}", text(&e, "message"));
    // The key's ban is nobody's attempts: M-Pesa prompts are paused. Other 429s are attempts.
    assert!(text(&e, "message").starts_with("Payments by M-Pesa prompt are paused"), "{}", text(&e, "message"));
    let limited = r#"{ success: false, error: { code: "RATE_LIMITED", message: "x" }, requestId: "r" }"#;
    stub_fetch(&api(429, limited, "'retry-after': '30'"));
    let e = pay(&c, GOOD).await.unwrap_err();
    assert!(text(&e, "message").starts_with("Too many payment attempts"), "{}", text(&e, "message"));
    stub_fetch(&api(429, banned, ""));
    let e = pay(&c, GOOD).await.unwrap_err();
    assert_eq!(get(&e, "retryAfter").as_f64(), Some(3600.0));
    assert!(text(&e, "message").contains("60 minutes"), "{}", text(&e, "message"));
    // Part of a second is a whole second more; a time already past is no wait at all.
    let fraction = banned.replace("3600", "90.2");
    stub_fetch(&api(429, &fraction, ""));
    assert_eq!(get(&pay(&c, GOOD).await.unwrap_err(), "retryAfter").as_f64(), Some(91.0));
    stub_fetch(&api(429, banned, "'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT'"));
    assert_eq!(get(&pay(&c, GOOD).await.unwrap_err(), "retryAfter").as_f64(), Some(0.0));
}

#[wasm_bindgen_test]
async fn network_failures_and_timeouts_are_told_apart() {
    stub_fetch(r#"Promise.reject(new TypeError("Failed to fetch"))"#);
    let e = pay(&client(r#"{ baseUrl: "https://pay.example" }"#), GOOD).await.unwrap_err();
    assert_eq!((text(&e, "name").as_str(), text(&e, "code").as_str()), ("StkNetworkError", "NETWORK_ERROR"));
    stub_fetch(
        r#"new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)))"#,
    );
    let e = pay(&client(r#"{ baseUrl: "https://pay.example", timeoutMs: 50 }"#), GOOD).await.unwrap_err();
    assert_eq!((text(&e, "name").as_str(), text(&e, "code").as_str()), ("StkTimeoutError", "TIMEOUT"));
    assert!(text(&e, "message").contains("Check your phone"));
}

#[wasm_bindgen_test]
async fn every_push_has_its_own_idempotency_key_and_a_network_error_is_retried_once_with_it() {
    stub_fetch(PENDING);
    let c = client(r#"{ baseUrl: "https://pay.example" }"#);
    pay(&c, GOOD).await.expect("resolves");
    pay(&c, GOOD).await.expect("resolves");
    let (first, second) = (text(&js("globalThis.__calls[0]"), "key"), text(&js("globalThis.__calls[1]"), "key"));
    assert_eq!(first.len(), 36, "a UUID: {first}");
    assert_ne!(first, second, "a fresh key per payment");
    // The connection drops once: the same push again, with the same key (the proxy replays it).
    stub_fetch(&format!(
        r#"globalThis.__calls.length === 1 ? Promise.reject(new TypeError("Failed to fetch")) : {PENDING}"#
    ));
    let tx = pay(&c, GOOD).await.expect("the retry succeeds");
    assert_eq!(text(&tx, "transactionId"), "tx-1");
    assert_eq!(calls(), 2);
    assert_eq!(text(&js("globalThis.__calls[0]"), "key"), text(&js("globalThis.__calls[1]"), "key"));
    // Twice: no third try.
    stub_fetch(r#"Promise.reject(new TypeError("Failed to fetch"))"#);
    let e = pay(&c, GOOD).await.unwrap_err();
    assert_eq!(text(&e, "code"), "NETWORK_ERROR");
    assert_eq!(calls(), 2);
    // A timeout is not retried: the push may be on its way.
    stub_fetch(
        r#"new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)))"#,
    );
    let e = pay(&client(r#"{ baseUrl: "https://pay.example", timeoutMs: 50 }"#), GOOD).await.unwrap_err();
    assert_eq!(text(&e, "code"), "TIMEOUT");
    assert_eq!(calls(), 1);
}

/// Replaces `EventSource` with one the test drives: `__sources[i].emit(type, data)`.
fn stub_event_source() {
    js(r#"(() => {
        globalThis.__sources = [];
        globalThis.EventSource = class {
            constructor(url) { this.url = url; this.listeners = {}; this.closed = false; __sources.push(this); }
            addEventListener(type, f) { (this.listeners[type] ??= []).push(f); }
            emit(type, data) { const fs = this.listeners[type] ?? []; this.listeners[type] = []; for (const f of fs) f({ type, data }); }
            close() { this.closed = true; }
        };
    })()"#);
}

const TRANSACTION: &str =
    r#"{ transactionId: "tx-1", status: "PENDING", statusUrl: "/payments/tx-1", statusToken: "tok_A-1" }"#;

fn payment(status: &str, is_final: bool) -> String {
    format!(
        r#"JSON.stringify({{ transactionId: "tx-1", status: "{status}", final: {is_final}, confirmed: true, message: "m-{status}", mpesaReceipt: null }})"#
    )
}

fn wait(c: &StkClient, options: &str) -> JsFuture {
    JsFuture::from(c.wait_for_result(js(TRANSACTION), Some(js(options).unchecked_into())))
}

#[wasm_bindgen_test]
async fn wait_for_result_follows_the_stream_to_the_final_payment() {
    stub_event_source();
    stub_fetch(PENDING);
    js("globalThis.__updates = []");
    let c = client(r#"{ baseUrl: "https://pay.example" }"#);
    let result = wait(&c, "{ onUpdate: (p) => __updates.push(p.status) }");
    sleep(20).await;
    assert_eq!(text(&js("__sources[0]"), "url"), "https://pay.example/payments/tx-1/events?token=tok_A-1&lang=en");
    js(&format!("__sources[0].emit('status', {})", payment("PENDING", false)));
    sleep(20).await;
    js(&format!("__sources[0].emit('status', {})", payment("SUCCESS", true)));
    let paid = result.await.expect("resolves");
    assert_eq!(text(&paid, "status"), "SUCCESS");
    assert_eq!(get(&paid, "final"), JsValue::TRUE);
    assert_eq!(js("__updates.join()").as_string().unwrap(), "PENDING,SUCCESS");
    assert_eq!(get(&js("__sources[0]"), "closed"), JsValue::TRUE);
    assert_eq!(calls(), 0, "no polling while the stream works");
}

#[wasm_bindgen_test]
async fn wait_for_result_polls_when_the_stream_fails() {
    stub_event_source();
    let pending = format!("new Response(`{{\"success\":true,\"data\":${{{}}}}}`)", payment("PENDING", false));
    let paid = format!("new Response(`{{\"success\":true,\"data\":${{{}}}}}`)", payment("SUCCESS", true));
    stub_fetch(&format!("globalThis.__calls.length === 1 ? {pending} : {paid}"));
    let c = client(r#"{ baseUrl: "https://pay.example" }"#);
    let result = wait(&c, "{}");
    sleep(20).await;
    js("__sources[0].emit('error', undefined)");
    // One poll at once, the next 3 s later.
    let done = result.await.expect("resolves by polling");
    assert_eq!(text(&done, "status"), "SUCCESS");
    assert_eq!(calls(), 2);
    let call = js("globalThis.__calls[0]");
    assert_eq!(text(&call, "url"), "https://pay.example/payments/tx-1?lang=en");
    assert_eq!(text(&call, "method"), "GET");
    assert_eq!(text(&call, "auth"), "Bearer tok_A-1");
}

#[wasm_bindgen_test]
async fn wait_for_result_stops_on_abort_and_on_an_unknown_payment() {
    stub_event_source();
    stub_fetch(&api(404, r#"{ success: false, error: { code: "PAYMENT_NOT_FOUND", message: "no" } }"#, ""));
    let c = client(r#"{ baseUrl: "https://pay.example" }"#);
    js("globalThis.__abort = new AbortController()");
    let result = wait(&c, "{ signal: __abort.signal }");
    sleep(20).await;
    js("__abort.abort()");
    let e = result.await.unwrap_err();
    assert_eq!((text(&e, "name").as_str(), text(&e, "kind").as_str()), ("StkAbortError", "abort"));
    assert_eq!(calls(), 0);
    // The stream fails and the proxy does not know the payment: no point asking again.
    let result = wait(&c, "{}");
    sleep(20).await;
    js("__sources[1].emit('error', undefined)");
    let e = result.await.unwrap_err();
    assert_eq!(text(&e, "code"), "PAYMENT_NOT_FOUND");
    assert_eq!(calls(), 1);
    // A transaction without its status route cannot be followed.
    let e = JsFuture::from(c.wait_for_result(js(r#"{ transactionId: "tx-1" }"#), None)).await.unwrap_err();
    assert_eq!(text(&e, "name"), "TypeError");
}

#[wasm_bindgen_test]
fn bad_client_options_throw_a_type_error() {
    for options in [
        "{}",
        "{ baseUrl: 5 }",
        "{ baseUrl: '', timeoutMs: -1 }",
        "{ baseUrl: '', amountMax: 0 }",
        "{ baseUrl: '', locale: 'fr' }",
        "null",
    ] {
        let error = StkClient::new(js(options).unchecked_into()).err().expect(options);
        assert_eq!(text(&error, "name"), "TypeError");
        assert_eq!(text(&error, "code"), "INVALID_OPTION");
    }
    let c = client(r#"{ baseUrl: "https://pay.example/", timeoutMs: 5000, amountMax: 900 }"#);
    assert_eq!((c.base_url(), c.timeout_ms(), c.amount_max()), ("https://pay.example".to_string(), 5000, 900.0));
}

/// A checkout form in the page: the amount and reference fixed by the order, the phone typed.
fn checkout_form(extra: &str) -> web_sys::HtmlFormElement {
    js(&format!(
        r#"(() => {{
            // The test runner keeps its output in the body: work in a container of our own.
            const root = document.getElementById("stk-test") ?? document.body.appendChild(Object.assign(document.createElement("div"), {{ id: "stk-test" }}));
            root.innerHTML = `<form id="pay">
                <input name="amount" type="hidden" value="1500">
                <label>Phone <input name="phone" type="tel" aria-describedby="hint"></label><span id="hint">M-Pesa number</span>
                <input name="accountReference" type="hidden" value="INV-1">
                <input name="transactionDesc" type="hidden" value="Order 1">
                {extra}
                <button type="submit">Pay</button>
            </form>`;
            globalThis.__events = [];
            const form = document.getElementById("pay");
            for (const kind of ["stk:pending", "stk:error", "stk:status", "stk:success", "stk:failed"]) form.addEventListener(kind, (e) => __events.push({{ kind, detail: e.detail }}));
            return form;
        }})()"#
    ))
    .unchecked_into()
}

fn phone() -> web_sys::HtmlInputElement {
    js(r#"document.querySelector("[name=phone]")"#).unchecked_into()
}

/// Types `value` with the caret at `caret` and fires a real `input` event.
fn type_into(input: &web_sys::HtmlInputElement, value: &str, caret: u32) {
    input.set_value(value);
    input.set_selection_range(caret, caret).unwrap();
    let init = web_sys::InputEventInit::new();
    init.set_input_type("insertText");
    init.set_bubbles(true);
    let event = web_sys::InputEvent::new_with_event_init_dict("input", &init).unwrap();
    input.dispatch_event(&event).unwrap();
}

fn blur(input: &web_sys::HtmlInputElement) {
    input.dispatch_event(&web_sys::Event::new("blur").unwrap()).unwrap();
}

fn submit(form: &web_sys::HtmlFormElement) {
    let init = web_sys::EventInit::new();
    init.set_cancelable(true);
    form.dispatch_event(&web_sys::Event::new_with_event_init_dict("submit", &init).unwrap()).unwrap();
}

fn events() -> Vec<String> {
    js_sys::Array::from(&js("globalThis.__events")).iter().map(|e| text(&e, "kind")).collect()
}

#[wasm_bindgen_test]
fn the_phone_is_formatted_as_typed_without_losing_the_caret() {
    let form = checkout_form("");
    let detach = attach_checkout_form(form.into(), js(r#"{ baseUrl: "https://pay.example" }"#)).unwrap();
    let input = phone();
    type_into(&input, "0712345", 7);
    assert_eq!(input.value(), "0712 345");
    assert_eq!(input.selection_start().unwrap(), Some(8), "caret stays at the end");
    type_into(&input, "07123456789", 4); // a digit typed in the middle: caret after the 4th digit
    assert_eq!(input.value(), "07123456789", "too long to format: left as typed");
    type_into(&input, "07123456", 5);
    assert_eq!(input.value(), "0712 345 6");
    assert_eq!(input.selection_start().unwrap(), Some(6), "after the same five digits");
    detach.call0(&JsValue::UNDEFINED).unwrap();
}

#[wasm_bindgen_test]
fn errors_show_in_place_with_aria_and_custom_validity_and_warnings_never_block() {
    let form = checkout_form("");
    let detach = attach_checkout_form(form.into(), js(r#"{ baseUrl: "https://pay.example" }"#)).unwrap();
    let input = phone();
    type_into(&input, "0712", 4);
    assert_eq!(input.get_attribute("aria-invalid"), None, "no error before the field is left");
    blur(&input);
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert!(input.validation_message().unwrap().contains("too short"));
    let describedby = input.get_attribute("aria-describedby").unwrap();
    assert!(describedby.starts_with("hint "), "keeps the page's own description: {describedby}");
    let error_id = describedby.split(' ').nth(1).unwrap();
    let error = js(&format!("document.getElementById('{error_id}')"));
    assert!(text(&error, "textContent").contains("too short"));
    assert_eq!(get(&error, "hidden"), JsValue::FALSE);

    type_into(&input, "0733 123 456", 12); // now valid, an Airtel range
    assert_eq!(input.get_attribute("aria-invalid"), None);
    assert_eq!(input.validation_message().unwrap(), "");
    assert_eq!(get(&error, "hidden"), JsValue::TRUE);
    let warning = js("document.querySelector('.stk-warning')");
    assert!(text(&warning, "textContent").contains("Airtel"));
    assert_eq!(get(&warning, "hidden"), JsValue::FALSE);

    // A range the metadata does not know yet: valid, with a soft note, never an error.
    type_into(&input, "0150 123 456", 12);
    assert_eq!(input.get_attribute("aria-invalid"), None);
    assert_eq!(input.validation_message().unwrap(), "");
    assert!(text(&warning, "textContent").contains("range"));
    assert_eq!(get(&warning, "hidden"), JsValue::FALSE);

    detach.call0(&JsValue::UNDEFINED).unwrap();
    assert!(
        js("document.querySelector('.stk-error, .stk-warning, .stk-form-error')").is_null(),
        "detach removes what it added"
    );
    assert_eq!(input.get_attribute("aria-describedby").as_deref(), Some("hint"));
}

#[wasm_bindgen_test]
async fn an_invalid_submit_sends_nothing_and_says_why() {
    stub_fetch(PENDING);
    let form = checkout_form("");
    let detach = attach_checkout_form(form.clone().into(), js(r#"{ baseUrl: "https://pay.example" }"#)).unwrap();
    type_into(&phone(), "020 123 4567", 12);
    submit(&form);
    sleep(20).await;
    assert_eq!(calls(), 0);
    assert_eq!(events(), ["stk:error"]);
    assert_eq!(text(&js("globalThis.__events[0].detail.error"), "kind"), "validation");
    assert_eq!(phone().get_attribute("aria-invalid").as_deref(), Some("true"));
    assert!(phone().validation_message().unwrap().contains("landline"));
    assert!(
        js("document.activeElement === document.querySelector('[name=phone]')").is_truthy(),
        "focus moves to the field"
    );
    detach.call0(&JsValue::UNDEFINED).unwrap();
}

#[wasm_bindgen_test]
async fn the_form_waits_for_the_outcome_and_is_ready_again_after_a_failure() {
    stub_event_source();
    let pending = r#"Response.json({ success: true, data: { transactionId: "tx-1", status: "PENDING", statusUrl: "/payments/tx-1", statusToken: "tok_A-1" }, requestId: "r-1" })"#;
    stub_fetch(pending);
    let form = checkout_form("");
    let detach = attach_checkout_form(form.clone().into(), js(r#"{ baseUrl: "https://pay.example" }"#)).unwrap();
    type_into(&phone(), "0712345678", 10);
    submit(&form);
    until("globalThis.__sources.length === 1").await;
    assert_eq!(events(), ["stk:pending"]);
    let button = js("document.querySelector('button')");
    assert_eq!(get(&button, "disabled"), JsValue::TRUE, "busy while the payment is open");
    js(&format!("__sources[0].emit('status', {})", payment("PROCESSING", false)));
    until("__events.length === 2").await;
    let status = js("document.querySelector('.stk-status')");
    assert_eq!(text(&status, "textContent"), "m-PROCESSING");
    assert_eq!(get(&status, "hidden"), JsValue::FALSE);
    assert_eq!(status.unchecked_ref::<web_sys::Element>().get_attribute("aria-live").as_deref(), Some("polite"));
    js(&format!("__sources[0].emit('status', {})", payment("CANCELLED", true)));
    until("__events.length === 4").await;
    assert_eq!(events(), ["stk:pending", "stk:status", "stk:status", "stk:failed"]);
    assert_eq!(text(&js("__events[3].detail.payment"), "status"), "CANCELLED");
    let alert = js("document.querySelector('.stk-form-error')");
    assert_eq!(text(&alert, "textContent"), "m-CANCELLED");
    assert_eq!(get(&alert, "hidden"), JsValue::FALSE);
    assert_eq!(get(&button, "disabled"), JsValue::FALSE, "ready for another try");
    assert_eq!(phone().value(), "0712 345 678", "the phone is still filled in");
    // Another try that is paid.
    submit(&form);
    until("globalThis.__sources.length === 2").await;
    js(&format!("__sources[1].emit('status', {})", payment("SUCCESS", true)));
    until("__events.length === 7").await;
    assert_eq!(events().last().map(String::as_str), Some("stk:success"));
    assert_eq!(text(&js("__events.at(-1).detail.payment"), "status"), "SUCCESS");
    assert_eq!(get(&js("document.querySelector('.stk-form-error')"), "hidden"), JsValue::TRUE);
    detach.call0(&JsValue::UNDEFINED).unwrap();
}

#[wasm_bindgen_test]
async fn the_form_sends_its_intent_and_turnstiles_token_and_nothing_when_they_are_absent() {
    stub_fetch(PENDING);
    let form = checkout_form(
        r#"<input type="hidden" name="intent" value="eyJhIjoxfQ.c2ln"><input type="hidden" name="cf-turnstile-response" value="XXXX.DUMMY.TOKEN.XXXX">"#,
    );
    let detach = attach_checkout_form(form.clone().into(), js(r#"{ baseUrl: "https://pay.example" }"#)).unwrap();
    type_into(&phone(), "0712345678", 10);
    submit(&form);
    until("globalThis.__calls.length === 1").await;
    assert_eq!(
        text(&js("globalThis.__calls[0]"), "body"),
        r#"{"amount":1500,"phone":"254712345678","accountReference":"INV-1","transactionDesc":"Order 1","intent":"eyJhIjoxfQ.c2ln","turnstileToken":"XXXX.DUMMY.TOKEN.XXXX"}"#
    );
    detach.call0(&JsValue::UNDEFINED).unwrap();
    // Turnstile's input is empty until its widget has run: an empty token is not sent.
    let form = checkout_form(r#"<input type="hidden" name="cf-turnstile-response" value="">"#);
    let detach = attach_checkout_form(form.clone().into(), js(r#"{ baseUrl: "https://pay.example" }"#)).unwrap();
    type_into(&phone(), "0712345678", 10);
    submit(&form);
    until("globalThis.__calls.length === 2").await;
    assert_eq!(
        text(&js("globalThis.__calls[1]"), "body"),
        r#"{"amount":1500,"phone":"254712345678","accountReference":"INV-1","transactionDesc":"Order 1"}"#
    );
    detach.call0(&JsValue::UNDEFINED).unwrap();
    // Turnstile's widget adds its input whenever its script has run, often after the form was
    // attached: the token is read at submit time.
    let form = checkout_form(r#"<div id="widget"></div>"#);
    let detach = attach_checkout_form(form.clone().into(), js(r#"{ baseUrl: "https://pay.example" }"#)).unwrap();
    js(
        r#"document.getElementById("widget").innerHTML = '<input type="hidden" name="cf-turnstile-response" value="late.token">'"#,
    );
    type_into(&phone(), "0712345678", 10);
    submit(&form);
    until("globalThis.__calls.length === 3").await;
    assert!(text(&js("globalThis.__calls[2]"), "body").ends_with(r#""turnstileToken":"late.token"}"#));
    detach.call0(&JsValue::UNDEFINED).unwrap();
}

#[wasm_bindgen_test]
async fn a_valid_submit_disables_the_button_ignores_double_submits_and_announces_pending() {
    stub_fetch(&format!("new Promise((r) => setTimeout(() => r({PENDING}), 100))"));
    let form = checkout_form("");
    let detach = attach_checkout_form(form.clone().into(), js(r#"{ baseUrl: "https://pay.example" }"#)).unwrap();
    type_into(&phone(), "0712345678", 10);
    submit(&form);
    submit(&form);
    sleep(10).await;
    let button = js("document.querySelector('button')");
    assert_eq!(get(&button, "disabled"), JsValue::TRUE, "disabled while pending");
    assert_eq!(form.get_attribute("aria-busy").as_deref(), Some("true"));
    submit(&form);
    sleep(200).await;
    assert_eq!(calls(), 1, "double submits are ignored");
    assert_eq!(events(), ["stk:pending"]);
    assert_eq!(text(&js("globalThis.__events[0].detail.transaction"), "transactionId"), "tx-1");
    assert_eq!(get(&button, "disabled"), JsValue::FALSE, "enabled again");
    assert_eq!(form.get_attribute("aria-busy"), None);
    assert_eq!(
        text(&js("globalThis.__calls[0]"), "body"),
        r#"{"amount":1500,"phone":"254712345678","accountReference":"INV-1","transactionDesc":"Order 1"}"#
    );
    detach.call0(&JsValue::UNDEFINED).unwrap();
    submit(&form);
    sleep(20).await;
    assert_eq!(calls(), 1, "a detached form is not submitted");
}

#[wasm_bindgen_test]
async fn a_rate_limit_is_shown_with_the_wait_and_announced() {
    let banned = r#"{ success: false, error: { code: "STK_TEMP_BANNED", message: "Banned", details: { retryAfterSeconds: 3600 } }, requestId: "r" }"#;
    stub_fetch(&api(429, banned, ""));
    let form = checkout_form("");
    let client = client(r#"{ baseUrl: "https://pay.example" }"#);
    let options = js("({})");
    Reflect::set(&options, &JsValue::from_str("client"), &JsValue::from(client)).unwrap();
    let detach = attach_checkout_form(form.clone().into(), options).unwrap();
    type_into(&phone(), "0712345678", 10);
    submit(&form);
    sleep(50).await;
    assert_eq!(events(), ["stk:error"]);
    assert_eq!(text(&js("globalThis.__events[0].detail.error"), "kind"), "rate_limit");
    let message = text(&js("document.querySelector('.stk-form-error')"), "textContent");
    assert!(message.contains("60 minutes"), "{message}");
    assert_eq!(text(&js("document.querySelector('.stk-form-error')"), "role"), "alert");
    detach.call0(&JsValue::UNDEFINED).unwrap();
}

#[wasm_bindgen_test]
fn field_names_are_configurable_and_missing_fields_are_reported() {
    js(
        r#"(document.getElementById("stk-test") ?? document.body.appendChild(Object.assign(document.createElement("div"), { id: "stk-test" }))).innerHTML = `<form id="f"><input name="msisdn"><input name="total"></form>`"#,
    );
    let form = js("document.getElementById('f')");
    let options = js(
        r#"{ baseUrl: "", fields: { phone: "msisdn", amount: "total" }, values: { accountReference: "A", transactionDesc: "B" } }"#,
    );
    let detach = attach_checkout_form(form.clone(), options).expect("binds renamed fields");
    detach.call0(&JsValue::UNDEFINED).unwrap();
    let error = attach_checkout_form(form.clone(), js(r#"{ baseUrl: "" }"#)).err().unwrap();
    assert!(text(&error, "message").contains("no input named \"amount\""));
    let not_a_form =
        attach_checkout_form(js("document.getElementById('stk-test')"), js(r#"{ baseUrl: "" }"#)).err().unwrap();
    assert_eq!(text(&not_a_form, "name"), "TypeError");
}

#[wasm_bindgen_test]
async fn a_kiswahili_client_says_everything_in_kiswahili_and_asks_the_proxy_to() {
    let c = client(r#"{ baseUrl: "https://pay.example", locale: "sw" }"#);
    assert_eq!(c.locale(), "sw");
    // Found in the browser: the fields and the error.
    stub_fetch(PENDING);
    let e = pay(&c, r#"{ amount: 0, phone: "0712", accountReference: "A", transactionDesc: "B" }"#).await.unwrap_err();
    assert_eq!(text(&e, "message"), "Baadhi ya maelezo ya malipo yanahitaji kurekebishwa.");
    assert_eq!(text(&e, "fields.0.message"), "Kiasi lazima kiwe angalau KES 1.");
    assert_eq!(calls(), 0);
    // Sent: the proxy is asked for Kiswahili.
    pay(&c, GOOD).await.expect("resolves");
    assert_eq!(text(&js("globalThis.__calls[0]"), "lang"), "sw");
    // The client's own messages.
    stub_fetch(r#"Promise.reject(new TypeError("Failed to fetch"))"#);
    let e = pay(&c, GOOD).await.unwrap_err();
    assert_eq!(text(&e, "message"), "Hatukuweza kufikia huduma ya malipo. Angalia mtandao wako, kisha ujaribu tena.");
    stub_fetch(&api(
        429,
        r#"{ success: false, error: { code: "RATE_LIMITED", message: "x" } }"#,
        "'retry-after': '30'",
    ));
    let e = pay(&c, GOOD).await.unwrap_err();
    assert_eq!(text(&e, "message"), "Majaribio mengi mno ya malipo. Tafadhali subiri sekunde 30, kisha ujaribu tena.");
    // The payment's message, in Kiswahili from the proxy's status routes.
    stub_event_source();
    js("globalThis.__abort = new AbortController()");
    let result = wait(&c, "{ signal: __abort.signal }");
    until("globalThis.__sources.length === 1").await;
    assert_eq!(text(&js("__sources[0]"), "url"), "https://pay.example/payments/tx-1/events?token=tok_A-1&lang=sw");
    js("__abort.abort()");
    assert_eq!(text(&result.await.unwrap_err(), "message"), "Tumeacha kusubiri malipo.");
}

#[wasm_bindgen_test]
fn the_form_speaks_its_locale_over_its_clients() {
    let english = client(r#"{ baseUrl: "https://pay.example" }"#);
    js("(c) => { globalThis.__client = c; }")
        .unchecked_into::<Function>()
        .call1(&JsValue::NULL, &JsValue::from(english))
        .unwrap();
    for (options, expected) in [
        (r#"{ baseUrl: "https://pay.example", locale: "sw" }"#, "Namba hii ni fupi mno"),
        (r#"{ client: __client, locale: "sw-KE" }"#, "Namba hii ni fupi mno"),
        (r#"{ client: __client }"#, "This number is too short"),
        (r#"{ client: __client, amountMax: 5000 }"#, "This number is too short"),
    ] {
        let form = checkout_form("");
        let detach = attach_checkout_form(form.into(), js(options)).unwrap();
        let input = phone();
        type_into(&input, "0712", 4);
        blur(&input);
        let shown = input.validation_message().unwrap();
        assert!(shown.starts_with(expected), "{options}: {shown:?}");
        detach.call0(&JsValue::UNDEFINED).unwrap();
    }
    let form = checkout_form("");
    let error = attach_checkout_form(form.into(), js(r#"{ baseUrl: "", locale: 5 }"#)).unwrap_err();
    assert_eq!(text(&error, "name"), "TypeError");
    // A client whose options say Kiswahili makes a Kiswahili form.
    let swahili = client(r#"{ baseUrl: "https://pay.example", locale: "sw" }"#);
    js("(c) => { globalThis.__client = c; }")
        .unchecked_into::<Function>()
        .call1(&JsValue::NULL, &JsValue::from(swahili))
        .unwrap();
    let form = checkout_form("");
    let detach = attach_checkout_form(form.into(), js("{ client: __client, amountMax: 5000 }")).unwrap();
    type_into(&phone(), "0712", 4);
    blur(&phone());
    assert!(phone().validation_message().unwrap().starts_with("Namba hii ni fupi mno"));
    detach.call0(&JsValue::UNDEFINED).unwrap();
}
