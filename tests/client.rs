//! `palpluss_stk::client` in headless Chromium against real servers: the built Worker (Miniflare)
//! and the PalPluss simulator, reached through a proxy that breaks connections on request
//! (scripts/test-client.mjs starts them all, then these tests; `make test` runs it).
//!
//! Each test has its own tag in the base URL (`{PROXY}/t/{tag}/{fault}`) and its own phone, so that
//! what the proxy saw (`{PROXY}/log/{tag}`) is that test's alone.
#![cfg(all(target_arch = "wasm32", feature = "client"))]

use futures_util::StreamExt;
use gloo_net::http::Request;
use palpluss_stk::client::{AcceptedPayment, PaymentStatus, StkClient, StkError};
use palpluss_stk::edge::lifecycle::customer_message;
use palpluss_stk::palpluss::TransactionStatus;
use palpluss_stk::rules::notice::too_many_attempts;
use palpluss_stk::{CheckoutForm, ErrorCode, Field, FieldError, Limits, Locale, RawStkRequest, RawValue};
use serde_json::Value;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The breaking proxy in front of the Worker (scripts/test-client.mjs).
const PROXY: &str = match option_env!("PALPLUSS_STK_TEST_PROXY") {
    Some(url) => url,
    None => "http://127.0.0.1:8797",
};

/// A loopback URL where nothing listens.
const CLOSED: &str = match option_env!("PALPLUSS_STK_TEST_CLOSED") {
    Some(url) => url,
    None => "http://127.0.0.1:8795",
};

fn client(tag: &str, fault: &str) -> StkClient {
    StkClient::new(format!("{PROXY}/t/{tag}/{fault}"))
}

fn raw(amount: f64, phone: &str) -> RawStkRequest {
    RawStkRequest {
        amount: RawValue::Number(amount),
        phone: phone.into(),
        account_reference: "INV-42".into(),
        transaction_desc: "Order 42".into(),
        ..RawStkRequest::default()
    }
}

fn form(amount: f64, phone: &str) -> CheckoutForm {
    StkClient::new("").validate(&raw(amount, phone)).expect("a valid form")
}

/// What the proxy saw for `tag`.
async fn log(tag: &str) -> Vec<Value> {
    let answer = Request::get(&format!("{PROXY}/log/{tag}")).send().await.expect("the proxy's log");
    serde_json::from_str(&answer.text().await.expect("a body")).expect("a JSON list")
}

fn pushes(log: &[Value]) -> Vec<&Value> {
    log.iter().filter(|e| e["method"] == "POST" && e["path"] == "/payments/stk").collect()
}

async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into()).unwrap();
        let set_timeout: js_sys::Function = set_timeout.into();
        set_timeout.call2(&global, &resolve, &ms.into()).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Every update of a wait, until the stream ends.
async fn all_updates(client: &StkClient, accepted: &AcceptedPayment) -> Vec<Result<PaymentStatus, StkError>> {
    client.wait_for_result(accepted).collect().await
}

#[wasm_bindgen_test]
async fn a_payment_is_pushed_once_and_followed_on_the_event_stream_until_paid() {
    let client = client("paid", "ok");
    let accepted = client.push(&form(1500.0, "0712 345 601")).await.expect("accepted");
    assert_eq!(accepted.transaction.status, TransactionStatus::Pending);
    assert_eq!(accepted.transaction.phone, "254712345601");
    assert!(accepted.can_be_followed());

    let updates = all_updates(&client, &accepted).await;
    let statuses: Vec<_> = updates.iter().map(|u| u.as_ref().expect("no error").status).collect();
    assert_eq!(statuses.first(), Some(&TransactionStatus::Pending));
    assert_eq!(statuses.last(), Some(&TransactionStatus::Success));
    let paid = updates.last().unwrap().as_ref().unwrap();
    assert!(paid.is_final && paid.mpesa_receipt.is_some());
    assert_eq!(paid.message, "Paid. Thank you!");
    assert_eq!(paid.phone, "2547******01", "the phone is masked");

    let log = log("paid").await;
    let pushes = pushes(&log);
    assert_eq!(pushes.len(), 1);
    let key = pushes[0]["key"].as_str().expect("an Idempotency-Key");
    assert_eq!((key.len(), &key[14..15]), (36, "4"), "a v4 UUID: {key}");
    assert_eq!(pushes[0]["language"], "en");
    assert!(log.iter().any(|e| e["path"].as_str().unwrap().contains("/events?token=")));
    assert!(!log.iter().any(|e| e["authorization"] == true), "no polling while the stream works: {log:?}");
}

