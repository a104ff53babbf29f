//! The proxy's own answers and its routes, decided in `edge::reply` and `edge::route` and tested
//! natively: each refusal's status, code, message language, details and `Retry-After`, the
//! envelope they render to, the intent step of the guard, `/health`, and the route of a path.
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies

use palpluss_stk::edge::codes;
use palpluss_stk::edge::config::Config;
use palpluss_stk::edge::guard::{sign_intent, Intent, IntentError, PhoneRefusal, TurnstileVerdict};
use palpluss_stk::edge::observe::WebhookError;
use palpluss_stk::edge::reply::{health, intent_refusal, Refusal};
use palpluss_stk::edge::route::Route;
use palpluss_stk::{CheckoutForm, ErrorCode, Field, FieldError, Limits, Locale, RawStkRequest};
use proptest::prelude::*;
use serde_json::{json, Value};

fn config(pairs: &[(&str, &str)]) -> Config {
    Config::from_lookup(|name| lookup(pairs, name)).unwrap()
}

fn lookup(pairs: &[(&str, &str)], name: &str) -> Option<String> {
    let base = [("PALPLUSS_API_KEY", "fake_api_key_0123456789"), ("CALLBACK_URL", "https://shop.example/mpesa")];
    pairs.iter().chain(base.iter()).find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
}

fn form(extra: Value) -> CheckoutForm {
    let mut body =
        json!({ "amount": 1500, "phone": "0712345678", "accountReference": "ORDER-1042", "transactionDesc": "Tea" });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let raw: RawStkRequest = serde_json::from_value(body).unwrap();
    CheckoutForm::validate(&raw, &Limits::default()).unwrap()
}

/// The rendered body, parsed.
fn sent(refusal: &Refusal) -> Value {
    serde_json::from_str(&refusal.render("req-1").body).unwrap()
}

#[test]
fn a_refusal_renders_palplusss_envelope_and_its_wait() {
    let r = Refusal::with_wait(429, codes::PHONE_BUSY, "Wait.", 42);
    let answer = r.render("req-9");
    assert_eq!((answer.status, answer.retry_after.as_deref()), (429, Some("42")));
    assert_eq!(
        serde_json::from_str::<Value>(&answer.body).unwrap(),
        json!({ "success": false, "error": { "code": "PHONE_BUSY", "message": "Wait.", "details": { "retryAfterSeconds": 42 } }, "requestId": "req-9" })
    );
    let plain = Refusal::not_found();
    assert_eq!((plain.retry_after_s(), plain.render("r").retry_after), (None, None));
    assert_eq!(sent(&plain)["error"], json!({ "code": "NOT_FOUND", "message": plain.message }));
}

#[test]
fn the_routers_refusals() {
    let cases = [
        (Refusal::not_found(), 404, codes::NOT_FOUND),
        (Refusal::payment_not_found(), 404, codes::PAYMENT_NOT_FOUND),
        (Refusal::origin_not_allowed(), 403, codes::ORIGIN_NOT_ALLOWED),
        (Refusal::unsupported_media_type(), 415, codes::UNSUPPORTED_MEDIA_TYPE),
        (Refusal::body_too_large(), 413, codes::BODY_TOO_LARGE),
        (Refusal::body_unreadable(), 400, codes::INVALID_JSON),
        (Refusal::invalid_json(), 400, codes::INVALID_JSON),
        (Refusal::webhook_too_large(), 400, codes::BODY_TOO_LARGE),
        (Refusal::webhook_unreadable(), 400, codes::INVALID_JSON),
        (Refusal::idempotency_key_invalid(), 400, codes::IDEMPOTENCY_KEY_INVALID),
        (Refusal::idempotency_key_reused(), 422, codes::IDEMPOTENCY_KEY_REUSED),
        (Refusal::idempotency_key_in_use(), 409, codes::IDEMPOTENCY_KEY_IN_USE),
        (Refusal::callback_url_missing(), 500, "CONFIG_MISSING_CALLBACK_URL"),
        (Refusal::upstream_bad_url(), 500, "CONFIG_INVALID_PALPLUSS_BASE_URL"),
        (Refusal::upstream_oversized(), 502, codes::UPSTREAM_UNAVAILABLE),
        (Refusal::upstream_not_palpluss(), 502, codes::UPSTREAM_UNAVAILABLE),
    ];
    for (refusal, status, code) in cases {
        assert_eq!((refusal.status, refusal.code.as_str()), (status, code));
        assert!(!refusal.message.is_empty() && refusal.details.is_none() && refusal.allow.is_none(), "{code}");
    }
    let r = Refusal::method_not_allowed(Route::Push.methods());
    assert_eq!((r.status, r.code.as_str(), r.allow), (405, codes::METHOD_NOT_ALLOWED, Some("POST, OPTIONS")));
    assert_eq!(r.message, "This route accepts POST, OPTIONS.");
    let r = Refusal::webhook(WebhookError::NotJson);
    assert_eq!((r.status, r.code.as_str()), (400, WebhookError::NotJson.code()));
}

