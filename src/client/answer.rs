//! The client's decisions, pure and tested natively: what the proxy's answers mean, how long to
//! wait, which statuses the caller hears. The transport (`super::transport`) only sends and
//! receives.

use core::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::StkError;
use crate::palpluss::{StkPushResponse, TransactionStatus};
use crate::rules::locale::Locale;
use crate::rules::notice::{prompts_paused, refusal_notice, too_many_attempts, Notice};
use crate::rules::stk::{ErrorCode, Field, FieldError};

/// How long [`super::StkClient::wait_for_result`] waits for a final status (the proxy stops asking
/// PalPluss five minutes after the push too).
///
/// ```
/// assert_eq!(palpluss_stk::client::WAIT_MS, 5 * 60 * 1000);
/// ```
pub const WAIT_MS: u64 = 300_000;
/// How often the wait asks the proxy when its event stream is not available.
///
/// ```
/// assert_eq!(palpluss_stk::client::POLL_INTERVAL_MS, 3_000);
/// ```
pub const POLL_INTERVAL_MS: u32 = 3_000;
/// How long the client waits for the proxy's answer to a push by default: longer than the
/// proxy's own upstream timeout (15 s), so that the proxy's 504 arrives rather than a guess.
///
/// ```
/// assert_eq!(palpluss_stk::client::DEFAULT_TIMEOUT_MS, 20_000);
/// ```
pub const DEFAULT_TIMEOUT_MS: u32 = 20_000;

/// A push the proxy accepted: PalPluss's pending transaction, and where to follow it.
///
/// ```
/// use palpluss_stk::client::AcceptedPayment;
/// use palpluss_stk::palpluss::TransactionStatus;
///
/// let accepted: AcceptedPayment = serde_json::from_str(r#"{
///     "transactionId": "7d2f0c1e-95ea-4a8f-8467-1fbe74f5d6f4", "status": "PENDING",
///     "amount": 1500, "phone": "254712345678",
///     "statusUrl": "/payments/7d2f0c1e-95ea-4a8f-8467-1fbe74f5d6f4", "statusToken": "s3cr3t_T0ken"
/// }"#)?;
/// assert_eq!(accepted.transaction.status, TransactionStatus::Pending);
/// assert!(accepted.can_be_followed());
/// // The status token is a bearer credential: Debug does not show it.
/// assert!(!format!("{accepted:?}").contains("s3cr3t_T0ken"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedPayment {
    /// PalPluss's transaction, as the proxy passed it on.
    #[serde(flatten)]
    pub transaction: StkPushResponse,
    /// `/payments/{id}`: where the proxy shows the payment's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status_url: Option<String>,
    /// The bearer token for `status_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status_token: Option<String>,
}

impl AcceptedPayment {
    /// The transaction id: keep it to match the merchant's event.
    ///
    /// ```
    /// let accepted: palpluss_stk::client::AcceptedPayment =
    ///     serde_json::from_str(r#"{"transactionId": "t-1", "status": "PENDING", "amount": 1, "phone": "254712345678"}"#)?;
    /// assert_eq!(accepted.transaction_id(), "t-1");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn transaction_id(&self) -> &str {
        &self.transaction.transaction_id
    }

    /// Whether the proxy gave a status route, so that the outcome can be followed (it does unless
    /// it could not store the payment; the push was sent either way).
    ///
    /// ```
    /// let accepted: palpluss_stk::client::AcceptedPayment =
    ///     serde_json::from_str(r#"{"transactionId": "t-1", "status": "PENDING", "amount": 1, "phone": "254712345678"}"#)?;
    /// assert!(!accepted.can_be_followed());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn can_be_followed(&self) -> bool {
        self.status_route().is_some()
    }

    /// `(statusUrl, statusToken)` when both are present and safe to put in a URL.
    pub(crate) fn status_route(&self) -> Option<(&str, &str)> {
        let url = self.status_url.as_deref().filter(|u| u.starts_with("/payments/"))?;
        let token = self.status_token.as_deref().filter(|t| !t.is_empty())?;
        let safe = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'));
        (safe(url) && safe(token)).then_some((url, token))
    }
}

