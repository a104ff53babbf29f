//! JavaScript bindings (wasm32 only): thin translations between JS values and the pure core.
//!
//! Every export treats its arguments as hostile: any JS value (proxies with throwing traps,
//! symbols, bigints, megabyte strings) gets an answer, and the validators never throw. Nothing here
//! holds state between calls, so a bad input cannot break a later call.

mod fast;

#[cfg(feature = "checkout")]
mod client;
#[cfg(feature = "checkout")]
mod form;
#[cfg(feature = "checkout")]
mod http;
#[cfg(feature = "checkout")]
mod wait;

#[cfg(feature = "checkout")]
pub use client::StkClient;
#[cfg(feature = "checkout")]
pub use form::attach_checkout_form;

#[allow(unused_imports)]
use crate::prelude::*;
use core::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::locale::Locale;
use crate::phone::{format_phone_as_you_type as format_as_you_type, PhoneNumber};
use crate::stk::{
    phone_not_text, CheckoutForm, ErrorCode, Field, FieldError, Limits, RawStkRequest, RawValue, StkPushRequest,
    ACCOUNT_REFERENCE_MAX_CHARS, AMOUNT_MAX_LIMIT, AMOUNT_MIN, CALLBACK_URL_MAX_CHARS, DEFAULT_AMOUNT_MAX,
    TRANSACTION_DESC_MAX_CHARS,
};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Every machine code a field error or a thrown phone error can carry. */
export type ErrorCode =
  | "NOT_AN_OBJECT" | "REQUIRED" | "INVALID_TYPE" | "INVALID_OPTION"
  | "AMOUNT_NOT_A_NUMBER" | "AMOUNT_NOT_WHOLE" | "AMOUNT_TOO_SMALL" | "AMOUNT_TOO_LARGE"
  | PhoneErrorCode
  | "TOO_LONG" | "CONTROL_CHARACTERS" | "URL_INVALID" | "URL_NOT_HTTPS" | "UUID_INVALID"
  | "FIELD_NOT_ALLOWED"
  | ProxyErrorCode;

/** The proxy's own error codes (an `StkApiError`'s or `StkRateLimitError`'s `code`; PalPluss's
 * own codes pass through as they are). */
export type ProxyErrorCode =
  | "INVALID_JSON" | "VALIDATION_FAILED" | "ORIGIN_NOT_ALLOWED" | "NOT_FOUND" | "METHOD_NOT_ALLOWED"
  | "BODY_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "UPSTREAM_UNAVAILABLE" | "UPSTREAM_TIMEOUT"
  | "BUSY" | "PAYMENT_NOT_FOUND" | "RATE_LIMITED"
  | "IDEMPOTENCY_KEY_INVALID" | "IDEMPOTENCY_KEY_IN_USE" | "IDEMPOTENCY_KEY_REUSED"
  | "INTENT_REQUIRED" | "INTENT_INVALID" | "INTENT_EXPIRED" | "INTENT_MISMATCH"
  | "TURNSTILE_REQUIRED" | "TURNSTILE_FAILED" | "TURNSTILE_UNAVAILABLE"
  | "PHONE_BUSY" | "PHONE_LIMIT";

/** Why a string is not a Kenyan mobile number. */
export type PhoneErrorCode =
  | "PHONE_EMPTY" | "PHONE_INVALID_CHARACTERS" | "PHONE_TOO_SHORT" | "PHONE_TOO_LONG"
  | "PHONE_MISSING_PREFIX" | "PHONE_NOT_KENYAN" | "PHONE_LANDLINE" | "PHONE_TOLL_FREE"
  | "PHONE_NOT_MOBILE";

/** The network a number's range was first assigned to (a hint: numbers are portable). */
export type Network = "safaricom" | "airtel" | "telkom" | "equitel" | "other";

/** The field an error is about, as PalPluss spells it; "request" for the whole request. */
export type FieldName =
  | "request" | "amount" | "phone" | "accountReference" | "transactionDesc"
  | "callbackUrl" | "channelId" | "credential_id" | "intent" | "turnstileToken" | "options.amountMax"
  | "options.locale";

/** One problem with one field. The message is fit to show a customer. */
export interface FieldError {
  field: FieldName;
  code: ErrorCode;
  message: string;
}

/** The Error `normalizePhone` throws. */
export interface PhoneError extends Error {
  name: "PhoneError";
  code: PhoneErrorCode | "INVALID_TYPE";
}

