//! `StkClient`: validates a checkout with the core rules, posts it to the proxy, and turns every
//! outcome into either the pending transaction or one typed error (feature `checkout`).
//!
//! Errors are JS `Error`s with a `kind` (`validation`, `api`, `rate_limit`, `network`, `timeout`),
//! a `code`, and a `message` fit to show the customer; PalPluss's own wording stays in `apiMessage`.

#[allow(unused_imports)]
use crate::prelude::*;
use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::client_config::{stk_error, ClientConfig};
use super::http::{fetch, is_abort, FetchResponse};
use super::values::{checkout_object, field_error_object, read_request, set};
use crate::rules::locale::Locale;
use crate::rules::notice::{prompts_paused, refusal_notice, too_many_attempts, Notice};
use crate::rules::stk::{CheckoutForm, ErrorCode, Field, FieldError, Limits};
use crate::rules::text::{decimal, join};

#[wasm_bindgen]
extern "C" {
    /// `StkClient` options, typed for TypeScript.
    #[wasm_bindgen(typescript_type = "StkClientOptions")]
    pub type StkClientOptions;

    /// `AbortSignal.timeout(ms)`, declared with `catch` for runtimes that lack it.
    #[wasm_bindgen(js_namespace = AbortSignal, js_name = timeout, catch)]
    fn abort_signal_timeout(ms: u32) -> Result<web_sys::AbortSignal, JsValue>;
}

#[wasm_bindgen(typescript_custom_section)]
const CLIENT_TYPES: &'static str = r#"
/** Options of `new StkClient(...)`. */
export interface StkClientOptions {
  /** The proxy's base URL, e.g. "https://pay.shop.example" or "" for the page's own origin. */
  baseUrl: string;
  /** How long to wait for the proxy, in milliseconds (default 20000). */
  timeoutMs?: number;
  /** The largest amount accepted, in whole shillings (default 250000; match the proxy's AMOUNT_MAX). */
  amountMax?: number;
  /** The language of every message, the proxy's and the payment's included (default "en"). */
  locale?: Locale;
}

/** The checkout form: amount as a number or a digit string, phone in any accepted spelling. */
export interface CheckoutInput {
  amount: number | string;
  phone: string;
  accountReference: string;
  transactionDesc: string;
  /** The signed intent your server rendered into the page (a proxy with INTENT_SECRET needs it). */
  intent?: string;
  /** Cloudflare Turnstile's token (a proxy with TURNSTILE_SECRET needs it). */
  turnstileToken?: string;
}

/** PalPluss's pending transaction, as the proxy passes it on. */
export interface PendingTransaction {
  transactionId: string;
  /** `/payments/{id}`: where `waitForResult` follows the payment. */
  statusUrl?: string;
  /** The bearer token for `statusUrl`. */
  statusToken?: string;
  status: "PENDING" | string;
  amount: number;
  phone: string;
  currency?: string;
  accountReference?: string;
  transactionDesc?: string;
  providerCheckoutId?: string | null;
  providerRequestId?: string | null;
  createdAt?: string;
  [key: string]: unknown;
}

