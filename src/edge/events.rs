//! Signed events for the merchant's backend: one per payment and confirmed final status, its
//! retry schedule, the `Palpluss-Stk-Signature` header, and the verifier merchants run.

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use hmac::Mac;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::encoding::{base64, base64_decode, hex, hmac, sha256_hex, unhex};
use crate::palpluss::TransactionStatus;

/// What an event tells: a payment's confirmed final status, or a change in the key's health.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    /// `payment.succeeded`
    #[serde(rename = "payment.succeeded")]
    Succeeded,
    /// `payment.failed`
    #[serde(rename = "payment.failed")]
    Failed,
    /// `payment.cancelled`
    #[serde(rename = "payment.cancelled")]
    Cancelled,
    /// `payment.expired`
    #[serde(rename = "payment.expired")]
    Expired,
    /// `payment.reversed`
    #[serde(rename = "payment.reversed")]
    Reversed,
    /// `key.at_risk`: the success share of recent pushes fell below `HEALTH_MIN_SUCCESS_RATE`.
    #[serde(rename = "key.at_risk")]
    KeyAtRisk,
    /// `key.banned`: PalPluss banned the key (`data.key.until` says until when).
    #[serde(rename = "key.banned")]
    KeyBanned,
    /// `key.restored`: the key is `ok` again.
    #[serde(rename = "key.restored")]
    KeyRestored,
}

impl EventType {
    /// The event for a final status; `None` for a status that is not final.
    pub fn for_status(status: TransactionStatus) -> Option<EventType> {
        match status {
            TransactionStatus::Success => Some(EventType::Succeeded),
            TransactionStatus::Failed => Some(EventType::Failed),
            TransactionStatus::Cancelled => Some(EventType::Cancelled),
            TransactionStatus::Expired => Some(EventType::Expired),
            TransactionStatus::Reversed => Some(EventType::Reversed),
            _ => None,
        }
    }

    /// The wire name, e.g. `"payment.succeeded"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Succeeded => "payment.succeeded",
            EventType::Failed => "payment.failed",
            EventType::Cancelled => "payment.cancelled",
            EventType::Expired => "payment.expired",
            EventType::Reversed => "payment.reversed",
            EventType::KeyAtRisk => "key.at_risk",
            EventType::KeyBanned => "key.banned",
            EventType::KeyRestored => "key.restored",
        }
    }
}

/// Merchant event retries after a failed delivery: 30 s, 2 min, 10 min, 1 h, 6 h, then dropped.
pub const EVENT_RETRY_DELAYS_S: [u64; 5] = [30, 120, 600, 3_600, 21_600];
/// How far a signature's timestamp may be from now when verifying (default).
pub const DEFAULT_TOLERANCE_S: u64 = 300;
/// The header a merchant event's signature travels in.
pub const SIGNATURE_HEADER: &str = "Palpluss-Stk-Signature";

/// One signed event for the merchant's backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantEvent {
    /// `evt_` + 24 hex digits, the same for every retry of this event.
    pub id: String,
    /// The event type.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// Unix seconds when the event was created.
    pub created: u64,
    /// `{ payment }`, the status object with the full phone.
    pub data: Value,
}

impl MerchantEvent {
    /// An event whose id follows from `seed` (what it is about and what changed), so that it
    /// cannot be created twice under two ids; a retry sends the same id and body.
    pub fn with_id_from(seed: &str, kind: EventType, now: u64, data: Value) -> MerchantEvent {
        let digest = sha256_hex([seed, "/", kind.as_str()].concat().as_bytes());
        MerchantEvent { id: ["evt_", digest.get(..24).unwrap_or(&digest)].concat(), kind, created: now / 1000, data }
    }

