//! The public proxy's guard, as pure decisions (no I/O, no clock): idempotency keys, signed
//! checkout intents, per-phone limits, the per-IP `Retry-After` and Turnstile's answer.
//!
//! Like [`super::lifecycle`], time comes in as a parameter and the Worker only stores and executes
//! what these functions decide (its `Guard` Durable Object keeps one key's entry or one phone's
//! history). The rules and formats are DESIGN.md's, "Abuse guard and idempotency".

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use hmac::Mac;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::codes;
use super::encoding::{base64url, base64url_decode, hex, hmac};
use super::health::Payer;
use crate::rules::locale::Locale;
use crate::rules::notice::Notice;
use crate::rules::stk::CheckoutForm;

/// How long an answer is kept for its `Idempotency-Key`.
pub const IDEMPOTENCY_TTL_MS: u64 = 24 * 3_600_000;
/// The clock skew allowed on an intent's `exp`.
pub const INTENT_SKEW_S: u64 = 60;
/// The default lifetime of an intent a signer makes.
pub const DEFAULT_INTENT_TTL_S: u64 = 900;
/// The longest Turnstile token accepted.
pub const TURNSTILE_TOKEN_MAX_CHARS: usize = 2048;

/// Whether an `Idempotency-Key` is well formed: 1 to 255 characters from `!` to `~` (no space).
///
/// ```
/// use palpluss_stk::edge::guard::idempotency_key_valid;
///
/// assert!(idempotency_key_valid("order-1042:attempt-1"));
/// assert!(!idempotency_key_valid(""));
/// assert!(!idempotency_key_valid("has space"));
/// assert!(!idempotency_key_valid(&"k".repeat(256)));
/// ```
pub fn idempotency_key_valid(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (b'!'..=b'~').contains(&b))
}

/// The fingerprint of a validated request: "same body" means the same validated request, so
/// `"0712 345 678"` and `"254712345678"` are the same body. `intent` and `turnstileToken` are not
/// part of it: a retry may carry a fresh Turnstile token for the same payment.
pub fn request_fingerprint(form: &CheckoutForm) -> String {
    let canonical = serde_json::to_string(&form.payment_only()).unwrap_or_default();
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// What an `Idempotency-Key` has seen so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyEntry {
    /// [`request_fingerprint`] of the request that took the key.
    pub fingerprint: String,
    /// When the key was taken (unix ms); the entry expires [`IDEMPOTENCY_TTL_MS`] later.
    pub created_at: u64,
    /// The answer given after the push was sent, once there is one.
    pub answer: Option<KeptAnswer>,
}

/// An answer kept for replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptAnswer {
    /// HTTP status.
    pub status: u16,
    /// The body as sent.
    pub body: String,
    /// `Retry-After`, when the answer had one.
    pub retry_after: Option<String>,
}

impl KeptAnswer {
    /// The stored form: `{status}\n{retry_after}\n{body}` (an empty line for no `Retry-After`).
    /// Text rather than JSON: the Worker keeps it without another (de)serialiser in its upload.
    ///
    /// ```
    /// use palpluss_stk::edge::guard::KeptAnswer;
    ///
    /// let answer = KeptAnswer { status: 429, body: "{\"a\":\n1}".into(), retry_after: Some("60".into()) };
    /// assert_eq!(answer.to_text(), "429\n60\n{\"a\":\n1}");
    /// assert_eq!(KeptAnswer::from_text(&answer.to_text()), Some(answer));
    /// ```
    pub fn to_text(&self) -> String {
        let status = self.status.to_string();
        [status.as_str(), "\n", self.retry_after.as_deref().unwrap_or(""), "\n", &self.body].concat()
    }

    /// Reads [`KeptAnswer::to_text`]; `None` for anything else.
    pub fn from_text(text: &str) -> Option<KeptAnswer> {
        let (status, rest) = text.split_once('\n')?;
        let (retry_after, body) = rest.split_once('\n')?;
        let status = status.parse::<u16>().ok().filter(|s| (100..=599).contains(s))?;
        let retry_after = (!retry_after.is_empty()).then(|| retry_after.to_owned());
        Some(KeptAnswer { status, body: body.to_owned(), retry_after })
    }
}

