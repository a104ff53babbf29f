//! The key's health (native, time a parameter): the breaker, the window and its admission while at
//! risk, the once-per-change events, the stored form, and the configuration of its thresholds.
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies

use palpluss_stk::edge::config::Config;
use palpluss_stk::edge::events::EventType;
use palpluss_stk::edge::health::{
    ban_until, is_ban, key_event, HealthSettings, KeyHealth, KeyState, Payer, Refused, HOUR_MS, PENDING_FOR_MS,
};
use palpluss_stk::edge::reply::Refusal;
use palpluss_stk::edge::variables::Variable;
use palpluss_stk::Locale;
use proptest::prelude::*;

const MIN: u64 = 60_000;

fn settings() -> HealthSettings {
    HealthSettings::default()
}

fn stranger() -> Payer {
    Payer::default()
}

/// A key with these outcomes (paid or not), one a second from `start`.
fn key_with(outcomes: &[bool], start: u64) -> KeyHealth {
    let s = settings();
    let mut key = KeyHealth::default();
    for (i, &paid) in outcomes.iter().enumerate() {
        let at = start + i as u64 * 1000;
        let slot = key.admit(at, Payer { paid_at: Some(at), failed_at: None }, &s).unwrap();
        key.outcome(Some(slot), paid, at, &s);
    }
    key
}

// ---- the breaker ----

#[test]
fn a_ban_refuses_every_push_until_it_ends_and_says_until_when() {
    let s = settings();
    let mut key = KeyHealth::default();
    key.ban(HOUR_MS);
    for now in [0, 1, HOUR_MS - 1] {
        assert_eq!(key.state(now, &s), KeyState::Banned { until: HOUR_MS });
        // Known payers too: the ban is PalPluss's, every push into it fails.
        let payer = Payer { paid_at: Some(0), failed_at: None };
        assert_eq!(key.admit(now, payer, &s), Err(Refused::Banned { until: HOUR_MS }));
    }
    assert_eq!(key.state(HOUR_MS, &s), KeyState::Ok);
    assert!(key.admit(HOUR_MS, stranger(), &s).is_ok());
    // A longer ban extends it; a shorter one does not shorten it.
    key.ban(2 * HOUR_MS);
    key.ban(HOUR_MS + 5);
    assert_eq!(key.state(HOUR_MS + 10, &s), KeyState::Banned { until: 2 * HOUR_MS });
}

#[test]
fn the_ban_comes_from_palplusss_answer() {
    let body = br#"{"success":false,"error":{"code":"STK_TEMP_BANNED","message":"m","details":{"retryAfterSeconds":3599}},"requestId":"r"}"#;
    assert!(is_ban(429, body));
    assert!(!is_ban(400, body));
    let limited = br#"{"success":false,"error":{"code":"RATE_LIMIT_EXCEEDED","message":"m"},"requestId":"r"}"#;
    assert!(!is_ban(429, limited));
    assert!(!is_ban(429, b"<html>"));
    assert_eq!(ban_until(body, Some("10"), 5_000), 5_000 + 3_599_000);
    // A ban longer than a day is read as a day (a wrong number must not stop payments for weeks).
    let long = br#"{"success":false,"error":{"code":"STK_TEMP_BANNED","message":"m","details":{"retryAfterSeconds":9999999}},"requestId":"r"}"#;
    assert_eq!(ban_until(long, None, 0), 86_400_000);
}