    /// The body as sent (every retry sends these same bytes).
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// When to retry a delivery that failed for the `attempt`-th time (1-based), or `None` to drop it.
///
/// ```
/// use palpluss_stk::edge::events::retry_delay;
///
/// assert_eq!(retry_delay(1), Some(30));
/// assert_eq!(retry_delay(5), Some(21_600));
/// assert_eq!(retry_delay(6), None);
/// ```
pub fn retry_delay(attempt: u32) -> Option<u64> {
    let index = usize::try_from(attempt).ok()?.checked_sub(1)?;
    EVENT_RETRY_DELAYS_S.get(index).copied()
}

/// The `Palpluss-Stk-Signature` header for a body sent at unix second `t`:
/// `t={t},v1={hex HMAC-SHA256(secret, "{t}.{body}")}`.
///
/// ```
/// use palpluss_stk::edge::events::{sign_event, verify_webhook};
///
/// let header = sign_event("whsec_test", 1_700_000_000, br#"{"id":"evt_1"}"#);
/// assert!(header.starts_with("t=1700000000,v1="));
/// assert!(verify_webhook(br#"{"id":"evt_1"}"#, &header, "whsec_test", 300, 1_700_000_100).is_ok());
/// ```
pub fn sign_event(secret: &str, t: u64, body: &[u8]) -> String {
    let t_text = t.to_string();
    let tag = hmac(secret.as_bytes(), &[t_text.as_bytes(), b".", body]).finalize().into_bytes();
    ["t=", &t_text, ",v1=", &hex(&tag)].concat()
}

/// The Standard Webhooks headers every event carries beside [`SIGNATURE_HEADER`]: the event id,
/// the unix second it was signed, and `v1,{base64 signature}` per secret.
pub const WEBHOOK_ID_HEADER: &str = "webhook-id";
/// See [`WEBHOOK_ID_HEADER`].
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// See [`WEBHOOK_ID_HEADER`].
pub const WEBHOOK_SIGNATURE_HEADER: &str = "webhook-signature";
/// The prefix of a Standard Webhooks secret (`whsec_` + base64 of the key's bytes).
pub const STANDARD_SECRET_PREFIX: &str = "whsec_";

/// A key merchant events are signed with, as `MERCHANT_WEBHOOK_SECRET` gives it: either a
/// Standard Webhooks secret (`whsec_` + base64 of 24 to 64 bytes, whose Standard Webhooks key is
/// those bytes) or a plain one (16 to 256 letters, digits, `-` or `_`, whose key is its text).
/// `Palpluss-Stk-Signature` is always keyed with the whole text, as Stripe's libraries expect.
///
/// ```
/// use palpluss_stk::edge::events::SigningSecret;
///
/// // The Standard Webhooks specification's published example secret (not a real one).
/// let standard = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// assert_eq!(standard.standard_key().len(), 24);
/// let plain = SigningSecret::parse("msec_0123456789abcdef").unwrap();
/// assert_eq!(plain.standard_key(), b"msec_0123456789abcdef");
/// assert!(SigningSecret::parse("whsec_dG9vIHNob3J0").is_none(), "9 bytes: too short");
/// assert!(!format!("{standard:?}").contains("MfKQ"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret {
    text: String,
    key: Vec<u8>,
}

impl SigningSecret {
    /// One secret's text; `None` when it is neither form.
    pub fn parse(text: &str) -> Option<SigningSecret> {
        if let Some(encoded) = text.strip_prefix(STANDARD_SECRET_PREFIX) {
            let key = base64_decode(encoded).filter(|k| (24..=64).contains(&k.len()))?;
            return Some(SigningSecret { text: text.to_owned(), key });
        }
        is_plain_secret(text).then(|| SigningSecret { text: text.to_owned(), key: text.as_bytes().to_vec() })
    }

    /// `MERCHANT_WEBHOOK_SECRET`: one secret, or two separated by one space while rotating (the
    /// new one first); every event is then signed with both.
    ///
    /// ```
    /// use palpluss_stk::edge::events::SigningSecret;
    ///
    /// assert_eq!(SigningSecret::parse_list("msec_new_0123456789 msec_old_0123456789").unwrap().len(), 2);
    /// assert!(SigningSecret::parse_list("a b c").is_none());
    /// assert!(SigningSecret::parse_list("msec_new_0123456789  msec_old_0123456789").is_none());
    /// ```
    pub fn parse_list(value: &str) -> Option<Vec<SigningSecret>> {
        let secrets: Vec<SigningSecret> = value.split(' ').map(SigningSecret::parse).collect::<Option<_>>()?;
        (1..=2).contains(&secrets.len()).then_some(secrets)
    }

    /// The secret as configured (the `Palpluss-Stk-Signature` key).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The Standard Webhooks key: the decoded bytes of a `whsec_` secret, else the text's bytes.
    pub fn standard_key(&self) -> &[u8] {
        &self.key
    }
}

/// The Worker's plain secrets (`WEBHOOK_SECRET`, `INTENT_SECRET`, a plain
/// `MERCHANT_WEBHOOK_SECRET`): 16 to 256 letters, digits, `-` or `_`.
pub(crate) fn is_plain_secret(text: &str) -> bool {
    (16..=256).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

/// The signature headers of one event sent at unix second `t`, signed with every secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSignatures {
    /// `Palpluss-Stk-Signature`: `t={t},v1={hex}` with one `v1` per secret.
    pub palpluss: String,
    /// `webhook-signature`: `v1,{base64 HMAC-SHA256(key, "{id}.{t}.{body}")}`, space-separated.
    pub standard: String,
}

