//! PalPluss response types: the success and error envelopes, the STK initiation result, the
//! transaction record and the webhook payload, as `reference/palpluss-v1.openapi.yaml` describes
//! them. Shared by the browser client and the Worker; pure serde, no I/O.
//!
//! Unknown fields are ignored and unknown enum values map to an `Unknown` variant, so that a field
//! PalPluss adds tomorrow does not break a checkout today.
//!
//! ```
//! use palpluss_stk::palpluss::{Envelope, StkPushResponse, TransactionStatus};
//!
//! let body = r#"{"success":true,"data":{"transactionId":"fa98a577-95ea-4a8f-8467-1fbe74f5d6f4",
//!   "status":"PENDING","amount":1000,"phone":"254712345678"},"requestId":"c1b2a3d4-0000-0000-0000-000000000000"}"#;
//! match serde_json::from_str::<Envelope<StkPushResponse>>(body)? {
//!     Envelope::Success { data, .. } => assert_eq!(data.status, TransactionStatus::Pending),
//!     Envelope::Error { error, .. } => panic!("{}", error.message),
//! }
//! # Ok::<(), serde_json::Error>(())
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A PalPluss response body: `{ success: true, data, requestId }` or
/// `{ success: false, error, requestId }`, told apart by `success`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Envelope<T> {
    /// The call succeeded.
    Success {
        /// Always `true`.
        success: bool,
        /// The payload.
        data: T,
        /// PalPluss's id for the call; quote it in support tickets.
        #[serde(rename = "requestId")]
        request_id: String,
    },
    /// The call failed.
    Error {
        /// Always `false`.
        success: bool,
        /// What went wrong.
        error: ApiError,
        /// PalPluss's id for the call (or the proxy's, for errors the proxy makes itself).
        #[serde(rename = "requestId")]
        request_id: String,
    },
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Envelope<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire<T> {
            success: bool,
            data: Option<T>,
            error: Option<ApiError>,
            #[serde(rename = "requestId", default)]
            request_id: String,
        }
        let wire = Wire::<T>::deserialize(deserializer)?;
        match (wire.success, wire.data, wire.error) {
            (true, Some(data), _) => Ok(Envelope::Success { success: true, data, request_id: wire.request_id }),
            (false, _, Some(error)) => Ok(Envelope::Error { success: false, error, request_id: wire.request_id }),
            (true, None, _) => Err(de::Error::missing_field("data")),
            (false, _, None) => Err(de::Error::missing_field("error")),
        }
    }
}

impl<T> Envelope<T> {
    /// The payload, or the error.
    pub fn into_result(self) -> Result<T, ApiError> {
        match self {
            Envelope::Success { data, .. } => Ok(data),
            Envelope::Error { error, .. } => Err(error),
        }
    }

    /// The request id of either kind of envelope.
    pub fn request_id(&self) -> &str {
        match self {
            Envelope::Success { request_id, .. } | Envelope::Error { request_id, .. } => request_id,
        }
    }
}

impl Envelope<Value> {
    /// An error envelope, as the proxy builds for the errors it answers itself.
    ///
    /// ```
    /// use palpluss_stk::palpluss::Envelope;
    ///
    /// let body = Envelope::error("NOT_FOUND", "No such route.", None, "req-1");
    /// assert_eq!(
    ///     serde_json::to_string(&body).unwrap(),
    ///     r#"{"success":false,"error":{"code":"NOT_FOUND","message":"No such route."},"requestId":"req-1"}"#,
    /// );
    /// ```
    pub fn error(code: &str, message: &str, details: Option<Value>, request_id: &str) -> Envelope<Value> {
        Envelope::Error {
            success: false,
            error: ApiError { code: code.to_owned(), message: message.to_owned(), details },
            request_id: request_id.to_owned(),
        }
    }
}

/// The `error` member of a failed call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// A machine-readable code, e.g. `"STK_TEMP_BANNED"` (see [`codes`]).
    pub code: String,
    /// A human-readable message from PalPluss.
    pub message: String,
    /// Extra details; for `STK_TEMP_BANNED`, `retryAfterSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl ApiError {
    /// `details.retryAfterSeconds` as whole seconds, when present and a non-negative number
    /// (a numeric string is accepted too).
    ///
    /// ```
    /// use palpluss_stk::palpluss::ApiError;
    ///
    /// let e: ApiError = serde_json::from_str(
    ///     r#"{"code":"STK_TEMP_BANNED","message":"Banned","details":{"retryAfterSeconds":3599.2}}"#,
    /// ).unwrap();
    /// assert_eq!(e.retry_after_seconds(), Some(3600));
    /// ```
    pub fn retry_after_seconds(&self) -> Option<u64> {
        let value = self.details.as_ref()?.get("retryAfterSeconds")?;
        let seconds = match value {
            Value::Number(n) => n.as_f64()?,
            Value::String(s) => s.trim().parse::<f64>().ok()?,
            _ => return None,
        };
        // Rounded up without std's `ceil`: `as` truncates (and saturates at u64::MAX).
        (seconds.is_finite() && seconds >= 0.0).then(|| {
            let whole = seconds as u64;
            if (whole as f64) < seconds {
                whole.saturating_add(1)
            } else {
                whole
            }
        })
    }

    /// Whether the error is PalPluss rate limiting or abuse protection (HTTP 429).
    pub fn is_rate_limited(&self) -> bool {
        self.code == codes::RATE_LIMIT_EXCEEDED || self.code == codes::STK_TEMP_BANNED
    }
}

