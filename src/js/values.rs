//! Reading JS values defensively and building the answer objects: the helpers every binding
//! shares (the validators, the client and the form helper).

#[allow(unused_imports)]
use crate::prelude::*;
use core::cell::RefCell;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::rules::locale::Locale;
use crate::rules::stk::{
    CheckoutForm, Field, FieldError, Limits, RawStkRequest, RawValue, StkPushRequest, AMOUNT_MAX_LIMIT,
};

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
pub(crate) struct OneThread<T>(pub(crate) T);

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

/// What a `locale` option other than a tag of ours is told (options are the developer's: English).
pub(crate) const LOCALE_OPTION_ERROR: &str = "locale must be \"en\" or \"sw\".";
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

pub(crate) fn error_object(field: &'static str, code: &'static str, message: &'static str) -> Object {
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

pub(crate) fn stk_request_object(request: &StkPushRequest) -> Object {
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