impl fmt::Debug for AcceptedPayment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcceptedPayment")
            .field("transaction", &self.transaction)
            .field("status_url", &self.status_url)
            .field("status_token", &self.status_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A payment as the proxy's status routes show it (`GET /payments/{id}`, the event stream).
///
/// ```
/// use palpluss_stk::client::PaymentStatus;
/// use palpluss_stk::palpluss::TransactionStatus;
///
/// let paid: PaymentStatus = serde_json::from_str(r#"{
///     "transactionId": "t-1", "status": "SUCCESS", "final": true, "confirmed": true,
///     "resultCode": "0", "resultDesc": "ok", "message": "Paid. Thank you!",
///     "mpesaReceipt": "K4NZ2Z9YFV", "amount": 1500, "phone": "2547******78",
///     "accountReference": "INV-1", "updatedAt": "2026-12-02T10:00:00Z"
/// }"#)?;
/// assert_eq!((paid.status, paid.is_final), (TransactionStatus::Success, true));
/// assert_eq!(paid.mpesa_receipt.as_deref(), Some("K4NZ2Z9YFV"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStatus {
    /// PalPluss's transaction id.
    pub transaction_id: String,
    /// The status.
    pub status: TransactionStatus,
    /// No later status will come (REVERSED may still follow SUCCESS).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// The status came from PalPluss's `GET /transactions/{id}`, not just a webhook.
    pub confirmed: bool,
    /// M-Pesa's result code (`"0"` paid, `"1032"` cancelled, ...).
    #[serde(default)]
    pub result_code: Option<String>,
    /// M-Pesa's result text.
    #[serde(default)]
    pub result_desc: Option<String>,
    /// What to tell the customer, in the client's language (e.g. "Paid. Thank you!").
    pub message: String,
    /// The M-Pesa receipt of a confirmed SUCCESS.
    #[serde(default)]
    pub mpesa_receipt: Option<String>,
    /// The amount in whole shillings.
    pub amount: u64,
    /// The phone, masked: `2547******78`.
    pub phone: String,
    /// The merchant's reference.
    pub account_reference: String,
    /// When the status last changed (ISO 8601).
    pub updated_at: String,
}

/// Reads the proxy's answer to `POST /payments/stk`: the accepted payment, or one typed error.
/// `retry_after` is the `Retry-After` header; `now_ms` the time (ms since 1970) an HTTP-date in it
/// is counted from.
pub(crate) fn push_answer(
    status: u16,
    retry_after: Option<&str>,
    body: &str,
    now_ms: u64,
    l: Locale,
) -> Result<AcceptedPayment, StkError> {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if (200..300).contains(&status) && json.get("success") == Some(&Value::Bool(true)) {
        if let Some(accepted) = json.get("data").and_then(|d| AcceptedPayment::deserialize(d).ok()) {
            return Ok(accepted);
        }
    }
    let error = json.get("error");
    let text = |key: &str| error.and_then(|e| e.get(key)).and_then(Value::as_str).map(str::to_owned);
    let code = text("code").unwrap_or_else(|| format!("HTTP_{status}"));
    let api_message = text("message").unwrap_or_default();
    let details = error.and_then(|e| e.get("details")).filter(|d| d.is_object()).cloned();
    let request_id = json.get("requestId").and_then(Value::as_str).map(str::to_owned);

    if code == crate::palpluss::codes::VALIDATION_FAILED {
        let fields = details.as_ref().and_then(|d| d.get("fields")).map(field_errors).unwrap_or_default();
        return Err(StkError::Validation {
            fields,
            message: Notice::ValidationFailed.message(l).to_owned(),
            http_status: Some(status),
            details,
            request_id,
        });
    }
    if status == 429 {
        let retry_after_seconds = retry_after_seconds(retry_after, details.as_ref(), now_ms);
        // The key's ban is no customer's doing: it says prompts are paused, and for how long.
        let message = match code.as_str() {
            crate::edge::codes::STK_TEMP_BANNED => prompts_paused(retry_after_seconds, l),
            _ => too_many_attempts(retry_after_seconds, l),
        };
        return Err(StkError::RateLimit { code, message, retry_after_seconds, api_message, details, request_id });
    }
    let message = refusal_notice(status, &code).message(l).to_owned();
    Err(StkError::Api { code, message, http_status: Some(status), api_message, details, request_id })
}

