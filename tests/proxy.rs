//! The Worker's decisions, tested natively: configuration, Authorization, CORS, the upstream body,
//! Retry-After, redaction and log masking.
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies

use std::collections::HashMap;

use palpluss_stk::proxy::{self, Config, Variable};
use palpluss_stk::{CheckoutForm, Limits, Locale, RawStkRequest};

const KEY: &str = "fake_api_key_0123456789";

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = [("PALPLUSS_API_KEY", KEY), ("CALLBACK_URL", "https://shop.example/mpesa")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in pairs {
        map.insert(k.to_string(), v.to_string());
    }
    map
}

fn config(pairs: &[(&str, &str)]) -> Result<Config, proxy::ConfigError> {
    let map = vars(pairs);
    Config::from_lookup(|name| map.get(name).cloned())
}

fn form() -> CheckoutForm {
    let raw: RawStkRequest = serde_json::from_str(
        r#"{"amount": 10, "phone": "0712345678", "accountReference": "A1", "transactionDesc": "Tea"}"#,
    )
    .unwrap();
    CheckoutForm::validate(&raw, &Limits::default()).unwrap()
}

#[test]
fn defaults_and_required_variables() {
    let c = config(&[]).unwrap();
    assert_eq!(c.stk_url(), "https://api.palpluss.com/v1/payments/stk");
    assert_eq!(c.limits().amount_max(), 250_000);
    assert_eq!(c.upstream_timeout_ms(), 15_000);
    assert!(!c.origin_allowed("https://shop.example"), "no origins unless configured");
    for (name, code) in
        [("PALPLUSS_API_KEY", "CONFIG_MISSING_PALPLUSS_API_KEY"), ("CALLBACK_URL", "CONFIG_MISSING_CALLBACK_URL")]
    {
        let err = config(&[(name, "   ")]).unwrap_err();
        assert_eq!(err.code(), code);
        assert!(err.message().contains(name));
    }
}

#[test]
fn malformed_values_name_the_variable_and_never_the_value() {
    let cases = [
        ("PALPLUSS_API_KEY", "key with spaces", Variable::ApiKey),
        ("PALPLUSS_BASE_URL", "http://api.palpluss.com/v1", Variable::BaseUrl),
        ("PALPLUSS_BASE_URL", "https://api.palpluss.com/v1?x=1", Variable::BaseUrl),
        ("CALLBACK_URL", "http://shop.example/cb", Variable::CallbackUrl),
        ("CALLBACK_URL", "http://127.0.0.1:8788/cb", Variable::CallbackUrl),
        ("ALLOWED_ORIGINS", "*", Variable::AllowedOrigins),
        ("ALLOWED_ORIGINS", "https://shop.example/", Variable::AllowedOrigins),
        ("PALPLUSS_CHANNEL_ID", "channel-1", Variable::ChannelId),
        ("PALPLUSS_CREDENTIAL_ID", "123", Variable::CredentialId),
        ("AMOUNT_MAX", "0", Variable::AmountMax),
        ("AMOUNT_MAX", "1e6", Variable::AmountMax),
        ("AMOUNT_MAX", "-5", Variable::AmountMax),
        ("UPSTREAM_TIMEOUT_MS", "99", Variable::UpstreamTimeoutMs),
        ("UPSTREAM_TIMEOUT_MS", "120001", Variable::UpstreamTimeoutMs),
        ("UPSTREAM_TIMEOUT_MS", "99999999999999999999999", Variable::UpstreamTimeoutMs),
        ("WEBHOOK_SECRET", "short", Variable::WebhookSecret),
        ("WEBHOOK_SECRET", "has/a/slash/in/it/0123", Variable::WebhookSecret),
        ("MERCHANT_WEBHOOK_URL", "http://merchant.example/events", Variable::MerchantWebhookUrl),
        ("MERCHANT_WEBHOOK_URL", "not a url", Variable::MerchantWebhookUrl),
        ("UPSTREAM_RATE_PER_MINUTE", "-3", Variable::UpstreamRatePerMinute),
        ("UPSTREAM_RATE_PER_MINUTE", "sixty", Variable::UpstreamRatePerMinute),
        ("RETENTION_DAYS", "0", Variable::RetentionDays),
        ("RETENTION_DAYS", "1.5", Variable::RetentionDays),
        ("RETENTION_DAYS", "36500", Variable::RetentionDays),
    ];
    for (name, value, variable) in cases {
        let err = config(&[(name, value)]).unwrap_err();
        assert_eq!((err.variable, err.missing), (variable, false), "{name}={value}");
        assert_eq!(err.code(), format!("CONFIG_INVALID_{name}"));
        assert!(!err.message().contains(value), "{}", err.message());
    }
}

