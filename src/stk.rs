//! STK Push request rules: the types PalPluss `POST /payments/stk` takes, and validation that
//! reports every field error at once.
//!
//! Two shapes share the rules:
//! - [`StkPushRequest`], the full PalPluss request a server sends (with `callbackUrl`, and optionally
//!   `channelId` and `credential_id`);
//! - [`CheckoutForm`], what a browser sends to the proxy: the same without the three server-side
//!   fields, which a client must not set.
//!
//! Input arrives loosely typed ([`RawStkRequest`], deserialisable from any JSON object) so that a
//! wrong type is a field error, not a parse failure.
//!
//! ```
//! use palpluss_stk::{CheckoutForm, Limits, RawStkRequest, RawValue};
//!
//! let raw = RawStkRequest {
//!     amount: RawValue::Number(1500.0),
//!     phone: RawValue::from("0712 345 678"),
//!     account_reference: RawValue::from(" INV-001 "),
//!     transaction_desc: RawValue::from("Order 1"),
//!     ..RawStkRequest::default()
//! };
//! let form = CheckoutForm::validate(&raw, &Limits::default())?;
//! assert_eq!(form.phone().as_str(), "254712345678");
//! assert_eq!(form.account_reference(), "INV-001");
//! # Ok::<(), palpluss_stk::ValidationErrors>(())
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::locale::Locale;
use crate::phone::{PhoneError, PhoneNumber};
use crate::text::{char_count, split_at_byte};

/// The smallest amount PalPluss accepts, in whole shillings.
pub const AMOUNT_MIN: u64 = 1;
/// The default largest amount, in whole shillings: M-Pesa's per-transaction limit.
pub const DEFAULT_AMOUNT_MAX: u64 = 250_000;
/// The most characters `accountReference` may have after trimming (shown on the M-Pesa statement).
pub const ACCOUNT_REFERENCE_MAX_CHARS: usize = 12;
/// The most characters `transactionDesc` may have after trimming (shown on the PIN prompt).
pub const TRANSACTION_DESC_MAX_CHARS: usize = 13;
/// The longest `callbackUrl` PalPluss stores.
pub const CALLBACK_URL_MAX_CHARS: usize = 500;
/// The largest amount that can be configured: beyond 2^53 a JSON number loses whole shillings.
pub const AMOUNT_MAX_LIMIT: u64 = 9_007_199_254_740_991;

/// What varies by merchant and customer: the largest amount (everything else is fixed by
/// PalPluss and M-Pesa) and the language of the error messages.
///
/// ```
/// use palpluss_stk::{Limits, Locale};
///
/// assert_eq!(Limits::default().amount_max(), 250_000);
/// assert_eq!(Limits::with_amount_max(5_000).map(|l| l.amount_max()), Some(5_000));
/// assert_eq!(Limits::with_amount_max(0), None);
/// assert_eq!(Limits::default().in_locale(Locale::Sw).locale(), Locale::Sw);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    amount_max: u64,
    locale: Locale,
}

impl Limits {
    /// Limits with a maximum amount of `amount_max` whole shillings, or `None` when it is below
    /// [`AMOUNT_MIN`] or above [`AMOUNT_MAX_LIMIT`].
    pub const fn with_amount_max(amount_max: u64) -> Option<Limits> {
        if amount_max < AMOUNT_MIN || amount_max > AMOUNT_MAX_LIMIT {
            None
        } else {
            Some(Limits { amount_max, locale: Locale::En })
        }
    }

    /// The same limits, with error messages in `locale`.
    pub const fn in_locale(self, locale: Locale) -> Limits {
        Limits { locale, ..self }
    }

    /// The largest amount accepted, in whole shillings.
    pub const fn amount_max(&self) -> u64 {
        self.amount_max
    }

    /// The language of the error messages (English by default).
    pub const fn locale(&self) -> Locale {
        self.locale
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits { amount_max: DEFAULT_AMOUNT_MAX, locale: Locale::En }
    }
}

/// A field of the STK request, named as PalPluss spells it on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The request as a whole (for example, it is not a JSON object).
    Request,
    /// `amount`
    Amount,
    /// `phone`
    Phone,
    /// `accountReference`
    AccountReference,
    /// `transactionDesc`
    TransactionDesc,
    /// `callbackUrl`
    CallbackUrl,
    /// `channelId`
    ChannelId,
    /// `credential_id` (snake_case on the wire, as PalPluss names it)
    CredentialId,
    /// `intent`: the merchant's signed checkout intent (checked by the proxy, never forwarded).
    Intent,
    /// `turnstileToken`: Cloudflare Turnstile's answer (checked by the proxy, never forwarded).
    TurnstileToken,
}

impl Field {
    /// The fields of a request, in the order errors are reported.
    pub const REQUEST: [Field; 9] = [
        Field::Amount,
        Field::Phone,
        Field::AccountReference,
        Field::TransactionDesc,
        Field::CallbackUrl,
        Field::ChannelId,
        Field::CredentialId,
        Field::Intent,
        Field::TurnstileToken,
    ];