/// The proxy's field errors (`[{ field, code, message }]`) this version can name; the rest stay in
/// the error's `details`.
fn field_errors(fields: &Value) -> Vec<FieldError> {
    let Some(fields) = fields.as_array() else { return Vec::new() };
    let named = fields.iter().filter_map(|f| {
        let text = |key: &str| f.get(key).and_then(Value::as_str);
        let field = Field::from_name(text("field")?)?;
        let code = ErrorCode::from_name(text("code")?)?;
        Some(FieldError::with_message(field, code, text("message").unwrap_or_default().to_owned()))
    });
    named.collect()
}

/// Seconds to wait after a 429: the `Retry-After` header (seconds or an HTTP-date), else
/// `details.retryAfterSeconds`, else 60.
pub(crate) fn retry_after_seconds(header: Option<&str>, details: Option<&Value>, now_ms: u64) -> u64 {
    if let Some(value) = header.map(str::trim) {
        if let Ok(seconds) = value.parse::<u64>() {
            return seconds;
        }
        if let Some(at) = http_date_seconds(value) {
            return at.saturating_sub(now_ms.div_ceil(1000));
        }
    }
    let from_details = details.and_then(|d| d.get("retryAfterSeconds")).and_then(Value::as_f64);
    match from_details {
        Some(s) if s.is_finite() && s >= 0.0 => s.ceil().min(u64::MAX as f64) as u64,
        _ => crate::edge::proxy::DEFAULT_RETRY_AFTER_SECONDS,
    }
}

/// Seconds since 1970 of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, the form HTTP
/// servers send); `None` for anything else.
pub(crate) fn http_date_seconds(value: &str) -> Option<u64> {
    let mut parts = value.split(' ');
    let (_weekday, day, month, year, time, zone) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || zone != "GMT" || day.len() != 2 || year.len() != 4 {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let number = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse::<u64>().ok()).flatten();
    let (day, year) = (number(day)?, number(year)?);
    let mut hms = time.split(':');
    let (h, m, s) = (number(hms.next()?)?, number(hms.next()?)?, number(hms.next()?)?);
    if hms.next().is_some() || !(1970..=9999).contains(&year) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60
    {
        return None;
    }
    let days = crate::edge::encoding::unix_days(year, month, day)?;
    Some(days * 86_400 + h * 3_600 + m * 60 + s)
}

/// What an answer to `GET /payments/{id}` says.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StatusAnswer {
    /// The payment as it stands.
    Payment(Box<PaymentStatus>),
    /// The proxy does not know it (never did, or forgot it at retention): asking again won't help.
    NotFound,
    /// Anything else (a 5xx, a 401 from a restarted proxy, a body cut short): ask again later.
    Retry,
}

/// Reads an answer to `GET /payments/{id}`.
pub(crate) fn status_answer(status: u16, body: &str) -> StatusAnswer {
    if status == 404 {
        return StatusAnswer::NotFound;
    }
    let data = serde_json::from_str::<Value>(body).ok().and_then(|json| json.get("data").cloned());
    match data.map(PaymentStatus::deserialize) {
        Some(Ok(payment)) if status == 200 => StatusAnswer::Payment(Box::new(payment)),
        _ => StatusAnswer::Retry,
    }
}

/// Reads one `event: status` of the proxy's stream; `None` for anything that is not a payment.
pub(crate) fn stream_event(data: &str) -> Option<PaymentStatus> {
    serde_json::from_str(data).ok()
}

/// Which statuses the caller hears while waiting: each new status once, and nothing after the
/// final one or the deadline.
#[derive(Clone, Debug)]
pub(crate) struct Follow {
    deadline_ms: u64,
    last: Option<TransactionStatus>,
    done: bool,
}

/// What the wait does next.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// Tell the caller this status and go on.
    Tell(PaymentStatus),
    /// Tell the caller this final status and stop.
    Finish(PaymentStatus),
    /// Nothing new: go on.
    Quiet,
    /// Tell the caller this error and stop.
    Fail(StkError),
}

impl Follow {
    /// A wait that started at `now_ms`.
    pub(crate) fn new(now_ms: u64) -> Follow {
        Follow { deadline_ms: now_ms.saturating_add(WAIT_MS), last: None, done: false }
    }

    /// When the wait gives up (ms since 1970).
    pub(crate) fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// Whether the wait has ended (a final status or an error was told).
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// A status seen (from the stream or a poll).
    pub(crate) fn seen(&mut self, payment: PaymentStatus) -> Step {
        if self.done {
            return Step::Quiet;
        }
        if payment.is_final {
            self.done = true;
            return Step::Finish(payment);
        }
        if self.last == Some(payment.status) {
            return Step::Quiet;
        }
        self.last = Some(payment.status);
        Step::Tell(payment)
    }

