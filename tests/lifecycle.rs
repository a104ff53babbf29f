//! The payment lifecycle's pure decisions (native): status transitions, webhook hints, the poll
//! schedule, the upstream budget, merchant events, signatures and tokens. Time is a parameter.
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies

use palpluss_stk::lifecycle::{
    base64url, customer_message, expired, iso8601, next_wake, observation_from, poll_at, retry_delay, sign_event,
    status_token, verify_webhook, CallKind, Change, EventType, MerchantEvent, Observation, Payment, UpstreamBudget,
    VerifyError, WebhookDecision, WebhookError, WebhookHint, BUDGET_WINDOW_MS, DAY_MS,
};
use palpluss_stk::palpluss::TransactionStatus::{self, *};
use palpluss_stk::Locale;
use proptest::prelude::*;
use serde_json::json;

const T0: u64 = 1_796_026_500_000;

fn payment() -> Payment {
    Payment::new("tx-1", 1500, "254712345678", "INV-1", "token-1", T0)
}

fn seen(status: TransactionStatus, code: Option<&str>, receipt: Option<&str>) -> Observation {
    Observation {
        status,
        result_code: code.map(str::to_owned),
        result_desc: code.map(|c| format!("desc {c}")),
        mpesa_receipt: receipt.map(str::to_owned),
    }
}

fn hint(status: TransactionStatus, receipt: Option<&str>) -> WebhookHint {
    WebhookHint { transaction_id: "tx-1".into(), status, mpesa_receipt: receipt.map(str::to_owned) }
}

// ---- status transitions ----

#[test]
fn a_payment_starts_pending_and_unconfirmed() {
    let p = payment();
    assert_eq!((p.status, p.confirmed, p.settled()), (Pending, false, false));
    assert!(p.token_matches("token-1"));
    assert!(!p.token_matches("token-2"));
    assert!(!p.token_matches(""));
    assert!(!p.token_sha256.contains("token-1"), "the token itself is not stored");
}

#[test]
fn open_statuses_move_forward_to_a_final_one_with_one_event() {
    let mut p = payment();
    assert_eq!(p.confirm(&seen(Pending, None, None), T0 + 15_000), Change { changed: true, event: None });
    assert_eq!(p.confirm(&seen(Pending, None, None), T0 + 25_000), Change::default(), "nothing new");
    assert_eq!(p.confirm(&seen(Processing, None, None), T0 + 35_000), Change { changed: true, event: None });
    assert_eq!(p.confirm(&seen(Pending, None, None), T0 + 45_000), Change::default(), "no step back");
    assert_eq!(p.status, Processing);
    let change = p.confirm(&seen(Success, Some("0"), Some("K4NZ2Z9YFV")), T0 + 55_000);
    assert_eq!(change, Change { changed: true, event: Some(EventType::Succeeded) });
    assert!(p.settled());
    assert_eq!(p.mpesa_receipt.as_deref(), Some("K4NZ2Z9YFV"));
    assert_eq!(p.updated_at, T0 + 55_000);
    assert_eq!(p.confirm(&seen(Success, Some("0"), Some("K4NZ2Z9YFV")), T0 + 65_000), Change::default(), "duplicate");
}

#[test]
fn a_final_status_never_goes_back() {
    for first in [Success, Failed, Cancelled, Expired, Reversed] {
        for later in [Pending, Processing, Success, Failed, Cancelled, Expired, TransactionStatus::Unknown] {
            if later == first {
                continue;
            }
            let mut p = payment();
            p.confirm(&seen(first, Some("1"), None), T0 + 1);
            let before = p.clone();
            assert_eq!(p.confirm(&seen(later, Some("2"), None), T0 + 2), Change::default(), "{first:?} -> {later:?}");
            assert_eq!(p, before, "{first:?} -> {later:?}");
        }
    }
}

