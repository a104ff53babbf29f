//! STK request rules: every field rule, every error code, both shapes (native).
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies

use std::collections::BTreeSet;

use palpluss_stk::{
    CheckoutForm, ErrorCode, Field, Limits, PhoneError, RawStkRequest, RawValue, StkPushRequest, ValidationErrors,
};
use serde_json::{json, Value};

const UUID: &str = "3F2B9C1E-8D4A-4C6B-9E2F-1A2B3C4D5E6F";

fn valid_stk() -> Value {
    json!({
        "amount": 1000,
        "phone": "0712 345 678",
        "accountReference": "INV-2024-001",
        "transactionDesc": "Invoice 2024",
        "callbackUrl": "https://shop.example/webhooks/mpesa",
    })
}

fn valid_checkout() -> Value {
    json!({ "amount": 1000, "phone": "0712 345 678", "accountReference": "INV-2024-001", "transactionDesc": "Invoice 2024" })
}

fn with(mut base: Value, field: &str, value: Value) -> Value {
    base[field] = value;
    base
}

fn raw(value: &Value) -> RawStkRequest {
    serde_json::from_value(value.clone()).expect("an object")
}

fn stk_errors(value: &Value) -> Vec<(Field, ErrorCode)> {
    codes(StkPushRequest::validate(&raw(value), &Limits::default()).err())
}

fn checkout_errors(value: &Value) -> Vec<(Field, ErrorCode)> {
    codes(CheckoutForm::validate(&raw(value), &Limits::default()).err())
}

fn codes(errors: Option<ValidationErrors>) -> Vec<(Field, ErrorCode)> {
    errors.map_or_else(Vec::new, |e| e.as_slice().iter().map(|e| (e.field(), e.code())).collect())
}

#[test]
fn a_valid_request_is_normalised() {
    let body = with(valid_stk(), "channelId", json!(UUID));
    let body = with(body, "credential_id", json!(UUID));
    let body = with(body, "accountReference", json!("  INV-2024-001 \n"));
    let request = StkPushRequest::validate(&raw(&body), &Limits::default()).unwrap();
    assert_eq!(request.amount(), 1000);
    assert_eq!(request.phone().as_str(), "254712345678");
    assert_eq!(request.account_reference(), "INV-2024-001");
    assert_eq!(request.channel_id(), Some("3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6f"));
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({
            "amount": 1000, "phone": "254712345678", "accountReference": "INV-2024-001",
            "transactionDesc": "Invoice 2024", "callbackUrl": "https://shop.example/webhooks/mpesa",
            "channelId": "3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6f",
            "credential_id": "3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6f",
        })
    );
}

#[test]
fn all_errors_are_reported_at_once_in_field_order() {
    let body = json!({
        "amount": -5, "phone": "020 123 4567", "accountReference": "", "transactionDesc": "much too long here",
        "callbackUrl": "http://shop.example", "channelId": "nope", "credential_id": 7,
    });
    assert_eq!(
        stk_errors(&body),
        [
            (Field::Amount, ErrorCode::AmountTooSmall),
            (Field::Phone, ErrorCode::Phone(PhoneError::Landline)),
            (Field::AccountReference, ErrorCode::Required),
            (Field::TransactionDesc, ErrorCode::TooLong),
            (Field::CallbackUrl, ErrorCode::UrlNotHttps),
            (Field::ChannelId, ErrorCode::UuidInvalid),
            (Field::CredentialId, ErrorCode::InvalidType),
        ]
    );
    assert_eq!(
        checkout_errors(&json!({})),
        [
            (Field::Amount, ErrorCode::Required),
            (Field::Phone, ErrorCode::Required),
            (Field::AccountReference, ErrorCode::Required),
            (Field::TransactionDesc, ErrorCode::Required),
        ]
    );
}

