//! The whole payment at the edge, as pure decisions (no I/O, no clock).
//!
//! Shaped like quinn-proto: events and `now` (unix milliseconds) go in, decisions come out; the
//! Worker's Durable Objects only store what these functions return and schedule what they ask
//! for. So every edge case (a duplicated, late, forged or missing webhook; a reversal; a merchant
//! endpoint that is down for hours) is a fast native test with time as a parameter.
//!
//! - [`Payment`]: the stored record of one push, and the one place its status changes
//!   ([`Payment::confirm`]): a confirmed final status never goes back, except SUCCESS to REVERSED.
//! - [`WebhookHint`]: PalPluss's webhook, parsed tolerantly. PalPluss signs nothing, so a webhook
//!   is only a reason to ask `GET /transactions/{id}` ([`Payment::on_webhook`]).
//! - [`poll_at`]: when to ask PalPluss without a webhook (15 s after the push, then every 10 s, up to
//!   5 minutes).
//! - [`UpstreamBudget`]: at most N calls with the key in any 60 s; pushes come first.
//! - [`MerchantEvent`], [`sign_event`], [`verify_webhook`], [`retry_delay`]: signed events out.
//! - [`customer_message`]: what to tell the customer, from the status and M-Pesa's result code.

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::locale::Locale;
use crate::palpluss::TransactionStatus;
use crate::proxy::mask_phone;

/// The first status check without a confirmed final status, after the push (PalPluss's documented
/// fallback).
pub const FIRST_POLL_AFTER_MS: u64 = 15_000;
/// Then every this often.
pub const POLL_EVERY_MS: u64 = 10_000;
/// Polling stops this long after the push; the record keeps its last status (`final: false`).
pub const POLL_UNTIL_MS: u64 = 300_000;
/// Merchant event retries after a failed delivery: 30 s, 2 min, 10 min, 1 h, 6 h, then dropped.
pub const EVENT_RETRY_DELAYS_S: [u64; 5] = [30, 120, 600, 3_600, 21_600];
/// How far a signature's timestamp may be from now when verifying (default).
pub const DEFAULT_TOLERANCE_S: u64 = 300;
/// Webhook bodies larger than this are refused (400).
pub const MAX_WEBHOOK_BYTES: usize = 64 * 1024;
/// The header a merchant event's signature travels in.
pub const SIGNATURE_HEADER: &str = "Palpluss-Stk-Signature";

/// What the customer should read for a status and M-Pesa result code, in `locale`.
///
/// ```
/// use palpluss_stk::lifecycle::customer_message;
/// use palpluss_stk::palpluss::TransactionStatus;
/// use palpluss_stk::Locale;
///
/// assert!(customer_message(TransactionStatus::Failed, Some("2001"), Locale::En).contains("PIN"));
/// assert!(customer_message(TransactionStatus::Cancelled, Some("1032"), Locale::En).contains("cancelled"));
/// assert!(customer_message(TransactionStatus::Cancelled, Some("1032"), Locale::Sw).starts_with("Umeghairi"));
/// ```
pub fn customer_message(status: TransactionStatus, result_code: Option<&str>, locale: Locale) -> &'static str {
    let code = result_code.map(str::trim);
    let l = locale;
    match (status, code) {
        (TransactionStatus::Success, _) => l.pick("Paid. Thank you!", "Umelipa. Asante!"),
        (TransactionStatus::Pending | TransactionStatus::Processing | TransactionStatus::Unknown, _) => l.pick(
            "Check your phone and enter your M-Pesa PIN to pay.",
            "Angalia simu yako na uweke PIN yako ya M-Pesa ili kulipa.",
        ),
        (TransactionStatus::Reversed, _) => l.pick(
            "This payment was reversed. The money has gone back to your M-Pesa.",
            "Malipo haya yamerudishwa. Pesa imerudi kwenye M-Pesa yako.",
        ),
        (_, Some("1")) => l.pick(
            "Your M-Pesa balance is not enough for this payment. Top up, then try again.",
            "Salio lako la M-Pesa halitoshi kwa malipo haya. Ongeza salio, kisha ujaribu tena.",
        ),
        (_, Some("1032")) => l.pick(
            "You cancelled the M-Pesa prompt. Try again when you are ready.",
            "Umeghairi ombi la M-Pesa. Jaribu tena ukiwa tayari.",
        ),
        (_, Some("1037")) => l.pick(
            "We could not reach your phone. Check that it is on and has signal, then try again.",
            "Hatukuweza kufikia simu yako. Hakikisha imewashwa na ina mtandao, kisha ujaribu tena.",
        ),
        (_, Some("2001")) => l.pick(
            "The M-Pesa PIN was wrong. Try again with the right PIN.",
            "PIN ya M-Pesa si sahihi. Jaribu tena ukitumia PIN sahihi.",
        ),
        (_, Some("1019")) | (TransactionStatus::Expired, _) => l.pick(
            "The M-Pesa prompt expired before it was answered. Try again.",
            "Muda wa ombi la M-Pesa uliisha kabla ya kulijibu. Jaribu tena.",
        ),
        (_, Some("17")) => l.pick(
            "M-Pesa is still busy with your last request. Wait 2 minutes, then try again.",
            "M-Pesa bado inashughulikia ombi lako lililopita. Subiri dakika 2, kisha ujaribu tena.",
        ),
        (TransactionStatus::Cancelled, _) => l.pick(
            "The payment was cancelled. Try again when you are ready.",
            "Malipo yameghairiwa. Jaribu tena ukiwa tayari.",
        ),
        _ => {
            l.pick("The payment did not go through. Please try again.", "Malipo hayakufanikiwa. Tafadhali jaribu tena.")
        }
    }
}

