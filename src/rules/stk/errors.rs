//! Field errors and the customer messages for them, in English and Kiswahili.

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use serde::Serialize;

use super::types::{ErrorCode, Field, Limits};
use crate::rules::locale::Locale;
use crate::rules::phone::PhoneError;
use crate::rules::text::{decimal, join};

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
pub struct ValidationErrors(pub(super) Vec<FieldError>);

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