/// Signs an event for both schemes (see [`EventSignatures`]).
///
/// ```
/// use palpluss_stk::edge::events::{sign_event_with, verify_webhook, SigningSecret};
///
/// // The Standard Webhooks specification's published example (its secret is not a real one).
/// let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let body = br#"{"test": 2432232314}"#;
/// let signed = sign_event_with(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
/// assert_eq!(signed.standard, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
/// assert!(verify_webhook(body, &signed.palpluss, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 300, 1_614_265_330).is_ok());
/// ```
pub fn sign_event_with(secrets: &[SigningSecret], id: &str, t: u64, body: &[u8]) -> EventSignatures {
    let t_text = t.to_string();
    let mut palpluss = ["t=", &t_text].concat();
    let mut standard = String::new();
    for secret in secrets {
        let tag = hmac(secret.text.as_bytes(), &[t_text.as_bytes(), b".", body]).finalize().into_bytes();
        palpluss.push_str(",v1=");
        palpluss.push_str(&hex(&tag));
        let tag = hmac(&secret.key, &[id.as_bytes(), b".", t_text.as_bytes(), b".", body]).finalize().into_bytes();
        if !standard.is_empty() {
            standard.push(' ');
        }
        standard.push_str("v1,");
        standard.push_str(&base64(&tag));
    }
    EventSignatures { palpluss, standard }
}

/// Why a signed event was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The header is missing parts or malformed.
    MalformedHeader,
    /// No `v1` signature matches the body and the secret.
    SignatureMismatch,
    /// The timestamp is further from now than the tolerance (a replay, or a clock far off).
    OutsideTolerance,
}

impl VerifyError {
    /// A stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            VerifyError::MalformedHeader => "SIGNATURE_MALFORMED",
            VerifyError::SignatureMismatch => "SIGNATURE_MISMATCH",
            VerifyError::OutsideTolerance => "SIGNATURE_EXPIRED",
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VerifyError::MalformedHeader => "the signature header is malformed",
            VerifyError::SignatureMismatch => "the signature does not match the body",
            VerifyError::OutsideTolerance => "the signature's timestamp is outside the tolerance",
        })
    }
}

impl core::error::Error for VerifyError {}

/// Verifies a merchant event: the raw body exactly as received, the `Palpluss-Stk-Signature`
/// header, the shared secret, the tolerance in seconds and the current unix time in seconds.
/// The comparison is constant-time.
pub fn verify_webhook(
    body: &[u8],
    header: &str,
    secret: &str,
    tolerance_s: u64,
    now_s: u64,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<u64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let (Some(t), false) = (t, signatures.is_empty()) else { return Err(VerifyError::MalformedHeader) };
    let t_text = t.to_string();
    let matched = signatures.iter().any(|signature| {
        unhex(signature)
            .is_some_and(|tag| hmac(secret.as_bytes(), &[t_text.as_bytes(), b".", body]).verify_slice(&tag).is_ok())
    });
    if !matched {
        return Err(VerifyError::SignatureMismatch);
    }
    if t.abs_diff(now_s) > tolerance_s {
        return Err(VerifyError::OutsideTolerance);
    }
    Ok(())
}

/// An event waiting for its delivery, as the object that owns it stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The event, sent with the same id and body every time.
    pub event: MerchantEvent,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When to try next (unix ms).
    pub next_at: u64,
}

impl Delivery {
    /// A new event, due now.
    pub fn new(event: MerchantEvent, now: u64) -> Delivery {
        Delivery { event, attempts: 0, next_at: now }
    }

    /// After an attempt: `true` when the delivery is over (delivered, or dropped after its last
    /// retry); otherwise the next try is scheduled by [`retry_delay`].
    ///
    /// ```
    /// use palpluss_stk::edge::events::{Delivery, EventType, MerchantEvent};
    ///
    /// let event = MerchantEvent::with_id_from("key/0", EventType::KeyAtRisk, 0, serde_json::json!({}));
    /// let mut delivery = Delivery::new(event, 0);
    /// assert!(!delivery.attempted(false, 1_000));
    /// assert_eq!((delivery.attempts, delivery.next_at), (1, 31_000));
    /// assert!(delivery.attempted(true, 40_000));
    /// ```
    pub fn attempted(&mut self, delivered: bool, now: u64) -> bool {
        if delivered {
            return true;
        }
        self.attempts += 1;
        match retry_delay(self.attempts) {
            Some(delay_s) => {
                self.next_at = now.saturating_add(delay_s * 1000);
                false
            }
            None => true,
        }
    }
}
