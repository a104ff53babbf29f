//! The payment at the edge, as pure decisions (no I/O, no clock).
//!
//! Shaped like quinn-proto: events and `now` (unix milliseconds) go in, decisions come out; the
//! Worker's Durable Objects only store what these functions return and schedule what they ask
//! for. So every edge case (a duplicated, late, forged or missing webhook; a reversal; a merchant
//! endpoint that is down for hours) is a fast native test with time as a parameter.
//!
//! - [`Payment`]: the stored record of one push, and the one place its status changes
//!   ([`Payment::confirm`]): a confirmed final status never goes back, except SUCCESS to REVERSED.
//!   What PalPluss says arrives as an [`Observation`] or a [`WebhookHint`] ([`super::observe`]):
//!   PalPluss signs nothing, so a webhook is only a reason to ask `GET /transactions/{id}`
//!   ([`Payment::on_webhook`]).
//! - [`poll_at`], [`next_wake`]: when to ask PalPluss without a webhook (15 s after the push, then
//!   every 10 s, up to 5 minutes), and when the payment's object wakes up.
//! - [`customer_message`]: what to tell the customer, from the status and M-Pesa's result code.
//!
//! The upstream budget is [`super::budget`], the signed events out [`super::events`].

#[allow(unused_imports)]
use crate::prelude::*;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::encoding::{base64url, constant_time_eq, iso8601, sha256_hex};
use super::events::{EventType, MerchantEvent};
use super::observe::{Observation, WebhookHint};
use super::proxy::mask_phone;
use crate::palpluss::TransactionStatus;
use crate::rules::locale::Locale;

/// The first status check without a confirmed final status, after the push (PalPluss's documented
/// fallback).
pub const FIRST_POLL_AFTER_MS: u64 = 15_000;
/// Then every this often.
pub const POLL_EVERY_MS: u64 = 10_000;
/// Polling stops this long after the push; the record keeps its last status (`final: false`).
pub const POLL_UNTIL_MS: u64 = 300_000;

/// What the customer should read for a status and M-Pesa result code, in `locale`.
///
/// ```
/// use palpluss_stk::edge::lifecycle::customer_message;
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
    /// The push's slot in the key's health, told its outcome when the payment is final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_push: Option<u64>,
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
            health_push: None,
        }
    }

    /// The event an operator may send again: the one for the confirmed final status (the same id
    /// as the first time, so a backend that keeps ids handles it once); `None` before that.
    ///
    /// ```
    /// use palpluss_stk::lifecycle::Payment;
    ///
    /// let payment = Payment::new("t-1", 10, "254712345678", "A1", "token", 0);
    /// assert!(payment.event_to_resend(1).is_none(), "PENDING: nothing to resend");
    /// ```
    pub fn event_to_resend(&self, now: u64) -> Option<MerchantEvent> {
        let kind = EventType::for_status(self.status).filter(|_| self.settled())?;
        Some(MerchantEvent::new(self, kind, now))
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
/// use palpluss_stk::edge::lifecycle::poll_at;
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
/// use palpluss_stk::edge::lifecycle::{next_wake, DAY_MS};
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

/// A new status token from 16 random bytes: base64url without padding (22 characters).
///
/// ```
/// assert_eq!(palpluss_stk::edge::lifecycle::status_token([0xff; 16]), "_____________________w");
/// ```
pub fn status_token(random: [u8; 16]) -> String {
    base64url(&random)
}

impl MerchantEvent {
    /// The event for a payment's confirmed final status. Its id follows from the transaction and
    /// the status, so it cannot be created twice under two ids.
    pub fn new(payment: &Payment, kind: EventType, now: u64) -> MerchantEvent {
        let data = json!({ "payment": payment.event_view() });
        MerchantEvent::with_id_from(&payment.transaction_id, kind, now, data)
    }
}