/// How the status of a payment last changed, for a merchant event.
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
        }
    }
}

/// What `GET /transactions/{id}` said about a transaction (the only source of truth).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The status PalPluss reports.
    pub status: TransactionStatus,
    /// M-Pesa's result code, when known.
    pub result_code: Option<String>,
    /// M-Pesa's result text, when known.
    pub result_desc: Option<String>,
    /// The M-Pesa receipt, when the answer carries one.
    pub mpesa_receipt: Option<String>,
}

/// The stored record of one STK push and everything confirmed about it since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// PalPluss's transaction id.
    pub transaction_id: String,
    /// The last confirmed status (PENDING until PalPluss confirms otherwise).
    pub status: TransactionStatus,
    /// Whether `status` came from `GET /transactions/{id}` (not just the push answer).
    pub confirmed: bool,
    /// M-Pesa's result code.
    pub result_code: Option<String>,
    /// M-Pesa's result text.
    pub result_desc: Option<String>,
    /// The M-Pesa receipt of a confirmed SUCCESS.
    pub mpesa_receipt: Option<String>,
    /// A receipt a webhook claimed, kept until a confirmation says SUCCESS.
    pub hinted_receipt: Option<String>,
    /// Whole shillings.
    pub amount: u64,
    /// `254XXXXXXXXX`.
    pub phone: String,
    /// The merchant's reference.
    pub account_reference: String,
    /// When the push was accepted (unix ms).
    pub pushed_at: u64,
    /// When the record last changed (unix ms).
    pub updated_at: u64,
    /// SHA-256 of the status token, hex (the token itself is never stored).
    pub token_sha256: String,
    /// The final statuses an event was already created for (at most one event each).
    pub events: Vec<TransactionStatus>,
    /// The phone guard's name for this push (its time there), released when the payment is final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_push: Option<u64>,
}

/// What a confirmation changed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Change {
    /// The record changed: store it, and tell the status streams.
    pub changed: bool,
    /// A merchant event to create (a final status confirmed for the first time).
    pub event: Option<EventType>,
}

/// What to do with a webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookDecision {
    /// Nothing to learn: acknowledged, no upstream call.
    Ignore,
    /// Ask `GET /transactions/{id}` now.
    Confirm,
}

impl Payment {
    /// A new record for a push PalPluss accepted.
    pub fn new(
        transaction_id: &str,
        amount: u64,
        phone: &str,
        account_reference: &str,
        status_token: &str,
        now: u64,
    ) -> Payment {
        Payment {
            transaction_id: transaction_id.to_owned(),
            status: TransactionStatus::Pending,
            confirmed: false,
            result_code: None,
            result_desc: None,
            mpesa_receipt: None,
            hinted_receipt: None,
            amount,
            phone: phone.to_owned(),
            account_reference: account_reference.to_owned(),
            pushed_at: now,
            updated_at: now,
            token_sha256: sha256_hex(status_token.as_bytes()),
            events: Vec::new(),
            phone_push: None,
        }
    }