    /// A poll's answer at `now_ms`.
    pub(crate) fn polled(&mut self, answer: StatusAnswer, now_ms: u64, l: Locale) -> Step {
        match answer {
            StatusAnswer::Payment(payment) => self.seen(*payment),
            StatusAnswer::NotFound => self.fail(not_found(l)),
            StatusAnswer::Retry => self.tick(now_ms, l),
        }
    }

    /// Time passing: the deadline's error once it has come.
    pub(crate) fn tick(&mut self, now_ms: u64, l: Locale) -> Step {
        if !self.done && now_ms >= self.deadline_ms {
            return self.fail(StkError::Timeout { message: Notice::WaitTimeout.message(l).to_owned() });
        }
        Step::Quiet
    }

    /// Ends the wait with `error`.
    pub(crate) fn fail(&mut self, error: StkError) -> Step {
        if self.done {
            return Step::Quiet;
        }
        self.done = true;
        Step::Fail(error)
    }
}

/// The proxy does not know the payment.
fn not_found(l: Locale) -> StkError {
    StkError::Api {
        code: crate::edge::codes::PAYMENT_NOT_FOUND.to_owned(),
        message: Notice::PaymentNotFound.message(l).to_owned(),
        http_status: Some(404),
        api_message: String::new(),
        details: None,
        request_id: None,
    }
}