#[test]
fn success_can_be_reversed_once_with_its_own_event() {
    let mut p = payment();
    p.confirm(&seen(Success, Some("0"), Some("K4NZ2Z9YFV")), T0 + 1);
    assert_eq!(
        p.confirm(&seen(Reversed, None, None), T0 + 2),
        Change { changed: true, event: Some(EventType::Reversed) }
    );
    assert_eq!(p.status, Reversed);
    assert_eq!(p.mpesa_receipt.as_deref(), Some("K4NZ2Z9YFV"), "the receipt of the reversed payment stays");
    assert_eq!(p.confirm(&seen(Success, None, None), T0 + 3), Change::default(), "no way back from a reversal");
    assert_eq!(p.confirm(&seen(Reversed, None, None), T0 + 4), Change::default());
    assert_eq!(p.events, [Success, Reversed]);
    // Only a confirmed SUCCESS can be reversed.
    let mut failed = payment();
    failed.confirm(&seen(Failed, Some("1"), None), T0 + 1);
    assert_eq!(failed.confirm(&seen(Reversed, None, None), T0 + 2), Change::default());
}

#[test]
fn an_unknown_status_changes_nothing() {
    let mut p = payment();
    assert_eq!(p.confirm(&seen(TransactionStatus::Unknown, None, None), T0 + 1), Change::default());
    assert_eq!(p, payment());
}

// ---- webhooks are hints ----

#[test]
fn a_webhook_only_asks_for_confirmation_and_never_sets_the_status() {
    let mut p = payment();
    assert_eq!(p.on_webhook(&hint(Success, Some("K4NZ2Z9YFV"))), WebhookDecision::Confirm);
    assert_eq!(p.status, Pending, "the webhook alone changes no status");
    assert_eq!(p.public_view(Locale::En)["mpesaReceipt"], json!(null), "nor shows a receipt");
    // GET says SUCCESS without a receipt (PalPluss's Transaction has none): the webhook's shows.
    p.confirm(&seen(Success, Some("0"), None), T0 + 1);
    assert_eq!(p.mpesa_receipt.as_deref(), Some("K4NZ2Z9YFV"));
}

#[test]
fn a_forged_success_webhook_loses_to_the_get() {
    let mut p = payment();
    assert_eq!(p.on_webhook(&hint(Success, Some("FORGED1234"))), WebhookDecision::Confirm);
    let change = p.confirm(&seen(Failed, Some("2001"), None), T0 + 1);
    assert_eq!(change.event, Some(EventType::Failed));
    assert_eq!(p.status, Failed);
    assert_eq!(p.mpesa_receipt, None);
    assert_eq!(p.public_view(Locale::En)["mpesaReceipt"], json!(null));
    assert!(p.public_view(Locale::En)["message"].as_str().unwrap().contains("PIN"));
}

#[test]
fn duplicates_and_replays_after_settling_cost_no_upstream_call() {
    let mut p = payment();
    p.confirm(&seen(Cancelled, Some("1032"), None), T0 + 1);
    for status in [Pending, Processing, Success, Failed, Cancelled, Expired, Reversed] {
        assert_eq!(p.on_webhook(&hint(status, None)), WebhookDecision::Ignore, "{status:?} after CANCELLED");
    }
    let mut paid = payment();
    paid.confirm(&seen(Success, Some("0"), Some("R1")), T0 + 1);
    assert_eq!(paid.on_webhook(&hint(Success, Some("R1"))), WebhookDecision::Ignore);
    assert_eq!(paid.on_webhook(&hint(Failed, None)), WebhookDecision::Ignore);
    assert_eq!(paid.on_webhook(&hint(Reversed, None)), WebhookDecision::Confirm, "only a reversal is worth asking");
}

#[test]
fn an_open_webhook_is_worth_asking_only_when_it_says_something_new() {
    let mut p = payment();
    assert_eq!(p.on_webhook(&hint(Pending, None)), WebhookDecision::Confirm, "never confirmed yet");
    p.confirm(&seen(Processing, None, None), T0 + 1);
    assert_eq!(p.on_webhook(&hint(Processing, None)), WebhookDecision::Ignore);
    assert_eq!(p.on_webhook(&hint(Pending, None)), WebhookDecision::Confirm);
}