#[test]
fn the_ban_refusal_says_prompts_are_paused_and_for_how_long() {
    let en = Refusal::key_health(Refused::Banned { until: 3_000_500 }, 1_000, Locale::En);
    assert_eq!((en.status, en.code.as_str(), en.retry_after_s()), (429, "STK_TEMP_BANNED", Some(3_000)));
    assert_eq!(en.message, "Payments by M-Pesa prompt are paused for about 50 minutes. Please try again later.");
    let sw = Refusal::key_health(Refused::Banned { until: 61_000 }, 1_000, Locale::Sw);
    assert_eq!(
        sw.message,
        "Malipo kwa ombi la M-Pesa yamesitishwa kwa takriban sekunde 60. Tafadhali jaribu tena baadaye."
    );
    let busy = Refusal::key_health(Refused::Busy { retry_after_s: 7 }, 0, Locale::En);
    assert_eq!((busy.code.as_str(), busy.retry_after_s()), ("BUSY", Some(7)));
    let phone = Refusal::key_health(Refused::PhoneFailed { retry_after_s: 9 }, 0, Locale::En);
    assert_eq!((phone.code.as_str(), phone.retry_after_s()), ("PHONE_LIMIT", Some(9)));
}

// ---- the window ----

#[test]
fn fewer_outcomes_than_the_minimum_say_nothing() {
    let s = settings();
    assert_eq!(key_with(&[false; 9], 0).state(10_000, &s), KeyState::Ok);
    assert_eq!(key_with(&[false; 10], 0).state(10_000, &s), KeyState::AtRisk);
}

#[test]
fn the_share_is_of_the_newest_outcomes_within_the_minutes() {
    let s = settings();
    // 3 of 10 paid is the line itself: ok. 2 of 10 is below.
    let mut outcomes = vec![true, true, true];
    outcomes.extend([false; 7]);
    assert_eq!(key_with(&outcomes, 0).state(10_000, &s), KeyState::Ok);
    outcomes[0] = false;
    assert_eq!(key_with(&outcomes, 0).state(10_000, &s), KeyState::AtRisk);
    // Only the 20 newest count: 20 failures, then 20 payments, is healthy.
    let mut many = vec![false; 20];
    many.extend([true; 20]);
    let key = key_with(&many, 0);
    assert_eq!(key.share(40_000, &s), (20, 20));
    // Outcomes older than 30 minutes do not count: the key is ok again on its own.
    let key = key_with(&[false; 10], 0);
    assert_eq!(key.state(30 * MIN - 1, &s), KeyState::AtRisk);
    assert_eq!(key.state(30 * MIN, &s), KeyState::Ok, "the oldest left, 9 remain: too few");
}

#[test]
fn at_risk_known_payers_go_first_and_others_only_within_the_share() {
    let s = settings();
    let start = 40 * 86_400_000;
    let now = start + 20_000;
    // 2 paid of 10: at risk. A stranger counted as a failure makes 2/11: refused.
    let mut outcomes = vec![true, true];
    outcomes.extend([false; 8]);
    let mut key = key_with(&outcomes, start);
    assert_eq!(key.state(now, &s), KeyState::AtRisk);
    match key.admit(now, stranger(), &s) {
        Err(Refused::Busy { retry_after_s }) => {
            // The oldest failure (2 s after the start) leaves the 30 minutes then.
            assert_eq!(retry_after_s, (start + 2_000 + 30 * MIN - now) / 1000);
        }
        other => panic!("{other:?}"),
    }
    // A phone that paid here within 30 days goes through.
    let payer = Payer { paid_at: Some(now - 29 * 86_400_000), failed_at: None };
    assert!(key.admit(now, payer, &s).is_ok());
    let lapsed = Payer { paid_at: Some(now - 31 * 86_400_000), failed_at: None };
    assert!(matches!(key.admit(now, lapsed, &s), Err(Refused::Busy { .. })));
}

#[test]
fn at_risk_a_phone_whose_last_push_failed_this_hour_waits_out_the_hour() {
    let s = settings();
    let mut key = key_with(&[false; 10], 0);
    let now = 100_000;
    let failed = Payer { paid_at: Some(0), failed_at: Some(40_000) };
    assert_eq!(
        key.admit(now, failed, &s),
        Err(Refused::PhoneFailed { retry_after_s: (40_000 + HOUR_MS - now) / 1000 })
    );
    // A payment after the failure: its last push paid.
    let paid_since = Payer { paid_at: Some(50_000), failed_at: Some(40_000) };
    assert!(key.admit(now, paid_since, &s).is_ok());
    // An hour after the failure the phone is a stranger again (with the key still at risk).
    let mut still = key_with(&[false; 10], 40_000 + HOUR_MS - 20_000);
    let later = Payer { paid_at: None, failed_at: Some(40_000) };
    assert!(matches!(still.admit(40_000 + HOUR_MS, later, &s), Err(Refused::Busy { .. })));
    // While ok, nothing of this applies.
    let mut fresh = KeyHealth::default();
    assert!(fresh.admit(now, failed, &s).is_ok());
}

