//! The guard's pure rules (native): idempotency keys and decisions, signed intents, per-phone
//! limits, the per-IP Retry-After and Turnstile's answer. Time is a parameter.
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies

use palpluss_stk::guard::{
    base64url_decode, decide_idempotency, entry_expired, idempotency_key_valid, intent_matches, ip_retry_after,
    request_fingerprint, sign_intent, turnstile_verdict, verify_intent, IdempotencyDecision, IdempotencyEntry, Intent,
    IntentError, KeptAnswer, PhoneHistory, PhoneRefusal, TurnstileVerdict, IDEMPOTENCY_TTL_MS,
};
use palpluss_stk::lifecycle::base64url;
use palpluss_stk::{CheckoutForm, Limits, RawStkRequest};
use proptest::prelude::*;

const SECRET: &str = "isec_0123456789abcdef";
const NOW: u64 = 1_796_026_500;

fn form(amount: u64, phone: &str, reference: &str, desc: &str) -> CheckoutForm {
    let raw: RawStkRequest = serde_json::from_value(serde_json::json!({
        "amount": amount, "phone": phone, "accountReference": reference, "transactionDesc": desc
    }))
    .unwrap();
    CheckoutForm::validate(&raw, &Limits::default()).unwrap()
}

fn intent(exp: u64) -> Intent {
    Intent { amount: 1500, account_reference: "ORDER-1042".into(), transaction_desc: None, exp }
}

// ---- idempotency ----

#[test]
fn idempotency_keys_are_1_to_255_visible_ascii_characters() {
    for good in ["a", "order-1042", "!~", &"k".repeat(255), "550e8400-e29b-41d4-a716-446655440000"] {
        assert!(idempotency_key_valid(good), "{good}");
    }
    for bad in ["", " ", "a b", "tab\tkey", "é", "key\n", &"k".repeat(256), "\u{7f}"] {
        assert!(!idempotency_key_valid(bad), "{bad:?}");
    }
}

#[test]
fn the_same_validated_request_has_the_same_fingerprint() {
    let a = form(1500, "0712 345 678", "INV-1", "Tea");
    let b = form(1500, "254712345678", " INV-1 ", "Tea");
    assert_eq!(request_fingerprint(&a), request_fingerprint(&b));
    assert_ne!(request_fingerprint(&a), request_fingerprint(&form(1501, "0712345678", "INV-1", "Tea")));
    assert_ne!(request_fingerprint(&a), request_fingerprint(&form(1500, "0712345679", "INV-1", "Tea")));
    // A fresh Turnstile token (or the intent) does not make it another payment.
    let raw: RawStkRequest = serde_json::from_value(serde_json::json!({
        "amount": 1500, "phone": "0712345678", "accountReference": "INV-1", "transactionDesc": "Tea",
        "turnstileToken": "XXXX.DUMMY.TOKEN.XXXX", "intent": "p.s"
    }))
    .unwrap();
    let with_tokens = CheckoutForm::validate(&raw, &Limits::default()).unwrap();
    assert_eq!(with_tokens.turnstile_token(), Some("XXXX.DUMMY.TOKEN.XXXX"));
    assert_eq!(request_fingerprint(&with_tokens), request_fingerprint(&a));
    assert_eq!(request_fingerprint(&a).len(), 64);
}

#[test]
fn idempotency_decisions() {
    let answer = KeptAnswer { status: 200, body: "{\"success\":true}".into(), retry_after: None };
    let taken = IdempotencyEntry { fingerprint: "f1".into(), created_at: 1_000, answer: None };
    let answered = IdempotencyEntry { answer: Some(answer.clone()), ..taken.clone() };
    assert_eq!(decide_idempotency(None, Some("f1"), 1_000), IdempotencyDecision::Run);
    assert_eq!(decide_idempotency(Some(&taken), Some("f1"), 2_000), IdempotencyDecision::InFlight);
    assert_eq!(
        decide_idempotency(Some(&taken), Some("other"), 2_000),
        IdempotencyDecision::InFlight,
        "409 whatever the body"
    );
    assert_eq!(decide_idempotency(Some(&answered), Some("f1"), 2_000), IdempotencyDecision::Replay(answer));
    assert_eq!(decide_idempotency(Some(&answered), Some("other"), 2_000), IdempotencyDecision::Reused);
    // A body that did not validate: never takes a key, "another body" for an answered one.
    assert_eq!(decide_idempotency(Some(&taken), None, 2_000), IdempotencyDecision::InFlight);
    assert_eq!(decide_idempotency(Some(&answered), None, 2_000), IdempotencyDecision::Reused);
    assert_eq!(decide_idempotency(None, None, 2_000), IdempotencyDecision::Run);
    assert!(!entry_expired(&answered, 1_000 + IDEMPOTENCY_TTL_MS - 1));
    assert!(entry_expired(&answered, 1_000 + IDEMPOTENCY_TTL_MS));
    // Kept 24 h.
    assert!(matches!(
        decide_idempotency(Some(&answered), Some("f1"), 1_000 + IDEMPOTENCY_TTL_MS - 1),
        IdempotencyDecision::Replay(_)
    ));
    assert_eq!(decide_idempotency(Some(&answered), Some("f1"), 1_000 + IDEMPOTENCY_TTL_MS), IdempotencyDecision::Run);
}

