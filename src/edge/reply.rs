//! Every answer the proxy gives itself, as data: the HTTP status, PalPluss's error envelope (code,
//! a message in the customer's language, details) and the headers that follow from it
//! (`Retry-After`, `Allow`). The guard's and the router's refusals are decided here, so each is a
//! native test; the Worker only renders a [`Refusal`] and sends it.
//!
//! ```
//! use palpluss_stk::edge::reply::Refusal;
//! use palpluss_stk::Locale;
//!
//! let busy = Refusal::busy(1_500, Locale::En);
//! assert_eq!((busy.status, busy.code.as_str(), busy.retry_after_s()), (429, "BUSY", Some(2)));
//! let sent = busy.render("req-1");
//! assert_eq!(sent.retry_after.as_deref(), Some("2"));
//! assert!(sent.body.starts_with(r#"{"success":false,"error":{"code":"BUSY","#));
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

use serde_json::{json, Value};

use super::codes;
use super::config::Config;
use super::guard::{
    intent_matches, ip_retry_after, verify_intent, IntentError, KeptAnswer, PhoneRefusal, TurnstileVerdict,
};
use super::health::Refused;
use super::observe::WebhookError;
use super::variables::ConfigError;
use crate::palpluss::Envelope;
use crate::rules::locale::Locale;
use crate::rules::notice::{prompts_paused, Notice};
use crate::rules::stk::{CheckoutForm, FieldError};

/// An error the proxy answers itself, in PalPluss's envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// `error.code`: one of [`codes`], or a `CONFIG_*` code.
    pub code: String,
    /// `error.message`, fit to show the customer where the customer can cause it.
    pub message: String,
    /// `error.details`: the field errors, or `retryAfterSeconds` for a refusal that says when to
    /// come back.
    pub details: Option<Value>,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
}

impl Refusal {
    /// A refusal with no details.
    pub fn new(status: u16, code: &str, message: &str) -> Refusal {
        Refusal { status, code: code.to_owned(), message: message.to_owned(), details: None, allow: None }
    }

    /// A refusal that says when to come back: `details.retryAfterSeconds` and `Retry-After`.
    pub fn with_wait(status: u16, code: &str, message: &str, seconds: u64) -> Refusal {
        Refusal { details: Some(json!({ "retryAfterSeconds": seconds })), ..Refusal::new(status, code, message) }
    }

    /// The seconds of `Retry-After`, when the refusal states a wait.
    pub fn retry_after_s(&self) -> Option<u64> {
        self.details.as_ref()?.get("retryAfterSeconds")?.as_u64()
    }

    /// The body and `Retry-After` as sent (before redaction); also what an `Idempotency-Key`
    /// would keep, so both are this one rendering.
    pub fn render(&self, request_id: &str) -> KeptAnswer {
        let envelope = Envelope::error(&self.code, &self.message, self.details.clone(), request_id);
        KeptAnswer {
            status: self.status,
            body: serde_json::to_string(&envelope).unwrap_or_default(),
            retry_after: self.retry_after_s().map(|s| s.to_string()),
        }
    }

    /// 404 for a path that is no route (and for the webhook route with a wrong secret).
    pub fn not_found() -> Refusal {
        Refusal::new(404, codes::NOT_FOUND, "No such route. The payment proxy serves POST /payments/stk.")
    }

    /// 401 for `/admin/...` without the right token: the same answer whatever the route.
    pub fn unauthorized() -> Refusal {
        Refusal::new(401, codes::UNAUTHORIZED, "Authorization: Bearer {ADMIN_TOKEN} is required.")
    }

    /// 404 for a payment: unknown id, wrong or missing token, malformed either: all the same.
    pub fn payment_not_found() -> Refusal {
        Refusal::new(404, codes::PAYMENT_NOT_FOUND, "No payment with this id and token.")
    }

    /// 403: the `Origin` is not in `ALLOWED_ORIGINS`.
    pub fn origin_not_allowed() -> Refusal {
        Refusal::new(403, codes::ORIGIN_NOT_ALLOWED, "This origin may not call the payment proxy.")
    }

    /// 405 with the route's methods in `Allow`.
    pub fn method_not_allowed(allow: &'static str) -> Refusal {
        let message = ["This route accepts ", allow, "."].concat();
        Refusal { allow: Some(allow), ..Refusal::new(405, codes::METHOD_NOT_ALLOWED, &message) }
    }

    /// 500 for a configuration problem (it names the variable, never its value).
    pub fn misconfigured(error: &ConfigError) -> Refusal {
        Refusal::new(500, &error.code(), &error.message())
    }