#[test]
fn pending_pushes_count_as_failures_while_at_risk_until_they_expire() {
    let s = HealthSettings { min_outcomes: 4, ..settings() };
    // 3 paid of 10 is at the line (ok); one more failure tips it.
    let mut outcomes = vec![true, true, true];
    outcomes.extend([false; 7]);
    let mut key = key_with(&outcomes, 0);
    // At the line, a stranger counted as a failure would take the share under it.
    assert!(matches!(key.admit(10_000, stranger(), &s), Err(Refused::Busy { .. })));
    key.outcome(None, false, 11_000, &s);
    assert_eq!(key.state(11_000, &s), KeyState::AtRisk);
    // Known payers are admitted (and pending) while at risk: 3 paid of 10 outcomes + 2 pending.
    let payer = Payer { paid_at: Some(1), failed_at: None };
    key.admit(12_000, payer, &s).unwrap();
    key.admit(12_000, payer, &s).unwrap();
    assert_eq!(key.pending(12_000), 2);
    assert_eq!(key.pending(12_001 + PENDING_FOR_MS), 0);
    // Two of the payers pay: 5 of 12 (the window keeps the 20 newest) is healthy again.
    key.outcome(None, true, 13_000, &s);
    key.outcome(None, true, 13_000, &s);
    assert_eq!(key.state(13_000, &s), KeyState::Ok);
}

#[test]
fn while_ok_the_pushes_in_flight_are_bounded_by_what_is_known() {
    let s = settings();
    // 6 paid of 10: ok. A stranger counted as a failure with every pending one: 6 / (10 + P + 1)
    // stays at or above 0.3 for up to 9 pending pushes.
    let mut outcomes = vec![true; 6];
    outcomes.extend([false; 4]);
    let mut key = key_with(&outcomes, 0);
    for n in 0..10 {
        assert!(key.admit(20_000, stranger(), &s).is_ok(), "stranger {n}");
    }
    assert_eq!(key.state(20_000, &s), KeyState::Ok);
    assert!(matches!(key.admit(20_000, stranger(), &s), Err(Refused::Busy { .. })), "the 11th in flight");
    assert!(key.admit(20_000, Payer { paid_at: Some(1), failed_at: None }, &s).is_ok(), "a known payer still goes");
    // Before anything is known, nothing is judged: a new deployment's first customers all go.
    let mut fresh = KeyHealth::default();
    for _ in 0..100 {
        assert!(fresh.admit(0, stranger(), &s).is_ok());
    }
}

#[test]
fn released_slots_stop_counting() {
    let s = settings();
    let mut key = KeyHealth::default();
    let a = key.admit(0, stranger(), &s).unwrap();
    let b = key.admit(0, stranger(), &s).unwrap();
    assert_ne!(a, b, "two pushes in one millisecond get distinct slots");
    key.release(a);
    assert_eq!(key.pending(1), 1);
}

#[test]
fn a_zero_rate_switches_the_window_off_but_not_the_breaker() {
    let s = HealthSettings { min_success_permille: 0, ..settings() };
    let mut key = key_with(&[false; 20], 0);
    assert_eq!(key.state(20_000, &s), KeyState::Ok);
    assert!(key.admit(20_000, stranger(), &s).is_ok());
    key.ban(HOUR_MS);
    assert!(matches!(key.admit(20_000, stranger(), &s), Err(Refused::Banned { .. })));
}

// ---- telling the merchant ----