// ---- intents ----

#[test]
fn intents_match_a_known_answer_and_round_trip() {
    // Computed independently (Python's hmac and base64): p = base64url(JSON), s = base64url(HMAC(secret, p)).
    let known = "eyJhbW91bnQiOjE1MDAsImFjY291bnRSZWZlcmVuY2UiOiJPUkRFUi0xMDQyIiwiZXhwIjoxNzk2MDI3NDAwfQ.ik5i8eeVoWVddrSuqCS1VAnVTSl9CXv10ITp4JjnjGY";
    assert_eq!(sign_intent(SECRET, &intent(1_796_027_400)), known);
    assert_eq!(verify_intent(known, SECRET, NOW), Ok(intent(1_796_027_400)));
    let with_desc = Intent { transaction_desc: Some("Order 1042".into()), ..intent(NOW + 900) };
    assert_eq!(verify_intent(&sign_intent(SECRET, &with_desc), SECRET, NOW), Ok(with_desc));
}

#[test]
fn tampered_truncated_and_malformed_intents_are_invalid() {
    let token = sign_intent(SECRET, &intent(NOW + 900));
    let (payload, signature) = token.split_once('.').unwrap();
    let cheaper = base64url(br#"{"amount":1,"accountReference":"ORDER-1042","exp":1796027400}"#);
    let cases = [
        String::new(),
        payload.to_owned(),
        format!("{payload}."),
        format!(".{signature}"),
        format!("{cheaper}.{signature}"),
        format!("{payload}.{}", &signature[..signature.len() - 1]),
        format!("{payload}.{signature}A"),
        format!("{payload}.+{}", &signature[1..]),
        format!("{payload}./{}", &signature[1..]),
        format!("{payload}=.{signature}"),
        format!("{payload}.{signature}="),
        format!("{}.{signature}", &payload[..payload.len() - 2]),
        format!("{payload}.{}", "A".repeat(43)),
        "not.base64!".to_owned(),
        "a".repeat(5000),
    ];
    for bad in &cases {
        assert_eq!(verify_intent(bad, SECRET, NOW), Err(IntentError::Invalid), "{bad}");
    }
    assert_eq!(verify_intent(&token, "isec_another_secret_0000", NOW), Err(IntentError::Invalid));
    // Signed, but not an intent: a string amount, or no exp.
    for json in
        [r#"{"amount":"1500","accountReference":"A","exp":1}"#, r#"{"amount":1500,"accountReference":"A"}"#, "[1]"]
    {
        let p = base64url(json.as_bytes());
        let forged = format!("{p}.{}", signature_of(&p));
        assert_eq!(verify_intent(&forged, SECRET, NOW), Err(IntentError::Invalid), "{json}");
    }
}

/// HMAC-SHA256 of an arbitrary payload with the test secret, as base64url: a validly signed token
/// whose payload is not an intent.
fn signature_of(payload: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    base64url(&mac.finalize().into_bytes())
}

#[test]
fn intents_expire_after_exp_plus_60_s_of_skew() {
    let token = sign_intent(SECRET, &intent(NOW));
    assert!(verify_intent(&token, SECRET, NOW).is_ok());
    assert!(verify_intent(&token, SECRET, NOW + 60).is_ok(), "within the skew");
    assert_eq!(verify_intent(&token, SECRET, NOW + 61), Err(IntentError::Expired));
    assert_eq!(IntentError::Expired.code(), "INTENT_EXPIRED");
}

#[test]
fn a_request_must_match_its_intent() {
    let order = intent(NOW + 900);
    assert_eq!(intent_matches(&order, &form(1500, "0712345678", "ORDER-1042", "Anything")), Ok(()));
    assert_eq!(
        intent_matches(&order, &form(1, "0712345678", "ORDER-1042", "Tea")),
        Err(IntentError::Mismatch(vec!["amount"]))
    );
    let fixed = Intent { transaction_desc: Some("Order 1042".into()), ..order };
    assert_eq!(
        intent_matches(&fixed, &form(1, "0712345678", "ORDER-9", "Other")),
        Err(IntentError::Mismatch(vec!["amount", "accountReference", "transactionDesc"]))
    );
    assert_eq!(IntentError::Mismatch(vec![]).code(), "INTENT_MISMATCH");
    assert_eq!(IntentError::Required.code(), "INTENT_REQUIRED");
}

#[test]
fn base64url_decoding_is_strict() {
    for (text, bytes) in
        [("", ""), ("Zg", "f"), ("Zm8", "fo"), ("Zm9v", "foo"), ("Zm9vYg", "foob"), ("Zm9vYmFy", "foobar")]
    {
        assert_eq!(base64url_decode(text).as_deref(), Some(bytes.as_bytes()), "{text}");
    }
    assert_eq!(base64url_decode("-_-_").as_deref(), Some(&[0xfb, 0xff, 0xbf][..]));
    for bad in ["Z", "Zg==", "Zh", "Zm9", "+/+/", "Zm 9v", "Zm9v\n", "é"] {
        assert_eq!(base64url_decode(bad), None, "{bad:?}");
    }
}

proptest! {
    #[test]
    fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        prop_assert_eq!(base64url_decode(&base64url(&bytes)), Some(bytes));
    }

    /// Arbitrary tokens are refused without a panic (and never accepted).
    #[test]
    fn any_intent_token_is_answered(token in ".{0,300}") {
        prop_assert!(verify_intent(&token, SECRET, NOW).is_err());
    }
}

// ---- per phone, per IP ----

#[test]
fn a_phone_waits_out_the_cooldown_while_its_push_is_open() {
    let mut phone = PhoneHistory::default();
    assert_eq!(phone.check(0, 60, 5), Ok(()));
    let push = phone.record_sent(0);
    assert_eq!(phone.check(1, 60, 5), Err(PhoneRefusal::Busy { retry_after_s: 60 }));
    assert_eq!(phone.check(59_001, 60, 5), Err(PhoneRefusal::Busy { retry_after_s: 1 }));
    assert_eq!(phone.check(60_000, 60, 5), Ok(()), "older than the cooldown: free even if still open");
    phone.settled(push);
    assert_eq!(phone.check(1, 60, 5), Ok(()), "a final status frees the phone at once");
    assert_eq!(phone.check(1, 0, 5), Ok(()), "a cooldown of 0 is no cooldown");
    assert_eq!(PhoneRefusal::Busy { retry_after_s: 3 }.code(), "PHONE_BUSY");
}

#[test]
fn a_phone_gets_at_most_n_pushes_in_any_hour() {
    let mut phone = PhoneHistory::default();
    for i in 0..5 {
        let push = phone.reserve(i * 600_000, 60, 5).unwrap();
        phone.settled(push);
    }
    // The sixth within the hour: refused until the first leaves the hour.
    let refused = phone.check(2_500_000, 60, 5).unwrap_err();
    assert_eq!(refused, PhoneRefusal::Limit { retry_after_s: 1_100 });
    assert_eq!(refused.code(), "PHONE_LIMIT");
    assert_eq!(phone.check(3_600_000, 60, 5), Ok(()), "a sliding hour");
}

#[test]
fn reservations_are_atomic_named_and_can_be_taken_back() {
    let mut phone = PhoneHistory::default();
    let first = phone.reserve(1_000, 60, 5).unwrap();
    assert!(matches!(phone.reserve(1_000, 60, 5), Err(PhoneRefusal::Busy { .. })), "one of simultaneous pushes");
    // A push reserved but never sent (the budget said no) does not count and frees the phone.
    phone.release(first);
    assert_eq!(phone.sent, Vec::<u64>::new());
    let a = phone.reserve(1_000, 0, 5).unwrap();
    let b = phone.reserve(1_000, 0, 5).unwrap();
    assert_ne!(a, b, "two pushes in one millisecond have distinct names");
    // An older push settling does not free the phone from a newer open one.
    phone.settled(a);
    assert_eq!(phone.open, Some(b));
    assert!(matches!(phone.check(1_000, 60, 5), Err(PhoneRefusal::Busy { .. })));
    phone.settled(b);
    assert_eq!(phone.open, None);
    assert_eq!(phone.forget_at(), Some(b + 3_600_000));
    assert_eq!(PhoneHistory::default().forget_at(), None);
}

#[test]
fn the_ip_retry_after_is_the_time_to_the_window_reset() {
    assert_eq!(ip_retry_after(0, 60), 60);
    assert_eq!(ip_retry_after(1, 60), 60);
    assert_eq!(ip_retry_after(59_001, 60), 1);
    assert_eq!(ip_retry_after(65_000, 10), 5);
    assert_eq!(ip_retry_after(10, 0), 1, "a zero period still says at least 1");
}

#[test]
fn turnstile_answers() {
    assert_eq!(turnstile_verdict(200, br#"{"success":true}"#), TurnstileVerdict::Pass);
    assert_eq!(
        turnstile_verdict(200, br#"{"success":false,"error-codes":["timeout-or-duplicate"]}"#),
        TurnstileVerdict::Fail
    );
    assert_eq!(
        turnstile_verdict(200, br#"{"success":false,"error-codes":["internal-error"]}"#),
        TurnstileVerdict::Unavailable
    );
    for (status, body) in [(200, &b"not json"[..]), (200, b"[true]"), (200, b"{}"), (502, br#"{"success":true}"#)] {
        assert_eq!(turnstile_verdict(status, body), TurnstileVerdict::Unavailable, "{status}");
    }
}