#[test]
fn customer_refusals_speak_the_customers_language() {
    let both = |make: &dyn Fn(Locale) -> Refusal| {
        let (en, sw) = (make(Locale::En), make(Locale::Sw));
        assert_eq!((en.status, &en.code, &en.details), (sw.status, &sw.code, &sw.details));
        assert_ne!(en.message, sw.message, "{}", en.code);
        en
    };
    assert_eq!(both(&Refusal::guard_unavailable).status, 503);
    assert_eq!(both(&Refusal::status_unavailable).status, 503);
    assert_eq!(both(&Refusal::upstream_timeout).code, codes::UPSTREAM_TIMEOUT);
    assert_eq!(both(&Refusal::upstream_unreachable).status, 502);
    assert_eq!(both(&|l| Refusal::busy(1, l)).retry_after_s(), Some(1));
    assert_eq!(both(&|l| Refusal::phone(PhoneRefusal::Limit { retry_after_s: 7 }, l)).code, codes::PHONE_LIMIT);
    let errors = [FieldError::new(Field::Amount, ErrorCode::Required, &Limits::default())];
    let v = both(&|l| Refusal::validation_failed(&errors, l));
    assert_eq!(
        v.details,
        Some(json!({ "fields": [{ "field": "amount", "code": "REQUIRED", "message": "Enter the amount to pay." }] }))
    );
}

#[test]
fn waits_round_up_to_whole_seconds_of_at_least_one() {
    assert_eq!(Refusal::busy(0, Locale::En).retry_after_s(), Some(1));
    assert_eq!(Refusal::busy(1_000, Locale::En).retry_after_s(), Some(1));
    assert_eq!(Refusal::busy(1_001, Locale::En).retry_after_s(), Some(2));
    let phone = Refusal::phone(PhoneRefusal::Busy { retry_after_s: 59 }, Locale::En);
    assert_eq!((phone.status, phone.code.as_str(), phone.retry_after_s()), (429, codes::PHONE_BUSY, Some(59)));
    // The per-IP window resets on the minute: 20.5 s into one, 40 s are left (rounded up).
    let ip = Refusal::rate_limited(1_800_000_020_500, 60, Locale::En);
    assert_eq!((ip.status, ip.code.as_str(), ip.retry_after_s()), (429, codes::RATE_LIMITED, Some(40)));
}

#[test]
fn turnstile_refusals_follow_siteverify() {
    assert_eq!(Refusal::turnstile(Some(TurnstileVerdict::Pass), Locale::En), None);
    let status = |v| Refusal::turnstile(v, Locale::Sw).map(|r| (r.status, r.code));
    assert_eq!(status(None), Some((400, codes::TURNSTILE_REQUIRED.to_owned())));
    assert_eq!(status(Some(TurnstileVerdict::Fail)), Some((403, codes::TURNSTILE_FAILED.to_owned())));
    assert_eq!(status(Some(TurnstileVerdict::Unavailable)), Some((503, codes::TURNSTILE_UNAVAILABLE.to_owned())));
}