#[test]
fn each_change_of_state_is_told_once() {
    let s = settings();
    let mut key = KeyHealth::default();
    assert_eq!(key.transition(0, &s), None, "ok from the start: nothing to say");
    for i in 0..10 {
        key.outcome(None, false, i, &s);
    }
    assert_eq!(key.transition(10, &s), Some(KeyState::AtRisk));
    assert_eq!(key.transition(11, &s), None);
    key.ban(HOUR_MS);
    assert_eq!(key.transition(12, &s), Some(KeyState::Banned { until: HOUR_MS }));
    assert_eq!(key.transition(13, &s), None);
    assert_eq!(key.next_change(13, &s), Some(HOUR_MS));
    // The ban ends after the failures left the window: ok, told as restored.
    assert_eq!(key.transition(HOUR_MS, &s), Some(KeyState::Ok));
    assert_eq!(key.next_change(HOUR_MS, &s), None);
}

#[test]
fn key_events_carry_the_state() {
    let s = settings();
    let mut key = KeyHealth::default();
    key.ban(1_796_029_200_000);
    let view = key.view(1_796_026_500_000, &s);
    assert_eq!(view["state"], "banned");
    assert_eq!(view["until"], "2026-11-30T09:00:00.000Z");
    assert_eq!(view["outcomes"], 0);
    assert!(view["successRate"].is_null());
    let event = key_event(KeyState::Banned { until: 1_796_029_200_000 }, view.clone(), 1_796_026_500_000);
    assert_eq!(event.kind, EventType::KeyBanned);
    assert_eq!(event.kind.as_str(), "key.banned");
    assert_eq!(event.data["key"], view);
    assert_eq!(event.created, 1_796_026_500);
    assert!(event.id.starts_with("evt_") && event.id.len() == 28);
    let body: serde_json::Value = serde_json::from_str(&event.body()).unwrap();
    assert_eq!(body["type"], "key.banned");
    assert_eq!(key_event(KeyState::Ok, view.clone(), 1).kind, EventType::KeyRestored);
    assert_eq!(key_event(KeyState::AtRisk, view, 1).kind.as_str(), "key.at_risk");
    let rated = key_with(&[true, false, false], 0).view(3_000, &s);
    assert_eq!((rated["state"].as_str(), rated["successRate"].as_f64()), (Some("ok"), Some(0.333)));
}

#[test]
fn the_stored_form_round_trips() {
    let s = settings();
    let mut key = key_with(&[true, false], 0);
    key.ban(99);
    key.admit(5, stranger(), &s).ok();
    key.transition(5, &s);
    assert_eq!(KeyHealth::from_text(&key.to_text()), Some(key));
}

// ---- configuration ----

#[test]
fn the_thresholds_are_variables_with_defaults() {
    let base = |name: &str| match name {
        "PALPLUSS_API_KEY" => Some("fake_api_key_0123456789".to_owned()),
        "CALLBACK_URL" => Some("https://shop.example/mpesa".to_owned()),
        _ => None,
    };
    assert_eq!(*Config::from_lookup(base).unwrap().health(), HealthSettings::default());
    let set = |pairs: &'static [(&'static str, &'static str)]| {
        Config::from_lookup(move |name| {
            pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()).or(base(name))
        })
    };
    let c = set(&[
        ("HEALTH_WINDOW", "50"),
        ("HEALTH_WINDOW_MINUTES", "5"),
        ("HEALTH_MIN_OUTCOMES", "3"),
        ("HEALTH_MIN_SUCCESS_RATE", "0.25"),
        ("HEALTH_KNOWN_PAYER_DAYS", "0"),
    ])
    .unwrap();
    assert_eq!(
        *c.health(),
        HealthSettings {
            window: 50,
            window_ms: 5 * MIN,
            min_outcomes: 3,
            min_success_permille: 250,
            known_payer_ms: 0
        }
    );
    for (rate, permille) in [("0", 0), ("1", 1000), ("0.5", 500), ("0.05", 50), ("0.333", 333), ("1.000", 1000)] {
        let pairs: &'static [(&'static str, &'static str)] =
            Box::leak(vec![("HEALTH_MIN_SUCCESS_RATE", rate)].into_boxed_slice());
        assert_eq!(set(pairs).unwrap().health().min_success_permille, permille, "{rate}");
    }
    for (name, bad) in [
        ("HEALTH_MIN_SUCCESS_RATE", "1.5"),
        ("HEALTH_MIN_SUCCESS_RATE", "30%"),
        ("HEALTH_MIN_SUCCESS_RATE", "0.3333"),
        ("HEALTH_MIN_SUCCESS_RATE", ".3"),
        ("HEALTH_WINDOW", "0"),
        ("HEALTH_WINDOW_MINUTES", "1441"),
        ("HEALTH_MIN_OUTCOMES", "x"),
        ("HEALTH_KNOWN_PAYER_DAYS", "366"),
    ] {
        let pairs: &'static [(&'static str, &'static str)] = Box::leak(vec![(name, bad)].into_boxed_slice());
        let error = set(pairs).unwrap_err();
        assert_eq!(error.code(), ["CONFIG_INVALID_", name].concat(), "{name}={bad}");
        assert!(Variable::ALL.contains(&error.variable));
    }
}