    /// 500 when no callback URL can be given to PalPluss.
    pub fn callback_url_missing() -> Refusal {
        Refusal::new(500, "CONFIG_MISSING_CALLBACK_URL", "The proxy is misconfigured. CALLBACK_URL is not set.")
    }

    /// 415: the push's body is not `application/json`.
    pub fn unsupported_media_type() -> Refusal {
        Refusal::new(415, codes::UNSUPPORTED_MEDIA_TYPE, "Send the payment details as application/json.")
    }

    /// 413: the push's body is over [`super::proxy::MAX_BODY_BYTES`].
    pub fn body_too_large() -> Refusal {
        Refusal::new(413, codes::BODY_TOO_LARGE, "The request body is larger than 16 KiB.")
    }

    /// 400: the push's body could not be read.
    pub fn body_unreadable() -> Refusal {
        Refusal::new(400, codes::INVALID_JSON, "The request body could not be read.")
    }

    /// 400: the push's body is not JSON.
    pub fn invalid_json() -> Refusal {
        Refusal::new(400, codes::INVALID_JSON, "The request body is not valid JSON.")
    }

    /// 400: a webhook body over [`super::observe::MAX_WEBHOOK_BYTES`].
    pub fn webhook_too_large() -> Refusal {
        Refusal::new(400, codes::BODY_TOO_LARGE, "The webhook body is larger than 64 KiB.")
    }

    /// 400: a webhook body that could not be read.
    pub fn webhook_unreadable() -> Refusal {
        Refusal::new(400, codes::INVALID_JSON, "The webhook body could not be read.")
    }

    /// 400: a webhook body that is not one.
    pub fn webhook(error: WebhookError) -> Refusal {
        Refusal::new(400, error.code(), error.message())
    }

    /// 400: the `Idempotency-Key` header is malformed.
    pub fn idempotency_key_invalid() -> Refusal {
        let message = "Idempotency-Key must be 1 to 255 printable characters without spaces.";
        Refusal::new(400, codes::IDEMPOTENCY_KEY_INVALID, message)
    }

    /// 422: the `Idempotency-Key` was used for another payment.
    pub fn idempotency_key_reused() -> Refusal {
        let message = "This Idempotency-Key was already used for a different payment.";
        Refusal::new(422, codes::IDEMPOTENCY_KEY_REUSED, message)
    }

    /// 409: a request with this `Idempotency-Key` is still in flight.
    pub fn idempotency_key_in_use() -> Refusal {
        let message = "A payment with this Idempotency-Key is still being processed. Try again in a moment.";
        Refusal::new(409, codes::IDEMPOTENCY_KEY_IN_USE, message)
    }

    /// 400 with every field error in `details.fields`.
    pub fn validation_failed(errors: &[FieldError], l: Locale) -> Refusal {
        Refusal {
            details: Some(json!({ "fields": errors })),
            ..Refusal::new(400, codes::VALIDATION_FAILED, Notice::ValidationFailed.message(l))
        }
    }

    /// 400 for a checkout intent that is missing, invalid, expired or for another payment
    /// (`details.fields` names the fields that differ).
    pub fn intent(error: &IntentError, l: Locale) -> Refusal {
        let message = error.message_in(l);
        let details = match error {
            IntentError::Mismatch(fields) => {
                let fields: Vec<Value> =
                    fields.iter().map(|f| json!({ "field": f, "code": error.code(), "message": message })).collect();
                Some(json!({ "fields": fields }))
            }
            _ => None,
        };
        Refusal { details, ..Refusal::new(400, error.code(), message) }
    }

    /// Turnstile's refusal from siteverify's verdict (`None`: no token was sent); `None` to go on.
    pub fn turnstile(verdict: Option<TurnstileVerdict>, l: Locale) -> Option<Refusal> {
        let (status, code, notice) = match verdict {
            Some(TurnstileVerdict::Pass) => return None,
            None => (400, codes::TURNSTILE_REQUIRED, Notice::TurnstileRequired),
            Some(TurnstileVerdict::Fail) => (403, codes::TURNSTILE_FAILED, Notice::TurnstileFailed),
            Some(TurnstileVerdict::Unavailable) => (503, codes::TURNSTILE_UNAVAILABLE, Notice::TurnstileUnavailable),
        };
        Some(Refusal::new(status, code, notice.message(l)))
    }

    /// 429 for a phone that is busy or over its hourly cap, with the wait.
    pub fn phone(refusal: PhoneRefusal, l: Locale) -> Refusal {
        Refusal::with_wait(429, refusal.code(), refusal.message(l), refusal.retry_after_s())
    }

    /// 429 `BUSY`: the upstream budget has no call left for `wait_ms` (rounded up, at least 1 s).
    pub fn busy(wait_ms: u64, l: Locale) -> Refusal {
        Refusal::with_wait(429, codes::BUSY, Notice::Busy.message(l), wait_ms.div_ceil(1000).max(1))
    }