    /// Whether the status is final and confirmed: nothing but a reversal changes it now.
    pub fn settled(&self) -> bool {
        self.confirmed && self.status.is_final()
    }

    /// Whether `token` is this payment's status token (constant time in the token's content).
    pub fn token_matches(&self, token: &str) -> bool {
        let presented = sha256_hex(token.as_bytes());
        constant_time_eq(presented.as_bytes(), self.token_sha256.as_bytes())
    }

    /// Applies what `GET /transactions/{id}` said. A confirmed final status never goes back; the
    /// one change after it is SUCCESS to REVERSED, which gets its own event.
    pub fn confirm(&mut self, seen: &Observation, now: u64) -> Change {
        let allowed = match (self.status, seen.status) {
            (_, TransactionStatus::Unknown) => false,
            (TransactionStatus::Success, TransactionStatus::Reversed) if self.confirmed => true,
            (current, _) if self.confirmed && current.is_final() => false,
            // Forward only among the open statuses: PROCESSING does not go back to PENDING.
            (TransactionStatus::Processing, TransactionStatus::Pending) => false,
            _ => true,
        };
        if !allowed {
            return Change::default();
        }
        let receipt = match seen.status {
            TransactionStatus::Success | TransactionStatus::Reversed => seen
                .mpesa_receipt
                .clone()
                .or_else(|| self.mpesa_receipt.clone())
                .or_else(|| self.hinted_receipt.clone()),
            _ => None,
        };
        let before = (
            self.status,
            self.confirmed,
            self.result_code.clone(),
            self.result_desc.clone(),
            self.mpesa_receipt.clone(),
        );
        self.status = seen.status;
        self.confirmed = true;
        if seen.result_code.is_some() {
            self.result_code = seen.result_code.clone();
        }
        if seen.result_desc.is_some() {
            self.result_desc = seen.result_desc.clone();
        }
        self.mpesa_receipt = receipt;
        let after = (
            self.status,
            self.confirmed,
            self.result_code.clone(),
            self.result_desc.clone(),
            self.mpesa_receipt.clone(),
        );
        let changed = before != after;
        if changed {
            self.updated_at = now;
        }
        let event = EventType::for_status(self.status).filter(|_| !self.events.contains(&self.status));
        if event.is_some() {
            self.events.push(self.status);
        }
        Change { changed, event }
    }

    /// Decides what a webhook about this payment is worth. It never changes the status itself;
    /// it may keep the receipt it carries, which only a confirmed SUCCESS makes visible.
    pub fn on_webhook(&mut self, hint: &WebhookHint) -> WebhookDecision {
        if hint.status == TransactionStatus::Success {
            if let Some(receipt) = &hint.mpesa_receipt {
                self.hinted_receipt = Some(receipt.clone());
                if self.settled() && self.status == TransactionStatus::Success && self.mpesa_receipt.is_none() {
                    self.mpesa_receipt = Some(receipt.clone());
                }
            }
        }
        let worth_asking = match (self.settled(), hint.status) {
            // Only a reversal can change a settled payment.
            (true, TransactionStatus::Reversed) => self.status == TransactionStatus::Success,
            (true, _) => false,
            // An open status we already confirmed teaches nothing.
            (false, status) if !status.is_final() => self.status != status || !self.confirmed,
            (false, _) => true,
        };
        if worth_asking {
            WebhookDecision::Confirm
        } else {
            WebhookDecision::Ignore
        }
    }

    /// The status object the browser sees (`GET /payments/{id}`, the SSE `data:`), with the phone
    /// masked and the message in the customer's `locale`; [`Payment::event_view`] has the full
    /// phone for the merchant.
    pub fn public_view(&self, locale: Locale) -> Value {
        self.view(&mask_phone(&self.phone), locale)
    }

    /// The status object with the full phone, for the merchant's signed events (message in
    /// English).
    pub fn event_view(&self) -> Value {
        self.view(&self.phone, Locale::En)
    }