// ---- properties ----

/// What happens to the key, one step at a time.
#[derive(Clone, Debug)]
enum Step {
    Wait(u64),
    Push { known: bool },
    Paid,
    Failed,
    Ban(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u64..5 * MIN).prop_map(Step::Wait),
        any::<bool>().prop_map(|known| Step::Push { known }),
        Just(Step::Paid),
        Just(Step::Failed),
        (1u64..2 * HOUR_MS).prop_map(Step::Ban),
    ]
}

fn small_settings() -> impl Strategy<Value = HealthSettings> {
    (1usize..30, 1u64..40, 1usize..15, 0u32..=1000).prop_map(|(window, minutes, min_outcomes, permille)| {
        HealthSettings { window, window_ms: minutes * MIN, min_outcomes, min_success_permille: permille, ..settings() }
    })
}

proptest! {
    /// The state never says ok while a ban runs, and the breaker never admits a push before `until`.
    #[test]
    fn no_push_goes_into_a_ban(s in small_settings(), steps in proptest::collection::vec(step(), 1..80)) {
        let mut key = KeyHealth::default();
        let (mut now, mut until) = (1_000u64, 0u64);
        let mut slots = Vec::new();
        for step in steps {
            match step {
                Step::Wait(ms) => now += ms,
                Step::Push { known } => {
                    let payer = Payer { paid_at: known.then_some(now), failed_at: None };
                    match key.admit(now, payer, &s) {
                        Ok(slot) => {
                            prop_assert!(now >= until, "admitted at {now} before the ban's end {until}");
                            slots.push(slot);
                        }
                        Err(Refused::Banned { until: told }) => prop_assert_eq!(told, until),
                        Err(_) => {}
                    }
                }
                Step::Paid | Step::Failed => key.outcome(slots.pop(), matches!(step, Step::Paid), now, &s),
                Step::Ban(ms) => {
                    until = until.max(now + ms);
                    key.ban(now + ms);
                }
            }
            if now < until {
                prop_assert_eq!(key.state(now, &s), KeyState::Banned { until });
            } else {
                prop_assert_ne!(key.state(now, &s).as_str(), "banned");
            }
        }
    }

    /// While at risk, no admitted push of a stranger, failing with every other pending push,
    /// takes the window's share below the threshold.
    #[test]
    fn at_risk_admitted_failures_keep_the_share(
        s in small_settings(),
        history in proptest::collection::vec(any::<bool>(), 0..40),
        tries in 1usize..40,
    ) {
        let mut key = KeyHealth::default();
        for (i, paid) in history.iter().enumerate() {
            key.outcome(None, *paid, i as u64, &s);
        }
        let now = history.len() as u64;
        let at_risk = key.state(now, &s) == KeyState::AtRisk;
        let mut admitted = Vec::new();
        for _ in 0..tries {
            if let Ok(slot) = key.admit(now, Payer::default(), &s) {
                admitted.push(slot);
            }
        }
        if at_risk {
            // Every admitted push fails: the share of the window, failures counted, stays at or
            // above the line (here: nothing was admitted, since the share was already below it).
            let (paid, total) = key.share(now, &s);
            let with_failures = total + admitted.len();
            prop_assert!(paid as u64 * 1000 >= u64::from(s.min_success_permille) * with_failures as u64 || admitted.is_empty());
            for slot in admitted {
                key.outcome(Some(slot), false, now, &s);
            }
        }
    }

    /// The stored form survives any history.
    #[test]
    fn any_history_round_trips(s in small_settings(), steps in proptest::collection::vec(step(), 0..40)) {
        let mut key = KeyHealth::default();
        let mut now = 0;
        for step in steps {
            match step {
                Step::Wait(ms) => now += ms,
                Step::Push { known } => { let _ = key.admit(now, Payer { paid_at: known.then_some(now), failed_at: None }, &s); }
                Step::Paid => key.outcome(None, true, now, &s),
                Step::Failed => key.outcome(None, false, now, &s),
                Step::Ban(ms) => key.ban(now + ms),
            }
            key.transition(now, &s);
        }
        prop_assert_eq!(KeyHealth::from_text(&key.to_text()), Some(key));
    }
}