#[test]
fn the_intent_step_of_the_guard() {
    const SECRET: &str = "isec_0123456789abcdef";
    let now = 1_800_000_000;
    let token = |amount, exp| {
        let intent = Intent { amount, account_reference: "ORDER-1042".into(), transaction_desc: None, exp };
        sign_intent(SECRET, &intent)
    };
    // Without INTENT_SECRET there is no step.
    assert_eq!(intent_refusal(&config(&[]), &form(json!({})), now, Locale::En), None);

    let c = config(&[("INTENT_SECRET", SECRET)]);
    assert_eq!(intent_refusal(&c, &form(json!({ "intent": token(1500, now + 60) })), now, Locale::En), None);
    let code = |f: CheckoutForm| intent_refusal(&c, &f, now, Locale::En).map(|r| (r.status, r.code));
    assert_eq!(code(form(json!({}))), Some((400, codes::INTENT_REQUIRED.to_owned())));
    assert_eq!(code(form(json!({ "intent": "x.y" }))), Some((400, codes::INTENT_INVALID.to_owned())));
    // Past exp plus the 60 s of skew.
    assert_eq!(code(form(json!({ "intent": token(1500, now - 61) }))), Some((400, codes::INTENT_EXPIRED.to_owned())));

    let mismatch = intent_refusal(&c, &form(json!({ "intent": token(999, now + 60) })), now, Locale::Sw).unwrap();
    assert_eq!(mismatch.code, codes::INTENT_MISMATCH);
    let message = IntentError::Mismatch(vec![]).message_in(Locale::Sw);
    assert_eq!(mismatch.message, message);
    assert_eq!(
        mismatch.details,
        Some(json!({ "fields": [{ "field": "amount", "code": "INTENT_MISMATCH", "message": message }] }))
    );
}

#[test]
fn health_names_each_variables_state_and_never_a_value() {
    let pairs = [("ALLOWED_ORIGINS", "https://shop.example")];
    let c = config(&pairs);
    let (status, body) = health(|name| lookup(&pairs, name), Ok(&c));
    assert_eq!((status, &body["ok"]), (200, &json!(true)));
    assert_eq!(body["variables"]["PALPLUSS_API_KEY"], "set");
    assert_eq!(body["variables"]["ALLOWED_ORIGINS"], "set");
    assert_eq!(body["variables"]["AMOUNT_MAX"], "default");
    assert!(!body.to_string().contains("fake_api_key_0123456789"));

    let missing = Config::from_lookup(|_| None).unwrap_err();
    let (status, body) = health(|_| None, Err(&missing));
    assert_eq!((status, &body["ok"]), (503, &json!(false)));
    assert_eq!(body["variables"]["PALPLUSS_API_KEY"], "missing");
    assert_eq!(body["error"]["code"], "CONFIG_MISSING_PALPLUSS_API_KEY");
    assert_eq!(Refusal::misconfigured(&missing).code, "CONFIG_MISSING_PALPLUSS_API_KEY");
}

#[test]
fn routes_by_path() {
    assert_eq!(Route::of("/health"), Route::Health);
    assert_eq!(Route::of("/payments/stk"), Route::Push);
    assert_eq!(Route::of("/payments/abc"), Route::Status("abc"));
    assert_eq!(Route::of("/payments/abc/events"), Route::Events("abc"));
    assert_eq!(Route::of("/payments/"), Route::Status(""));
    assert_eq!(Route::of("/payments/a/b"), Route::NotFound);
    assert_eq!(Route::of("/webhooks/palpluss/"), Route::Webhook(""));
    assert_eq!(Route::of("/"), Route::NotFound);
    assert_eq!(Route::Webhook("s").methods(), "POST");
    assert_eq!(Route::NotFound.methods(), "");
}

proptest! {
    /// Any path has a route, and every route but "not found" allows some method.
    #[test]
    fn any_path_has_one_route(path in "/[a-z/]{0,40}") {
        let route = Route::of(&path);
        prop_assert_eq!(route.methods().is_empty(), route == Route::NotFound);
    }

    /// Every wait renders as the same whole seconds in the header and the body.
    #[test]
    fn the_wait_in_the_header_is_the_wait_in_the_body(wait_ms in 0u64..10_000_000) {
        let r = Refusal::busy(wait_ms, Locale::En);
        let answer = r.render("r");
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        prop_assert_eq!(answer.retry_after, Some(body["error"]["details"]["retryAfterSeconds"].to_string()));
        prop_assert!(r.retry_after_s().unwrap() * 1000 >= wait_ms);
    }
}