    fn view(&self, phone: &str, locale: Locale) -> Value {
        json!({
            "transactionId": self.transaction_id,
            "status": self.status,
            "final": self.status.is_final(),
            "confirmed": self.confirmed,
            "resultCode": self.result_code,
            "resultDesc": self.result_desc,
            "message": customer_message(self.status, self.result_code.as_deref(), locale),
            "mpesaReceipt": self.mpesa_receipt,
            "amount": self.amount,
            "phone": phone,
            "accountReference": self.account_reference,
            "updatedAt": iso8601(self.updated_at),
        })
    }
}

/// When to ask PalPluss next, without a webhook: `None` once the payment is settled or 5 minutes
/// after the push have passed. `last_poll` is when it was last asked (by poll or webhook).
///
/// ```
/// use palpluss_stk::lifecycle::poll_at;
///
/// assert_eq!(poll_at(0, None, false), Some(15_000));
/// assert_eq!(poll_at(0, Some(15_000), false), Some(25_000));
/// assert_eq!(poll_at(0, Some(295_000), false), Some(300_000));
/// assert_eq!(poll_at(0, Some(300_000), false), None);
/// assert_eq!(poll_at(0, None, true), None);
/// ```
pub fn poll_at(pushed_at: u64, last_poll: Option<u64>, settled: bool) -> Option<u64> {
    if settled {
        return None;
    }
    let first = pushed_at.saturating_add(FIRST_POLL_AFTER_MS);
    let until = pushed_at.saturating_add(POLL_UNTIL_MS);
    let next = match last_poll {
        Some(last) => last.saturating_add(POLL_EVERY_MS).max(first),
        None => first,
    };
    match last_poll {
        Some(last) if last >= until => None,
        _ => Some(next.min(until)),
    }
}

/// When a payment's object must wake up next: the next poll, a confirmation the budget deferred,
/// the next event delivery, or the end of retention (`RETENTION_DAYS` after the push), whichever
/// comes first.
///
/// ```
/// use palpluss_stk::lifecycle::{next_wake, DAY_MS};
///
/// assert_eq!(next_wake(0, None, false, None, None, 7 * DAY_MS), Some(15_000));
/// assert_eq!(next_wake(0, None, true, None, Some(30_000), 7 * DAY_MS), Some(30_000));
/// assert_eq!(next_wake(0, None, true, None, None, 7 * DAY_MS), Some(7 * DAY_MS));
/// ```
pub fn next_wake(
    pushed_at: u64,
    last_poll: Option<u64>,
    settled: bool,
    confirm_at: Option<u64>,
    next_event_at: Option<u64>,
    retention_ms: u64,
) -> Option<u64> {
    let poll = poll_at(pushed_at, last_poll, settled);
    let delete = Some(pushed_at.saturating_add(retention_ms));
    [poll, confirm_at, next_event_at, delete].into_iter().flatten().min()
}

/// Whether a record is past its retention and must be deleted.
pub fn expired(pushed_at: u64, retention_ms: u64, now: u64) -> bool {
    now >= pushed_at.saturating_add(retention_ms)
}

/// One day in milliseconds.
pub const DAY_MS: u64 = 86_400_000;

/// PalPluss's webhook, reduced to what it hints at. Tolerates the mixed camelCase and snake_case
/// PalPluss uses, the transaction under `transaction` or `data`, numbers for codes, and unknown
/// fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookHint {
    /// The transaction the webhook is about.
    pub transaction_id: String,
    /// The status it claims.
    pub status: TransactionStatus,
    /// The receipt it carries, if any.
    pub mpesa_receipt: Option<String>,
}

impl WebhookHint {
    /// The hint as the Worker hands it to the payment's object: `STATUS\nid`, then `\nreceipt`
    /// when there is one (plain text, so the upload carries no JSON reader for it).
    ///
    /// ```
    /// use palpluss_stk::lifecycle::WebhookHint;
    /// use palpluss_stk::palpluss::TransactionStatus;
    ///
    /// let hint = WebhookHint {
    ///     transaction_id: "tx-1".into(),
    ///     status: TransactionStatus::Success,
    ///     mpesa_receipt: Some("K4NZ2Z9YFV".into()),
    /// };
    /// assert_eq!(hint.to_text(), "SUCCESS\ntx-1\nK4NZ2Z9YFV");
    /// assert_eq!(WebhookHint::from_text(&hint.to_text()), Some(hint));
    /// ```
    pub fn to_text(&self) -> String {
        let mut text = [self.status.as_str(), "\n", &self.transaction_id].concat();
        if let Some(receipt) = &self.mpesa_receipt {
            text.push('\n');
            text.push_str(receipt);
        }
        text
    }