    /// The wire name, e.g. `"accountReference"`; `"request"` for the request as a whole.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Request => "request",
            Field::Amount => "amount",
            Field::Phone => "phone",
            Field::AccountReference => "accountReference",
            Field::TransactionDesc => "transactionDesc",
            Field::CallbackUrl => "callbackUrl",
            Field::ChannelId => "channelId",
            Field::CredentialId => "credential_id",
            Field::Intent => "intent",
            Field::TurnstileToken => "turnstileToken",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with a field. [`ErrorCode::as_str`] gives the stable machine code.
///
/// ```
/// use palpluss_stk::{ErrorCode, PhoneError};
///
/// assert_eq!(ErrorCode::AmountTooLarge.as_str(), "AMOUNT_TOO_LARGE");
/// assert_eq!(ErrorCode::Phone(PhoneError::TooShort).as_str(), "PHONE_TOO_SHORT");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request is not a JSON object.
    NotAnObject,
    /// The field is missing, null or blank.
    Required,
    /// The field has the wrong JSON type (for example a number where text is expected).
    InvalidType,
    /// The amount is not a number (or a string of digits).
    AmountNotANumber,
    /// The amount has a fractional part: PalPluss charges whole shillings.
    AmountNotWhole,
    /// The amount is below [`AMOUNT_MIN`].
    AmountTooSmall,
    /// The amount is above the configured maximum.
    AmountTooLarge,
    /// The phone number is not a Kenyan mobile number.
    Phone(PhoneError),
    /// The text is longer than the field allows.
    TooLong,
    /// The text contains control characters (or bidirectional formatting characters).
    ControlCharacters,
    /// The callback URL is not an absolute URL with a host.
    UrlInvalid,
    /// The callback URL does not use https.
    UrlNotHttps,
    /// The value is not a UUID.
    UuidInvalid,
    /// The checkout form set a field that only the server may set.
    FieldNotAllowed,
}

impl ErrorCode {
    /// Every code, including every phone code.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::NotAnObject,
        ErrorCode::Required,
        ErrorCode::InvalidType,
        ErrorCode::AmountNotANumber,
        ErrorCode::AmountNotWhole,
        ErrorCode::AmountTooSmall,
        ErrorCode::AmountTooLarge,
        ErrorCode::Phone(PhoneError::Empty),
        ErrorCode::Phone(PhoneError::InvalidCharacters),
        ErrorCode::Phone(PhoneError::TooShort),
        ErrorCode::Phone(PhoneError::TooLong),
        ErrorCode::Phone(PhoneError::MissingPrefix),
        ErrorCode::Phone(PhoneError::NotKenyan),
        ErrorCode::Phone(PhoneError::Landline),
        ErrorCode::Phone(PhoneError::TollFree),
        ErrorCode::Phone(PhoneError::NotMobile),
        ErrorCode::TooLong,
        ErrorCode::ControlCharacters,
        ErrorCode::UrlInvalid,
        ErrorCode::UrlNotHttps,
        ErrorCode::UuidInvalid,
        ErrorCode::FieldNotAllowed,
    ];

    /// The stable machine code, e.g. `"REQUIRED"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotAnObject => "NOT_AN_OBJECT",
            ErrorCode::Required => "REQUIRED",
            ErrorCode::InvalidType => "INVALID_TYPE",
            ErrorCode::AmountNotANumber => "AMOUNT_NOT_A_NUMBER",
            ErrorCode::AmountNotWhole => "AMOUNT_NOT_WHOLE",
            ErrorCode::AmountTooSmall => "AMOUNT_TOO_SMALL",
            ErrorCode::AmountTooLarge => "AMOUNT_TOO_LARGE",
            ErrorCode::Phone(e) => e.code(),
            ErrorCode::TooLong => "TOO_LONG",
            ErrorCode::ControlCharacters => "CONTROL_CHARACTERS",
            ErrorCode::UrlInvalid => "URL_INVALID",
            ErrorCode::UrlNotHttps => "URL_NOT_HTTPS",
            ErrorCode::UuidInvalid => "UUID_INVALID",
            ErrorCode::FieldNotAllowed => "FIELD_NOT_ALLOWED",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with one field: `{ field, code, message }` on the wire.
///
/// ```
/// use palpluss_stk::{CheckoutForm, ErrorCode, Field, Limits, RawStkRequest};
///
/// let errors = CheckoutForm::validate(&RawStkRequest::default(), &Limits::default()).unwrap_err();
/// let first = &errors.as_slice()[0];
/// assert_eq!((first.field(), first.code()), (Field::Amount, ErrorCode::Required));
/// assert_eq!(first.message(), "Enter the amount to pay.");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    #[serde(serialize_with = "serialize_as_str")]
    field: Field,
    #[serde(serialize_with = "serialize_as_str")]
    code: ErrorCode,
    message: String,
    #[serde(skip)]
    locale: Locale,
}

fn serialize_as_str<T: fmt::Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

impl FieldError {
    /// An error for `field` with the standard message for `code`.
    pub fn new(field: Field, code: ErrorCode, limits: &Limits) -> FieldError {
        FieldError { field, code, message: message_for(field, code, limits), locale: limits.locale }
    }