interface StkErrorBase extends Error {
  /** A machine code: VALIDATION_FAILED, PalPluss's or the proxy's error code, NETWORK_ERROR, TIMEOUT. */
  code: string;
  /** A message fit to show the customer. */
  message: string;
}
/** The checkout failed validation (in the browser, or at the proxy). No PIN prompt was sent. */
export interface StkValidationError extends StkErrorBase {
  name: "StkValidationError"; kind: "validation"; code: "VALIDATION_FAILED";
  fields: FieldError[]; httpStatus?: number; requestId?: string;
}
/** The proxy or PalPluss refused the payment. */
export interface StkApiError extends StkErrorBase {
  name: "StkApiError"; kind: "api"; code: ProxyErrorCode | (string & {});
  httpStatus: number; apiMessage: string; details?: Record<string, unknown>; requestId?: string;
}
/** Too many attempts: wait `retryAfter` seconds before trying again. */
export interface StkRateLimitError extends StkErrorBase {
  name: "StkRateLimitError"; kind: "rate_limit"; code: ProxyErrorCode | (string & {});
  httpStatus: 429; retryAfter: number; apiMessage: string; details?: Record<string, unknown>; requestId?: string;
}
/** The proxy could not be reached. */
export interface StkNetworkError extends StkErrorBase { name: "StkNetworkError"; kind: "network"; code: "NETWORK_ERROR"; }
/** The proxy did not answer within `timeoutMs`. The push may still arrive: check the phone before retrying. */
export interface StkTimeoutError extends StkErrorBase { name: "StkTimeoutError"; kind: "timeout"; code: "TIMEOUT"; }
/** `waitForResult` stopped because its `signal` fired. */
export interface StkAbortError extends StkErrorBase { name: "StkAbortError"; kind: "abort"; code: "ABORTED"; }
/** Everything `requestPayment` and `waitForResult` can reject with. */
export type StkError = StkValidationError | StkApiError | StkRateLimitError | StkNetworkError | StkTimeoutError | StkAbortError;

/** A payment as the proxy's status routes show it. */
export interface Payment {
  transactionId: string;
  status: "PENDING" | "PROCESSING" | "SUCCESS" | "FAILED" | "CANCELLED" | "EXPIRED" | "REVERSED";
  /** No later status will come (REVERSED may still follow SUCCESS). */
  final: boolean;
  /** The status came from PalPluss's `GET /transactions/{id}`, not just a webhook. */
  confirmed: boolean;
  resultCode: string | null;
  resultDesc: string | null;
  /** What to tell the customer, e.g. "Paid. Thank you!". */
  message: string;
  mpesaReceipt: string | null;
  amount: number;
  /** Masked: `2547******78`. */
  phone: string;
  accountReference: string;
  updatedAt: string;
}

/** Options of `waitForResult`. */
export interface WaitOptions {
  /** Stops waiting (rejects with `StkAbortError`). */
  signal?: AbortSignal;
  /** Called with every status seen on the way, the final one included. */
  onUpdate?: (payment: Payment) => void;
}
"#;

/// A client for the payment proxy.
#[wasm_bindgen]
pub struct StkClient {
    config: ClientConfig,
}

#[wasm_bindgen]
impl StkClient {
    /// `new StkClient({ baseUrl, timeoutMs?, amountMax? })`; throws a `TypeError` (code
    /// `INVALID_OPTION`) for bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: StkClientOptions) -> Result<StkClient, JsValue> {
        Ok(StkClient { config: ClientConfig::from_options(&options)? })
    }

    /// The proxy's base URL, without a trailing slash.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.config.base_url.clone()
    }

    /// The timeout in milliseconds.
    #[wasm_bindgen(getter, js_name = timeoutMs)]
    pub fn timeout_ms(&self) -> u32 {
        self.config.timeout_ms
    }

    /// The largest amount accepted, in whole shillings.
    #[wasm_bindgen(getter, js_name = amountMax)]
    pub fn amount_max(&self) -> f64 {
        self.config.limits.amount_max() as f64
    }

    /// The language of the messages: `"en"` or `"sw"`.
    #[wasm_bindgen(getter, unchecked_return_type = "Locale")]
    pub fn locale(&self) -> String {
        self.config.locale().as_str().to_owned()
    }

    /// Validates the checkout and asks the proxy for an STK push. Resolves to the pending
    /// transaction; rejects with an `StkError`. Nothing is sent when the checkout is invalid.
    #[wasm_bindgen(js_name = requestPayment, unchecked_return_type = "Promise<PendingTransaction>")]
    pub fn request_payment(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CheckoutInput")] form: JsValue,
    ) -> js_sys::Promise {
        let config = self.config.clone();
        future_to_promise(async move {
            let checkout = validate(&form, &config.limits)?;
            submit(&config, &checkout).await
        })
    }

    /// Waits for how the payment ended: follows the proxy's event stream, falls back to polling
    /// every 3 s, and resolves with the final payment (`final: true`). `onUpdate` gets every
    /// status on the way. Rejects with `StkTimeoutError` after 5 minutes, `StkAbortError` when
    /// `signal` fires, `StkApiError` (`PAYMENT_NOT_FOUND`) for a payment the proxy does not know.
    #[wasm_bindgen(js_name = waitForResult, unchecked_return_type = "Promise<Payment>")]
    pub fn wait_for_result(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PendingTransaction")] transaction: JsValue,
        #[wasm_bindgen(unchecked_param_type = "WaitOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let config = self.config.clone();
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let option = |key: &str| Reflect::get(&options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
        let (signal, on_update) = (option("signal"), option("onUpdate"));
        future_to_promise(super::wait::wait_for_result(config, transaction, signal, on_update))
    }
}