#[wasm_bindgen_test]
async fn a_cancelled_payment_ends_cancelled_in_kiswahili_through_the_callback() {
    let client = client("cancelled", "ok").with_locale(Locale::Sw);
    let accepted = client.push(&form(250.0, "0700 001 032")).await.expect("accepted");
    let mut heard = Vec::new();
    let last = client.wait_for_result_with(&accepted, |p| heard.push(p.status)).await.expect("a final status");
    assert_eq!(last.status, TransactionStatus::Cancelled);
    assert!(last.is_final);
    assert_eq!(heard.last(), Some(&TransactionStatus::Cancelled));
    assert_eq!(last.result_code.as_deref(), Some("1032"));
    assert_eq!(last.message, customer_message(TransactionStatus::Cancelled, Some("1032"), Locale::Sw));
    let log = log("cancelled").await;
    assert_eq!(pushes(&log)[0]["language"], "sw");
    assert!(log.iter().any(|e| e["path"].as_str().unwrap().ends_with("&lang=sw")));
}

#[wasm_bindgen_test]
async fn an_invalid_form_sends_nothing_and_the_proxys_own_field_errors_come_back_typed() {
    // The client's limits (250,000) let through what the proxy's AMOUNT_MAX (10,000) refuses.
    let client = client("validation", "ok").with_locale(Locale::Sw);
    let error = client.push(&form(50_000.0, "0712 345 602")).await.expect_err("refused");
    let StkError::Validation { fields, http_status, request_id, .. } = &error else { panic!("{error:?}") };
    assert_eq!(*http_status, Some(400));
    assert!(request_id.is_some());
    assert_eq!(fields.len(), 1);
    assert_eq!((fields[0].field(), fields[0].code()), (Field::Amount, ErrorCode::AmountTooLarge));
    let proxy_limits = Limits::with_amount_max(10_000).unwrap().in_locale(Locale::Sw);
    assert_eq!(fields[0].message(), FieldError::new(Field::Amount, ErrorCode::AmountTooLarge, &proxy_limits).message());
    assert_eq!(pushes(&log("validation").await).len(), 1);

    // A limit of the client's own: nothing is sent at all.
    let strict = client.clone().with_limits(Limits::with_amount_max(100).unwrap());
    let error = strict.push(&form(1500.0, "0712 345 602")).await.expect_err("refused here");
    assert!(
        matches!(&error, StkError::Validation { http_status: None, fields, .. } if fields[0].code() == ErrorCode::AmountTooLarge)
    );
    assert_eq!(pushes(&log("validation").await).len(), 1, "nothing more was sent");
}

#[wasm_bindgen_test]
async fn a_second_push_to_a_busy_phone_is_a_rate_limit_with_its_wait() {
    // 0700 000 003: PalPluss never sends the result, so the phone stays busy.
    let client = client("busy", "ok");
    client.push(&form(100.0, "0700 000 003")).await.expect("the first push is accepted");
    let error = client.push(&form(100.0, "0700 000 003")).await.expect_err("the second is refused");
    let StkError::RateLimit { code, retry_after_seconds, message, .. } = &error else { panic!("{error:?}") };
    assert_eq!(code, "PHONE_BUSY");
    assert!((1..=60).contains(retry_after_seconds), "{retry_after_seconds}");
    assert_eq!(message, &too_many_attempts(*retry_after_seconds, Locale::En));
    let log = log("busy").await;
    let pushes = pushes(&log);
    assert_eq!(pushes.len(), 2);
    assert_ne!(pushes[0]["key"], pushes[1]["key"], "each push has its own key");
}

#[wasm_bindgen_test]
async fn a_dropped_connection_is_retried_once_with_the_same_key_and_gets_the_kept_answer() {
    let client = client("drop-first", "drop-first");
    let accepted = client.push(&form(700.0, "0712 345 603")).await.expect("accepted on the retry");
    let log = log("drop-first").await;
    let pushes = pushes(&log);
    assert_eq!(pushes.len(), 2, "{log:?}");
    assert_eq!(pushes[0]["key"], pushes[1]["key"]);
    assert_eq!(pushes[0]["outcome"], "answered by the Worker, cut before the client");
    assert_eq!(pushes[1]["replayed"], "true", "the Worker replayed the first answer: one prompt");
    assert!(accepted.can_be_followed());
}