    /// An error with a message of its own (the proxy's, for rules only it knows).
    pub fn with_message(field: Field, code: ErrorCode, message: String) -> FieldError {
        FieldError { field, code, message, locale: Locale::En }
    }

    /// The field the error is about.
    pub fn field(&self) -> Field {
        self.field
    }

    /// What is wrong.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// A message fit to show the customer (for server-side fields, fit for the developer), in the
    /// locale of the [`Limits`] the rules ran with.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The message as a `'static` text when it is one fixed text (all but the maximum-amount and
    /// server-field messages), so bindings can reuse it without copying.
    pub fn static_message(&self) -> Option<&'static str> {
        static_message(self.field, self.code, self.locale)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.field, self.code, self.message)
    }
}

/// Every field error of one request, in field order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// The errors, in field order.
    pub fn as_slice(&self) -> &[FieldError] {
        &self.0
    }

    /// The first error about `field`, if any.
    pub fn get(&self, field: Field) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    /// How many errors there are (at least one).
    #[allow(clippy::len_without_is_empty)] // never empty by construction
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The errors, by value.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            fmt::Display::fmt(e, f)?;
        }
        Ok(())
    }
}

impl core::error::Error for ValidationErrors {}

impl IntoIterator for ValidationErrors {
    type Item = FieldError;
    type IntoIter = alloc::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A field's value before validation, whatever type the sender gave it.
///
/// ```
/// use palpluss_stk::RawValue;
///
/// let v: RawValue = serde_json::from_str("[1, 2]").unwrap();
/// assert_eq!(v, RawValue::Other);
/// assert_eq!(RawValue::from("07"), RawValue::String("07".into()));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RawValue {
    /// The field is absent.
    #[default]
    Missing,
    /// The field is `null`.
    Null,
    /// A number.
    Number(f64),
    /// A string.
    String(String),
    /// Anything else: a boolean, an array, an object (or in JS a symbol, bigint or function).
    Other,
}

impl From<&str> for RawValue {
    fn from(s: &str) -> Self {
        RawValue::String(s.to_owned())
    }
}

impl From<String> for RawValue {
    fn from(s: String) -> Self {
        RawValue::String(s)
    }
}