/** The answer of `checkPhone`. */
export type PhoneCheck =
  | {
      ok: true;
      /** Normalised, `254XXXXXXXXX`. */
      phone: string;
      /** `0712 345 678` */
      national: string;
      /** `+254 712 345 678` */
      international: string;
      network: Network;
      /** "Safaricom", "Airtel", ... */
      networkName: string;
      /** A warning to show (never a reason to block), or null for Safaricom ranges. */
      mpesaWarning: string | null;
      /**
       * Whether the number is in a range libphonenumber's metadata lists as assigned. `false` is
       * never a refusal: new ranges open before any metadata knows them.
       */
      rangeKnown: boolean;
      /** A soft note to show when `rangeKnown` is false (never a reason to block), else null. */
      rangeWarning: string | null;
    }
  | { ok: false; code: PhoneErrorCode | "INVALID_TYPE"; message: string };

/** What a browser sends to the proxy: amount in whole shillings, phone normalised. */
export interface CheckoutRequest {
  amount: number;
  phone: string;
  accountReference: string;
  transactionDesc: string;
  /** The merchant's signed checkout intent (only for a proxy with INTENT_SECRET). */
  intent?: string;
  /** Cloudflare Turnstile's token (checked by a proxy with TURNSTILE_SECRET). */
  turnstileToken?: string;
}

/** A PalPluss `POST /payments/stk` request. */
export interface StkPushRequest extends CheckoutRequest {
  callbackUrl: string;
  channelId?: string;
  credential_id?: string;
}

/** The answer of the validators: every field error at once, or the normalised request. */
export type ValidationResult<T> =
  | { ok: true; errors: []; value: T }
  | { ok: false; errors: FieldError[]; value?: undefined };

/** The language of the messages: English (the default) or Kiswahili. */
export type Locale = "en" | "sw";

/** Options of the phone functions. */
export interface PhoneOptions {
  /** The language of the messages and warnings (default "en"). */
  locale?: Locale;
}

/** Options of the validators. */
export interface ValidationOptions {
  /** The largest amount accepted, in whole shillings (default 250000). */
  amountMax?: number;
  /** The language of the messages (default "en"). */
  locale?: Locale;
}

/** The answer of `normalizePhones`: one entry per input, in order; a number or an error code. */
export interface PhoneBatch {
  /** `254XXXXXXXXX`, or null where the input is not a Kenyan mobile number. */
  phones: (string | null)[];
  /** Why not (what `normalizePhone` would throw), or null where the number is good. */
  codes: (PhoneErrorCode | "INVALID_TYPE" | null)[];
}

/**
 * Normalises a whole list in one call into the module (a CSV import, a customer list): the same
 * answers as `normalizePhone` on each, without a thrown Error per bad number. Throws a TypeError
 * when `inputs` is not an array.
 */
export function normalizePhones(inputs: readonly unknown[]): PhoneBatch;

/** The fixed limits of the rules. */
export interface Limits {
  amountMin: number;
  amountMaxDefault: number;
  accountReferenceMaxLength: number;
  transactionDescMaxLength: number;
  callbackUrlMaxLength: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// The validators' options object, typed for TypeScript; read defensively like any input.
    #[wasm_bindgen(typescript_type = "ValidationOptions")]
    pub type ValidationOptions;

    /// The phone functions' options object, typed for TypeScript.
    #[wasm_bindgen(typescript_type = "PhoneOptions")]
    pub type PhoneOptions;

    /// `Array.isArray`, declared with `catch` because it throws on a revoked proxy.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;

    /// `Reflect.set` without `catch`: only for plain objects this module created, which cannot
    /// throw, so the call skips the glue's try/catch wrapper (every answer object is built with it).
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn set_own(target: &Object, key: &JsValue, value: &JsValue) -> bool;
}

/// JS strings for the static texts sent on every call (property names, codes, messages).
/// Decoding UTF-8 into a new JS string for each of them was the largest cost of building an
/// answer object (bench/run.mjs): each text is decoded once per module instance, then reused.
static STATIC_STRINGS: OneThread<RefCell<Vec<(usize, JsValue)>>> = OneThread(RefCell::new(Vec::new()));

/// A static for a module that runs on one thread. A plain static rather than `thread_local!`,
/// which needs std (the validators build has none).
pub(crate) struct OneThread<T>(T);