#[wasm_bindgen_test]
async fn no_answer_at_all_is_a_network_error_after_one_retry() {
    let error = client("drop-all", "drop-all").push(&form(700.0, "0712 345 604")).await.expect_err("no answer");
    assert!(matches!(error, StkError::Network { .. }), "{error:?}");
    assert!(!error.prompt_may_have_been_sent());
    let log = log("drop-all").await;
    let pushes = pushes(&log);
    assert_eq!(pushes.len(), 2);
    assert_eq!(pushes[0]["key"], pushes[1]["key"]);
}

#[wasm_bindgen_test]
async fn a_timeout_is_not_retried_and_the_request_is_aborted() {
    let client = client("stall", "stall").with_timeout_ms(1_000);
    let error = client.push(&form(700.0, "0712 345 605")).await.expect_err("no answer in time");
    assert!(matches!(error, StkError::Timeout { .. }), "{error:?}");
    assert!(error.prompt_may_have_been_sent());
    // Give a retry, if there were one, every chance to arrive.
    sleep(1_500).await;
    let log = log("stall").await;
    assert_eq!(pushes(&log).len(), 1, "never retried after a timeout");
    assert_eq!(pushes(&log)[0]["closedByClient"], true, "the request was aborted");
}

#[wasm_bindgen_test]
async fn when_the_event_stream_drops_polling_takes_over_until_paid() {
    let client = client("cut-sse", "cut-sse");
    let accepted = client.push(&form(900.0, "0712 345 606")).await.expect("accepted");
    let updates = all_updates(&client, &accepted).await;
    let last = updates.last().expect("updates").as_ref().expect("no error");
    assert_eq!((last.status, last.is_final), (TransactionStatus::Success, true));
    let log = log("cut-sse").await;
    let events: Vec<_> = log.iter().filter(|e| e["path"].as_str().unwrap().contains("/events?")).collect();
    assert_eq!(events.len(), 1, "the stream is not reopened: {log:?}");
    assert_eq!(events[0]["outcome"], "cut after the first event");
    let polls = log.iter().filter(|e| e["method"] == "GET" && e["authorization"] == true).count();
    assert!(polls >= 1, "polled with the status token: {log:?}");
}

#[wasm_bindgen_test]
async fn dropping_the_updates_closes_the_event_stream() {
    let client = client("dropped", "ok");
    let accepted = client.push(&form(300.0, "0712 345 608")).await.expect("accepted");
    let mut updates = client.wait_for_result(&accepted);
    let first = updates.next().await.expect("an update").expect("a status");
    assert_eq!(first.status, TransactionStatus::Pending);
    drop(updates);
    for _ in 0..200 {
        let log = log("dropped").await;
        if log.iter().any(|e| e["closedByClient"] == true) {
            return;
        }
        sleep(50).await;
    }
    panic!("the event stream stayed open: {:?}", log("dropped").await);
}

#[wasm_bindgen_test]
async fn a_payment_the_proxy_does_not_know_ends_the_wait_with_payment_not_found() {
    let client = client("unknown", "ok");
    let unknown: AcceptedPayment = serde_json::from_value(serde_json::json!({
        "transactionId": "00000000-95ea-4a8f-8467-1fbe74f5d6f4", "status": "PENDING", "amount": 1, "phone": "254712345678",
        "statusUrl": "/payments/00000000-95ea-4a8f-8467-1fbe74f5d6f4", "statusToken": "AAAAAAAAAAAAAAAAAAAAAA"
    }))
    .unwrap();
    let updates = all_updates(&client, &unknown).await;
    assert_eq!(updates.len(), 1, "{updates:?}");
    let error = updates[0].as_ref().expect_err("an error");
    assert_eq!((error.kind(), error.code()), ("api", "PAYMENT_NOT_FOUND"));

    let unfollowable: AcceptedPayment = serde_json::from_value(serde_json::json!({
        "transactionId": "t", "status": "PENDING", "amount": 1, "phone": "254712345678"
    }))
    .unwrap();
    let updates = all_updates(&client, &unfollowable).await;
    assert!(
        matches!(updates.as_slice(), [Err(StkError::Api { code, http_status: None, .. })] if code == "STATUS_UNAVAILABLE")
    );
}

#[wasm_bindgen_test]
async fn an_unreachable_proxy_is_a_network_error() {
    // scripts/test-client.mjs checks that nothing listens there.
    let error = StkClient::new(CLOSED).push(&form(100.0, "0712 345 607")).await.expect_err("unreachable");
    assert_eq!(error.code(), "NETWORK_ERROR");
}