impl From<f64> for RawValue {
    fn from(n: f64) -> Self {
        RawValue::Number(n)
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = RawValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<RawValue, E> {
                Ok(RawValue::Other)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
                Ok(RawValue::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
                Ok(RawValue::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawValue, E> {
                Ok(RawValue::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RawValue, E> {
                Ok(RawValue::String(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawValue, E> {
                Ok(RawValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<RawValue, E> {
                Ok(RawValue::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
                RawValue::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RawValue::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(RawValue::Other)
            }
        }
        deserializer.deserialize_any(RawVisitor)
    }
}

/// An STK request as received, before validation. Deserialises from any JSON object; unknown
/// fields are ignored (they are never forwarded), absent ones are [`RawValue::Missing`].
///
/// ```
/// use palpluss_stk::{RawStkRequest, RawValue};
///
/// let raw: RawStkRequest = serde_json::from_str(r#"{"amount": "100", "phone": 712}"#).unwrap();
/// assert_eq!(raw.amount, RawValue::from("100"));
/// assert_eq!(raw.phone, RawValue::Number(712.0));
/// assert_eq!(raw.callback_url, RawValue::Missing);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawStkRequest {
    /// `amount`
    pub amount: RawValue,
    /// `phone`
    pub phone: RawValue,
    /// `accountReference`
    pub account_reference: RawValue,
    /// `transactionDesc`
    pub transaction_desc: RawValue,
    /// `callbackUrl`
    pub callback_url: RawValue,
    /// `channelId`
    pub channel_id: RawValue,
    /// `credential_id`
    pub credential_id: RawValue,
    /// `intent`
    pub intent: RawValue,
    /// `turnstileToken`
    pub turnstile_token: RawValue,
}

impl RawStkRequest {
    /// The value of one of the [`Field::REQUEST`] fields; `None` for [`Field::Request`].
    pub fn field_mut(&mut self, field: Field) -> Option<&mut RawValue> {
        match field {
            Field::Amount => Some(&mut self.amount),
            Field::Phone => Some(&mut self.phone),
            Field::AccountReference => Some(&mut self.account_reference),
            Field::TransactionDesc => Some(&mut self.transaction_desc),
            Field::CallbackUrl => Some(&mut self.callback_url),
            Field::ChannelId => Some(&mut self.channel_id),
            Field::CredentialId => Some(&mut self.credential_id),
            Field::Intent => Some(&mut self.intent),
            Field::TurnstileToken => Some(&mut self.turnstile_token),
            Field::Request => None,
        }
    }
}

/// Written by hand rather than derived: a derived struct also accepts a JSON array (fields by
/// position), and a request must be an object. Duplicate keys are rejected, since two parsers could
/// otherwise read two different requests from one body.
impl<'de> Deserialize<'de> for RawStkRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RequestVisitor;
        impl<'de> Visitor<'de> for RequestVisitor {
            type Value = RawStkRequest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawStkRequest, A::Error> {
                let mut raw = RawStkRequest::default();
                while let Some(key) = map.next_key::<alloc::borrow::Cow<'de, str>>()? {
                    let field = Field::REQUEST.into_iter().find(|f| f.as_str() == key.as_ref());
                    let Some(slot) = field.and_then(|f| raw.field_mut(f)) else {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    if *slot != RawValue::Missing {
                        return Err(de::Error::custom(join(&["duplicate field `", key.as_ref(), "`"])));
                    }
                    *slot = map.next_value()?;
                }
                Ok(raw)
            }
        }
        deserializer.deserialize_map(RequestVisitor)
    }
}

/// A valid checkout form: what a browser sends to the proxy.
///
/// Serialises to the wire shape `{ amount, phone, accountReference, transactionDesc }` with the
/// phone normalised and the texts trimmed, plus `intent` and `turnstileToken` when it has them
/// (the proxy checks those two and never forwards them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RawStkRequest")]
pub struct CheckoutForm {
    amount: u64,
    phone: PhoneNumber,
    account_reference: String,
    transaction_desc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    intent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    turnstile_token: Option<String>,
}

/// A valid PalPluss `POST /payments/stk` request.
///
/// ```
/// use palpluss_stk::StkPushRequest;
///
/// let request: StkPushRequest = serde_json::from_str(r#"{
///     "amount": 1000, "phone": "+254 712 345 678", "accountReference": "INV-2024-001",
///     "transactionDesc": "Invoice 2024", "callbackUrl": "https://shop.example/mpesa"
/// }"#)?;
/// assert_eq!(
///     serde_json::to_string(&request)?,
///     r#"{"amount":1000,"phone":"254712345678","accountReference":"INV-2024-001","transactionDesc":"Invoice 2024","callbackUrl":"https://shop.example/mpesa"}"#,
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RawStkRequest")]
pub struct StkPushRequest {
    amount: u64,
    phone: PhoneNumber,
    account_reference: String,
    transaction_desc: String,
    callback_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<String>,
    #[serde(rename = "credential_id", skip_serializing_if = "Option::is_none")]
    credential_id: Option<String>,
}

struct ServerFields {
    callback_url: String,
    channel_id: Option<String>,
    credential_id: Option<String>,
}

/// Collects the errors of one request; each check returns the value when it passes.
struct Checker<'l> {
    limits: &'l Limits,
    errors: Vec<FieldError>,
}

impl Checker<'_> {
    fn check<T>(&mut self, field: Field, result: Result<T, ErrorCode>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(code) => {
                self.errors.push(FieldError::new(field, code, self.limits));
                None
            }
        }
    }

    /// The fields the customer fills in, shared by both shapes.
    fn customer_fields(&mut self, raw: &RawStkRequest) -> Option<CheckoutForm> {
        let amount = self.check(Field::Amount, check_amount(&raw.amount, self.limits));
        let phone = self.check(Field::Phone, check_phone(&raw.phone));
        let account_reference =
            self.check(Field::AccountReference, check_text(&raw.account_reference, ACCOUNT_REFERENCE_MAX_CHARS));
        let transaction_desc =
            self.check(Field::TransactionDesc, check_text(&raw.transaction_desc, TRANSACTION_DESC_MAX_CHARS));
        Some(CheckoutForm {
            amount: amount?,
            phone: phone?,
            account_reference: account_reference?,
            transaction_desc: transaction_desc?,
            intent: None,
            turnstile_token: None,
        })
    }

    /// The fields only the server sets.
    fn server_fields(
        &mut self,
        callback_url: &RawValue,
        channel_id: &RawValue,
        credential_id: &RawValue,
    ) -> Option<ServerFields> {
        let callback_url = self.check(Field::CallbackUrl, check_callback_url(callback_url));
        let channel_id = self.check(Field::ChannelId, check_optional_uuid(channel_id));
        let credential_id = self.check(Field::CredentialId, check_optional_uuid(credential_id));
        Some(ServerFields { callback_url: callback_url?, channel_id: channel_id?, credential_id: credential_id? })
    }

    fn forbid(&mut self, field: Field, value: &RawValue) {
        if *value != RawValue::Missing {
            self.errors.push(FieldError::new(field, ErrorCode::FieldNotAllowed, self.limits));
        }
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, ValidationErrors> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(ValidationErrors(self.errors)),
        }
    }
}

impl CheckoutForm {
    /// Validates the checkout shape. A client that sets `callbackUrl`, `channelId` or
    /// `credential_id` (even to `null`) gets [`ErrorCode::FieldNotAllowed`] for it.
    pub fn validate(raw: &RawStkRequest, limits: &Limits) -> Result<CheckoutForm, ValidationErrors> {
        let mut c = Checker { limits, errors: Vec::new() };
        let form = c.customer_fields(raw);
        c.forbid(Field::CallbackUrl, &raw.callback_url);
        c.forbid(Field::ChannelId, &raw.channel_id);
        c.forbid(Field::CredentialId, &raw.credential_id);
        let intent = c.check(Field::Intent, check_token(&raw.intent));
        let turnstile_token = c.check(Field::TurnstileToken, check_token(&raw.turnstile_token));
        let form = match (form, intent, turnstile_token) {
            (Some(form), Some(intent), Some(turnstile_token)) => Some(CheckoutForm { intent, turnstile_token, ..form }),
            _ => None,
        };
        c.finish(form)
    }

    /// The signed checkout intent sent with the form, if any.
    pub fn intent(&self) -> Option<&str> {
        self.intent.as_deref()
    }
    /// Cloudflare Turnstile's token sent with the form, if any.
    pub fn turnstile_token(&self) -> Option<&str> {
        self.turnstile_token.as_deref()
    }
    /// The payment this form asks for, without `intent` and `turnstileToken`: what "the same
    /// request" means for an `Idempotency-Key` (a retry may carry a fresh Turnstile token).
    pub fn payment_only(&self) -> CheckoutForm {
        CheckoutForm { intent: None, turnstile_token: None, ..self.clone() }
    }

    /// The amount in whole shillings.
    pub fn amount(&self) -> u64 {
        self.amount
    }
    /// The customer's phone number.
    pub fn phone(&self) -> &PhoneNumber {
        &self.phone
    }
    /// The trimmed account reference.
    pub fn account_reference(&self) -> &str {
        &self.account_reference
    }
    /// The trimmed transaction description.
    pub fn transaction_desc(&self) -> &str {
        &self.transaction_desc
    }
}

impl TryFrom<RawStkRequest> for CheckoutForm {
    type Error = ValidationErrors;
    /// Validates with the default [`Limits`].
    fn try_from(raw: RawStkRequest) -> Result<Self, Self::Error> {
        CheckoutForm::validate(&raw, &Limits::default())
    }
}

impl StkPushRequest {
    /// Validates the full PalPluss request.
    pub fn validate(raw: &RawStkRequest, limits: &Limits) -> Result<StkPushRequest, ValidationErrors> {
        let mut c = Checker { limits, errors: Vec::new() };
        let form = c.customer_fields(raw);
        let server = c.server_fields(&raw.callback_url, &raw.channel_id, &raw.credential_id);
        let request = form.zip(server).map(|(form, server)| StkPushRequest::assemble(form, server));
        c.finish(request)
    }

    /// Completes a validated checkout form with the fields only the server sets, validating them.
    ///
    /// ```
    /// use palpluss_stk::{CheckoutForm, StkPushRequest};
    ///
    /// let form: CheckoutForm = serde_json::from_str(
    ///     r#"{"amount": 50, "phone": "0110 000 000", "accountReference": "A1", "transactionDesc": "Tea"}"#,
    /// ).unwrap();
    /// let request = StkPushRequest::from_checkout(form, "https://shop.example/cb", None, None).unwrap();
    /// assert_eq!(request.callback_url(), "https://shop.example/cb");
    /// assert!(StkPushRequest::from_checkout(
    ///     request.checkout_form(), "http://shop.example/cb", None, None
    /// ).is_err());
    /// ```
    pub fn from_checkout(
        form: CheckoutForm,
        callback_url: &str,
        channel_id: Option<&str>,
        credential_id: Option<&str>,
    ) -> Result<StkPushRequest, ValidationErrors> {
        let limits = Limits { amount_max: AMOUNT_MAX_LIMIT, locale: Locale::En };
        let mut c = Checker { limits: &limits, errors: Vec::new() };
        let optional = |v: Option<&str>| v.map_or(RawValue::Missing, RawValue::from);
        let server = c.server_fields(&RawValue::from(callback_url), &optional(channel_id), &optional(credential_id));
        c.finish(server.map(|server| StkPushRequest::assemble(form, server)))
    }

    fn assemble(form: CheckoutForm, server: ServerFields) -> StkPushRequest {
        StkPushRequest {
            amount: form.amount,
            phone: form.phone,
            account_reference: form.account_reference,
            transaction_desc: form.transaction_desc,
            callback_url: server.callback_url,
            channel_id: server.channel_id,
            credential_id: server.credential_id,
        }
    }

    /// The amount in whole shillings.
    pub fn amount(&self) -> u64 {
        self.amount
    }
    /// The customer's phone number.
    pub fn phone(&self) -> &PhoneNumber {
        &self.phone
    }
    /// The trimmed account reference.
    pub fn account_reference(&self) -> &str {
        &self.account_reference
    }
    /// The trimmed transaction description.
    pub fn transaction_desc(&self) -> &str {
        &self.transaction_desc
    }
    /// The https URL PalPluss posts the result to.
    pub fn callback_url(&self) -> &str {
        &self.callback_url
    }
    /// The payment channel, lowercase, if one was chosen.
    pub fn channel_id(&self) -> Option<&str> {
        self.channel_id.as_deref()
    }
    /// The BYOC credential profile, lowercase, if one was chosen.
    pub fn credential_id(&self) -> Option<&str> {
        self.credential_id.as_deref()
    }
    /// The customer-side part of the request.
    pub fn checkout_form(&self) -> CheckoutForm {
        CheckoutForm {
            amount: self.amount,
            phone: self.phone,
            account_reference: self.account_reference.clone(),
            transaction_desc: self.transaction_desc.clone(),
            intent: None,
            turnstile_token: None,
        }
    }
}

impl TryFrom<RawStkRequest> for StkPushRequest {
    type Error = ValidationErrors;
    /// Validates with the default [`Limits`].
    fn try_from(raw: RawStkRequest) -> Result<Self, Self::Error> {
        StkPushRequest::validate(&raw, &Limits::default())
    }
}

fn check_amount(value: &RawValue, limits: &Limits) -> Result<u64, ErrorCode> {
    let whole = match value {
        RawValue::Missing | RawValue::Null => return Err(ErrorCode::Required),
        RawValue::Other => return Err(ErrorCode::InvalidType),
        RawValue::Number(n) => number_to_whole(*n)?,
        RawValue::String(s) => decimal_to_whole(s.trim())?,
    };
    if whole < AMOUNT_MIN as f64 {
        Err(ErrorCode::AmountTooSmall)
    } else if whole > limits.amount_max as f64 {
        Err(ErrorCode::AmountTooLarge)
    } else {
        // In range [1, 2^53], whole: the conversion is exact.
        Ok(whole as u64)
    }
}

fn number_to_whole(n: f64) -> Result<f64, ErrorCode> {
    if !n.is_finite() {
        Err(ErrorCode::AmountNotANumber)
    } else if n % 1.0 != 0.0 {
        // `% 1.0` is `fract()` without std: the fractional part, NaN for infinities.
        Err(ErrorCode::AmountNotWhole)
    } else {
        Ok(n)
    }
}

/// Reads a form field's amount: optional sign, digits, optionally `.` and digits. No exponents,
/// no thousands separators, no currency: what a customer types in an amount field.
fn decimal_to_whole(s: &str) -> Result<f64, ErrorCode> {
    if s.is_empty() {
        return Err(ErrorCode::Required);
    }
    let (negative, unsigned) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or("")),
        Some(b'+') => (false, s.get(1..).unwrap_or("")),
        _ => (false, s),
    };
    let (int_part, frac_part) = match split_at_byte(unsigned, b'.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = frac_part.is_none_or(|f| !f.is_empty() && all_digits(f));
    if int_part.is_empty() || !all_digits(int_part) || !frac_ok {
        return Err(ErrorCode::AmountNotANumber);
    }
    if frac_part.is_some_and(|f| f.bytes().any(|b| b != b'0')) {
        return Err(ErrorCode::AmountNotWhole);
    }
    // Saturate: anything beyond 2^64 is simply too large.
    let mut whole: u64 = 0;
    for b in int_part.bytes() {
        whole = whole.saturating_mul(10).saturating_add(u64::from(b - b'0'));
    }
    if negative && whole > 0 {
        return Err(ErrorCode::AmountTooSmall);
    }
    Ok(whole as f64)
}

/// The longest `intent` or `turnstileToken` accepted.
pub const TOKEN_MAX_CHARS: usize = 2048;

/// `intent` and `turnstileToken`: optional text of at most [`TOKEN_MAX_CHARS`]; blank is absent
/// (Turnstile's hidden input is empty until the widget has run).
fn check_token(value: &RawValue) -> Result<Option<String>, ErrorCode> {
    match value {
        RawValue::Missing | RawValue::Null => Ok(None),
        RawValue::String(s) if s.trim().is_empty() => Ok(None),
        RawValue::String(s) if s.len() > TOKEN_MAX_CHARS => Err(ErrorCode::TooLong),
        RawValue::String(s) => Ok(Some(s.trim().to_owned())),
        RawValue::Number(_) | RawValue::Other => Err(ErrorCode::InvalidType),
    }
}

fn check_phone(value: &RawValue) -> Result<PhoneNumber, ErrorCode> {
    match value {
        RawValue::Missing | RawValue::Null => Err(ErrorCode::Required),
        RawValue::String(s) => PhoneNumber::parse(s).map_err(ErrorCode::Phone),
        RawValue::Number(_) | RawValue::Other => Err(ErrorCode::InvalidType),
    }
}

/// Characters that could hide or reorder what the customer reads on a statement or PIN prompt:
/// C0/C1 controls, line and paragraph separators, and bidirectional formatting characters.
fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn check_text(value: &RawValue, max_chars: usize) -> Result<String, ErrorCode> {
    let text = match value {
        RawValue::Missing | RawValue::Null => return Err(ErrorCode::Required),
        RawValue::Number(_) | RawValue::Other => return Err(ErrorCode::InvalidType),
        RawValue::String(s) => s.trim(),
    };
    if text.is_empty() {
        Err(ErrorCode::Required)
    } else if text.chars().any(is_forbidden_char) {
        Err(ErrorCode::ControlCharacters)
    } else if char_count(text) > max_chars {
        Err(ErrorCode::TooLong)
    } else {
        Ok(text.to_owned())
    }
}

/// Checks a callback URL with the `callbackUrl` rules (absolute https URL with a host, at most 500
/// characters) and returns it trimmed.
///
/// ```
/// use palpluss_stk::{stk::validate_callback_url, ErrorCode};
///
/// assert_eq!(validate_callback_url(" https://shop.example/cb ").as_deref(), Ok("https://shop.example/cb"));
/// assert_eq!(validate_callback_url("http://shop.example/cb"), Err(ErrorCode::UrlNotHttps));
/// ```
pub fn validate_callback_url(url: &str) -> Result<String, ErrorCode> {
    check_callback_url(&RawValue::from(url))
}

fn check_callback_url(value: &RawValue) -> Result<String, ErrorCode> {
    let url = match value {
        RawValue::Missing | RawValue::Null => return Err(ErrorCode::Required),
        RawValue::Number(_) | RawValue::Other => return Err(ErrorCode::InvalidType),
        RawValue::String(s) => s.trim(),
    };
    if url.is_empty() {
        return Err(ErrorCode::Required);
    }
    if char_count(url) > CALLBACK_URL_MAX_CHARS {
        return Err(ErrorCode::TooLong);
    }
    check_https_url(url)?;
    Ok(url.to_owned())
}

/// An absolute `https://host[:port][/path][?query][#fragment]` URL with printable ASCII only and no
/// user information. A deliberately small subset of RFC 3986: what a webhook endpoint needs.
fn check_https_url(url: &str) -> Result<(), ErrorCode> {
    let bad_char = |b: u8| {
        !(0x21..=0x7e).contains(&b) || matches!(b, b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}')
    };
    if url.bytes().any(bad_char) {
        return Err(ErrorCode::UrlInvalid);
    }
    let (scheme, rest) = split_at_byte(url, b':').ok_or(ErrorCode::UrlInvalid)?;
    let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err(ErrorCode::UrlInvalid);
    }
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(ErrorCode::UrlNotHttps);
    }
    let after_slashes = rest.strip_prefix("//").ok_or(ErrorCode::UrlInvalid)?;
    let authority_end =
        after_slashes.bytes().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(after_slashes.len());
    let authority = after_slashes.get(..authority_end).unwrap_or("");
    if authority.bytes().any(|b| b == b'@') {
        return Err(ErrorCode::UrlInvalid);
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix("[") {
        let (literal, after) = split_at_byte(v6, b']').ok_or(ErrorCode::UrlInvalid)?;
        let literal_ok = literal.bytes().any(|b| b == b':')
            && literal.bytes().all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'));
        if !literal_ok {
            return Err(ErrorCode::UrlInvalid);
        }
        match after {
            "" => (literal, None),
            _ => (literal, Some(after.strip_prefix(":").ok_or(ErrorCode::UrlInvalid)?)),
        }
    } else {
        let (host, port) = match split_at_byte(authority, b':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if !is_host_name(host) {
            return Err(ErrorCode::UrlInvalid);
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(ErrorCode::UrlInvalid);
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && (1..=65_535).contains(&port.bytes().fold(0u32, |n, b| n * 10 + u32::from(b - b'0')));
        if !valid {
            return Err(ErrorCode::UrlInvalid);
        }
    }
    Ok(())
}

/// A DNS name or IPv4 address: dot-separated labels of letters, digits and hyphens, 1-63
/// characters each, not starting or ending with a hyphen, 253 characters at most.
fn is_host_name(host: &str) -> bool {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with("-")
            && !l.ends_with("-")
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    host.len() <= 253 && host.split('.').all(label_ok)
}

fn check_optional_uuid(value: &RawValue) -> Result<Option<String>, ErrorCode> {
    match value {
        RawValue::Missing | RawValue::Null => Ok(None),
        RawValue::Number(_) | RawValue::Other => Err(ErrorCode::InvalidType),
        RawValue::String(s) if is_uuid(s.trim()) => Ok(Some(s.trim().to_ascii_lowercase())),
        RawValue::String(_) => Err(ErrorCode::UuidInvalid),
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hexadecimal, any case, any version.
pub(crate) fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn message_for(field: Field, code: ErrorCode, limits: &Limits) -> String {
    let l = limits.locale;
    match (static_message(field, code, l), code) {
        (Some(text), _) => text.to_owned(),
        (None, ErrorCode::FieldNotAllowed) => join(&[
            field.as_str(),
            l.pick(
                " is set by the server and must not be sent from the checkout.",
                " huwekwa na seva, na haipaswi kutumwa kutoka kwenye ukurasa wa malipo.",
            ),
        ]),
        (None, ErrorCode::AmountTooLarge) => join(&[
            l.pick("The amount can be at most KES ", "Kiasi kisizidi KES "),
            &group_thousands(limits.amount_max),
            ".",
        ]),
        (None, _) => join(&[
            field.as_str(),
            l.pick(
                " must be a UUID such as 3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6f, or null.",
                " lazima iwe UUID kama 3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6f, au null.",
            ),
        ]),
    }
}

/// The message for `(field, code)` when it is one fixed text; `None` for the few built from parts
/// (the maximum amount, and the server-side field names).
fn static_message(field: Field, code: ErrorCode, l: Locale) -> Option<&'static str> {
    Some(match (field, code) {
        (_, ErrorCode::Phone(e)) => e.message_in(l),
        (Field::Request, _) => l.pick(
            "The request must be a JSON object with the payment details.",
            "Ombi lazima liwe JSON object yenye maelezo ya malipo.",
        ),
        (_, ErrorCode::FieldNotAllowed) => return None,
        (Field::Amount, ErrorCode::Required) => l.pick("Enter the amount to pay.", "Weka kiasi cha kulipa."),
        (Field::Amount, ErrorCode::AmountNotWhole) => {
            l.pick("Enter the amount in whole shillings, without cents.", "Weka kiasi kwa shilingi kamili, bila senti.")
        }
        (Field::Amount, ErrorCode::AmountTooSmall) => {
            l.pick("The amount must be at least KES 1.", "Kiasi lazima kiwe angalau KES 1.")
        }
        (Field::Amount, ErrorCode::AmountTooLarge) => return None,
        (Field::Amount, _) => l.pick(
            "Enter the amount as a number of shillings, digits only, e.g. 1500.",
            "Weka kiasi cha shilingi kwa tarakimu pekee, mfano 1500.",
        ),
        (Field::Phone, ErrorCode::Required) => PhoneError::Empty.message_in(l),
        (Field::Phone, _) => phone_not_text(l),
        (Field::AccountReference, ErrorCode::Required) => l.pick(
            "Enter an account reference, such as your order number.",
            "Weka kumbukumbu ya akaunti, kama namba ya oda yako.",
        ),
        (Field::AccountReference, ErrorCode::TooLong) => l.pick(
            "The account reference can be at most 12 characters: it is shown on the M-Pesa statement.",
            "Kumbukumbu ya akaunti isizidi herufi 12: inaonekana kwenye taarifa ya M-Pesa.",
        ),
        (Field::TransactionDesc, ErrorCode::Required) => {
            l.pick("Enter a short description of the payment.", "Weka maelezo mafupi ya malipo.")
        }
        (Field::TransactionDesc, ErrorCode::TooLong) => l.pick(
            "The description can be at most 13 characters: it is shown on the M-Pesa PIN prompt.",
            "Maelezo yasizidi herufi 13: yanaonekana kwenye ombi la PIN la M-Pesa.",
        ),
        (Field::AccountReference | Field::TransactionDesc, ErrorCode::ControlCharacters) => l.pick(
            "Remove the invisible control or text-direction characters.",
            "Ondoa herufi zisizoonekana (za udhibiti au za mwelekeo wa maandishi).",
        ),
        (Field::AccountReference | Field::TransactionDesc, _) => {
            l.pick("Enter this as text.", "Weka hii kama maandishi.")
        }
        (Field::CallbackUrl, ErrorCode::Required) => l.pick(
            "callbackUrl is required: the https URL PalPluss posts the result to.",
            "callbackUrl inahitajika: URL ya https ambayo PalPluss hutuma matokeo.",
        ),
        (Field::CallbackUrl, ErrorCode::TooLong) => {
            l.pick("callbackUrl can be at most 500 characters.", "callbackUrl isizidi herufi 500.")
        }
        (Field::CallbackUrl, ErrorCode::UrlNotHttps) => {
            l.pick("callbackUrl must use https.", "callbackUrl lazima itumie https.")
        }
        (Field::CallbackUrl, _) => l.pick(
            "callbackUrl must be an absolute https URL with a host, e.g. https://shop.example/mpesa.",
            "callbackUrl lazima iwe URL kamili ya https yenye host, mfano https://shop.example/mpesa.",
        ),
        (Field::ChannelId | Field::CredentialId, _) => return None,
        // A token the page itself put there: only reloading the page gives a good one.
        (Field::Intent | Field::TurnstileToken, _) => l.pick(
            "This checkout is out of date. Reload the page and try again.",
            "Ukurasa huu wa malipo umepitwa na wakati. Pakia ukurasa upya, kisha ujaribu tena.",
        ),
    })
}

/// The message for a phone that is not text (the field rule's, and the JS phone functions').
pub(crate) const fn phone_not_text(l: Locale) -> &'static str {
    l.pick(
        "Enter the phone number as text, e.g. \"0712 345 678\".",
        "Weka namba ya simu kama maandishi, mfano \"0712 345 678\".",
    )
}

/// `["a", "b"]` -> `"ab"`: `[..].concat()` without its generic copy loop, which costs the browser
/// entry a kilobyte of wasm.
pub(crate) fn join(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `250000` -> `"250000"`, without pulling in the formatting machinery (it costs kilobytes of wasm).
pub(crate) fn decimal(mut n: u64) -> String {
    let mut reversed = Vec::with_capacity(20);
    loop {
        reversed.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    reversed.iter().rev().map(|&b| char::from(b)).collect()
}

/// `250000` -> `"250,000"`.
fn group_thousands(n: u64) -> String {
    let digits = decimal(n);
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
