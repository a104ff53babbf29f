//! The validators' exports (`normalizePhone`, `checkPhone`, `formatPhoneAsYouType`,
//! `validateCheckout`, `validateStkRequest`, `limits`): thin translations to the rules.

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::values::{
    checkout_object, error_object, field_error_object, read_limits, read_locale, read_request, set, set_static,
    stk_request_object, PhoneOptions, ValidationOptions, LOCALE_OPTION_ERROR,
};
use crate::rules::locale::Locale;
use crate::rules::phone::{format_phone_as_you_type as format_as_you_type, PhoneNumber};
use crate::rules::stk::{
    phone_not_text, CheckoutForm, ErrorCode, Field, FieldError, StkPushRequest, ACCOUNT_REFERENCE_MAX_CHARS,
    AMOUNT_MIN, CALLBACK_URL_MAX_CHARS, DEFAULT_AMOUNT_MAX, TRANSACTION_DESC_MAX_CHARS,
};

fn phone_error(code: &'static str, message: &'static str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("PhoneError");
    set_static(&error, "code", code);
    error.into()
}

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
