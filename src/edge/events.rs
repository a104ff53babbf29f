//! Signed events for the merchant's backend: one per payment and confirmed final status, its
//! retry schedule, the `Palpluss-Stk-Signature` header, and the verifier merchants run.

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use hmac::Mac;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::encoding::{hex, hmac, sha256_hex, unhex};
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