/// The core's checkout rules, as an `StkValidationError` when they fail.
fn validate(form: &JsValue, limits: &Limits) -> Result<CheckoutForm, JsValue> {
    let result = match read_request(form) {
        None => Err(vec![FieldError::new(Field::Request, ErrorCode::NotAnObject, limits)]),
        Some(raw) => CheckoutForm::validate(&raw, limits).map_err(|errors| errors.into_vec()),
    };
    result.map_err(|errors| field_errors(&errors, limits.locale()))
}

/// The `StkValidationError` for field errors found in the browser.
pub(crate) fn field_errors(errors: &[FieldError], l: Locale) -> JsValue {
    let fields = Array::new();
    for e in errors {
        fields.push(&field_error_object(e));
    }
    validation_error(&fields, None, None, l)
}

fn validation_error(fields: &Array, status: Option<u16>, request_id: Option<&JsValue>, l: Locale) -> JsValue {
    let error = stk_error("StkValidationError", "validation", "VALIDATION_FAILED", Notice::ValidationFailed.message(l));
    set(&error, "fields", fields);
    if let Some(status) = status {
        set(&error, "httpStatus", &JsValue::from(status));
    }
    if let Some(id) = request_id.filter(|id| id.is_string()) {
        set(&error, "requestId", id);
    }
    error.into()
}

/// Posts the checkout with a fresh `Idempotency-Key` and classifies the answer. A network error
/// (no answer at all, not a timeout) is retried once with the same key: the proxy answers a retry
/// of a push it already sent with the kept answer, so the customer never gets two prompts.
pub(crate) async fn submit(config: &ClientConfig, form: &CheckoutForm) -> Result<JsValue, JsValue> {
    let body = JSON::stringify(&checkout_object(form)).map(String::from).unwrap_or_default();
    let key = idempotency_key();
    let mut retried = false;
    loop {
        match post_once(config, &body, key.as_deref()).await {
            Err(Sent::Network) if key.is_some() && !retried => retried = true,
            Err(Sent::Network) => return Err(failure(false, config.locale())),
            Err(Sent::Timeout) => return Err(failure(true, config.locale())),
            Ok(response) => return classify(response, config.locale()).await,
        }
    }
}

/// Why no answer came.
enum Sent {
    Network,
    Timeout,
}

/// A random `Idempotency-Key` (`crypto.randomUUID()`); `None` where the platform has no crypto.
fn idempotency_key() -> Option<String> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    let random_uuid: js_sys::Function =
        Reflect::get(&crypto, &JsValue::from_str("randomUUID")).ok()?.dyn_into().ok()?;
    random_uuid.call0(&crypto).ok()?.as_string()
}

async fn post_once(config: &ClientConfig, body: &str, key: Option<&str>) -> Result<FetchResponse, Sent> {
    let signal = abort_signal_timeout(config.timeout_ms).ok().map(JsValue::from);
    let url = join(&[config.base_url.as_str(), "/payments/stk"]);
    // The proxy's messages (field errors, refusals) come back in this language.
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
        ("Accept-Language", config.locale().as_str()),
    ];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    let response = fetch("POST", &url, &headers, Some(body), signal.as_ref()).await;
    response.map_err(|e| if is_abort(&e) { Sent::Timeout } else { Sent::Network })
}