/// PalPluss's error codes (from its error code reference), plus the proxy's own.
pub mod codes {
    /// 401: Authorization header missing or malformed.
    pub const AUTH_HEADER_INVALID: &str = "AUTH_HEADER_INVALID";
    /// 401: API key not found or revoked.
    pub const INVALID_API_KEY: &str = "INVALID_API_KEY";
    /// 401: the tenant is not active.
    pub const TENANT_INACTIVE: &str = "TENANT_INACTIVE";
    /// 429: more than 60 requests a minute.
    pub const RATE_LIMIT_EXCEEDED: &str = "RATE_LIMIT_EXCEEDED";
    /// 429: abuse protection, a one-hour ban on STK pushes.
    pub const STK_TEMP_BANNED: &str = "STK_TEMP_BANNED";
    /// 400: phone format not recognised.
    pub const INVALID_PHONE: &str = "INVALID_PHONE";
    /// 400: channelId not found for the tenant.
    pub const CHANNEL_NOT_FOUND: &str = "CHANNEL_NOT_FOUND";
    /// 404: credential_id not found.
    pub const CREDENTIAL_NOT_FOUND: &str = "CREDENTIAL_NOT_FOUND";
    /// 404: transaction not found.
    pub const TRANSACTION_NOT_FOUND: &str = "TRANSACTION_NOT_FOUND";
    /// 402: service wallet balance below the fee.
    pub const INSUFFICIENT_SERVICE_BALANCE: &str = "INSUFFICIENT_SERVICE_BALANCE";
    /// 409: credential profile disabled.
    pub const CREDENTIAL_INACTIVE: &str = "CREDENTIAL_INACTIVE";
    /// 400 (proxy): the request failed validation; `details` lists the field errors.
    pub const VALIDATION_FAILED: &str = "VALIDATION_FAILED";
}

/// A transaction's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum TransactionStatus {
    /// The PIN prompt was sent; the result is not known yet.
    Pending,
    /// The provider is processing the payment.
    Processing,
    /// Paid.
    Success,
    /// Not paid (wrong PIN, insufficient funds, unreachable phone, ...).
    Failed,
    /// The customer cancelled the prompt.
    Cancelled,
    /// The customer did not answer in time.
    Expired,
    /// The payment was reversed.
    Reversed,
    /// A status this version does not know.
    #[serde(other)]
    Unknown,
}

impl TransactionStatus {
    /// The status as PalPluss spells it (`"SUCCESS"`); `"UNKNOWN"` for one this version does not
    /// know.
    pub const fn as_str(self) -> &'static str {
        match self {
            TransactionStatus::Pending => "PENDING",
            TransactionStatus::Processing => "PROCESSING",
            TransactionStatus::Success => "SUCCESS",
            TransactionStatus::Failed => "FAILED",
            TransactionStatus::Cancelled => "CANCELLED",
            TransactionStatus::Expired => "EXPIRED",
            TransactionStatus::Reversed => "REVERSED",
            TransactionStatus::Unknown => "UNKNOWN",
        }
    }

    /// The status PalPluss's spelling names; [`TransactionStatus::Unknown`] for any other text.
    pub fn from_name(name: &str) -> TransactionStatus {
        use TransactionStatus::*;
        [Pending, Processing, Success, Failed, Cancelled, Expired, Reversed]
            .into_iter()
            .find(|s| s.as_str() == name)
            .unwrap_or(Unknown)
    }

    /// Whether the status is final (no further webhook will change it, short of a reversal).
    pub fn is_final(self) -> bool {
        !matches!(self, TransactionStatus::Pending | TransactionStatus::Processing | TransactionStatus::Unknown)
    }
}