#[cfg(target_feature = "atomics")]
compile_error!("the JS bindings keep JS values in statics: build without the atomics target feature");

// SAFETY: wasm32 without the atomics target feature (checked above) has a single thread, so the
// value is never shared between threads.
unsafe impl<T> Sync for OneThread<T> {}

/// The JS string for a static text, decoded only the first time.
pub(crate) fn static_js(text: &'static str) -> JsValue {
    // Static texts are told apart by address: two texts at one address are the same text.
    let key = text.as_ptr() as usize;
    let Ok(mut cache) = STATIC_STRINGS.0.try_borrow_mut() else { return JsValue::from_str(text) };
    if let Some((_, value)) = cache.iter().find(|(k, _)| *k == key) {
        return value.clone();
    }
    let value = JsValue::from_str(text);
    cache.push((key, value.clone()));
    value
}

/// Sets a property on an object this module created (a plain object: it cannot fail).
pub(crate) fn set(target: &Object, key: &'static str, value: &JsValue) {
    set_own(target, &static_js(key), value);
}

/// Sets a property to a static text.
pub(crate) fn set_static(target: &Object, key: &'static str, value: &'static str) {
    set(target, key, &static_js(value));
}

fn phone_error(code: &'static str, message: &'static str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("PhoneError");
    set_static(&error, "code", code);
    error.into()
}

/// What a `locale` option other than a tag of ours is told (options are the developer's: English).
pub(crate) const LOCALE_OPTION_ERROR: &str = "locale must be \"en\" or \"sw\".";

/// The language the options ask for; English when absent, or when `options.locale` is not one
/// of ours (the phone functions have no way to report a bad option: they answer in English).
fn phone_locale(options: &Option<PhoneOptions>) -> Locale {
    options.as_ref().and_then(|o| read_locale(o).ok()).unwrap_or_default()
}

/// Normalises a Kenyan mobile number to `254XXXXXXXXX`, or throws a `PhoneError` whose `code`
/// says why it is not one (its message in `options.locale`).
#[wasm_bindgen(js_name = normalizePhone, unchecked_return_type = "string")]
pub fn normalize_phone(
    #[wasm_bindgen(unchecked_param_type = "string")] input: JsValue,
    options: Option<PhoneOptions>,
) -> Result<JsValue, JsValue> {
    let Some(text) = input.as_string() else {
        return Err(phone_error("INVALID_TYPE", phone_not_text(phone_locale(&options))));
    };
    match PhoneNumber::parse(&text) {
        Ok(phone) => Ok(JsValue::from_str(phone.as_str())),
        Err(e) => Err(phone_error(e.code(), e.message_in(phone_locale(&options)))),
    }
}

/// Checks a phone number without throwing: the normalised number, its formats and network hint,
/// or the error code and message.
#[wasm_bindgen(js_name = checkPhone, unchecked_return_type = "PhoneCheck")]
pub fn check_phone(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
    options: Option<PhoneOptions>,
) -> JsValue {
    let l = phone_locale(&options);
    let out = Object::new();
    let result = input.as_string().map(|text| PhoneNumber::parse(&text));
    match result {
        Some(Ok(phone)) => {
            let network = phone.network();
            set(&out, "ok", &JsValue::TRUE);
            set(&out, "phone", &JsValue::from_str(phone.as_str()));
            set(&out, "national", &JsValue::from_str(&phone.national()));
            set(&out, "international", &JsValue::from_str(&phone.international()));
            set_static(&out, "network", network.as_str());
            set_static(&out, "networkName", network.name());
            match network.mpesa_warning_in(l) {
                Some(warning) => set_static(&out, "mpesaWarning", warning),
                None => set(&out, "mpesaWarning", &JsValue::NULL),
            }
            set(&out, "rangeKnown", &JsValue::from_bool(phone.range_known()));
            match phone.range_warning_in(l) {
                Some(warning) => set_static(&out, "rangeWarning", warning),
                None => set(&out, "rangeWarning", &JsValue::NULL),
            }
        }
        Some(Err(e)) => failed(&out, e.code(), e.message_in(l)),
        None => failed(&out, "INVALID_TYPE", phone_not_text(l)),
    }
    out.into()
}

fn failed(out: &Object, code: &'static str, message: &'static str) {
    set(out, "ok", &JsValue::FALSE);
    set_static(out, "code", code);
    set_static(out, "message", message);
}