impl IdempotencyEntry {
    /// The stored form: `{created_at}\n{fingerprint}` and, once answered, `\n` and the answer's
    /// [`KeptAnswer::to_text`].
    ///
    /// ```
    /// use palpluss_stk::edge::guard::{IdempotencyEntry, KeptAnswer};
    ///
    /// let mut entry = IdempotencyEntry { fingerprint: "f1".into(), created_at: 7, answer: None };
    /// assert_eq!(IdempotencyEntry::from_text(&entry.to_text()), Some(entry.clone()));
    /// entry.answer = Some(KeptAnswer { status: 200, body: "{}".into(), retry_after: None });
    /// assert_eq!(entry.to_text(), "7\nf1\n200\n\n{}");
    /// assert_eq!(IdempotencyEntry::from_text(&entry.to_text()), Some(entry));
    /// ```
    pub fn to_text(&self) -> String {
        let head = [self.created_at.to_string().as_str(), "\n", &self.fingerprint].concat();
        match &self.answer {
            None => head,
            Some(answer) => [head.as_str(), "\n", &answer.to_text()].concat(),
        }
    }

    /// Reads [`IdempotencyEntry::to_text`]; `None` for anything else.
    pub fn from_text(text: &str) -> Option<IdempotencyEntry> {
        let (created_at, rest) = text.split_once('\n')?;
        let created_at = created_at.parse().ok()?;
        let (fingerprint, answer) = match rest.split_once('\n') {
            None => (rest, None),
            Some((fingerprint, answer)) => (fingerprint, Some(KeptAnswer::from_text(answer)?)),
        };
        if fingerprint.is_empty() {
            return None;
        }
        Some(IdempotencyEntry { fingerprint: fingerprint.to_owned(), created_at, answer })
    }
}

/// What to do with a request that carries an `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyDecision {
    /// The key is new (or expired): take it and run the request.
    Run,
    /// Same key, same body, answered: replay with `Idempotent-Replayed: true`, no upstream call.
    Replay(KeptAnswer),
    /// Same key still in flight: 409 `IDEMPOTENCY_KEY_IN_USE`, whatever the body.
    InFlight,
    /// Same key, other body: 422 `IDEMPOTENCY_KEY_REUSED`.
    Reused,
}

/// Decides a keyed request against what the key has seen. `fingerprint` is `None` when the body
/// did not validate: such a request never takes a key (its 400 is not kept), and it is "another
/// body" for a key that has an answer.
///
/// ```
/// use palpluss_stk::edge::guard::{decide_idempotency, IdempotencyDecision, IdempotencyEntry};
///
/// assert_eq!(decide_idempotency(None, Some("f1"), 0), IdempotencyDecision::Run);
/// let taken = IdempotencyEntry { fingerprint: "f1".into(), created_at: 0, answer: None };
/// assert_eq!(decide_idempotency(Some(&taken), Some("f2"), 1), IdempotencyDecision::InFlight);
/// assert_eq!(decide_idempotency(Some(&taken), None, 1), IdempotencyDecision::InFlight);
/// ```
pub fn decide_idempotency(
    entry: Option<&IdempotencyEntry>,
    fingerprint: Option<&str>,
    now: u64,
) -> IdempotencyDecision {
    let Some(entry) = entry.filter(|e| !entry_expired(e, now)) else {
        return IdempotencyDecision::Run;
    };
    match &entry.answer {
        None => IdempotencyDecision::InFlight,
        Some(answer) if fingerprint == Some(entry.fingerprint.as_str()) => IdempotencyDecision::Replay(answer.clone()),
        Some(_) => IdempotencyDecision::Reused,
    }
}