/// `data` of a successful `POST /payments/stk`: the pending transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StkPushResponse {
    /// UUID of the created transaction; keep it to match the webhook.
    pub transaction_id: String,
    /// Always `PENDING` on initiation.
    pub status: TransactionStatus,
    /// Amount in KES.
    pub amount: f64,
    /// Normalised phone, `254XXXXXXXXX`.
    pub phone: String,
    /// The merchant's tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The channel used, if any.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// Always `"STK"`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Always `"KES"`.
    #[serde(default)]
    pub currency: Option<String>,
    /// Reference shown on the statement.
    #[serde(default)]
    pub account_reference: Option<String>,
    /// Description shown on the PIN prompt.
    #[serde(default)]
    pub transaction_desc: Option<String>,
    /// Safaricom MerchantRequestID.
    #[serde(default)]
    pub provider_request_id: Option<String>,
    /// Safaricom CheckoutRequestID (`ws_CO_...`).
    #[serde(default)]
    pub provider_checkout_id: Option<String>,
    /// Service wallet fee charged for the request.
    #[serde(default)]
    pub transaction_fee: Option<f64>,
    /// Provider result code (`"0"` = accepted).
    #[serde(default)]
    pub result_code: Option<String>,
    /// Provider result message.
    #[serde(default)]
    pub result_description: Option<String>,
    /// ISO 8601 creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// ISO 8601 update time.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// `data` of `GET /transactions/{id}` (snake_case, as PalPluss returns it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// UUID of the transaction.
    pub transaction_id: String,
    /// Current status.
    pub status: TransactionStatus,
    /// Amount in KES.
    pub amount: f64,
    /// `"STK"`, `"B2C"`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The merchant's tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// `"KES"`.
    #[serde(default)]
    pub currency: Option<String>,
    /// The customer's phone.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The channel used, if any.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// The merchant's reference.
    #[serde(default)]
    pub external_reference: Option<String>,
    /// The customer's name, when the provider gives it.
    #[serde(default)]
    pub customer_name: Option<String>,
    /// Where the result is posted.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// The provider, e.g. `"MPESA"`.
    #[serde(default)]
    pub provider: Option<String>,
    /// Safaricom MerchantRequestID.
    #[serde(default)]
    pub provider_request_id: Option<String>,
    /// Safaricom CheckoutRequestID.
    #[serde(default)]
    pub provider_checkout_id: Option<String>,
    /// Provider result code (`"0"` = paid; `"1032"` cancelled; ...).
    #[serde(default)]
    pub result_code: Option<String>,
    /// Provider result description.
    #[serde(default)]
    pub result_desc: Option<String>,
    /// ISO 8601 creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// ISO 8601 update time.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// The body PalPluss posts to the `callbackUrl`.
///
/// ```
/// use palpluss_stk::palpluss::{WebhookPayload, TransactionStatus};
///
/// let hook: WebhookPayload = serde_json::from_str(r#"{"event":"transaction.updated",
///   "event_type":"transaction.success","transaction":{"id":"fa98a577-95ea-4a8f-8467-1fbe74f5d6f4",
///   "status":"SUCCESS","amount":1000,"mpesa_receipt":"SGR7XYZ123"}}"#).unwrap();
/// assert_eq!(hook.transaction.status, TransactionStatus::Success);
/// assert_eq!(hook.transaction.mpesa_receipt.as_deref(), Some("SGR7XYZ123"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookPayload {
    /// Always `"transaction.updated"`.
    pub event: String,
    /// `transaction.success`, `transaction.failed`, `transaction.cancelled`, `transaction.expired`
    /// or `transaction.updated`.
    pub event_type: String,
    /// The transaction as it now stands.
    pub transaction: WebhookTransaction,
}

/// The transaction inside a [`WebhookPayload`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookTransaction {
    /// UUID of the transaction (the `transactionId` of the STK response).
    pub id: String,
    /// Final (or current) status.
    pub status: TransactionStatus,
    /// Amount in KES.
    pub amount: f64,
    /// `"STK"`, `"B2C"`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The merchant's tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// `"KES"`.
    #[serde(default)]
    pub currency: Option<String>,
    /// The customer's phone.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The merchant's reference.
    #[serde(default)]
    pub external_reference: Option<String>,
    /// The provider.
    #[serde(default)]
    pub provider: Option<String>,
    /// Safaricom MerchantRequestID.
    #[serde(default)]
    pub provider_request_id: Option<String>,
    /// Safaricom CheckoutRequestID.
    #[serde(default)]
    pub provider_checkout_id: Option<String>,
    /// Provider result code.
    #[serde(default)]
    pub result_code: Option<String>,
    /// Provider result description.
    #[serde(default)]
    pub result_desc: Option<String>,
    /// The M-Pesa receipt, only when status is SUCCESS.
    #[serde(default)]
    pub mpesa_receipt: Option<String>,
    /// ISO 8601 creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// ISO 8601 update time.
    #[serde(default)]
    pub updated_at: Option<String>,
}