/// Formats a partly typed phone number for display as the customer types (`0712 345 6`);
/// input that cannot become a Kenyan number is returned unchanged.
#[wasm_bindgen(js_name = formatPhoneAsYouType, unchecked_return_type = "string")]
pub fn format_phone_as_you_type(#[wasm_bindgen(unchecked_param_type = "string")] input: JsValue) -> JsValue {
    match input.as_string() {
        Some(text) => JsValue::from_str(&format_as_you_type(&text)),
        None => JsValue::from_str(""),
    }
}

/// Validates a full PalPluss STK request (with callbackUrl). Never throws.
#[wasm_bindgen(js_name = validateStkRequest, unchecked_return_type = "ValidationResult<StkPushRequest>")]
pub fn validate_stk_request(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
    options: Option<ValidationOptions>,
) -> JsValue {
    validate(&input, &options.map_or(JsValue::UNDEFINED, JsValue::from), Shape::Full)
}

/// Validates the checkout form a browser sends to the proxy (no callbackUrl, channelId or
/// credential_id: those are the server's). Never throws.
#[wasm_bindgen(js_name = validateCheckout, unchecked_return_type = "ValidationResult<CheckoutRequest>")]
pub fn validate_checkout(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
    options: Option<ValidationOptions>,
) -> JsValue {
    validate(&input, &options.map_or(JsValue::UNDEFINED, JsValue::from), Shape::Checkout)
}

/// The fixed limits of the rules.
#[wasm_bindgen(unchecked_return_type = "Limits")]
pub fn limits() -> JsValue {
    let out = Object::new();
    set(&out, "amountMin", &JsValue::from_f64(AMOUNT_MIN as f64));
    set(&out, "amountMaxDefault", &JsValue::from_f64(DEFAULT_AMOUNT_MAX as f64));
    set(&out, "accountReferenceMaxLength", &JsValue::from_f64(ACCOUNT_REFERENCE_MAX_CHARS as f64));
    set(&out, "transactionDescMaxLength", &JsValue::from_f64(TRANSACTION_DESC_MAX_CHARS as f64));
    set(&out, "callbackUrlMaxLength", &JsValue::from_f64(CALLBACK_URL_MAX_CHARS as f64));
    out.into()
}

/// Which request the validators check.
#[derive(Clone, Copy)]
enum Shape {
    Checkout,
    Full,
}

/// One function for both validators, not one generic copy each: the entries are smaller by it.
fn validate(input: &JsValue, options: &JsValue, shape: Shape) -> JsValue {
    let out = Object::new();
    let errors = Array::new();
    let locale = match read_locale(options) {
        Ok(locale) => locale,
        Err(()) => {
            errors.push(&error_object("options.locale", "INVALID_OPTION", LOCALE_OPTION_ERROR));
            return finish(out, errors, None);
        }
    };
    let limits = match read_limits(options) {
        Some(limits) => limits.in_locale(locale),
        None => {
            errors.push(&error_object(
                "options.amountMax",
                "INVALID_OPTION",
                // The options are the developer's: their errors stay in English.
                "amountMax must be a whole number of shillings from 1 to 9007199254740991.",
            ));
            return finish(out, errors, None);
        }
    };
    let Some(raw) = read_request(input) else {
        let e = FieldError::new(Field::Request, ErrorCode::NotAnObject, &limits);
        errors.push(&field_error_object(&e));
        return finish(out, errors, None);
    };
    let checked = match shape {
        Shape::Checkout => CheckoutForm::validate(&raw, &limits).map(|v| checkout_object(&v)),
        Shape::Full => StkPushRequest::validate(&raw, &limits).map(|v| stk_request_object(&v)),
    };
    match checked {
        Ok(value) => finish(out, errors, Some(value)),
        Err(field_errors) => {
            for e in field_errors.as_slice() {
                errors.push(&field_error_object(e));
            }
            finish(out, errors, None)
        }
    }
}

fn finish(out: Object, errors: Array, value: Option<Object>) -> JsValue {
    set(&out, "ok", &JsValue::from_bool(value.is_some()));
    set(&out, "errors", &errors);
    if let Some(value) = value {
        set(&out, "value", &value);
    }
    out.into()
}

