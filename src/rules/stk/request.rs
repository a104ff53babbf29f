//! The two request shapes and the checks that build them, every field error at once.

#[allow(unused_imports)]
use crate::prelude::*;

use serde::{Deserialize, Serialize};

use super::errors::{FieldError, ValidationErrors};
use super::types::*;
use crate::rules::locale::Locale;
use crate::rules::phone::PhoneNumber;
use crate::rules::text::{char_count, split_at_byte};

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