/// Reads the proxy's answer: the pending transaction, or one typed error.
async fn classify(response: FetchResponse, l: Locale) -> Result<JsValue, JsValue> {
    let status = response.status();
    let retry_after_header = response.header("Retry-After");
    let text = match response.body_text().await {
        Ok(text) => text,
        // The body stopped coming: the timeout fired, or the network failed.
        Err(e) => return Err(failure(is_abort(&e), l)),
    };
    let json = JSON::parse(&text).unwrap_or(JsValue::UNDEFINED);
    let get = |target: &JsValue, key: &str| Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let data = get(&json, "data");
    if (200..300).contains(&status) && get(&json, "success") == JsValue::TRUE && data.is_object() {
        return Ok(data);
    }
    let error_body = get(&json, "error");
    let code = get(&error_body, "code").as_string().unwrap_or_else(|| join(&["HTTP_", &decimal(status.into())]));
    let api_message = get(&error_body, "message").as_string().unwrap_or_default();
    let details = get(&error_body, "details");
    let request_id = get(&json, "requestId");

    if code == crate::palpluss::codes::VALIDATION_FAILED {
        let fields = get(&details, "fields");
        let fields = fields.dyn_into::<Array>().unwrap_or_default();
        return Err(validation_error(&fields, Some(status), Some(&request_id), l));
    }
    let error = if status == 429 {
        let seconds = retry_after_seconds(retry_after_header.as_deref(), &details);
        // The key's ban is no customer's doing: it says prompts are paused, and for how long.
        let message = match code.as_str() {
            crate::edge::codes::STK_TEMP_BANNED => prompts_paused(seconds, l),
            _ => too_many_attempts(seconds, l),
        };
        let e = stk_error("StkRateLimitError", "rate_limit", &code, &message);
        set(&e, "retryAfter", &JsValue::from_f64(seconds as f64));
        e
    } else {
        stk_error("StkApiError", "api", &code, refusal_notice(status, &code).message(l))
    };
    set(&error, "httpStatus", &JsValue::from(status));
    set(&error, "apiMessage", &JsValue::from_str(&api_message));
    if details.is_object() {
        set(&error, "details", &details);
    }
    if request_id.is_string() {
        set(&error, "requestId", &request_id);
    }
    Err(error.into())
}

/// The error for no answer: `StkTimeoutError` or `StkNetworkError`.
fn failure(timed_out: bool, l: Locale) -> JsValue {
    if timed_out {
        stk_error("StkTimeoutError", "timeout", "TIMEOUT", Notice::ServiceTimeout.message(l)).into()
    } else {
        stk_error("StkNetworkError", "network", "NETWORK_ERROR", Notice::NetworkError.message(l)).into()
    }
}

/// Seconds to wait: the `Retry-After` header (seconds or an HTTP date), else
/// `details.retryAfterSeconds`, else 60.
fn retry_after_seconds(header: Option<&str>, details: &JsValue) -> u64 {
    if let Some(value) = header.map(str::trim) {
        if let Ok(seconds) = value.parse::<u64>() {
            return seconds;
        }
        let at = js_sys::Date::parse(value);
        if at.is_finite() {
            return ceil_seconds((at - js_sys::Date::now()) / 1000.0);
        }
    }
    let from_details = Reflect::get(details, &JsValue::from_str("retryAfterSeconds")).ok().and_then(|v| v.as_f64());
    match from_details {
        Some(s) if s.is_finite() && s >= 0.0 => ceil_seconds(s),
        _ => crate::edge::proxy::DEFAULT_RETRY_AFTER_SECONDS,
    }
}

/// Whole seconds, rounded up; 0 for a time already past (or not a number). `f64::ceil` is std's.
fn ceil_seconds(seconds: f64) -> u64 {
    if seconds.is_nan() || seconds <= 0.0 {
        return 0;
    }
    let whole = seconds as u64; // saturates
    if (whole as f64) < seconds {
        whole.saturating_add(1)
    } else {
        whole
    }
}
