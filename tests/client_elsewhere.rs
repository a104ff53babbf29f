//! `palpluss_stk::client` off wasm32 (a server-side build of a Rust web app's components): it
//! compiles, checks forms as in the browser, and sends nothing, saying so at once. Its browser
//! behaviour is tested in tests/client.rs.
#![cfg(all(feature = "client", not(target_arch = "wasm32")))]

use futures_util::{FutureExt, StreamExt};
use palpluss_stk::client::{AcceptedPayment, StkClient, StkError};
use palpluss_stk::{CheckoutForm, ErrorCode, Limits, Locale, RawStkRequest, RawValue};

fn raw(amount: f64, phone: &str) -> RawStkRequest {
    RawStkRequest {
        amount: RawValue::Number(amount),
        phone: phone.into(),
        account_reference: "INV-1".into(),
        transaction_desc: "Order 1".into(),
        ..RawStkRequest::default()
    }
}

fn accepted(with_route: bool) -> AcceptedPayment {
    let mut data =
        serde_json::json!({ "transactionId": "t-1", "status": "PENDING", "amount": 100, "phone": "254712345678" });
    if with_route {
        data["statusUrl"] = "/payments/t-1".into();
        data["statusToken"] = "tok".into();
    }
    serde_json::from_value(data).unwrap()
}

#[test]
fn a_push_is_checked_with_the_clients_limits_before_anything_else() {
    let form = CheckoutForm::validate(&raw(5_000.0, "0712345678"), &Limits::default()).unwrap();
    let client = StkClient::new("https://pay.example").with_limits(Limits::with_amount_max(1_000).unwrap());
    let error = client.push(&form).now_or_never().expect("ready at once").unwrap_err();
    let StkError::Validation { fields, http_status: None, .. } = &error else { panic!("{error:?}") };
    assert_eq!(fields[0].code(), ErrorCode::AmountTooLarge);
}

#[test]
fn a_valid_push_off_wasm_is_unavailable_and_sends_nothing() {
    let form = CheckoutForm::validate(&raw(100.0, "0712345678"), &Limits::default()).unwrap();
    let client = StkClient::new("https://pay.example").with_locale(Locale::Sw);
    let error = client.push(&form).now_or_never().expect("ready at once").unwrap_err();
    assert_eq!((error.kind(), error.code()), ("unavailable", "UNAVAILABLE"));
    assert!(!error.prompt_may_have_been_sent());
}

#[test]
fn the_clients_intent_and_turnstile_token_fill_in_what_the_form_lacks() {
    let client = StkClient::new("").with_intent("v1.abc.def").with_turnstile_token("XXXX.DUMMY.TOKEN.XXXX");
    let form = client.validate(&raw(100.0, "0712345678")).unwrap();
    assert_eq!((form.intent(), form.turnstile_token()), (Some("v1.abc.def"), Some("XXXX.DUMMY.TOKEN.XXXX")));
    let mut own = raw(100.0, "0712345678");
    own.intent = "v1.own.intent".into();
    assert_eq!(client.validate(&own).unwrap().intent(), Some("v1.own.intent"));
    // A token longer than the proxy takes is refused here too.
    let bad = StkClient::new("").with_intent("x".repeat(10_000));
    assert!(matches!(bad.validate(&raw(100.0, "0712345678")), Err(StkError::Validation { .. })));
}

#[test]
fn waiting_without_a_status_route_or_off_wasm_ends_with_one_error() {
    let client = StkClient::new("https://pay.example");
    for (with_route, code) in [(false, "STATUS_UNAVAILABLE"), (true, "UNAVAILABLE")] {
        let mut updates = client.wait_for_result(&accepted(with_route));
        let first = updates.next().now_or_never().expect("ready at once").expect("one update");
        assert_eq!(first.unwrap_err().code(), code);
        assert!(updates.next().now_or_never().expect("ready at once").is_none(), "then the stream ends");
    }
}
