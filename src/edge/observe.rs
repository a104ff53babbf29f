//! What PalPluss says about a transaction: the answer of `GET /transactions/{id}` (the only
//! source of truth, an [`Observation`]) and its webhook (a [`WebhookHint`], parsed tolerantly and
//! never trusted), each reduced to what the lifecycle needs.

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use serde_json::Value;

use crate::palpluss::TransactionStatus;

/// Webhook bodies larger than this are refused (400).
pub const MAX_WEBHOOK_BYTES: usize = 64 * 1024;

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
    /// use palpluss_stk::edge::observe::WebhookHint;
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
    /// use palpluss_stk::edge::observe::WebhookHint;
    /// use palpluss_stk::palpluss::TransactionStatus;
    ///
    /// let hint = WebhookHint::parse(br#"{"event":"transaction.updated","transaction":{"id":"t-1","status":"SUCCESS","mpesaReceipt":"K4NZ2Z9YFV"}}"#)?;
    /// assert_eq!(hint.transaction_id, "t-1");
    /// assert_eq!(hint.status, TransactionStatus::Success);
    /// assert_eq!(hint.mpesa_receipt.as_deref(), Some("K4NZ2Z9YFV"));
    /// # Ok::<(), palpluss_stk::edge::observe::WebhookError>(())
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
