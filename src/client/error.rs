//! [`StkError`]: everything the client can fail with, one variant per kind of the npm client's
//! `StkError` (`validation`, `api`, `rate_limit`, `network`, `timeout`).

use core::fmt;

use serde_json::Value;

use crate::rules::locale::Locale;
use crate::rules::notice::Notice;
use crate::rules::stk::FieldError;

/// Why a push or a wait failed. Every variant carries a `message` fit to show the customer, in
/// the client's language; [`StkError::code`] gives the machine code.
///
/// ```
/// use palpluss_stk::client::StkError;
/// use palpluss_stk::Locale;
///
/// let error = StkError::network(Locale::Sw);
/// assert_eq!((error.kind(), error.code()), ("network", "NETWORK_ERROR"));
/// assert_eq!(error.to_string(), error.message());
/// assert!(!error.prompt_may_have_been_sent());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StkError {
    /// The checkout failed validation, in the browser or at the proxy: no PIN prompt was sent.
    Validation {
        /// Every field error, each with its own message (the proxy's, when it found them).
        fields: Vec<FieldError>,
        /// A summary for the customer.
        message: String,
        /// The proxy's HTTP status (400), or `None` when the client found the errors itself.
        http_status: Option<u16>,
        /// The proxy's `details` as it sent them (field errors this version cannot name included).
        details: Option<Value>,
        /// The proxy's request id, for support.
        request_id: Option<String>,
    },
    /// The proxy or PalPluss refused the payment (or, while waiting, no longer knows it).
    Api {
        /// The proxy's or PalPluss's code (`INTENT_EXPIRED`, `PAYMENT_NOT_FOUND`, ...), or
        /// `HTTP_<status>` when the answer had none.
        code: String,
        /// What to tell the customer.
        message: String,
        /// The HTTP status, or `None` when no request was made (`STATUS_UNAVAILABLE`: the push was
        /// accepted without a status route, so its outcome cannot be followed).
        http_status: Option<u16>,
        /// The wording the proxy or PalPluss gave (for logs, not for the customer).
        api_message: String,
        /// The answer's `details`, if any.
        details: Option<Value>,
        /// The proxy's request id, for support.
        request_id: Option<String>,
    },
    /// Too many attempts (HTTP 429): wait `retry_after_seconds` before trying again.
    RateLimit {
        /// `RATE_LIMITED`, `PHONE_BUSY`, `PHONE_LIMIT`, `STK_TEMP_BANNED`, ...
        code: String,
        /// What to tell the customer, with the wait in words.
        message: String,
        /// Seconds to wait: the `Retry-After` header, else `details.retryAfterSeconds`, else 60.
        retry_after_seconds: u64,
        /// The wording the proxy or PalPluss gave.
        api_message: String,
        /// The answer's `details`, if any.
        details: Option<Value>,
        /// The proxy's request id, for support.
        request_id: Option<String>,
    },
    /// The proxy could not be reached (after one retry of the push with the same
    /// `Idempotency-Key`).
    Network {
        /// What to tell the customer.
        message: String,
    },
    /// No answer in time: the push's timeout passed (the prompt may still arrive: check the
    /// phone before trying again), or no final status came within five minutes of waiting.
    Timeout {
        /// What to tell the customer.
        message: String,
    },
    /// Not in a browser: the client sends only from wasm32 with `fetch` (it compiles elsewhere
    /// so that server-side builds of the same components compile).
    Unavailable {
        /// What to tell the customer.
        message: String,
    },
}

impl StkError {
    /// The error for a proxy that could not be reached, in `locale`.
    ///
    /// ```
    /// use palpluss_stk::{client::StkError, Locale};
    ///
    /// assert_eq!(StkError::network(Locale::En).kind(), "network");
    /// ```
    pub fn network(locale: Locale) -> StkError {
        StkError::Network { message: Notice::NetworkError.message(locale).to_owned() }
    }

    /// The error for a push that got no answer in time, in `locale`.
    ///
    /// ```
    /// use palpluss_stk::{client::StkError, Locale};
    ///
    /// let error = StkError::timeout(Locale::En);
    /// assert_eq!(error.code(), "TIMEOUT");
    /// assert!(error.prompt_may_have_been_sent());
    /// ```
    pub fn timeout(locale: Locale) -> StkError {
        StkError::Timeout { message: Notice::ServiceTimeout.message(locale).to_owned() }
    }

    /// The kind, as the npm client names it: `validation`, `api`, `rate_limit`, `network`,
    /// `timeout` (and `unavailable`, which the npm client cannot meet).
    pub fn kind(&self) -> &'static str {
        match self {
            StkError::Validation { .. } => "validation",
            StkError::Api { .. } => "api",
            StkError::RateLimit { .. } => "rate_limit",
            StkError::Network { .. } => "network",
            StkError::Timeout { .. } => "timeout",
            StkError::Unavailable { .. } => "unavailable",
        }
    }

    /// The machine code: `VALIDATION_FAILED`, the proxy's or PalPluss's code, `NETWORK_ERROR`,
    /// `TIMEOUT` or `UNAVAILABLE`.
    pub fn code(&self) -> &str {
        match self {
            StkError::Validation { .. } => crate::palpluss::codes::VALIDATION_FAILED,
            StkError::Api { code, .. } | StkError::RateLimit { code, .. } => code,
            StkError::Network { .. } => "NETWORK_ERROR",
            StkError::Timeout { .. } => "TIMEOUT",
            StkError::Unavailable { .. } => "UNAVAILABLE",
        }
    }

    /// The message fit to show the customer, in the client's language.
    pub fn message(&self) -> &str {
        match self {
            StkError::Validation { message, .. }
            | StkError::Api { message, .. }
            | StkError::RateLimit { message, .. }
            | StkError::Network { message }
            | StkError::Timeout { message }
            | StkError::Unavailable { message } => message,
        }
    }

    /// Whether the customer may have got a PIN prompt despite the error: only when no answer came
    /// in time. Anything else means no prompt was sent (or, for a wait, that nothing new is known).
    pub fn prompt_may_have_been_sent(&self) -> bool {
        matches!(self, StkError::Timeout { .. })
    }
}

impl fmt::Display for StkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for StkError {}