#[test]
fn amount_rules() {
    let limits = Limits::default();
    let ok =
        |v: Value| CheckoutForm::validate(&raw(&with(valid_checkout(), "amount", v)), &limits).map(|f| f.amount()).ok();
    let err = |v: Value| checkout_errors(&with(valid_checkout(), "amount", v));
    assert_eq!(ok(json!(1)), Some(1));
    assert_eq!(ok(json!(250_000)), Some(250_000));
    assert_eq!(ok(json!(1500.0)), Some(1500));
    assert_eq!(ok(json!("1500")), Some(1500));
    assert_eq!(ok(json!(" 1500 ")), Some(1500));
    assert_eq!(ok(json!("1500.00")), Some(1500));
    assert_eq!(ok(json!("+7")), Some(7));
    let cases = [
        (Value::Null, ErrorCode::Required),
        (json!(""), ErrorCode::Required),
        (json!("   "), ErrorCode::Required),
        (json!(true), ErrorCode::InvalidType),
        (json!([1]), ErrorCode::InvalidType),
        (json!({"value": 1}), ErrorCode::InvalidType),
        (json!("1,000"), ErrorCode::AmountNotANumber),
        (json!("KES 100"), ErrorCode::AmountNotANumber),
        (json!("1e3"), ErrorCode::AmountNotANumber),
        (json!("12."), ErrorCode::AmountNotANumber),
        (json!(".5"), ErrorCode::AmountNotANumber),
        (json!("-"), ErrorCode::AmountNotANumber),
        (json!("١٠٠"), ErrorCode::AmountNotANumber),
        (json!(1.5), ErrorCode::AmountNotWhole),
        (json!(0.5), ErrorCode::AmountNotWhole),
        (json!("10.50"), ErrorCode::AmountNotWhole),
        (json!(0), ErrorCode::AmountTooSmall),
        (json!(-1), ErrorCode::AmountTooSmall),
        (json!("-3"), ErrorCode::AmountTooSmall),
        (json!("0"), ErrorCode::AmountTooSmall),
        (json!(250_001), ErrorCode::AmountTooLarge),
        (json!("250001"), ErrorCode::AmountTooLarge),
        (json!(1e300), ErrorCode::AmountTooLarge),
        (json!("99999999999999999999999999"), ErrorCode::AmountTooLarge),
    ];
    for (value, code) in cases {
        assert_eq!(err(value.clone()), [(Field::Amount, code)], "amount {value}");
    }
    // Non-finite numbers cannot come from JSON, but can from Rust or JS callers.
    for n in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let raw = RawStkRequest { amount: RawValue::Number(n), ..raw(&valid_checkout()) };
        let errors = CheckoutForm::validate(&raw, &limits).unwrap_err();
        assert_eq!(errors.as_slice()[0].code(), ErrorCode::AmountNotANumber, "{n}");
    }
}

#[test]
fn the_amount_maximum_is_configurable() {
    let limits = Limits::with_amount_max(5_000).unwrap();
    let body = with(valid_checkout(), "amount", json!(5_001));
    let errors = CheckoutForm::validate(&raw(&body), &limits).unwrap_err();
    assert_eq!(errors.as_slice()[0].code(), ErrorCode::AmountTooLarge);
    assert_eq!(errors.as_slice()[0].message(), "The amount can be at most KES 5,000.");
    let body = with(valid_checkout(), "amount", json!(5_000));
    assert!(CheckoutForm::validate(&raw(&body), &limits).is_ok());
    let errors = CheckoutForm::validate(&raw(&with(valid_checkout(), "amount", json!(250_001))), &Limits::default())
        .unwrap_err();
    assert_eq!(errors.as_slice()[0].message(), "The amount can be at most KES 250,000.");
    assert!(Limits::with_amount_max(0).is_none());
    assert!(Limits::with_amount_max(palpluss_stk::AMOUNT_MAX_LIMIT + 1).is_none());
    let huge = Limits::with_amount_max(palpluss_stk::AMOUNT_MAX_LIMIT).unwrap();
    let body = with(valid_checkout(), "amount", json!(9_007_199_254_740_991u64));
    assert_eq!(CheckoutForm::validate(&raw(&body), &huge).unwrap().amount(), 9_007_199_254_740_991);
}

#[test]
fn phone_rules() {
    let err = |v: Value| checkout_errors(&with(valid_checkout(), "phone", v));
    assert_eq!(err(Value::Null), [(Field::Phone, ErrorCode::Required)]);
    assert_eq!(err(json!(712345678)), [(Field::Phone, ErrorCode::InvalidType)]);
    assert_eq!(err(json!("")), [(Field::Phone, ErrorCode::Phone(PhoneError::Empty))]);
    assert_eq!(err(json!("0712")), [(Field::Phone, ErrorCode::Phone(PhoneError::TooShort))]);
    assert_eq!(err(json!("0800 720 000")), [(Field::Phone, ErrorCode::Phone(PhoneError::TollFree))]);
}

#[test]
fn text_rules() {
    for (field, name, max) in
        [(Field::AccountReference, "accountReference", 12), (Field::TransactionDesc, "transactionDesc", 13)]
    {
        let err = |v: Value| checkout_errors(&with(valid_checkout(), name, v));
        let at_max = "x".repeat(max);
        assert_eq!(err(json!(at_max)), [], "{name} at its maximum");
        assert_eq!(err(json!(format!("  {at_max}  "))), [], "{name} trimmed to its maximum");
        assert_eq!(err(json!("é".repeat(max))), [], "{name} counts characters, not bytes");
        assert_eq!(err(json!("x".repeat(max + 1))), [(field, ErrorCode::TooLong)]);
        assert_eq!(err(json!("x".repeat(1 << 20))), [(field, ErrorCode::TooLong)]);
        assert_eq!(err(Value::Null), [(field, ErrorCode::Required)]);
        assert_eq!(err(json!(" \t ")), [(field, ErrorCode::Required)]);
        assert_eq!(err(json!(42)), [(field, ErrorCode::InvalidType)]);
        assert_eq!(err(json!(["INV"])), [(field, ErrorCode::InvalidType)]);
        for bad in ["A\u{0000}B", "A\nB", "A\u{007F}", "A\u{0085}B", "A\u{202E}B", "A\u{200F}", "A\u{2028}B"] {
            assert_eq!(err(json!(bad)), [(field, ErrorCode::ControlCharacters)], "{name} {bad:?}");
        }
    }
}