/// Whether an entry is past its 24 hours (and may be deleted).
pub fn entry_expired(entry: &IdempotencyEntry, now: u64) -> bool {
    now >= entry.created_at.saturating_add(IDEMPOTENCY_TTL_MS)
}

/// A signed checkout intent: what the merchant's server agreed to charge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// Whole shillings.
    pub amount: u64,
    /// The order reference.
    pub account_reference: String,
    /// The description, when the intent fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_desc: Option<String>,
    /// Expiry, unix seconds.
    pub exp: u64,
}

/// Why an intent was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntentError {
    /// `INTENT_REQUIRED`: `INTENT_SECRET` is set and the body has no intent.
    Required,
    /// `INTENT_INVALID`: malformed, truncated, not base64url, or the signature does not match.
    Invalid,
    /// `INTENT_EXPIRED`: past `exp` by more than the 60 s skew.
    Expired,
    /// `INTENT_MISMATCH`: the request differs from the intent in these fields.
    Mismatch(Vec<&'static str>),
}

impl IntentError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            IntentError::Required => codes::INTENT_REQUIRED,
            IntentError::Invalid => codes::INTENT_INVALID,
            IntentError::Expired => codes::INTENT_EXPIRED,
            IntentError::Mismatch(_) => codes::INTENT_MISMATCH,
        }
    }

    /// A message fit for the customer, in English.
    pub fn message(&self) -> &'static str {
        self.message_in(Locale::En)
    }

    /// The message in `locale`.
    pub fn message_in(&self, l: Locale) -> &'static str {
        match self {
            IntentError::Required | IntentError::Invalid => Notice::CheckoutInvalid.message(l),
            IntentError::Expired => Notice::CheckoutExpired.message(l),
            IntentError::Mismatch(_) => Notice::CheckoutMismatch.message(l),
        }
    }
}

impl fmt::Display for IntentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for IntentError {}

/// The longest intent token accepted (its payload is a few dozen bytes).
const MAX_INTENT_CHARS: usize = 2048;

/// Signs an intent: `{p}.{s}` with `p` = base64url(JSON) and `s` = base64url(HMAC-SHA256(secret, p)).
///
/// ```
/// use palpluss_stk::edge::guard::{sign_intent, verify_intent, Intent};
///
/// let intent = Intent { amount: 1500, account_reference: "ORDER-1042".into(), transaction_desc: None, exp: 1_796_027_400 };
/// let token = sign_intent("isec_0123456789abcdef", &intent);
/// assert_eq!(verify_intent(&token, "isec_0123456789abcdef", 1_796_026_500), Ok(intent));
/// ```
pub fn sign_intent(secret: &str, intent: &Intent) -> String {
    let payload = base64url(serde_json::to_string(intent).unwrap_or_default().as_bytes());
    let signature = base64url(&hmac(secret.as_bytes(), &[payload.as_bytes()]).finalize().into_bytes());
    [payload.as_str(), ".", signature.as_str()].concat()
}

/// Checks an intent's signature (constant time) and expiry, and reads it.
pub fn verify_intent(token: &str, secret: &str, now_s: u64) -> Result<Intent, IntentError> {
    if token.len() > MAX_INTENT_CHARS {
        return Err(IntentError::Invalid);
    }
    let (payload, signature) = token.split_once('.').ok_or(IntentError::Invalid)?;
    let signature = base64url_decode(signature).ok_or(IntentError::Invalid)?;
    hmac(secret.as_bytes(), &[payload.as_bytes()]).verify_slice(&signature).map_err(|_| IntentError::Invalid)?;
    let json = base64url_decode(payload).ok_or(IntentError::Invalid)?;
    // A signed payload is trusted to be ours, but its shape is still checked: amount a whole number.
    // Read from a `Value` (the Worker has that parser already) rather than a derived struct.
    let intent = intent_from_json(&json).ok_or(IntentError::Invalid)?;
    if now_s > intent.exp.saturating_add(INTENT_SKEW_S) {
        return Err(IntentError::Expired);
    }
    Ok(intent)
}