#[test]
fn loopback_http_only_with_the_simulator() {
    let sim = config(&[
        ("PALPLUSS_BASE_URL", "http://127.0.0.1:8788/v1/"),
        ("CALLBACK_URL", "http://127.0.0.1:8788/dev/webhooks"),
    ])
    .unwrap();
    assert_eq!(sim.stk_url(), "http://127.0.0.1:8788/v1/payments/stk");
    assert!(config(&[("PALPLUSS_BASE_URL", "http://localhost/v1")]).is_ok());
    assert!(config(&[("PALPLUSS_BASE_URL", "http://127.0.0.1.evil.example/v1")]).is_err());
    assert!(config(&[("PALPLUSS_BASE_URL", "http://localhost:99999999/v1")]).is_err());
}

#[test]
fn authorization_is_basic_key_colon() {
    let c = config(&[]).unwrap();
    // base64("fake_api_key_0123456789:"), computed independently.
    assert_eq!(c.authorization(), "Basic ZmFrZV9hcGlfa2V5XzAxMjM0NTY3ODk6");
    assert_eq!(c.secrets(), [KEY.to_owned(), "ZmFrZV9hcGlfa2V5XzAxMjM0NTY3ODk6".to_owned()]);
    for (key, encoded) in [("a", "YTo="), ("ab", "YWI6"), ("abc", "YWJjOg==")] {
        let c = config(&[("PALPLUSS_API_KEY", key)]).unwrap();
        assert_eq!(c.authorization(), format!("Basic {encoded}"));
    }
    assert!(!format!("{c:?}").contains(KEY));
}

#[test]
fn origins_match_exactly() {
    let c = config(&[("ALLOWED_ORIGINS", " https://shop.example ,http://localhost:8080")]).unwrap();
    assert!(c.origin_allowed("https://shop.example"));
    assert!(c.origin_allowed("http://localhost:8080"));
    for other in ["https://shop.example.evil", "http://shop.example", "https://SHOP.example", "null", ""] {
        assert!(!c.origin_allowed(other), "{other}");
    }
}