#[test]
fn callback_url_rules() {
    let ok = [
        "https://shop.example/webhooks/mpesa",
        "HTTPS://Shop.Example",
        "https://shop.example:8443/cb?order=1#x",
        "https://127.0.0.1/cb",
        "https://[2001:db8::1]:443/cb",
        "  https://shop.example/cb  ",
        "https://a.b/%20encoded",
    ];
    for url in ok {
        assert_eq!(stk_errors(&with(valid_stk(), "callbackUrl", json!(url))), [], "{url}");
    }
    let bad = [
        (Value::Null, ErrorCode::Required),
        (json!(""), ErrorCode::Required),
        (json!(1), ErrorCode::InvalidType),
        (json!("http://shop.example/cb"), ErrorCode::UrlNotHttps),
        (json!("ftp://shop.example/cb"), ErrorCode::UrlNotHttps),
        (json!("javascript:alert(1)"), ErrorCode::UrlNotHttps),
        (json!("shop.example/cb"), ErrorCode::UrlInvalid),
        (json!("/webhooks/mpesa"), ErrorCode::UrlInvalid),
        (json!("https:shop.example"), ErrorCode::UrlInvalid),
        (json!("https://"), ErrorCode::UrlInvalid),
        (json!("https:///cb"), ErrorCode::UrlInvalid),
        (json!("https://user:pass@shop.example/cb"), ErrorCode::UrlInvalid),
        (json!("https://shop example/cb"), ErrorCode::UrlInvalid),
        (json!("https://shop.example/c b"), ErrorCode::UrlInvalid),
        (json!("https://shop..example/cb"), ErrorCode::UrlInvalid),
        (json!("https://-shop.example/cb"), ErrorCode::UrlInvalid),
        (json!("https://shop.example:0/cb"), ErrorCode::UrlInvalid),
        (json!("https://shop.example:65536/cb"), ErrorCode::UrlInvalid),
        (json!("https://shop.example:/cb"), ErrorCode::UrlInvalid),
        (json!("https://[zz::1]/cb"), ErrorCode::UrlInvalid),
        (json!("https://[::1/cb"), ErrorCode::UrlInvalid),
        (json!("https://duka.co.ke/malipo/ñ"), ErrorCode::UrlInvalid),
        (json!("https://shop.example/\u{0000}"), ErrorCode::UrlInvalid),
        (json!(format!("https://shop.example/{}", "a".repeat(500))), ErrorCode::TooLong),
    ];
    for (url, code) in bad {
        assert_eq!(stk_errors(&with(valid_stk(), "callbackUrl", url.clone())), [(Field::CallbackUrl, code)], "{url}");
    }
    let mut body = valid_stk();
    body.as_object_mut().unwrap().remove("callbackUrl");
    assert_eq!(stk_errors(&body), [(Field::CallbackUrl, ErrorCode::Required)]);
}

#[test]
fn uuid_rules() {
    for (field, name) in [(Field::ChannelId, "channelId"), (Field::CredentialId, "credential_id")] {
        let err = |v: Value| stk_errors(&with(valid_stk(), name, v));
        assert_eq!(err(Value::Null), [], "{name} may be null");
        assert_eq!(err(json!(UUID)), []);
        assert_eq!(err(json!(UUID.to_lowercase())), []);
        for bad in ["", "3f2b9c1e8d4a4c6b9e2f1a2b3c4d5e6f", "3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6g", "{3f2b9c1e-8d4a}"] {
            assert_eq!(err(json!(bad)), [(field, ErrorCode::UuidInvalid)], "{name} {bad:?}");
        }
        assert_eq!(err(json!(true)), [(field, ErrorCode::InvalidType)]);
    }
}

