//! The proxy's rules for what crosses the wire, free of any platform code: the body limit,
//! `Retry-After`, redaction and log masking. The Worker (`src/worker`) only moves bytes between
//! these functions and the runtime, so everything that could go wrong is tested natively here.
//!
//! ```
//! use palpluss_stk::edge::proxy::{mask_phone, redact};
//!
//! assert_eq!(mask_phone("254712345678"), "2547******78");
//! assert_eq!(redact("key fake_api_key_123", &["fake_api_key_123".to_owned()]), "key [redacted]");
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

/// The largest request body the proxy reads: a checkout form is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The `Retry-After` given on a 429 when PalPluss states no wait.
pub const DEFAULT_RETRY_AFTER_SECONDS: u64 = 60;

/// Masks a phone number for logs, keeping what support needs to tell numbers apart:
/// `254712345678` becomes `2547******78`. Anything not 12 ASCII digits is masked entirely.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 12 && phone.bytes().all(|b| b.is_ascii_digit()) {
        [phone.get(..4).unwrap_or(""), "******", phone.get(10..).unwrap_or("")].concat()
    } else {
        "************".to_owned()
    }
}

/// The `Retry-After` for a 429: PalPluss's header when it is a number of seconds or an HTTP date,
/// else `error.details.retryAfterSeconds` from the body, else [`DEFAULT_RETRY_AFTER_SECONDS`].
///
/// ```
/// use palpluss_stk::edge::proxy::retry_after;
///
/// assert_eq!(retry_after(Some("120"), b""), "120");
/// let body = br#"{"success":false,"error":{"code":"STK_TEMP_BANNED","message":"m","details":{"retryAfterSeconds":3599}},"requestId":"r"}"#;
/// assert_eq!(retry_after(None, body), "3599");
/// assert_eq!(retry_after(Some("soon"), b"not json"), "60");
/// ```
pub fn retry_after(header: Option<&str>, body: &[u8]) -> String {
    if let Some(value) = header.map(str::trim) {
        let seconds = !value.is_empty() && value.len() <= 10 && value.bytes().all(|b| b.is_ascii_digit());
        let http_date =
            value.len() == 29 && value.ends_with(" GMT") && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if seconds || http_date {
            return value.to_owned();
        }
    }
    let from_body = serde_json::from_slice::<crate::palpluss::Envelope<serde_json::Value>>(body)
        .ok()
        .and_then(|envelope| envelope.into_result().err())
        .and_then(|error| error.retry_after_seconds());
    from_body.unwrap_or(DEFAULT_RETRY_AFTER_SECONDS).to_string()
}

/// Replaces every occurrence of each secret in `text` with `[redacted]`. Applied to everything
/// that comes back from upstream, so that even an API that echoed the key could not leak it.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "[redacted]");
        }
    }
    out
}

/// Whether a `Content-Type` is JSON: `application/json`, with parameters (`; charset=utf-8`) allowed.
pub fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}