    /// Reads [`WebhookHint::to_text`]; `None` for text it did not write.
    pub fn from_text(text: &str) -> Option<WebhookHint> {
        let mut parts = text.splitn(3, '\n');
        let status = TransactionStatus::from_name(parts.next()?);
        let transaction_id = parts.next().filter(|id| !id.is_empty())?.to_owned();
        Some(WebhookHint { transaction_id, status, mpesa_receipt: parts.next().map(str::to_owned) })
    }
}

/// Why a webhook body was refused (400).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// Over [`MAX_WEBHOOK_BYTES`].
    TooLarge,
    /// Not a JSON object.
    NotJson,
    /// No transaction id or status where PalPluss puts them.
    MissingFields,
}

impl WebhookError {
    /// A stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            WebhookError::TooLarge => "BODY_TOO_LARGE",
            WebhookError::NotJson => "INVALID_JSON",
            WebhookError::MissingFields => "WEBHOOK_INVALID",
        }
    }

    /// A message for the sender.
    pub fn message(self) -> &'static str {
        match self {
            WebhookError::TooLarge => "The webhook body is larger than 64 KiB.",
            WebhookError::NotJson => "The webhook body is not a JSON object.",
            WebhookError::MissingFields => "The webhook names no transaction id and status.",
        }
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for WebhookError {}

/// The longest id or receipt kept from a webhook (PalPluss's are UUIDs and 10-character receipts).
const MAX_ID_CHARS: usize = 128;

impl WebhookHint {
    /// Parses a webhook body.
    ///
    /// ```
    /// use palpluss_stk::lifecycle::WebhookHint;
    /// use palpluss_stk::palpluss::TransactionStatus;
    ///
    /// let hint = WebhookHint::parse(br#"{"event":"transaction.updated","transaction":{"id":"t-1","status":"SUCCESS","mpesaReceipt":"K4NZ2Z9YFV"}}"#)?;
    /// assert_eq!(hint.transaction_id, "t-1");
    /// assert_eq!(hint.status, TransactionStatus::Success);
    /// assert_eq!(hint.mpesa_receipt.as_deref(), Some("K4NZ2Z9YFV"));
    /// # Ok::<(), palpluss_stk::lifecycle::WebhookError>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<WebhookHint, WebhookError> {
        if body.len() > MAX_WEBHOOK_BYTES {
            return Err(WebhookError::TooLarge);
        }
        let value: Value = serde_json::from_slice(body).map_err(|_| WebhookError::NotJson)?;
        let Value::Object(root) = value else { return Err(WebhookError::NotJson) };
        let transaction = ["transaction", "data", "payment"]
            .iter()
            .find_map(|key| root.get(*key).and_then(Value::as_object))
            .unwrap_or(&root);
        let text = |keys: &[&str]| text_field(transaction, keys, MAX_ID_CHARS);
        let transaction_id: Option<String> = text(&["id", "transaction_id", "transactionId"]);
        let status = text(&["status", "transaction_status", "transactionStatus"]).map(|s: String| {
            serde_json::from_value(Value::String(s.to_ascii_uppercase())).unwrap_or(TransactionStatus::Unknown)
        });
        match (transaction_id, status) {
            (Some(transaction_id), Some(status)) => Ok(WebhookHint {
                transaction_id,
                status,
                mpesa_receipt: text(&["mpesa_receipt", "mpesaReceipt", "mpesa_receipt_number", "receipt"]),
            }),
            _ => Err(WebhookError::MissingFields),
        }
    }
}

/// Reads the parts of `GET /transactions/{id}`'s `data` the lifecycle needs, tolerantly.
pub fn observation_from(data: &Value) -> Option<Observation> {
    let object = data.as_object()?;
    let text = |keys: &[&str]| text_field(object, keys, 500);
    let status = text(&["status"])?;
    Some(Observation {
        status: serde_json::from_value(Value::String(status.to_ascii_uppercase()))
            .unwrap_or(TransactionStatus::Unknown),
        result_code: text(&["result_code", "resultCode"]),
        result_desc: text(&["result_desc", "resultDesc", "result_description", "resultDescription"]),
        mpesa_receipt: text(&["mpesa_receipt", "mpesaReceipt", "mpesa_receipt_number", "receipt"]),
    })
}