#[test]
fn the_upstream_body_adds_the_server_fields() {
    let plain = config(&[]).unwrap().upstream_body(&form(), "https://shop.example/mpesa");
    assert_eq!(
        plain,
        r#"{"amount":10,"phone":"254712345678","accountReference":"A1","transactionDesc":"Tea","callbackUrl":"https://shop.example/mpesa"}"#
    );
    let routed = config(&[
        ("PALPLUSS_CHANNEL_ID", "3F2B9C1E-8D4A-4C6B-9E2F-1A2B3C4D5E6F"),
        ("PALPLUSS_CREDENTIAL_ID", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"),
    ])
    .unwrap()
    .upstream_body(&form(), "https://shop.example/mpesa");
    let value: serde_json::Value = serde_json::from_str(&routed).unwrap();
    assert_eq!(value["channelId"], "3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6f");
    assert_eq!(value["credential_id"], "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
}

#[test]
fn retry_after_prefers_the_header_then_the_body_then_a_default() {
    let body = |details: &str| {
        format!(
            r#"{{"success":false,"error":{{"code":"STK_TEMP_BANNED","message":"m","details":{details}}},"requestId":"r"}}"#
        )
    };
    assert_eq!(proxy::retry_after(Some(" 120 "), b""), "120");
    assert_eq!(proxy::retry_after(Some("Wed, 21 Oct 2026 07:28:00 GMT"), b""), "Wed, 21 Oct 2026 07:28:00 GMT");
    assert_eq!(proxy::retry_after(Some("-1"), body(r#"{"retryAfterSeconds": 10}"#).as_bytes()), "10");
    assert_eq!(proxy::retry_after(None, body(r#"{"retryAfterSeconds": "90"}"#).as_bytes()), "90");
    assert_eq!(proxy::retry_after(None, body(r#"{"other": 1}"#).as_bytes()), "60");
    assert_eq!(proxy::retry_after(Some("x\r\nSet-Cookie: a=b"), b"<html>"), "60");
}

#[test]
fn redaction_masking_and_helpers() {
    let config = config(&[]).unwrap();
    let secrets = config.secrets();
    let leaked = format!("key {KEY} and Basic {} twice {KEY}", secrets[1]);
    assert_eq!(proxy::redact(&leaked, secrets), "key [redacted] and Basic [redacted] twice [redacted]");
    assert_eq!(proxy::mask_phone("254712345678"), "2547******78");
    assert_eq!(proxy::mask_phone("0712345678"), "************");
    assert!(proxy::is_json_content_type("application/json; charset=UTF-8"));
    assert!(proxy::is_json_content_type("Application/JSON"));
    assert!(!proxy::is_json_content_type("application/jsonp"));
    assert!(!proxy::is_json_content_type("text/plain"));
    let id = proxy::uuid_v4([0xff; 16]);
    assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    assert_eq!(proxy::uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
}

#[test]
fn presence_never_reveals_values() {
    let map = vars(&[("AMOUNT_MAX", "1000")]);
    let presence = Config::presence(|name| map.get(name).cloned());
    assert_eq!(presence.len(), Variable::ALL.len());
    assert!(presence.contains(&("PALPLUSS_API_KEY", true, true)));
    assert!(presence.contains(&("ALLOWED_ORIGINS", false, false)));
    assert!(presence.contains(&("AMOUNT_MAX", true, false)));
}

const WEBHOOK_SECRET: &str = "whk_0123456789abcdef";

#[test]
fn the_callback_is_derived_from_the_host_when_only_the_webhook_secret_is_set() {
    let derived = config(&[("CALLBACK_URL", ""), ("WEBHOOK_SECRET", WEBHOOK_SECRET)]).unwrap();
    assert_eq!(
        derived.callback_url("https://pay.shop.example/payments/stk?x=1").as_deref(),
        Some("https://pay.shop.example/webhooks/palpluss/whk_0123456789abcdef")
    );
    assert_eq!(
        derived.callback_url("http://localhost:8787/payments/stk").as_deref(),
        Some("http://localhost:8787/webhooks/palpluss/whk_0123456789abcdef")
    );
    assert_eq!(derived.callback_url("http://evil@host/x"), None);
    // A set CALLBACK_URL wins over the derived one.
    let explicit = config(&[("WEBHOOK_SECRET", WEBHOOK_SECRET)]).unwrap();
    assert_eq!(explicit.callback_url("https://pay.shop.example/x").as_deref(), Some("https://shop.example/mpesa"));
    // Neither: the callback is missing.
    assert_eq!(config(&[("CALLBACK_URL", "")]).unwrap_err().code(), "CONFIG_MISSING_CALLBACK_URL");
}

#[test]
fn base_path_mounts_every_route_and_the_derived_callback_under_it() {
    use palpluss_stk::edge::route::{under_base_path, Route};
    let mounted = config(&[("CALLBACK_URL", ""), ("WEBHOOK_SECRET", WEBHOOK_SECRET), ("BASE_PATH", "/pay/")]).unwrap();
    assert_eq!(mounted.base_path(), "/pay");
    assert_eq!(
        mounted.callback_url("https://shop.example/pay/payments/stk").as_deref(),
        Some("https://shop.example/pay/webhooks/palpluss/whk_0123456789abcdef")
    );
    let route = |path| under_base_path(path, mounted.base_path()).map(Route::of);
    assert_eq!(route("/pay/payments/stk"), Some(Route::Push));
    assert_eq!(route("/pay/health"), Some(Route::Health));
    assert_eq!(route("/pay/webhooks/palpluss/s"), Some(Route::Webhook("s")));
    assert_eq!(route("/payments/stk"), None, "outside the base path");
    assert_eq!(route("/payments"), None);
    assert_eq!(route("/pay2/payments/stk"), None);
    assert_eq!(config(&[]).unwrap().base_path(), "", "the root by default");
    for bad in ["shop", "/shop//x", "/shop/../admin", "/shop?x", "/sh%6fp", "/shop x"] {
        let error = config(&[("BASE_PATH", bad)]).unwrap_err();
        assert_eq!(error.code(), "CONFIG_INVALID_BASE_PATH", "{bad}");
        assert!(!error.message().contains(bad), "never the value: {bad}");
    }
    assert_eq!(proxy::loggable_path("/pay/webhooks/palpluss/whk_0123456789abcdef"), "/pay/webhooks/palpluss/***");
}

#[test]
fn the_webhook_secret_is_compared_exactly_and_redacted_everywhere() {
    let c = config(&[("WEBHOOK_SECRET", WEBHOOK_SECRET)]).unwrap();
    assert!(c.webhook_secret_matches(WEBHOOK_SECRET));
    for other in ["", "whk_0123456789abcdeF", "whk_0123456789abcde", "whk_0123456789abcdef0"] {
        assert!(!c.webhook_secret_matches(other), "{other}");
    }
    assert!(!config(&[]).unwrap().webhook_secret_matches(""), "no secret, no webhook route");
    assert!(c.secrets().contains(&WEBHOOK_SECRET.to_owned()));
    assert!(!format!("{c:?}").contains(WEBHOOK_SECRET));
    assert_eq!(proxy::loggable_path("/webhooks/palpluss/whk_0123456789abcdef"), "/webhooks/palpluss/***");
    assert_eq!(proxy::loggable_path("/payments/stk"), "/payments/stk");
}

#[test]
fn merchant_events_need_both_url_and_secret() {
    let err = config(&[("MERCHANT_WEBHOOK_URL", "https://merchant.example/events")]).unwrap_err();
    assert_eq!(err.code(), "CONFIG_MISSING_MERCHANT_WEBHOOK_SECRET");
    let c = config(&[
        ("MERCHANT_WEBHOOK_URL", "https://merchant.example/events"),
        ("MERCHANT_WEBHOOK_SECRET", "msec_0123456789abcdef"),
    ])
    .unwrap();
    let merchant = c.merchant_webhook().unwrap();
    assert_eq!(merchant.url, "https://merchant.example/events");
    assert!(c.secrets().contains(&"msec_0123456789abcdef".to_owned()));
    assert!(!format!("{c:?}").contains("msec_0123456789abcdef"));
    assert!(config(&[]).unwrap().merchant_webhook().is_none());
}

#[test]
fn merchant_secrets_in_both_forms_and_two_while_rotating() {
    use palpluss_stk::edge::events::{sign_event_with, verify_webhook};
    // The Standard Webhooks specification's published example secret (not a real one).
    const STANDARD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const PLAIN: &str = "msec_0123456789abcdef";
    let with = |secret| {
        config(&[("MERCHANT_WEBHOOK_URL", "https://merchant.example/events"), ("MERCHANT_WEBHOOK_SECRET", secret)])
    };
    let rotating = with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw msec_0123456789abcdef").unwrap();
    let merchant = rotating.merchant_webhook().unwrap();
    assert_eq!(merchant.secrets.iter().map(|s| s.text()).collect::<Vec<_>>(), [STANDARD, PLAIN]);
    // Every secret is redacted, alone and as configured.
    for secret in [STANDARD, PLAIN, merchant.secret.as_str()] {
        assert!(rotating.secrets().iter().any(|s| s == secret), "{secret} is redacted");
    }
    assert!(!format!("{rotating:?}").contains("MfKQ9r8"));
    // Both signatures of each scheme; each secret verifies the Palpluss-Stk-Signature alone.
    let signed = sign_event_with(&merchant.secrets, "evt_1", 1_700_000_000, b"{}");
    assert_eq!(signed.standard.split(' ').count(), 2);
    assert!(signed.standard.split(' ').all(|s| s.starts_with("v1,") && s.len() == 47));
    for secret in [STANDARD, PLAIN] {
        assert_eq!(verify_webhook(b"{}", &signed.palpluss, secret, 300, 1_700_000_000), Ok(()));
    }
    assert!(verify_webhook(b"{}", &signed.palpluss, "msec_another_secret_0", 300, 1_700_000_000).is_err());
    // Malformed: a short or undecodable key, three secrets, two spaces, a plain secret too short.
    for bad in [
        "whsec_dG9vIHNob3J0",
        "whsec_%%%%MfKQ9r8GKYqrTwjUPD8ILPZIo2La",
        "a_secret_of_16chars b_secret_of_16chars c_secret_of_16chars",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw  msec_0123456789abcdef",
        "short",
    ] {
        let error = with(bad).unwrap_err();
        assert_eq!(error.code(), "CONFIG_INVALID_MERCHANT_WEBHOOK_SECRET", "{bad}");
        assert!(!error.message().contains(bad), "never the value");
    }
}

#[test]
fn lifecycle_defaults_and_limits() {
    let c = config(&[]).unwrap();
    assert_eq!(c.upstream_rate_per_minute(), 60);
    assert_eq!(c.retention_ms(), 7 * 86_400_000);
    let c = config(&[("UPSTREAM_RATE_PER_MINUTE", "30"), ("RETENTION_DAYS", "1")]).unwrap();
    assert_eq!((c.upstream_rate_per_minute(), c.retention_ms()), (30, 86_400_000));
    assert_eq!(c.transaction_url("tx-1"), "https://api.palpluss.com/v1/transactions/tx-1");
    assert_eq!(c.transaction_url("a/b?c"), "https://api.palpluss.com/v1/transactions/a%2Fb%3Fc");
    assert!(proxy::is_payment_id("fa98a577-95ea-4a8f-8467-1fbe74f5d6f4"));
    for bad in ["", "a/b", "a b", "é", &"x".repeat(129)] {
        assert!(!proxy::is_payment_id(bad), "{bad}");
    }
}

#[test]
fn presence_knows_the_callback_is_optional_with_a_webhook_secret() {
    let map = vars(&[("CALLBACK_URL", ""), ("WEBHOOK_SECRET", WEBHOOK_SECRET)]);
    let presence = Config::presence(|name| map.get(name).cloned());
    assert!(presence.contains(&("CALLBACK_URL", false, false)));
    assert!(presence.contains(&("WEBHOOK_SECRET", true, false)));
}

#[test]
fn guard_settings_defaults_limits_and_redaction() {
    let c = config(&[]).unwrap();
    assert_eq!((c.phone_cooldown_s(), c.phone_max_per_hour()), (60, 5));
    assert!(c.intent_secret().is_none() && c.turnstile().is_none());
    let c = config(&[
        ("INTENT_SECRET", "isec_0123456789abcdef"),
        ("TURNSTILE_SECRET", "1x0000000000000000000000000000000AA"),
        ("PHONE_COOLDOWN_SECONDS", "0"),
        ("PHONE_MAX_PER_HOUR", "12"),
    ])
    .unwrap();
    assert_eq!(c.intent_secret(), Some("isec_0123456789abcdef"));
    let turnstile = c.turnstile().unwrap();
    assert_eq!(turnstile.verify_url, proxy::DEFAULT_TURNSTILE_VERIFY_URL);
    assert_eq!((c.phone_cooldown_s(), c.phone_max_per_hour()), (0, 12));
    // Both secrets are redacted like the key, and never in Debug.
    let text = "isec_0123456789abcdef and 1x0000000000000000000000000000000AA";
    assert!(!proxy::redact(text, c.secrets()).contains("isec_"));
    assert!(!proxy::redact(text, c.secrets()).contains("1x000"));
    assert!(!format!("{c:?}").contains("isec_0123") && !format!("{c:?}").contains("1x000"));
    for (name, value) in [
        ("INTENT_SECRET", "short"),
        ("TURNSTILE_SECRET", "has space in it"),
        ("TURNSTILE_VERIFY_URL", "http://challenges.example/siteverify"),
        ("PHONE_COOLDOWN_SECONDS", "3601"),
        ("PHONE_COOLDOWN_SECONDS", "-1"),
        ("PHONE_MAX_PER_HOUR", "0"),
        ("PHONE_MAX_PER_HOUR", "1.5"),
    ] {
        let e = config(&[(name, value)]).unwrap_err();
        assert_eq!(e.code(), ["CONFIG_INVALID_", name].concat(), "{name}={value}");
        assert!(value.len() < 5 || !e.message().contains(value), "{}", e.message());
    }
    assert!(config(&[("TURNSTILE_VERIFY_URL", "http://127.0.0.1:8788/siteverify")]).is_ok(), "a local stand-in");
}

#[test]
fn intent_and_turnstile_token_are_checked_and_never_forwarded() {
    let raw = |extra: serde_json::Value| -> RawStkRequest {
        let mut body = serde_json::json!({"amount": 10, "phone": "0712345678", "accountReference": "A1", "transactionDesc": "Tea"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(body).unwrap()
    };
    let codes = |errors: Vec<palpluss_stk::FieldError>| -> Vec<(String, String)> {
        errors.iter().map(|e| (e.field().to_string(), e.code().to_string())).collect()
    };
    let plain = config(&[]).unwrap();
    let with_intent = config(&[("INTENT_SECRET", "isec_0123456789abcdef")]).unwrap();
    // Without INTENT_SECRET an intent is not allowed, whatever it holds, in field order.
    let refused =
        plain.validate_checkout(&raw(serde_json::json!({"intent": "p.s", "amount": 0})), Locale::En).unwrap_err();
    assert_eq!(
        codes(refused),
        [("amount".into(), "AMOUNT_TOO_SMALL".into()), ("intent".into(), "FIELD_NOT_ALLOWED".into())]
    );
    let refused = plain.validate_checkout(&raw(serde_json::json!({"intent": 5})), Locale::En).unwrap_err();
    assert_eq!(codes(refused), [("intent".into(), "FIELD_NOT_ALLOWED".into())]);
    // With it: a string of at most 2048 characters.
    let form = with_intent
        .validate_checkout(&raw(serde_json::json!({"intent": "p.s", "turnstileToken": "t"})), Locale::En)
        .unwrap();
    assert_eq!((form.intent(), form.turnstile_token()), (Some("p.s"), Some("t")));
    let refused = with_intent
        .validate_checkout(&raw(serde_json::json!({"intent": "x".repeat(2049), "turnstileToken": ["t"]})), Locale::En)
        .unwrap_err();
    assert_eq!(
        codes(refused),
        [("intent".into(), "TOO_LONG".into()), ("turnstileToken".into(), "INVALID_TYPE".into())]
    );
    // A turnstileToken without TURNSTILE_SECRET is accepted; over 2048 characters it is TOO_LONG.
    assert!(plain.validate_checkout(&raw(serde_json::json!({"turnstileToken": "x".repeat(2048)})), Locale::En).is_ok());
    let refused =
        plain.validate_checkout(&raw(serde_json::json!({"turnstileToken": "x".repeat(2049)})), Locale::En).unwrap_err();
    assert_eq!(codes(refused), [("turnstileToken".into(), "TOO_LONG".into())]);
    // Neither ever reaches PalPluss.
    let upstream = with_intent.upstream_body(&form, "https://shop.example/cb");
    assert!(!upstream.contains("intent") && !upstream.contains("turnstile"), "{upstream}");
}

#[test]
fn a_checkout_is_refused_by_its_headers_and_body_before_any_call() {
    use palpluss_stk::edge::proxy::MAX_BODY_BYTES;
    use palpluss_stk::edge::request::{body_expected, checkout_json};
    fn code<T: std::fmt::Debug>(r: Result<T, palpluss_stk::edge::reply::Refusal>) -> String {
        r.unwrap_err().code
    }
    // The content type, then the declared length.
    assert_eq!(code(body_expected("text/plain", Some("99999999"))), "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(code(body_expected("", None)), "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(body_expected("Application/JSON;charset=utf-8", Some("16384")), Ok(Some(MAX_BODY_BYTES as u64)));
    assert_eq!(code(body_expected("application/json", Some("16385"))), "BODY_TOO_LARGE");
    assert_eq!(code(body_expected("application/json", Some("18446744073709551615"))), "BODY_TOO_LARGE");
    // A length that is not a number is not a declared one: the body is streamed and capped.
    for unreadable in ["", "-1", "1e3", "12 34", "99999999999999999999999"] {
        assert_eq!(body_expected("application/json", Some(unreadable)), Ok(None), "{unreadable:?}");
    }
    // The body: at the limit it is read, past it refused; JSON that is not an object is left to
    // validation (one field error among the others), anything else that is not JSON refused.
    let padded = |len: usize| {
        let mut body = vec![b' '; len - 2];
        body.extend_from_slice(b"{}");
        body
    };
    assert!(matches!(checkout_json(Some(&padded(MAX_BODY_BYTES))), Ok(Some(_))));
    assert_eq!(code(checkout_json(Some(&padded(MAX_BODY_BYTES + 1)))), "BODY_TOO_LARGE");
    assert_eq!(code(checkout_json(None)), "BODY_TOO_LARGE");
    for not_an_object in ["null", "[]", "\"x\"", "12"] {
        assert!(matches!(checkout_json(Some(not_an_object.as_bytes())), Ok(None)), "{not_an_object}");
    }
    for not_json in [&b""[..], b"{", b"{\"amount\":1,}", b"\xff\xfe{}", b"{} {}"] {
        assert_eq!(code(checkout_json(Some(not_json))), "INVALID_JSON", "{not_json:?}");
    }
    // Unknown fields are the validation's to report, not the JSON check's.
    assert!(matches!(checkout_json(Some(br#"{"amount":100,"phone":"0712345678","extra":true}"#)), Ok(Some(_))));
}

#[test]
fn a_status_read_takes_its_token_and_language_from_the_request() {
    use palpluss_stk::edge::request::StatusQuery;
    let url = "https://proxy.example/payments/t-1";
    let read = |auth: Option<&str>, url: &str, lang: Option<&str>| StatusQuery::of("t-1", false, auth, url, lang);
    // The header wins over the query; the token is trimmed.
    let q = read(Some("Bearer  st_a "), &format!("{url}?token=st_b"), None).unwrap();
    assert_eq!((q.token.as_str(), q.route.as_str(), q.locale), ("st_a", "/status/en", Locale::En));
    assert_eq!(read(None, &format!("{url}?token=st%5Fb"), None).unwrap().token, "st_b");
    // ?lang= wins over Accept-Language (an EventSource cannot set headers); an unknown tag does not.
    assert_eq!(read(Some("Bearer st_a"), &format!("{url}?lang=sw"), Some("en")).unwrap().locale, Locale::Sw);
    assert_eq!(read(Some("Bearer st_a"), &format!("{url}?lang=xx"), Some("sw-KE")).unwrap().locale, Locale::Sw);
    assert_eq!(StatusQuery::of("t-1", true, Some("Bearer st_a"), url, Some("sw")).unwrap().route, "/events/sw");
    // No token, an empty or oversized one, another scheme, or an id that cannot be one: 404.
    let long = format!("Bearer {}", "a".repeat(257));
    for auth in [None, Some("Bearer "), Some("Basic st_a"), Some("bearer st_a"), Some(long.as_str())] {
        assert_eq!(read(auth, url, None).unwrap_err().code, "PAYMENT_NOT_FOUND", "{auth:?}");
    }
    assert_eq!(read(Some(&format!("Bearer {}", "a".repeat(256))), url, None).unwrap().token.len(), 256);
    for id in ["", "t 1", "t/1", "é"] {
        assert_eq!(StatusQuery::of(id, false, Some("Bearer st_a"), url, None).unwrap_err().code, "PAYMENT_NOT_FOUND");
    }
}

#[test]
fn the_path_of_a_url_as_the_runtime_serialises_it() {
    use palpluss_stk::edge::route::path_of_url;
    for (url, path) in [
        ("https://proxy.example/payments/stk", "/payments/stk"),
        ("https://proxy.example:8787/payments/t-1?token=a/b#x/y", "/payments/t-1"),
        ("https://proxy.example/", "/"),
        ("https://proxy.example", "/"),
        ("https://proxy.example?x=/y", "/"),
        ("https://proxy.example#/y", "/"),
        ("http://[::1]:8787/pay/health", "/pay/health"),
        ("https://proxy.example/a%20b/%3F", "/a%20b/%3F"),
        ("not a url", "/"),
    ] {
        assert_eq!(path_of_url(url), path, "{url}");
    }
}