#[test]
fn known_payers_go_first_in_the_upstream_budget_once_the_key_is_judged() {
    use palpluss_stk::edge::budget::{CallKind, UpstreamBudget};
    let s = settings();
    let stranger_first = |key: &KeyHealth| key.first_in_line(20_000, stranger(), &s);
    assert!(stranger_first(&KeyHealth::default()), "nothing known: every push is first");
    // All paid: far from the line (0.3), everyone is first.
    assert!(stranger_first(&key_with(&[true; 10], 0)));
    // 5 of 10 paid is under twice the line: strangers wait behind known payers in the budget.
    let mut half = vec![true; 5];
    half.extend([false; 5]);
    let key = key_with(&half, 0);
    assert!(!stranger_first(&key));
    assert!(key.first_in_line(20_000, Payer { paid_at: Some(5_000), failed_at: None }, &s));
    // 6 of 10 is twice the line, until a push is pending (counted as a failure).
    let mut six = vec![true; 6];
    six.extend([false; 4]);
    let mut key = key_with(&six, 0);
    assert!(stranger_first(&key));
    key.admit(20_000, stranger(), &s).unwrap();
    assert!(!stranger_first(&key));
    // New pushes use at most half the budget; known payers and status checks find the rest.
    let mut budget = UpstreamBudget::default();
    let news = (0..60).filter(|_| budget.take(CallKind::NewPush, 60, 1_000).is_ok()).count();
    assert_eq!(news, 30);
    assert_eq!(budget.take(CallKind::StatusCheck, 60, 1_000), Ok(()));
    assert_eq!(budget.take(CallKind::Push, 60, 1_000), Ok(()));
}

#[test]
fn merchants_verify_and_read_key_events_like_payment_events() {
    use palpluss_stk::edge::events::{sign_event, verify_webhook, MerchantEvent, DEFAULT_TOLERANCE_S};
    let s = settings();
    let key = key_with(&[false; 10], 0);
    let event = key_event(KeyState::AtRisk, key.view(10_000, &s), 1_796_026_500_000);
    let body = event.body();
    let header = sign_event("msec_example_0123456789", 1_796_026_500, body.as_bytes());
    assert_eq!(
        verify_webhook(body.as_bytes(), &header, "msec_example_0123456789", DEFAULT_TOLERANCE_S, 1_796_026_510),
        Ok(())
    );
    let read: MerchantEvent = serde_json::from_slice(body.as_bytes()).unwrap();
    assert_eq!(read, event);
    assert_eq!(read.kind, EventType::KeyAtRisk);
    assert_eq!(read.data["key"]["state"], "at_risk");
    assert_eq!(read.data["key"]["successRate"], 0.0);
}