/// The first of `keys` that holds a non-blank string (trimmed, at most `max_chars`) or a number:
/// PalPluss spells the same field in camelCase or snake_case, and codes as strings or numbers.
fn text_field(object: &serde_json::Map<String, Value>, keys: &[&str], max_chars: usize) -> Option<String> {
    keys.iter().find_map(|key| match object.get(*key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().chars().take(max_chars).collect()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// What a call with the key is for: pushes come first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// `POST /payments/stk`.
    Push,
    /// `GET /transactions/{id}`.
    StatusCheck,
}

/// The sliding-window budget of upstream calls with the key.
///
/// Pushes may use the whole budget; status checks leave a quarter of it for pushes, so a storm of
/// confirmations never turns a customer away.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamBudget {
    /// When each call in the window was made (unix ms), oldest first.
    calls: Vec<u64>,
    /// PalPluss said no more calls until then (unix ms).
    blocked_until: u64,
}

/// The budget's window.
pub const BUDGET_WINDOW_MS: u64 = 60_000;

impl UpstreamBudget {
    /// The budget as its object stores it: `blocked_until`, then each call's time, space-separated
    /// (plain text, so the upload carries no JSON reader for it).
    ///
    /// ```
    /// use palpluss_stk::lifecycle::{CallKind, UpstreamBudget};
    ///
    /// let mut budget = UpstreamBudget::default();
    /// budget.take(CallKind::Push, 60, 5_000).unwrap();
    /// assert_eq!(budget.to_text(), "0 5000");
    /// assert_eq!(UpstreamBudget::from_text("0 5000"), Some(budget));
    /// assert_eq!(UpstreamBudget::from_text("{}"), None);
    /// ```
    pub fn to_text(&self) -> String {
        let mut text = self.blocked_until.to_string();
        for at in &self.calls {
            text.push(' ');
            text.push_str(&at.to_string());
        }
        text
    }

    /// Reads [`UpstreamBudget::to_text`]; `None` for anything else.
    pub fn from_text(text: &str) -> Option<UpstreamBudget> {
        let mut numbers = text.split(' ').map(|n| n.parse::<u64>().ok());
        let blocked_until = numbers.next()??;
        let calls = numbers.collect::<Option<Vec<u64>>>()?;
        Some(UpstreamBudget { calls, blocked_until })
    }

    /// Takes one call from the budget, or says how many milliseconds until one is free.
    ///
    /// ```
    /// use palpluss_stk::lifecycle::{CallKind, UpstreamBudget};
    ///
    /// let mut budget = UpstreamBudget::default();
    /// assert_eq!(budget.take(CallKind::Push, 2, 0), Ok(()));
    /// assert_eq!(budget.take(CallKind::Push, 2, 1_000), Ok(()));
    /// assert_eq!(budget.take(CallKind::Push, 2, 2_000), Err(58_000));
    /// assert_eq!(budget.take(CallKind::Push, 2, 60_000), Ok(()));
    /// ```
    pub fn take(&mut self, kind: CallKind, limit: u32, now: u64) -> Result<(), u64> {
        self.calls.retain(|&at| at.saturating_add(BUDGET_WINDOW_MS) > now);
        if self.blocked_until > now {
            return Err(self.blocked_until - now);
        }
        let limit = limit as usize;
        let allowed = match kind {
            CallKind::Push => limit,
            CallKind::StatusCheck => limit - limit.div_ceil(4),
        };
        if self.calls.len() < allowed {
            self.calls.push(now);
            return Ok(());
        }
        // The call frees up when enough of the oldest calls leave the window.
        let index = self.calls.len() + 1 - allowed.max(1);
        let oldest = self.calls.get(index.saturating_sub(1)).copied().unwrap_or(now);
        Err(oldest.saturating_add(BUDGET_WINDOW_MS).saturating_sub(now).max(1))
    }

    /// Takes PalPluss's own view into account: `x-ratelimit-remaining: 0` with
    /// `x-ratelimit-reset` (seconds until the window resets, or a unix time), or a 429.
    pub fn observe(&mut self, remaining: Option<u64>, reset: Option<u64>, rate_limited: bool, now: u64) {
        if remaining == Some(0) || rate_limited {
            let wait_ms = match reset {
                // Small numbers are seconds from now; large ones a unix time in seconds.
                Some(reset) if reset > 1_000_000_000 => reset.saturating_mul(1000).saturating_sub(now),
                Some(reset) => reset.saturating_mul(1000),
                None => BUDGET_WINDOW_MS,
            };
            self.blocked_until = self.blocked_until.max(now.saturating_add(wait_ms.min(BUDGET_WINDOW_MS * 10)));
        }
    }

    /// Calls in the window now.
    pub fn in_window(&self, now: u64) -> usize {
        self.calls.iter().filter(|&&at| at.saturating_add(BUDGET_WINDOW_MS) > now).count()
    }
}

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
    /// The event for a payment's confirmed final status. Its id follows from the transaction and
    /// the status, so it cannot be created twice under two ids.
    pub fn new(payment: &Payment, kind: EventType, now: u64) -> MerchantEvent {
        let digest = sha256_hex([payment.transaction_id.as_str(), "/", kind.as_str()].concat().as_bytes());
        MerchantEvent {
            id: ["evt_", digest.get(..24).unwrap_or(&digest)].concat(),
            kind,
            created: now / 1000,
            data: json!({ "payment": payment.event_view() }),
        }
    }

    /// The body as sent (every retry sends these same bytes).
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// When to retry a delivery that failed for the `attempt`-th time (1-based), or `None` to drop it.
///
/// ```
/// use palpluss_stk::lifecycle::retry_delay;
///
/// assert_eq!(retry_delay(1), Some(30));
/// assert_eq!(retry_delay(5), Some(21_600));
/// assert_eq!(retry_delay(6), None);
/// ```
pub fn retry_delay(attempt: u32) -> Option<u64> {
    let index = usize::try_from(attempt).ok()?.checked_sub(1)?;
    EVENT_RETRY_DELAYS_S.get(index).copied()
}

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 over `parts` in order (shared by event signatures and checkout intents).
pub(crate) fn hmac(secret: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC takes keys of any length; the error branch cannot happen.
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    for part in parts {
        mac.update(part);
    }
    mac
}

/// The `Palpluss-Stk-Signature` header for a body sent at unix second `t`:
/// `t={t},v1={hex HMAC-SHA256(secret, "{t}.{body}")}`.
///
/// ```
/// use palpluss_stk::lifecycle::{sign_event, verify_webhook};
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

/// A new status token from 16 random bytes: base64url without padding (22 characters).
///
/// ```
/// assert_eq!(palpluss_stk::lifecycle::status_token([0xff; 16]), "_____________________w");
/// ```
pub fn status_token(random: [u8; 16]) -> String {
    base64url(&random)
}

/// RFC 4648 section 5 base64url, without `=` padding.
pub fn base64url(bytes: &[u8]) -> String {
    base64_encode(bytes, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false)
}

/// Base64 with the given alphabet, `=`-padded or not (the Basic credentials use the standard
/// alphabet with padding, tokens the URL alphabet without).
pub(crate) fn base64_encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (n >> (18 - 6 * i)) & 63;
                out.push(char::from(alphabet.get(index as usize).copied().unwrap_or(b'A')));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS.get(usize::from(b >> 4)).copied().unwrap_or(b'0')));
        out.push(char::from(DIGITS.get(usize::from(b & 15)).copied().unwrap_or(b'0')));
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    text.as_bytes().chunks(2).map(|pair| Some(digit(*pair.first()?)? << 4 | digit(*pair.get(1)?)?)).collect()
}

/// Equality whose time depends on the lengths only, not on where the bytes differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Unix milliseconds as ISO 8601 UTC, e.g. `2026-11-30T08:15:00.000Z`.
///
/// ```
/// assert_eq!(palpluss_stk::lifecycle::iso8601(0), "1970-01-01T00:00:00.000Z");
/// assert_eq!(palpluss_stk::lifecycle::iso8601(1_796_026_500_123), "2026-11-30T08:15:00.123Z");
/// ```
pub fn iso8601(unix_ms: u64) -> String {
    let days = unix_ms / 86_400_000;
    let ms_of_day = unix_ms % 86_400_000;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}
