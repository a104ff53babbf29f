//! The STK request's vocabulary: limits, fields, error codes and the loosely typed input.

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::rules::locale::Locale;
use crate::rules::phone::PhoneError;
use crate::rules::text::join;

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
    pub(super) amount_max: u64,
    pub(super) locale: Locale,
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

    /// The field a wire name names (the inverse of [`Field::as_str`]); `None` for any other text.
    ///
    /// ```
    /// use palpluss_stk::Field;
    ///
    /// assert_eq!(Field::from_name("accountReference"), Some(Field::AccountReference));
    /// assert_eq!(Field::from_name("request"), Some(Field::Request));
    /// assert_eq!(Field::from_name("AccountReference"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Field> {
        core::iter::once(Field::Request).chain(Field::REQUEST).find(|f| f.as_str() == name)
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

    /// The code a machine code names (the inverse of [`ErrorCode::as_str`]); `None` for any other
    /// text.
    ///
    /// ```
    /// use palpluss_stk::{ErrorCode, PhoneError};
    ///
    /// assert_eq!(ErrorCode::from_name("PHONE_LANDLINE"), Some(ErrorCode::Phone(PhoneError::Landline)));
    /// assert_eq!(ErrorCode::from_name("required"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
