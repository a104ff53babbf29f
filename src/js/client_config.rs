//! Where and how to reach the proxy ([`ClientConfig`], shared by `StkClient`, `waitForResult` and
//! the form helper) and the typed errors they all throw.

#[allow(unused_imports)]
use crate::prelude::*;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use super::values::{read_limits, read_locale, set, LOCALE_OPTION_ERROR};
use crate::rules::locale::Locale;
use crate::rules::stk::Limits;
use crate::rules::text::join;

/// How long the client waits for the proxy by default: longer than the proxy's own upstream
/// timeout (15 s), so that the proxy's 504 arrives rather than a client-side guess.
pub(crate) const DEFAULT_TIMEOUT_MS: u32 = 20_000;

/// Where and how to reach the proxy; shared by `StkClient` and the form helper.
#[derive(Clone, Debug)]
pub(crate) struct ClientConfig {
    pub(crate) base_url: String,
    pub(crate) timeout_ms: u32,
    pub(crate) limits: Limits,
}

impl ClientConfig {
    /// Reads `{ baseUrl, timeoutMs, amountMax, locale }`; an error names the bad option.
    pub(crate) fn from_options(options: &JsValue) -> Result<ClientConfig, JsValue> {
        if !options.is_object() {
            return Err(option_error("options must be an object with a baseUrl."));
        }
        let get = |key: &str| Reflect::get(options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
        let base_url = get("baseUrl").as_string().ok_or_else(|| option_error("baseUrl must be a string."))?;
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let timeout = get("timeoutMs");
        let timeout_ms = if timeout.is_undefined() {
            DEFAULT_TIMEOUT_MS
        } else {
            match timeout.as_f64() {
                Some(ms) if ms % 1.0 == 0.0 && (1.0..=600_000.0).contains(&ms) => ms as u32,
                _ => return Err(option_error("timeoutMs must be a whole number of milliseconds from 1 to 600000.")),
            }
        };
        let limits =
            read_limits(options).ok_or_else(|| option_error("amountMax must be a whole number, at least 1."))?;
        let locale = read_locale(options).map_err(|()| option_error(LOCALE_OPTION_ERROR))?;
        Ok(ClientConfig { base_url, timeout_ms, limits: limits.in_locale(locale) })
    }

    /// The language of the messages.
    pub(crate) fn locale(&self) -> Locale {
        self.limits.locale()
    }
}

fn option_error(message: &str) -> JsValue {
    let error = js_sys::Error::new(&join(&["StkClient: ", message]));
    error.set_name("TypeError");
    set(&error, "code", &JsValue::from_str("INVALID_OPTION"));
    error.into()
}

/// A JS `Error` named `name` with the client's `kind` and `code`.
pub(crate) fn stk_error(name: &str, kind: &str, code: &str, message: &str) -> js_sys::Error {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    set(&error, "kind", &JsValue::from_str(kind));
    set(&error, "code", &JsValue::from_str(code));
    error
}