fn intent_from_json(json: &[u8]) -> Option<Intent> {
    let value: Value = serde_json::from_slice(json).ok()?;
    let text = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    let transaction_desc = match value.get("transactionDesc") {
        None | Some(Value::Null) => None,
        Some(_) => Some(text("transactionDesc")?),
    };
    Some(Intent {
        amount: value.get("amount")?.as_u64()?,
        account_reference: text("accountReference")?,
        transaction_desc,
        exp: value.get("exp")?.as_u64()?,
    })
}

/// Compares a validated checkout with its intent: amount, accountReference, and transactionDesc
/// when the intent fixes it.
pub fn intent_matches(intent: &Intent, form: &CheckoutForm) -> Result<(), IntentError> {
    let mut fields = Vec::new();
    if intent.amount != form.amount() {
        fields.push("amount");
    }
    if intent.account_reference != form.account_reference() {
        fields.push("accountReference");
    }
    if intent.transaction_desc.as_deref().is_some_and(|d| d != form.transaction_desc()) {
        fields.push("transactionDesc");
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(IntentError::Mismatch(fields))
    }
}

/// Why a push to this phone must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneRefusal {
    /// `PHONE_BUSY`: a push to this phone is not final and younger than the cooldown.
    Busy {
        /// Seconds until the cooldown ends (at least 1).
        retry_after_s: u64,
    },
    /// `PHONE_LIMIT`: the hourly cap is reached.
    Limit {
        /// Seconds until the oldest push leaves the hour (at least 1).
        retry_after_s: u64,
    },
}

impl PhoneRefusal {
    /// The stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            PhoneRefusal::Busy { .. } => codes::PHONE_BUSY,
            PhoneRefusal::Limit { .. } => codes::PHONE_LIMIT,
        }
    }

    /// `Retry-After`, seconds.
    pub fn retry_after_s(self) -> u64 {
        match self {
            PhoneRefusal::Busy { retry_after_s } | PhoneRefusal::Limit { retry_after_s } => retry_after_s,
        }
    }

    /// A message fit for the customer, in `l`.
    pub fn message(self, l: Locale) -> &'static str {
        match self {
            PhoneRefusal::Busy { .. } => Notice::PhoneBusy.message(l),
            PhoneRefusal::Limit { .. } => Notice::PhoneLimit.message(l),
        }
    }
}

/// The pushes sent to one phone (unix ms each), and which of them is still open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneHistory {
    /// When each push in the last hour was sent to PalPluss, oldest first.
    pub sent: Vec<u64>,
    /// The push (by its time in `sent`) that is not final yet; a push that timed out stays open.
    pub open: Option<u64>,
    /// When a push to this phone last ended SUCCESS (the key's health: a known payer).
    #[serde(default)]
    pub paid_at: Option<u64>,
    /// When a push to this phone last ended CANCELLED, FAILED or EXPIRED.
    #[serde(default)]
    pub failed_at: Option<u64>,
}

/// An hour in milliseconds.
const HOUR_MS: u64 = 3_600_000;

impl PhoneHistory {
    /// Whether one more push to this phone may go now.
    ///
    /// ```
    /// use palpluss_stk::edge::guard::{PhoneHistory, PhoneRefusal};
    ///
    /// let mut phone = PhoneHistory::default();
    /// assert_eq!(phone.check(0, 60, 5), Ok(()));
    /// let push = phone.record_sent(0);
    /// assert_eq!(phone.check(10_000, 60, 5), Err(PhoneRefusal::Busy { retry_after_s: 50 }));
    /// phone.settled(push);
    /// assert_eq!(phone.check(10_000, 60, 5), Ok(()));
    /// ```
    pub fn check(&mut self, now: u64, cooldown_s: u64, max_per_hour: u32) -> Result<(), PhoneRefusal> {
        self.sent.retain(|&at| at.saturating_add(HOUR_MS) > now);
        if let Some(open) = self.open {
            let until = open.saturating_add(cooldown_s.saturating_mul(1000));
            if until > now {
                return Err(PhoneRefusal::Busy { retry_after_s: seconds_until(until, now) });
            }
        }
        if self.sent.len() >= max_per_hour as usize {
            let oldest = self.sent.first().copied().unwrap_or(now);
            return Err(PhoneRefusal::Limit { retry_after_s: seconds_until(oldest.saturating_add(HOUR_MS), now) });
        }
        Ok(())
    }