    /// 429 for a push the key's health refuses: `STK_TEMP_BANNED` while PalPluss's ban runs (the
    /// wait is the ban's rest), `BUSY` while at risk, `PHONE_LIMIT` for a phone whose last push
    /// this hour did not pay.
    pub fn key_health(refused: Refused, now_ms: u64, l: Locale) -> Refusal {
        match refused {
            Refused::Banned { until } => {
                let seconds = until.saturating_sub(now_ms).div_ceil(1000).max(1);
                Refusal::with_wait(429, codes::STK_TEMP_BANNED, &prompts_paused(seconds, l), seconds)
            }
            Refused::Busy { retry_after_s } => {
                Refusal::with_wait(429, codes::BUSY, Notice::Busy.message(l), retry_after_s)
            }
            Refused::PhoneFailed { retry_after_s } => Refusal::phone(PhoneRefusal::Limit { retry_after_s }, l),
        }
    }

    /// 429 `RATE_LIMITED`: the client IP's window of `period_s` is spent; wait until it resets.
    pub fn rate_limited(now_ms: u64, period_s: u64, l: Locale) -> Refusal {
        let message = Notice::TooManyFromNetwork.message(l);
        Refusal::with_wait(429, codes::RATE_LIMITED, message, ip_retry_after(now_ms, period_s))
    }

    /// 503 when the guard's objects could not be asked.
    pub fn guard_unavailable(l: Locale) -> Refusal {
        Refusal::new(503, codes::UPSTREAM_UNAVAILABLE, Notice::Unavailable.message(l))
    }

    /// 503 when a payment's object could not be asked for its status.
    pub fn status_unavailable(l: Locale) -> Refusal {
        Refusal::new(503, codes::UPSTREAM_UNAVAILABLE, Notice::StatusUnavailable.message(l))
    }

    /// 500: `PALPLUSS_BASE_URL` gives no URL the platform can fetch.
    pub fn upstream_bad_url() -> Refusal {
        Refusal::new(500, "CONFIG_INVALID_PALPLUSS_BASE_URL", "The proxy is misconfigured.")
    }

    /// 504: PalPluss did not answer within `UPSTREAM_TIMEOUT_MS`.
    pub fn upstream_timeout(l: Locale) -> Refusal {
        Refusal::new(504, codes::UPSTREAM_TIMEOUT, Notice::UpstreamTimeout.message(l))
    }

    /// 502: PalPluss could not be reached.
    pub fn upstream_unreachable(l: Locale) -> Refusal {
        Refusal::new(502, codes::UPSTREAM_UNAVAILABLE, Notice::UpstreamUnreachable.message(l))
    }

    /// 502: PalPluss's answer was over the size the proxy reads.
    pub fn upstream_oversized() -> Refusal {
        Refusal::new(502, codes::UPSTREAM_UNAVAILABLE, "PalPluss answered with an oversized response.")
    }

    /// 502: PalPluss's answer is not in PalPluss's envelope.
    pub fn upstream_not_palpluss() -> Refusal {
        let message = "PalPluss answered with something that is not a PalPluss response.";
        Refusal::new(502, codes::UPSTREAM_UNAVAILABLE, message)
    }
}

/// Step 4 of the guard, the merchant's signed intent: `None` when none is required or the form
/// matches its intent (checked at unix second `now_s`).
pub fn intent_refusal(config: &Config, form: &CheckoutForm, now_s: u64, l: Locale) -> Option<Refusal> {
    let secret = config.intent_secret()?;
    let checked = match form.intent() {
        None => Err(IntentError::Required),
        Some(token) => verify_intent(token, secret, now_s).and_then(|intent| intent_matches(&intent, form)),
    };
    Some(Refusal::intent(&checked.err()?, l))
}

/// `GET /health`: whether the configuration is complete (200) or not (503), and each variable's
/// state (`set`, `missing` or `default`), never a value.
pub fn health(lookup: impl Fn(&str) -> Option<String>, config: Result<&Config, &ConfigError>) -> (u16, Value) {
    let variables: serde_json::Map<String, Value> = Config::presence(lookup)
        .into_iter()
        .map(|(name, set, required)| {
            let state = match (set, required) {
                (true, _) => "set",
                (false, true) => "missing",
                (false, false) => "default",
            };
            (name.to_owned(), json!(state))
        })
        .collect();
    match config {
        Ok(_) => (200, json!({ "ok": true, "variables": variables })),
        Err(e) => {
            let error = json!({ "code": e.code(), "message": e.message() });
            (503, json!({ "ok": false, "variables": variables, "error": error }))
        }
    }
}