#[test]
fn webhooks_parse_in_every_casing_palpluss_uses() {
    let bodies = [
        r#"{"event":"transaction.updated","event_type":"transaction.success","transaction":{"id":"tx-9","status":"SUCCESS","mpesa_receipt":"R9","amount":10}}"#,
        r#"{"event":"transaction.updated","transaction":{"transactionId":"tx-9","status":"success","mpesaReceipt":"R9"}}"#,
        r#"{"data":{"transaction_id":"tx-9","status":"SUCCESS","receipt":"R9","unknown":{"deep":[1,2]}}}"#,
        r#"{"transaction_id":"tx-9","status":"SUCCESS","mpesa_receipt_number":"R9"}"#,
    ];
    for body in bodies {
        let hint = WebhookHint::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(
            (hint.transaction_id.as_str(), hint.status, hint.mpesa_receipt.as_deref()),
            ("tx-9", Success, Some("R9"))
        );
    }
    let unknown = WebhookHint::parse(br#"{"transaction":{"id":"tx-9","status":"ON_HOLD"}}"#).unwrap();
    assert_eq!(unknown.status, TransactionStatus::Unknown);
    let numeric = WebhookHint::parse(br#"{"transaction":{"id":12345,"status":"FAILED"}}"#).unwrap();
    assert_eq!(numeric.transaction_id, "12345");
}

#[test]
fn hostile_webhook_bodies_get_a_clear_error() {
    let big = format!(r#"{{"transaction":{{"id":"tx","status":"SUCCESS","pad":"{}"}}}}"#, "x".repeat(1 << 20));
    let cases: &[(&[u8], WebhookError)] = &[
        (b"", WebhookError::NotJson),
        (b"not json", WebhookError::NotJson),
        (b"[1,2,3]", WebhookError::NotJson),
        (b"\"SUCCESS\"", WebhookError::NotJson),
        (b"null", WebhookError::NotJson),
        (b"{\"transaction\":", WebhookError::NotJson),
        (b"\xff\xfe{}", WebhookError::NotJson),
        (b"{}", WebhookError::MissingFields),
        (br#"{"transaction":{"id":"tx"}}"#, WebhookError::MissingFields),
        (br#"{"transaction":{"status":"SUCCESS"}}"#, WebhookError::MissingFields),
        (br#"{"transaction":{"id":["tx"],"status":{"s":1}}}"#, WebhookError::MissingFields),
        (br#"{"transaction":{"id":"","status":"SUCCESS"}}"#, WebhookError::MissingFields),
        (big.as_bytes(), WebhookError::TooLarge),
    ];
    for (body, expected) in cases {
        assert_eq!(
            WebhookHint::parse(body),
            Err(*expected),
            "{:?}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
        assert!(!expected.code().is_empty() && expected.message().ends_with('.'));
    }
    let long_id = format!(r#"{{"transaction":{{"id":"{}","status":"SUCCESS"}}}}"#, "i".repeat(10_000));
    assert_eq!(WebhookHint::parse(long_id.as_bytes()).unwrap().transaction_id.len(), 128, "ids are capped");
}

#[test]
fn the_get_answer_is_read_in_either_casing() {
    let snake = observation_from(
        &json!({ "transaction_id": "tx", "status": "FAILED", "result_code": "1032", "result_desc": "Cancelled" }),
    );
    assert_eq!(snake, Some(seen_exact(Failed, "1032", "Cancelled")));
    let camel = observation_from(
        &json!({ "transactionId": "tx", "status": "failed", "resultCode": 1032, "resultDesc": "Cancelled" }),
    );
    assert_eq!(camel, Some(seen_exact(Failed, "1032", "Cancelled")));
    assert_eq!(observation_from(&json!([1])), None);
    assert_eq!(observation_from(&json!({ "result_code": "0" })), None);
}

fn seen_exact(status: TransactionStatus, code: &str, desc: &str) -> Observation {
    Observation { status, result_code: Some(code.into()), result_desc: Some(desc.into()), mpesa_receipt: None }
}

// ---- what the browser and the merchant see ----

#[test]
fn views_mask_the_phone_for_the_browser_only() {
    let mut p = payment();
    p.confirm(&seen(Success, Some("0"), Some("K4NZ2Z9YFV")), T0 + 60_000);
    let public = p.public_view(Locale::En);
    assert_eq!(public["phone"], "2547******78");
    assert_eq!(p.event_view()["phone"], "254712345678");
    assert_eq!(
        public,
        json!({ "transactionId": "tx-1", "status": "SUCCESS", "final": true, "confirmed": true, "resultCode": "0",
            "resultDesc": "desc 0", "message": customer_message(Success, Some("0"), Locale::En), "mpesaReceipt": "K4NZ2Z9YFV",
            "amount": 1500, "phone": "2547******78", "accountReference": "INV-1", "updatedAt": "2026-11-30T08:16:00.000Z" })
    );
}

#[test]
fn customer_messages_follow_the_result_code() {
    let cases = [
        (Success, Some("0"), "Paid"),
        (Failed, Some("1"), "balance"),
        (Cancelled, Some("1032"), "cancelled"),
        (Failed, Some("1037"), "reach your phone"),
        (Failed, Some("2001"), "PIN"),
        (Expired, Some("1019"), "expired"),
        (Expired, None, "expired"),
        (Failed, Some("17"), "2 minutes"),
        (Failed, Some("9999"), "did not go through"),
        (Failed, None, "did not go through"),
        (Pending, None, "enter your M-Pesa PIN"),
        (Reversed, None, "reversed"),
    ];
    for (status, code, needle) in cases {
        assert!(
            customer_message(status, code, Locale::En).contains(needle),
            "{status:?} {code:?}: {}",
            customer_message(status, code, Locale::En)
        );
    }
}

// ---- polling ----

#[test]
fn polls_start_at_15_s_then_every_10_s_until_5_minutes() {
    let mut schedule = Vec::new();
    let mut last = None;
    while let Some(at) = poll_at(T0, last, false) {
        schedule.push(at - T0);
        last = Some(at);
    }
    let expected: Vec<u64> = (0..29).map(|i| 15_000 + i * 10_000).chain([300_000]).collect();
    assert_eq!(schedule, expected);
    assert_eq!(poll_at(T0, Some(T0 + 20_000), true), None, "a settled payment is not polled");
    // A webhook's confirmation at 17 s moves the next poll to 27 s.
    assert_eq!(poll_at(T0, Some(T0 + 17_000), false), Some(T0 + 27_000));
    // An early confirmation (a webhook at 2 s) does not bring the first poll forward.
    assert_eq!(poll_at(T0, Some(T0 + 2_000), false), Some(T0 + 15_000));
}

#[test]
fn the_object_wakes_for_the_earliest_of_poll_retry_event_and_retention() {
    let week = 7 * DAY_MS;
    assert_eq!(next_wake(T0, None, false, None, None, week), Some(T0 + 15_000));
    assert_eq!(next_wake(T0, Some(T0 + 300_000), false, None, None, week), Some(T0 + week), "polling over");
    assert_eq!(next_wake(T0, None, false, Some(T0 + 3_000), None, week), Some(T0 + 3_000), "a deferred check");
    assert_eq!(next_wake(T0, None, true, None, Some(T0 + 30_000), week), Some(T0 + 30_000), "an event retry");
    assert_eq!(next_wake(T0, None, true, None, None, DAY_MS), Some(T0 + DAY_MS));
    assert!(!expired(T0, DAY_MS, T0 + DAY_MS - 1));
    assert!(expired(T0, DAY_MS, T0 + DAY_MS));
}

// ---- the upstream budget ----

#[test]
fn status_checks_leave_a_quarter_of_the_budget_to_pushes() {
    let mut budget = UpstreamBudget::default();
    let mut checks = 0;
    while budget.take(CallKind::StatusCheck, 60, T0).is_ok() {
        checks += 1;
    }
    assert_eq!(checks, 45);
    for _ in 0..15 {
        assert_eq!(budget.take(CallKind::Push, 60, T0 + 1), Ok(()));
    }
    let wait = budget.take(CallKind::Push, 60, T0 + 2).unwrap_err();
    assert_eq!(wait, BUDGET_WINDOW_MS - 2, "free when the oldest call leaves the window");
    assert_eq!(budget.take(CallKind::Push, 60, T0 + BUDGET_WINDOW_MS), Ok(()));
}

#[test]
fn palpluss_saying_no_blocks_the_budget_until_its_reset() {
    let mut budget = UpstreamBudget::default();
    budget.observe(Some(0), Some(30), false, T0);
    assert_eq!(budget.take(CallKind::Push, 60, T0 + 1_000), Err(29_000));
    assert_eq!(budget.take(CallKind::Push, 60, T0 + 30_000), Ok(()));
    let mut limited = UpstreamBudget::default();
    limited.observe(None, None, true, T0);
    assert_eq!(limited.take(CallKind::StatusCheck, 60, T0), Err(BUDGET_WINDOW_MS));
    let mut fine = UpstreamBudget::default();
    fine.observe(Some(10), Some(30), false, T0);
    assert_eq!(fine.take(CallKind::Push, 60, T0), Ok(()));
}

proptest! {
    /// Whatever the mix and timing of calls, no 60 s window ever holds more than `limit` calls,
    /// and a refusal always names a positive wait.
    #[test]
    fn the_budget_is_never_exceeded(limit in 1u32..80, steps in proptest::collection::vec((0u64..5_000, any::<bool>()), 1..400)) {
        let mut budget = UpstreamBudget::default();
        let mut now = T0;
        let mut taken = Vec::new();
        for (gap, push) in steps {
            now += gap;
            match budget.take(if push { CallKind::Push } else { CallKind::StatusCheck }, limit, now) {
                Ok(()) => taken.push(now),
                Err(wait) => prop_assert!(wait > 0),
            }
        }
        for (i, &start) in taken.iter().enumerate() {
            let in_window = taken[i..].iter().take_while(|&&t| t < start + BUDGET_WINDOW_MS).count();
            prop_assert!(in_window <= limit as usize, "{in_window} calls in the window from {start}");
        }
    }

    /// Arbitrary bytes as a webhook: an answer, never a panic.
    #[test]
    fn any_webhook_body_is_answered(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = WebhookHint::parse(&body);
    }

    /// Arbitrary headers: verification answers, never panics, and never accepts a forgery.
    #[test]
    fn any_signature_header_is_answered(header in ".{0,300}") {
        let verified = verify_webhook(b"{}", &header, "secret", 300, 1_700_000_000);
        prop_assert!(verified.is_err(), "accepted {:?}", header);
    }

    /// Any sequence of observations: a confirmed final status only ever becomes REVERSED (from
    /// SUCCESS), and at most one event per final status.
    #[test]
    fn transitions_are_monotone(statuses in proptest::collection::vec(0usize..8, 0..30)) {
        const ALL: [TransactionStatus; 8] = [Pending, Processing, Success, Failed, Cancelled, Expired, Reversed, TransactionStatus::Unknown];
        let mut p = payment();
        let mut events = Vec::new();
        for (i, index) in statuses.into_iter().enumerate() {
            let before = p.clone();
            let change = p.confirm(&seen(ALL[index], Some("0"), None), T0 + i as u64);
            if before.settled() && p.status != before.status {
                prop_assert_eq!((before.status, p.status), (Success, Reversed));
            }
            events.extend(change.event);
        }
        let mut unique = events.clone();
        unique.dedup();
        prop_assert_eq!(unique.len(), events.len());
        prop_assert!(events.len() <= 2);
    }
}

// ---- merchant events and signatures ----

#[test]
fn an_event_has_a_stable_id_and_the_full_payment() {
    let mut p = payment();
    p.confirm(&seen(Success, Some("0"), Some("K4NZ2Z9YFV")), T0 + 1_000);
    let event = MerchantEvent::new(&p, EventType::Succeeded, T0 + 2_000);
    let again = MerchantEvent::new(&p, EventType::Succeeded, T0 + 30_000);
    assert_eq!(event.id, again.id, "a retry keeps the id");
    assert!(event.id.starts_with("evt_") && event.id.len() == 28, "{}", event.id);
    assert_ne!(event.id, MerchantEvent::new(&p, EventType::Reversed, T0).id);
    let body: serde_json::Value = serde_json::from_str(&event.body()).unwrap();
    assert_eq!(body["type"], "payment.succeeded");
    assert_eq!(body["created"], (T0 + 2_000) / 1000);
    assert_eq!(body["data"]["payment"]["phone"], "254712345678");
    assert_eq!(body["data"]["payment"]["mpesaReceipt"], "K4NZ2Z9YFV");
    assert_eq!(body["id"], event.id.as_str());
}

#[test]
fn retries_follow_the_schedule_then_stop() {
    let delays: Vec<_> = (0..8).map(retry_delay).collect();
    assert_eq!(delays, [None, Some(30), Some(120), Some(600), Some(3_600), Some(21_600), None, None]);
}

#[test]
fn signatures_match_a_known_answer_and_verify() {
    // Computed independently: HMAC-SHA256("whsec_test", "1700000000.{\"id\":\"evt_1\"}").
    let header = sign_event("whsec_test", 1_700_000_000, br#"{"id":"evt_1"}"#);
    assert_eq!(header, "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925");
    let body = br#"{"id":"evt_1"}"#;
    assert_eq!(verify_webhook(body, &header, "whsec_test", 300, 1_700_000_000), Ok(()));
    assert_eq!(verify_webhook(body, &header, "whsec_test", 300, 1_700_000_300), Ok(()));
    assert_eq!(verify_webhook(body, &header, "whsec_test", 300, 1_700_000_301), Err(VerifyError::OutsideTolerance));
    assert_eq!(verify_webhook(body, &header, "whsec_test", 300, 1_699_999_699), Err(VerifyError::OutsideTolerance));
    assert_eq!(
        verify_webhook(br#"{"id":"evt_2"}"#, &header, "whsec_test", 300, 1_700_000_000),
        Err(VerifyError::SignatureMismatch)
    );
    assert_eq!(verify_webhook(body, &header, "whsec_other", 300, 1_700_000_000), Err(VerifyError::SignatureMismatch));
    // A replay with a fresh t but the old signature fails.
    let replayed = header.replace("t=1700000000", "t=1700000500");
    assert_eq!(verify_webhook(body, &replayed, "whsec_test", 300, 1_700_000_500), Err(VerifyError::SignatureMismatch));
    // Several v1 values (secret rotation): one match is enough.
    let rotated = format!("t=1700000000,v1={},{}", "0".repeat(64), header.split_once(',').unwrap().1);
    assert_eq!(verify_webhook(body, &rotated, "whsec_test", 300, 1_700_000_000), Ok(()));
    for bad in ["", "t=1700000000", "v1=abcd", "t=x,v1=ab", "t=1700000000,v1=zz", "t=1700000000,v1=abc", "garbage"] {
        assert!(verify_webhook(body, bad, "whsec_test", 300, 1_700_000_000).is_err(), "{bad:?}");
    }
    assert_eq!(
        verify_webhook(body, "t=1700000000", "whsec_test", 300, 1_700_000_000),
        Err(VerifyError::MalformedHeader)
    );
}

// ---- tokens and encodings ----

#[test]
fn base64url_follows_rfc_4648_without_padding() {
    let vectors = [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ];
    for (input, expected) in vectors {
        assert_eq!(base64url(input.as_bytes()), expected);
    }
    assert_eq!(base64url(&[0xfb, 0xff, 0xbf]), "-_-_", "the URL-safe alphabet");
}

#[test]
fn status_tokens_carry_128_bits_in_22_characters() {
    let a = status_token([7; 16]);
    let b = status_token([8; 16]);
    assert_eq!(a.len(), 22);
    assert_ne!(a, b);
    assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
}

#[test]
fn timestamps_are_iso_8601_utc() {
    assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    assert_eq!(iso8601(1_709_208_000_000), "2024-02-29T12:00:00.000Z");
    assert_eq!(iso8601(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
}

proptest! {
    #[test]
    fn a_webhook_hint_survives_its_text_form(
        id in "[a-z0-9-]{1,40}",
        status in prop::sample::select(vec![Pending, Processing, Success, Failed, Cancelled, Expired, Reversed, Unknown]),
        receipt in prop::option::of("\\PC{0,40}(\n\\PC{0,10})?"),
    ) {
        let hint = WebhookHint { transaction_id: id, status, mpesa_receipt: receipt };
        prop_assert_eq!(WebhookHint::from_text(&hint.to_text()), Some(hint));
    }

    #[test]
    fn an_upstream_budget_survives_its_text_form(times in prop::collection::vec(0u64..10_000_000, 0..70)) {
        let mut budget = UpstreamBudget::default();
        let mut times = times;
        times.sort_unstable();
        for at in times {
            let _ = budget.take(CallKind::Push, 60, at);
        }
        prop_assert_eq!(UpstreamBudget::from_text(&budget.to_text()), Some(budget));
    }
}

#[test]
fn text_forms_refuse_what_they_did_not_write() {
    assert_eq!(WebhookHint::from_text(""), None);
    assert_eq!(WebhookHint::from_text("SUCCESS"), None);
    assert_eq!(WebhookHint::from_text("SUCCESS\n"), None);
    assert_eq!(WebhookHint::from_text("WHATEVER\ntx").map(|h| h.status), Some(Unknown));
    for bad in ["", " ", "x", "1 2 x", "-1", "1  2", "{\"calls\":[]}"] {
        assert_eq!(UpstreamBudget::from_text(bad), None, "{bad:?}");
    }
}