/// `undefined`/`null` options or an absent `amountMax` give the defaults; anything else must be a
/// whole number in range, or the options are rejected (a silently ignored limit is a risk).
pub(crate) fn read_limits(options: &JsValue) -> Option<Limits> {
    if options.is_undefined() || options.is_null() {
        return Some(Limits::default());
    }
    if !options.is_object() {
        return None;
    }
    let amount_max = Reflect::get(options, &static_js("amountMax")).ok()?;
    if amount_max.is_undefined() {
        return Some(Limits::default());
    }
    let n = amount_max.as_f64()?;
    if !n.is_finite() || n % 1.0 != 0.0 || n < 1.0 || n > AMOUNT_MAX_LIMIT as f64 {
        return None;
    }
    Limits::with_amount_max(n as u64)
}

/// `options.locale`: absent (or no options) is English; `"en"`, `"sw"` or a tag of either
/// (`"sw-KE"`, as `navigator.language` gives it) picks one; anything else is an error.
pub(crate) fn read_locale(options: &JsValue) -> Result<Locale, ()> {
    if !options.is_object() {
        return Ok(Locale::En);
    }
    let value = Reflect::get(options, &static_js("locale")).map_err(|_| ())?;
    if value.is_undefined() {
        return Ok(Locale::En);
    }
    value.as_string().and_then(|tag| Locale::from_tag(&tag)).ok_or(())
}

/// Reads the seven known fields of a plain object; `None` when the input is not one.
pub(crate) fn read_request(input: &JsValue) -> Option<RawStkRequest> {
    if !input.is_object() || is_array(input).unwrap_or(true) {
        return None;
    }
    let field = |field: Field| match Reflect::get(input, &static_js(field.as_str())) {
        Ok(value) => raw_value(&value),
        // A getter or proxy trap that throws: the value is unusable, not absent.
        Err(_) => RawValue::Other,
    };
    Some(RawStkRequest {
        amount: field(Field::Amount),
        phone: field(Field::Phone),
        account_reference: field(Field::AccountReference),
        transaction_desc: field(Field::TransactionDesc),
        callback_url: field(Field::CallbackUrl),
        channel_id: field(Field::ChannelId),
        credential_id: field(Field::CredentialId),
        intent: field(Field::Intent),
        turnstile_token: field(Field::TurnstileToken),
    })
}

pub(crate) fn raw_value(value: &JsValue) -> RawValue {
    // In the order fields usually are (absent, text, number): each test is a call into JS.
    if value.is_undefined() {
        RawValue::Missing
    } else if let Some(s) = value.as_string() {
        RawValue::String(s)
    } else if let Some(n) = value.as_f64() {
        RawValue::Number(n)
    } else if value.is_null() {
        RawValue::Null
    } else {
        RawValue::Other
    }
}

fn error_object(field: &'static str, code: &'static str, message: &'static str) -> Object {
    let out = Object::new();
    set_static(&out, "field", field);
    set_static(&out, "code", code);
    set_static(&out, "message", message);
    out
}

pub(crate) fn field_error_object(e: &FieldError) -> Object {
    let out = Object::new();
    set_static(&out, "field", e.field().as_str());
    set_static(&out, "code", e.code().as_str());
    // Messages are static texts except the one naming the configured maximum amount.
    match e.static_message() {
        Some(message) => set_static(&out, "message", message),
        None => set(&out, "message", &JsValue::from_str(e.message())),
    }
    out
}

pub(crate) fn checkout_object(form: &CheckoutForm) -> Object {
    let out = Object::new();
    set(&out, "amount", &JsValue::from_f64(form.amount() as f64));
    set(&out, "phone", &JsValue::from_str(form.phone().as_str()));
    set(&out, "accountReference", &JsValue::from_str(form.account_reference()));
    set(&out, "transactionDesc", &JsValue::from_str(form.transaction_desc()));
    for (name, value) in [("intent", form.intent()), ("turnstileToken", form.turnstile_token())] {
        if let Some(value) = value {
            set(&out, name, &JsValue::from_str(value));
        }
    }
    out
}

fn stk_request_object(request: &StkPushRequest) -> Object {
    let out = checkout_object(&request.checkout_form());
    set(&out, "callbackUrl", &JsValue::from_str(request.callback_url()));
    if let Some(id) = request.channel_id() {
        set(&out, "channelId", &JsValue::from_str(id));
    }
    if let Some(id) = request.credential_id() {
        set(&out, "credential_id", &JsValue::from_str(id));
    }
    out
}