    /// [`PhoneHistory::check`] and, when it passes, [`PhoneHistory::record_sent`] in one step: what
    /// the phone's object does atomically, so that of simultaneous pushes to one phone one goes.
    pub fn reserve(&mut self, now: u64, cooldown_s: u64, max_per_hour: u32) -> Result<u64, PhoneRefusal> {
        self.check(now, cooldown_s, max_per_hour)?;
        Ok(self.record_sent(now))
    }

    /// Counts a push sent to PalPluss (whatever came back), open until [`PhoneHistory::settled`].
    /// Returns the push's time, which names it for `settled` and `release`. Two pushes in one
    /// millisecond get distinct times.
    pub fn record_sent(&mut self, now: u64) -> u64 {
        let at = self.sent.last().map_or(now, |&last| now.max(last.saturating_add(1)));
        self.sent.push(at);
        self.open = Some(at);
        at
    }

    /// The push `at` reached a final status (or PalPluss refused it): the phone is no longer busy
    /// because of it. A newer push stays open.
    pub fn settled(&mut self, at: u64) {
        if self.open == Some(at) {
            self.open = None;
        }
    }

    /// A push to this phone reached a final status at `now`: paid or not. What the key's health
    /// asks of a phone ([`PhoneHistory::payer`]).
    pub fn outcome(&mut self, paid: bool, now: u64) {
        match paid {
            true => self.paid_at = Some(now),
            false => self.failed_at = Some(now),
        }
    }

    /// What the key's health knows of this payer.
    pub fn payer(&self) -> Payer {
        Payer { paid_at: self.paid_at, failed_at: self.failed_at }
    }

    /// Whether nothing is left to remember at `now`, a phone that paid being remembered for
    /// `known_payer_ms` (the key's health puts known payers first).
    pub fn forgotten(&self, now: u64, known_payer_ms: u64) -> bool {
        let hour_over = |at: u64| at.saturating_add(HOUR_MS) <= now;
        self.sent.iter().all(|&at| hour_over(at))
            && self.failed_at.is_none_or(hour_over)
            && self.paid_at.is_none_or(|at| at.saturating_add(known_payer_ms) <= now)
    }

    /// The push `at` was reserved but never sent (a later check refused it): it does not count.
    pub fn release(&mut self, at: u64) {
        self.sent.retain(|&t| t != at);
        self.settled(at);
    }