/// A push accepted without a status route: its outcome cannot be followed.
pub(crate) fn status_unavailable(l: Locale) -> StkError {
    StkError::Api {
        code: "STATUS_UNAVAILABLE".to_owned(),
        message: Notice::StatusUnavailable.message(l).to_owned(),
        http_status: None,
        api_message: String::new(),
        details: None,
        request_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000_000;

    fn payment(status: &str, is_final: bool) -> PaymentStatus {
        serde_json::from_value(serde_json::json!({
            "transactionId": "t-1", "status": status, "final": is_final, "confirmed": is_final,
            "resultCode": null, "resultDesc": null, "message": "m", "mpesaReceipt": null,
            "amount": 1500, "phone": "2547******78", "accountReference": "INV-1", "updatedAt": "x"
        }))
        .unwrap()
    }

    #[test]
    fn an_accepted_push_keeps_the_transaction_and_its_status_route() {
        let body = r#"{"success":true,"data":{"transactionId":"t-1","status":"PENDING","amount":1500,"phone":"254712345678","providerCheckoutId":"ws_CO_1","statusUrl":"/payments/t-1","statusToken":"tok_1"},"requestId":"r"}"#;
        let accepted = push_answer(200, None, body, NOW, Locale::En).unwrap();
        assert_eq!(accepted.transaction_id(), "t-1");
        assert_eq!(accepted.transaction.provider_checkout_id.as_deref(), Some("ws_CO_1"));
        assert_eq!(accepted.status_route(), Some(("/payments/t-1", "tok_1")));
    }

    #[test]
    fn a_route_that_could_leave_the_proxy_or_break_the_url_is_not_followed() {
        let with = |url: &str, token: &str| {
            let body = serde_json::json!({"success": true, "data": {"transactionId": "t", "status": "PENDING", "amount": 1, "phone": "p", "statusUrl": url, "statusToken": token}});
            push_answer(200, None, &body.to_string(), NOW, Locale::En).unwrap().can_be_followed()
        };
        assert!(with("/payments/t", "abc_-1"));
        assert!(!with("https://evil.example/payments/t", "abc"));
        assert!(!with("/payments/t?x=1", "abc"));
        assert!(!with("/payments/t", "a&b"));
        assert!(!with("/payments/t", ""));
        let body = r#"{"success":true,"data":{"transactionId":"t","status":"PENDING","amount":1,"phone":"p"}}"#;
        assert!(!push_answer(200, None, body, NOW, Locale::En).unwrap().can_be_followed());
    }

    #[test]
    fn the_proxys_field_errors_come_back_typed_with_their_messages() {
        let body = r#"{"success":false,"error":{"code":"VALIDATION_FAILED","message":"Invalid request","details":{"fields":[
            {"field":"phone","code":"PHONE_LANDLINE","message":"Nambari ya simu ya mezani"},
            {"field":"amount","code":"AMOUNT_TOO_LARGE","message":"Too much"},
            {"field":"future","code":"SOMETHING_NEW","message":"?"}]}},"requestId":"req-9"}"#;
        let StkError::Validation { fields, http_status, details, request_id, message } =
            push_answer(400, None, body, NOW, Locale::Sw).unwrap_err()
        else {
            panic!("not a validation error")
        };
        let named: Vec<_> = fields.iter().map(|f| (f.field().as_str(), f.code().as_str(), f.message())).collect();
        assert_eq!(
            named,
            [("phone", "PHONE_LANDLINE", "Nambari ya simu ya mezani"), ("amount", "AMOUNT_TOO_LARGE", "Too much")]
        );
        assert_eq!((http_status, request_id.as_deref()), (Some(400), Some("req-9")));
        // The field this version cannot name is kept in details.
        assert!(details.unwrap().to_string().contains("SOMETHING_NEW"));
        assert_eq!(message, Notice::ValidationFailed.message(Locale::Sw));
    }

    #[test]
    fn refusals_keep_code_status_wording_and_request_id_and_say_what_to_do() {
        let body = r#"{"success":false,"error":{"code":"INTENT_EXPIRED","message":"The intent expired.","details":{"expiredAt":1}},"requestId":"req-1"}"#;
        let error = push_answer(400, None, body, NOW, Locale::En).unwrap_err();
        assert_eq!((error.kind(), error.code()), ("api", "INTENT_EXPIRED"));
        assert_eq!(error.message(), Notice::CheckoutExpired.message(Locale::En));
        let StkError::Api { http_status, api_message, details, request_id, .. } = error else { panic!() };
        assert_eq!(
            (http_status, api_message.as_str(), request_id.as_deref()),
            (Some(400), "The intent expired.", Some("req-1"))
        );
        assert_eq!(details.unwrap()["expiredAt"], 1);
    }

    #[test]
    fn an_answer_that_is_not_the_proxys_is_an_api_error_named_by_its_status() {
        for (status, body) in [(502, "<html>Bad gateway</html>"), (200, "{}"), (200, r#"{"success":true,"data":{}}"#)] {
            let error = push_answer(status, None, body, NOW, Locale::En).unwrap_err();
            assert_eq!(error.code(), format!("HTTP_{status}"));
            assert_eq!(error.kind(), "api");
        }
        let error = push_answer(502, None, "", NOW, Locale::En).unwrap_err();
        assert_eq!(error.message(), Notice::ServiceUnavailable.message(Locale::En));
    }

    #[test]
    fn a_rate_limit_says_how_long_to_wait_and_a_ban_says_prompts_are_paused() {
        let limited =
            r#"{"success":false,"error":{"code":"PHONE_BUSY","message":"busy","details":{"retryAfterSeconds":42.2}}}"#;
        let StkError::RateLimit { retry_after_seconds, message, code, .. } =
            push_answer(429, Some("30"), limited, NOW, Locale::En).unwrap_err()
        else {
            panic!()
        };
        assert_eq!((code.as_str(), retry_after_seconds), ("PHONE_BUSY", 30));
        assert_eq!(message, too_many_attempts(30, Locale::En));
        let StkError::RateLimit { retry_after_seconds, .. } =
            push_answer(429, None, limited, NOW, Locale::En).unwrap_err()
        else {
            panic!()
        };
        assert_eq!(retry_after_seconds, 43);
        let banned = r#"{"success":false,"error":{"code":"STK_TEMP_BANNED","message":"banned"}}"#;
        let error = push_answer(429, Some("3000"), banned, NOW, Locale::Sw).unwrap_err();
        assert_eq!(error.message(), prompts_paused(3000, Locale::Sw));
        let error = push_answer(429, Some("soon"), "", NOW, Locale::En).unwrap_err();
        assert!(matches!(error, StkError::RateLimit { retry_after_seconds: 60, .. }));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        // 2023-11-14T22:13:20Z is 1_700_000_000 s.
        assert_eq!(http_date_seconds("Tue, 14 Nov 2023 22:13:20 GMT"), Some(1_700_000_000));
        assert_eq!(http_date_seconds("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(http_date_seconds("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(retry_after_seconds(Some("Tue, 14 Nov 2023 22:15:00 GMT"), None, NOW), 100);
        assert_eq!(retry_after_seconds(Some("Tue, 14 Nov 2023 22:00:00 GMT"), None, NOW), 0);
        for junk in [
            "",
            "Tue, 14 Nov 2023 22:13:20 PST",
            "14 Nov 2023",
            "Tue, 99 Nov 2023 22:13:20 GMT",
            "Tue, 14 Nov 2023 2:13:20 GMT x",
            "Tue, +4 Nov 2023 22:13:20 GMT",
        ] {
            assert_eq!(http_date_seconds(junk), None, "{junk}");
        }
        assert_eq!(retry_after_seconds(Some(" 7 "), None, NOW), 7);
        assert_eq!(retry_after_seconds(None, Some(&serde_json::json!({"retryAfterSeconds": -1})), NOW), 60);
        assert_eq!(retry_after_seconds(None, Some(&serde_json::json!({"retryAfterSeconds": 1e300})), NOW), u64::MAX);
    }

    #[test]
    fn status_answers_are_a_payment_not_found_or_ask_again() {
        let body = serde_json::json!({"success": true, "data": payment("PENDING", false)}).to_string();
        assert_eq!(status_answer(200, &body), StatusAnswer::Payment(Box::new(payment("PENDING", false))));
        assert_eq!(status_answer(404, "{}"), StatusAnswer::NotFound);
        for (status, body) in [(200, "{"), (200, r#"{"data":{"status":"PENDING"}}"#), (503, &*body), (401, "{}")] {
            assert_eq!(status_answer(status, body), StatusAnswer::Retry, "{status} {body}");
        }
        assert_eq!(
            stream_event(&serde_json::to_string(&payment("SUCCESS", true)).unwrap()),
            Some(payment("SUCCESS", true))
        );
        assert_eq!(stream_event("not json"), None);
    }

    #[test]
    fn each_status_is_told_once_the_final_one_ends_the_wait_and_nothing_comes_after() {
        let mut follow = Follow::new(NOW);
        assert_eq!(follow.seen(payment("PENDING", false)), Step::Tell(payment("PENDING", false)));
        assert_eq!(follow.seen(payment("PENDING", false)), Step::Quiet);
        assert_eq!(follow.seen(payment("PROCESSING", false)), Step::Tell(payment("PROCESSING", false)));
        assert_eq!(follow.seen(payment("CANCELLED", true)), Step::Finish(payment("CANCELLED", true)));
        assert!(follow.is_done());
        assert_eq!(follow.seen(payment("SUCCESS", true)), Step::Quiet);
        assert_eq!(follow.tick(NOW + WAIT_MS, Locale::En), Step::Quiet);
    }

    #[test]
    fn the_wait_gives_up_after_five_minutes_and_on_an_unknown_payment() {
        let mut follow = Follow::new(NOW);
        assert_eq!(follow.deadline_ms(), NOW + 300_000);
        assert_eq!(follow.tick(NOW + WAIT_MS - 1, Locale::En), Step::Quiet);
        assert_eq!(follow.polled(StatusAnswer::Retry, NOW + WAIT_MS - 1, Locale::En), Step::Quiet);
        let Step::Fail(error) = follow.polled(StatusAnswer::Retry, NOW + WAIT_MS, Locale::Sw) else { panic!() };
        assert_eq!((error.code(), error.message()), ("TIMEOUT", Notice::WaitTimeout.message(Locale::Sw)));
        assert_eq!(follow.tick(NOW + WAIT_MS + 1, Locale::En), Step::Quiet, "told once");

        let mut follow = Follow::new(NOW);
        let Step::Fail(error) = follow.polled(StatusAnswer::NotFound, NOW, Locale::En) else { panic!() };
        assert_eq!(error.code(), "PAYMENT_NOT_FOUND");
        assert!(matches!(error, StkError::Api { http_status: Some(404), .. }));
        assert!(follow.is_done());
    }

    #[test]
    fn hostile_answers_never_panic() {
        for body in [
            "",
            "null",
            "[]",
            "{\"success\":true,\"data\":[]}",
            "{\"error\":5}",
            "{\"error\":{\"details\":{\"fields\":7}}}",
            "\u{0}",
        ] {
            for status in [0, 200, 400, 404, 429, 500, 599, u16::MAX] {
                let _ = push_answer(status, Some("\u{202e}99999999999999999999"), body, u64::MAX, Locale::En);
                let _ = status_answer(status, body);
                let _ = stream_event(body);
            }
        }
    }
}