#[test]
fn the_checkout_shape_rejects_server_fields_even_null() {
    for name in ["callbackUrl", "channelId", "credential_id"] {
        for value in [json!("https://evil.example/cb"), Value::Null, json!(UUID)] {
            let errors = checkout_errors(&with(valid_checkout(), name, value));
            assert_eq!(errors.len(), 1, "{name}");
            assert_eq!(errors[0].0.as_str(), name);
            assert_eq!(errors[0].1, ErrorCode::FieldNotAllowed);
        }
    }
    let unknown = with(valid_checkout(), "note", json!("ignored, never forwarded"));
    let form = CheckoutForm::validate(&raw(&unknown), &Limits::default()).unwrap();
    assert_eq!(
        serde_json::to_value(&form).unwrap(),
        json!({
            "amount": 1000, "phone": "254712345678", "accountReference": "INV-2024-001", "transactionDesc": "Invoice 2024"
        })
    );
}

#[test]
fn a_checkout_form_completes_to_an_stk_request() {
    let form = CheckoutForm::validate(&raw(&valid_checkout()), &Limits::default()).unwrap();
    let request = StkPushRequest::from_checkout(form.clone(), "https://shop.example/cb", Some(UUID), None).unwrap();
    assert_eq!(request.checkout_form(), form);
    assert_eq!(request.callback_url(), "https://shop.example/cb");
    assert_eq!(request.credential_id(), None);
    let errors = StkPushRequest::from_checkout(form, "http://x", Some("nope"), Some("")).unwrap_err();
    let fields: Vec<_> = errors.as_slice().iter().map(|e| (e.field(), e.code())).collect();
    assert_eq!(
        fields,
        [
            (Field::CallbackUrl, ErrorCode::UrlNotHttps),
            (Field::ChannelId, ErrorCode::UuidInvalid),
            (Field::CredentialId, ErrorCode::UuidInvalid)
        ]
    );
}

#[test]
fn deserialising_the_typed_requests_validates() {
    let request: StkPushRequest = serde_json::from_value(valid_stk()).unwrap();
    assert_eq!(request.phone().as_str(), "254712345678");
    let err = serde_json::from_value::<StkPushRequest>(with(valid_stk(), "amount", json!(0))).unwrap_err();
    assert!(err.to_string().contains("AMOUNT_TOO_SMALL"), "{err}");
    assert!(serde_json::from_value::<CheckoutForm>(valid_stk()).is_err(), "callbackUrl is not allowed");
    assert!(serde_json::from_str::<RawStkRequest>(r#"{"amount":1,"amount":2}"#).is_err(), "duplicate keys");
    assert!(serde_json::from_str::<RawStkRequest>("[1,2]").is_err());
    let nested: RawStkRequest = serde_json::from_str(r#"{"phone":{"a":[1,{"b":null}]},"amount":null}"#).unwrap();
    assert_eq!((nested.phone, nested.amount), (RawValue::Other, RawValue::Null));
}

#[test]
fn every_code_is_stable_distinct_and_has_a_message_for_each_field() {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let distinct: BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!(distinct.len(), codes.len());
    for code in &codes {
        assert!(code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{code}");
    }
    assert_eq!(Field::REQUEST.len(), 9, "every wire field");
    for field in std::iter::once(Field::Request).chain(Field::REQUEST) {
        for code in ErrorCode::ALL {
            let e = palpluss_stk::FieldError::new(field, code, &Limits::default());
            assert!(e.message().len() > 10 && e.message().ends_with('.'), "{field} {code}: {}", e.message());
            let wire = serde_json::to_value(&e).unwrap();
            assert_eq!(wire, json!({ "field": field.as_str(), "code": code.as_str(), "message": e.message() }));
        }
    }
}

/// The TypeScript union shipped in the npm package lists exactly the Rust codes (plus the one
/// binding-only code), so the types cannot drift from the rules.
#[test]
fn the_typescript_error_code_union_matches_the_rust_codes() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/js/mod.rs")).unwrap();
    let section = |name: &str| -> BTreeSet<String> {
        let start = source.find(&format!("export type {name} =")).unwrap();
        let end = start + source[start..].find(';').unwrap();
        source[start..end].split('"').skip(1).step_by(2).map(str::to_owned).collect()
    };
    let mut ts: BTreeSet<String> = section("ErrorCode");
    ts.extend(section("PhoneErrorCode"));
    ts.extend(section("ProxyErrorCode"));
    let mut rust: BTreeSet<String> = ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    rust.insert("INVALID_OPTION".to_owned());
    rust.extend(palpluss_stk::proxy::codes::ALL.iter().map(|c| c.to_string()));
    assert_eq!(ts, rust);
    let proxy_ts = section("ProxyErrorCode");
    assert_eq!(proxy_ts.len(), palpluss_stk::proxy::codes::ALL.len(), "each proxy code once");
    let fields_ts = section("FieldName");
    for field in Field::REQUEST {
        assert!(fields_ts.contains(field.as_str()), "{field} in the FieldName union");
    }
    let phone_ts = section("PhoneErrorCode");
    let phone_rust: BTreeSet<String> = PhoneError::ALL.iter().map(|c| c.code().to_owned()).collect();
    assert_eq!(phone_ts, phone_rust);
}