    /// The stored form: the open push (or `-`), a space, the pushes, comma-separated, and when
    /// the phone last paid and last failed (each `-` when never; left out when both are, as 0.1
    /// stored it).
    ///
    /// ```
    /// use palpluss_stk::edge::guard::PhoneHistory;
    ///
    /// let phone = PhoneHistory { sent: vec![5, 9], open: Some(9), ..PhoneHistory::default() };
    /// assert_eq!(phone.to_text(), "9 5,9");
    /// assert_eq!(PhoneHistory::from_text("9 5,9"), Some(phone));
    /// assert_eq!(PhoneHistory::from_text("- "), Some(PhoneHistory::default()));
    /// let paid = PhoneHistory { paid_at: Some(7), ..PhoneHistory::default() };
    /// assert_eq!(paid.to_text(), "-  7 -");
    /// assert_eq!(PhoneHistory::from_text("-  7 -"), Some(paid));
    /// assert_eq!(PhoneHistory::from_text("x 5"), None);
    /// ```
    pub fn to_text(&self) -> String {
        let mut text = self.open.map_or_else(|| "-".to_owned(), |at| at.to_string());
        text.push(' ');
        for (i, at) in self.sent.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&at.to_string());
        }
        if self.paid_at.is_some() || self.failed_at.is_some() {
            for at in [self.paid_at, self.failed_at] {
                text.push(' ');
                text.push_str(&at.map_or_else(|| "-".to_owned(), |at| at.to_string()));
            }
        }
        text
    }

    /// Reads [`PhoneHistory::to_text`]; `None` for anything else.
    pub fn from_text(text: &str) -> Option<PhoneHistory> {
        let mut parts = text.split(' ');
        let time = |part: &str| match part {
            "-" => Some(None),
            at => at.parse().ok().map(Some),
        };
        let open = time(parts.next()?)?;
        let sent = match parts.next()? {
            "" => Vec::new(),
            list => list.split(',').map(|t| t.parse().ok()).collect::<Option<Vec<u64>>>()?,
        };
        let (paid_at, failed_at) = match (parts.next(), parts.next(), parts.next()) {
            (None, None, None) => (None, None),
            (Some(paid), Some(failed), None) => (time(paid)?, time(failed)?),
            _ => return None,
        };
        Some(PhoneHistory { sent, open, paid_at, failed_at })
    }

    /// When this history has nothing left to remember (every push is out of the hour).
    pub fn forget_at(&self) -> Option<u64> {
        self.sent.last().map(|&newest| newest.saturating_add(HOUR_MS))
    }
}

fn seconds_until(at: u64, now: u64) -> u64 {
    at.saturating_sub(now).div_ceil(1000).max(1)
}

/// The per-IP `Retry-After`: the seconds until the rate limiter's window of `period_s` resets
/// (at least 1).
///
/// ```
/// assert_eq!(palpluss_stk::edge::guard::ip_retry_after(61_500, 60), 59);
/// assert_eq!(palpluss_stk::edge::guard::ip_retry_after(119_999, 60), 1);
/// ```
pub fn ip_retry_after(now_ms: u64, period_s: u64) -> u64 {
    let period_ms = period_s.max(1) * 1000;
    seconds_until(now_ms - now_ms % period_ms + period_ms, now_ms)
}

/// What Turnstile's siteverify said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnstileVerdict {
    /// The token is good.
    Pass,
    /// `TURNSTILE_FAILED` (403): the token is bad, used or expired.
    Fail,
    /// `TURNSTILE_UNAVAILABLE` (503): siteverify could not say (its own error, or no answer).
    Unavailable,
}

/// Reads siteverify's answer (`{ "success": bool, "error-codes": [...] }`); anything else, or
/// Cloudflare's `internal-error`, is [`TurnstileVerdict::Unavailable`].
///
/// ```
/// use palpluss_stk::edge::guard::{turnstile_verdict, TurnstileVerdict};
///
/// assert_eq!(turnstile_verdict(200, br#"{"success":true,"error-codes":[]}"#), TurnstileVerdict::Pass);
/// assert_eq!(turnstile_verdict(200, br#"{"success":false,"error-codes":["invalid-input-response"]}"#), TurnstileVerdict::Fail);
/// assert_eq!(turnstile_verdict(500, b"oops"), TurnstileVerdict::Unavailable);
/// ```
pub fn turnstile_verdict(status: u16, body: &[u8]) -> TurnstileVerdict {
    if !(200..300).contains(&status) {
        return TurnstileVerdict::Unavailable;
    }
    let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(body) else {
        return TurnstileVerdict::Unavailable;
    };
    let internal = answer
        .get("error-codes")
        .and_then(Value::as_array)
        .is_some_and(|codes| codes.iter().any(|c| c.as_str() == Some("internal-error")));
    match answer.get("success").and_then(Value::as_bool) {
        Some(true) => TurnstileVerdict::Pass,
        Some(false) if !internal => TurnstileVerdict::Fail,
        _ => TurnstileVerdict::Unavailable,
    }
}
