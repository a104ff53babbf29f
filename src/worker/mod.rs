//! The Cloudflare Worker (wasm32 with the `worker` feature): routing, CORS, forwarding and the
//! payment lifecycle's Durable Objects.
//!
//! Every decision lives in [`crate::proxy`], [`crate::stk`] and [`crate::lifecycle`]; this module
//! only moves bytes between them and the Workers runtime. Routes:
//! - `POST /payments/stk`: validate the checkout, add the server fields, forward to PalPluss
//!   within the upstream budget, record the payment, answer with `statusUrl` and `statusToken`;
//! - `GET /payments/{id}` and `GET /payments/{id}/events` (SSE): the payment's status, for the
//!   holder of its token;
//! - `POST /webhooks/palpluss/{WEBHOOK_SECRET}`: PalPluss's webhook, a hint to confirm;
//! - `OPTIONS` on a route: CORS preflight, for `ALLOWED_ORIGINS` only;
//! - `GET /health`: whether the configuration is complete, never a value.

use std::cell::RefCell;
use std::rc::Rc;

use ::worker::{console_log, event, Context, Date, Env, Headers, Method, Request, Response};
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};

use crate::guard::{
    idempotency_key_valid, intent_matches, ip_retry_after, request_fingerprint, turnstile_verdict, verify_intent,
    IntentError, KeptAnswer, PhoneRefusal, TurnstileVerdict,
};
use crate::lifecycle::{status_token, Payment as Record, WebhookHint};
use crate::locale::Locale;
use crate::notice::Notice;
use crate::palpluss::Envelope;
use crate::proxy::{self, codes, mask_phone, Config, ConfigError, Turnstile, MAX_BODY_BYTES};
use crate::stk::{CheckoutForm, ErrorCode, Field, FieldError, RawStkRequest};

mod budget;
mod guard;
mod payment;
mod upstream;

use guard::{Verdict, VerdictKind};
use upstream::{read_capped, Failure};

thread_local! {
    /// The configuration, checked once per isolate (an isolate serves one deployment's env).
    static CONFIG: RefCell<Option<Result<Rc<Config>, ConfigError>>> = const { RefCell::new(None) };
}

/// The current time, unix milliseconds.
pub(crate) fn now_ms() -> u64 {
    Date::now().as_millis()
}

pub(crate) fn config(env: &Env) -> Result<Rc<Config>, ConfigError> {
    CONFIG.with(|cell| {
        cell.borrow_mut().get_or_insert_with(|| Config::from_lookup(|name| lookup(env, name)).map(Rc::new)).clone()
    })
}

fn lookup(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|s| s.to_string()))
}

/// What the proxy answers, before CORS and request-id headers are added.
enum Reply {
    /// An error the proxy makes itself, in PalPluss's envelope.
    Error { status: u16, code: String, message: String, details: Option<Value>, allow: Option<&'static str> },
    /// PalPluss's own answer, passed through (`respond` redacts it like every body).
    Upstream { status: u16, body: String, retry_after: Option<String> },
    /// A successful preflight, with the route's methods.
    Preflight { methods: &'static str },
    /// `/health`.
    Health { status: u16, body: Value },
    /// The proxy's own success, `{ success: true, data, requestId }`.
    Data { status: u16, data: Value },
    /// A streamed answer (SSE) from a payment's object.
    Stream(Response),
    /// An answer kept for an `Idempotency-Key`, given again.
    Replay(KeptAnswer),
}

impl Reply {
    fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::Error { status, code: code.to_owned(), message: message.to_owned(), details: None, allow: None }
    }

    fn status(&self) -> u16 {
        match self {
            Reply::Error { status, .. }
            | Reply::Upstream { status, .. }
            | Reply::Health { status, .. }
            | Reply::Data { status, .. } => *status,
            Reply::Preflight { .. } => 204,
            Reply::Stream(response) => response.status_code(),
            Reply::Replay(answer) => answer.status,
        }
    }
}

/// Facts gathered for the request's one log line.
#[derive(Default)]
struct LogFacts {
    phone: Option<String>,
    amount: Option<u64>,
    upstream_status: Option<u16>,
    upstream_ms: Option<u64>,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> ::worker::Result<Response> {
    let started = Date::now().as_millis();
    let request_id = request_id();
    let method = req.method();
    let path = req.path();
    let origin = req.headers().get("Origin").ok().flatten();
    let mut facts = LogFacts::default();
    let config = config(&env);

    let reply = route(req, &env, &ctx, &config, origin.as_deref(), &request_id, &mut facts).await;

    let secrets = config.as_ref().map(|c| c.secrets()).ok();
    let cors_origin = match (&config, origin.as_deref()) {
        (Ok(config), Some(origin)) if config.origin_allowed(origin) => Some(origin.to_owned()),
        _ => None,
    };
    let status = reply.status();
    let code = match &reply {
        Reply::Error { code, .. } => Some(code.clone()),
        _ => None,
    };
    let response = respond(reply, &request_id, cors_origin.as_deref(), secrets);

    let level = if status >= 500 {
        "error"
    } else if status >= 400 {
        "warn"
    } else {
        "info"
    };
    let mut line = serde_json::Map::new();
    line.insert("level".into(), json!(level));
    line.insert("requestId".into(), json!(request_id));
    line.insert("method".into(), json!(method.to_string()));
    line.insert("path".into(), json!(truncate(proxy::loggable_path(&path), 200)));
    line.insert("status".into(), json!(status));
    line.insert("durationMs".into(), json!(Date::now().as_millis().saturating_sub(started)));
    let optional = [
        ("code", code.map(Value::from)),
        ("phone", facts.phone.map(|p| Value::from(mask_phone(&p)))),
        ("amount", facts.amount.map(Value::from)),
        ("upstreamStatus", facts.upstream_status.map(Value::from)),
        ("upstreamMs", facts.upstream_ms.map(Value::from)),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            line.insert(key.into(), value);
        }
    }
    let line = Value::Object(line);
    let text = line.to_string();
    // The line holds no secret by construction; redacting anyway costs nothing.
    console_log!("{}", secrets.map_or(text.clone(), |s| proxy::redact(&text, s)));
    response
}

async fn route(
    req: Request,
    env: &Env,
    ctx: &Context,
    config: &Result<Rc<Config>, ConfigError>,
    origin: Option<&str>,
    request_id: &str,
    facts: &mut LogFacts,
) -> Reply {
    let path = req.path();
    let method = req.method();
    let route = Route::of(&path);
    if let (Route::NotFound, _) | (Route::Webhook(_), Method::Options) = (&route, &method) {
        return not_found();
    }
    if method == Method::Options {
        let Ok(config) = config else { return config_error(config) };
        return match origin {
            Some(origin) if config.origin_allowed(origin) => Reply::Preflight { methods: route.methods() },
            _ => Reply::error(403, codes::ORIGIN_NOT_ALLOWED, "This origin may not call the payment proxy."),
        };
    }
    if route == Route::Health {
        return match method {
            Method::Get | Method::Head => health(env, config),
            _ => method_not_allowed(route.methods()),
        };
    }
    let Ok(config) = config else { return config_error(config) };
    match (route, method) {
        (Route::Push, Method::Post) => {
            if origin.is_some_and(|o| !config.origin_allowed(o)) {
                return Reply::error(403, codes::ORIGIN_NOT_ALLOWED, "This origin may not call the payment proxy.");
            }
            stk_push(req, env, config, request_id, facts).await
        }
        (Route::Webhook(secret), Method::Post) if config.webhook_secret_matches(secret) => webhook(req, env, ctx).await,
        // Any other secret, or none configured: the route does not exist.
        (Route::Webhook(secret), _) if !config.webhook_secret_matches(secret) => not_found(),
        (Route::Status(id), Method::Get | Method::Head) => status(&req, env, id, false).await,
        (Route::Events(id), Method::Get) => status(&req, env, id, true).await,
        (route, _) => method_not_allowed(route.methods()),
    }
}

/// The routes, by path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Health,
    Push,
    Status(&'a str),
    Events(&'a str),
    Webhook(&'a str),
    NotFound,
}

impl<'a> Route<'a> {
    fn of(path: &'a str) -> Route<'a> {
        if let Some(secret) = path.strip_prefix(proxy::WEBHOOK_PATH_PREFIX) {
            return Route::Webhook(secret);
        }
        match path {
            "/health" => Route::Health,
            "/payments/stk" => Route::Push,
            _ => match path.strip_prefix("/payments/") {
                Some(rest) => match rest.strip_suffix("/events") {
                    Some(id) => Route::Events(id),
                    None if !rest.contains('/') => Route::Status(rest),
                    None => Route::NotFound,
                },
                None => Route::NotFound,
            },
        }
    }

    fn methods(self) -> &'static str {
        match self {
            Route::Health => "GET, HEAD, OPTIONS",
            Route::Push => "POST, OPTIONS",
            Route::Status(_) => "GET, HEAD, OPTIONS",
            Route::Events(_) => "GET, OPTIONS",
            Route::Webhook(_) => "POST",
            Route::NotFound => "",
        }
    }
}

fn not_found() -> Reply {
    Reply::error(404, codes::NOT_FOUND, "No such route. The payment proxy serves POST /payments/stk.")
}

fn payment_not_found() -> Reply {
    Reply::error(404, codes::PAYMENT_NOT_FOUND, "No payment with this id and token.")
}

/// `GET /payments/{id}` and its event stream: the token from `Authorization: Bearer` or `?token=`,
/// the message's language from `?lang=` (an EventSource cannot set headers) or `Accept-Language`.
async fn status(req: &Request, env: &Env, id: &str, stream: bool) -> Reply {
    let bearer = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_owned()));
    let url = req.inner().url();
    let query = proxy::query_param(&url, "token");
    let locale =
        proxy::query_param(&url, "lang").and_then(|tag| Locale::from_tag(&tag)).unwrap_or_else(|| customer_locale(req));
    let Some(token) = bearer.or(query).filter(|t| !t.is_empty() && t.len() <= 256) else { return payment_not_found() };
    if !proxy::is_payment_id(id) {
        return payment_not_found();
    }
    // The token is the whole body (plain text: no JSON wire between the Worker and its objects).
    let body = token;
    let route = [if stream { "/events/" } else { "/status/" }, locale.as_str()].concat();
    let Ok(mut response) = payment::call(env, id, &route, body).await else {
        return Reply::error(503, codes::UPSTREAM_UNAVAILABLE, Notice::StatusUnavailable.message(locale));
    };
    match (response.status_code(), stream) {
        (200, true) => Reply::Stream(response),
        (200, false) => match response.bytes().await.ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok()) {
            Some(data) => Reply::Data { status: 200, data },
            None => payment_not_found(),
        },
        _ => payment_not_found(),
    }
}

/// PalPluss's webhook: answered at once; the payment's object then confirms with PalPluss.
async fn webhook(mut req: Request, env: &Env, ctx: &Context) -> Reply {
    let body = match read_capped(req.stream(), crate::lifecycle::MAX_WEBHOOK_BYTES).await {
        Ok(Some(body)) => body,
        Ok(None) => return Reply::error(400, codes::BODY_TOO_LARGE, "The webhook body is larger than 64 KiB."),
        Err(_) => return Reply::error(400, codes::INVALID_JSON, "The webhook body could not be read."),
    };
    let hint = match WebhookHint::parse(&body) {
        Ok(hint) => hint,
        Err(e) => return Reply::error(400, e.code(), e.message()),
    };
    if proxy::is_payment_id(&hint.transaction_id) {
        let body = hint.to_text();
        let env = env.clone();
        let id = hint.transaction_id;
        ctx.wait_until(async move {
            let _ = payment::call(&env, &id, "/hint", body).await;
        });
    }
    Reply::Data { status: 200, data: json!({ "received": true }) }
}

fn config_error(config: &Result<Rc<Config>, ConfigError>) -> Reply {
    match config {
        Err(e) => Reply::error(500, &e.code(), &e.message()),
        Ok(_) => Reply::error(500, "CONFIG_INVALID", "The proxy is misconfigured."),
    }
}

fn method_not_allowed(allow: &'static str) -> Reply {
    Reply::Error {
        status: 405,
        code: codes::METHOD_NOT_ALLOWED.to_owned(),
        message: ["This route accepts ", allow, "."].concat(),
        details: None,
        allow: Some(allow),
    }
}

fn health(env: &Env, config: &Result<Rc<Config>, ConfigError>) -> Reply {
    let variables: serde_json::Map<String, Value> = Config::presence(|name| lookup(env, name))
        .into_iter()
        .map(|(name, set, required)| {
            let state = match (set, required) {
                (true, _) => "set",
                (false, true) => "missing",
                (false, false) => "default",
            };
            (name.to_owned(), json!(state))
        })
        .collect();
    let body = match config {
        Ok(_) => json!({ "ok": true, "variables": variables }),
        Err(e) => json!({ "ok": false, "variables": variables, "error": { "code": e.code(), "message": e.message() } }),
    };
    Reply::Health { status: if config.is_ok() { 200 } else { 503 }, body }
}

async fn stk_push(mut req: Request, env: &Env, config: &Config, request_id: &str, facts: &mut LogFacts) -> Reply {
    let request_url = req.inner().url();
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let content_type = header("Content-Type").unwrap_or_default();
    if !proxy::is_json_content_type(&content_type) {
        return Reply::error(415, codes::UNSUPPORTED_MEDIA_TYPE, "Send the payment details as application/json.");
    }
    let client_ip = header("CF-Connecting-IP").filter(|ip| ip.len() <= 64);
    let l = customer_locale(&req);
    let key = header("Idempotency-Key");
    let declared = header("Content-Length").and_then(|l| l.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    // A declared length within the limit is read in one go; otherwise the stream is read chunk by
    // chunk and abandoned past the limit (streaming costs more per request: see bench/).
    let body = match declared {
        Some(_) => req.bytes().await.map(Some),
        None => read_capped(req.stream(), MAX_BODY_BYTES).await,
    };
    let body = match body.map(|b| b.filter(|b| b.len() <= MAX_BODY_BYTES)) {
        Ok(Some(body)) => body,
        Ok(None) => return too_large(),
        Err(_) => return Reply::error(400, codes::INVALID_JSON, "The request body could not be read."),
    };
    // `None`: valid JSON that is not an object (a field error, reported at validation).
    let raw = match serde_json::from_slice::<RawStkRequest>(&body) {
        Ok(raw) => Some(raw),
        Err(e) if e.is_data() && serde_json::from_slice::<Value>(&body).is_ok_and(|v| !v.is_object()) => None,
        Err(_) => return Reply::error(400, codes::INVALID_JSON, "The request body is not valid JSON."),
    };

    // The guard, in DESIGN.md's order. 1: per client IP.
    if let Some(reply) = ip_limited(env, client_ip.as_deref(), l).await {
        return reply;
    }
    // 2: the Idempotency-Key, compared on the validated request.
    if key.as_deref().is_some_and(|k| !idempotency_key_valid(k)) {
        return Reply::error(
            400,
            codes::IDEMPOTENCY_KEY_INVALID,
            "Idempotency-Key must be 1 to 255 printable characters without spaces.",
        );
    }
    let form = match raw {
        Some(raw) => config.validate_checkout(&raw, l),
        None => Err(vec![FieldError::new(Field::Request, ErrorCode::NotAnObject, &config.limits().in_locale(l))]),
    };
    let Some(key) = key else {
        return guarded_push(env, config, form, &request_url, client_ip.as_deref(), l, facts).await.0;
    };
    match guard::begin(env, &key, form.as_ref().ok().map(request_fingerprint)).await.map(|v| (v.kind, v.answer)) {
        Ok((VerdictKind::Run, _)) => {}
        Ok((VerdictKind::Replay, Some(answer))) => return Reply::Replay(answer),
        Ok((VerdictKind::Reused, _)) => {
            return Reply::error(
                422,
                codes::IDEMPOTENCY_KEY_REUSED,
                "This Idempotency-Key was already used for a different payment.",
            )
        }
        Ok(_) => {
            return Reply::error(
                409,
                codes::IDEMPOTENCY_KEY_IN_USE,
                "A payment with this Idempotency-Key is still being processed. Try again in a moment.",
            )
        }
        Err(_) => return guard_unavailable(l),
    }
    // The key is taken only by a valid request.
    let taken = form.is_ok();
    let (reply, sent) = guarded_push(env, config, form, &request_url, client_ip.as_deref(), l, facts).await;
    if taken {
        match (sent, kept_answer(&reply, request_id, config.secrets())) {
            (true, Some(answer)) => guard::finish(env, &key, &answer).await,
            _ => guard::release(env, &key).await,
        }
    }
    reply
}

/// Checks 3 to 7 of the guard and sends the push. The flag says whether the push was sent to
/// PalPluss (then the answer is kept for an `Idempotency-Key`).
async fn guarded_push(
    env: &Env,
    config: &Config,
    form: Result<CheckoutForm, Vec<FieldError>>,
    request_url: &str,
    client_ip: Option<&str>,
    l: Locale,
    facts: &mut LogFacts,
) -> (Reply, bool) {
    // 3: the fields.
    let form = match form {
        Ok(form) => form,
        Err(errors) => return (validation_failed(errors, l), false),
    };
    facts.phone = Some(form.phone().as_str().to_owned());
    facts.amount = Some(form.amount());
    let Some(callback_url) = config.callback_url(request_url) else {
        let reply =
            Reply::error(500, "CONFIG_MISSING_CALLBACK_URL", "The proxy is misconfigured. CALLBACK_URL is not set.");
        return (reply, false);
    };
    // 4: the merchant's signed intent.
    if let Some(reply) = intent_refusal(config, &form, l) {
        return (reply, false);
    }
    // 5: Turnstile.
    if let Some(turnstile) = config.turnstile() {
        let verdict = match form.turnstile_token() {
            Some(token) => Some(turnstile_check(turnstile, token, client_ip).await),
            None => None,
        };
        if let Some(reply) = turnstile_refusal(verdict, l) {
            return (reply, false);
        }
    }
    // 6: the phone (its cooldown and hourly cap), counted now so that of simultaneous pushes one goes.
    let phone = form.phone().as_str();
    let slot = match guard::reserve(env, phone, config.phone_cooldown_s(), config.phone_max_per_hour()).await {
        Ok(Verdict { kind: VerdictKind::Reserved, n, .. }) => n,
        other => return (phone_refused(other.ok(), l), false),
    };
    // 7: the upstream budget. Pushes come first in it, but it is never exceeded.
    if let Err(wait_ms) = budget::take(env, true).await {
        guard::unreserve(env, phone, slot).await;
        let seconds = wait_ms.div_ceil(1000).max(1);
        return (refusal_with_wait(429, codes::BUSY, Notice::Busy.message(l), seconds), false);
    }

    let started = Date::now().as_millis();
    let reply = forward(env, config, &config.upstream_body(&form, &callback_url), l, facts).await;
    facts.upstream_ms = Some(Date::now().as_millis().saturating_sub(started));
    let reply = match reply {
        Reply::Upstream { status, body, retry_after } if (200..300).contains(&status) => {
            Reply::Upstream { status, body: record_payment(env, &form, body, slot).await, retry_after }
        }
        // PalPluss refused the push: the phone got no prompt and is not busy (the push still counts).
        Reply::Upstream { status, body, retry_after } => {
            guard::settle(env, phone, slot).await;
            Reply::Upstream { status, body, retry_after }
        }
        // No answer (a timeout): the prompt may be on the phone, which stays busy for the cooldown.
        other => other,
    };
    let sent = reply.status() != 500;
    (reply, sent)
}

/// Step 4 of the guard: `None` when no intent is required or the form matches its intent.
fn intent_refusal(config: &Config, form: &CheckoutForm, l: Locale) -> Option<Reply> {
    let secret = config.intent_secret()?;
    let checked = match form.intent() {
        None => Err(IntentError::Required),
        Some(token) => verify_intent(token, secret, now_ms() / 1000).and_then(|intent| intent_matches(&intent, form)),
    };
    let e = checked.err()?;
    let message = e.message_in(l);
    let details = match &e {
        IntentError::Mismatch(fields) => {
            let fields: Vec<Value> =
                fields.iter().map(|f| json!({ "field": f, "code": e.code(), "message": message })).collect();
            Some(json!({ "fields": fields }))
        }
        _ => None,
    };
    Some(Reply::Error { status: 400, code: e.code().to_owned(), message: message.to_owned(), details, allow: None })
}

/// Step 5 of the guard, from siteverify's verdict (`None`: no token was sent).
fn turnstile_refusal(verdict: Option<TurnstileVerdict>, l: Locale) -> Option<Reply> {
    let (status, code, notice) = match verdict {
        Some(TurnstileVerdict::Pass) => return None,
        None => (400, codes::TURNSTILE_REQUIRED, Notice::TurnstileRequired),
        Some(TurnstileVerdict::Fail) => (403, codes::TURNSTILE_FAILED, Notice::TurnstileFailed),
        Some(TurnstileVerdict::Unavailable) => (503, codes::TURNSTILE_UNAVAILABLE, Notice::TurnstileUnavailable),
    };
    Some(Reply::error(status, code, notice.message(l)))
}

/// The per-IP limit (the Rate Limiting binding `IP_RATE_LIMITER`); `None` to go ahead. Without
/// the binding (a deployment that removed it) there is no per-IP limit.
async fn ip_limited(env: &Env, client_ip: Option<&str>, l: Locale) -> Option<Reply> {
    // Called through js-sys: the binding's typed wrapper converts with serde-wasm-bindgen, which
    // would add kilobytes to the upload for one boolean.
    let limiter = env.rate_limiter(IP_RATE_LIMITER).ok()?;
    let limiter: &JsValue = limiter.as_ref();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"key".into(), &client_ip.unwrap_or("unknown").into()).ok()?;
    let limit: js_sys::Function = js_sys::Reflect::get(limiter, &"limit".into()).ok()?.dyn_into().ok()?;
    let promise: js_sys::Promise = limit.call1(limiter, &options).ok()?.dyn_into().ok()?;
    let outcome = js_sys::futures::JsFuture::from(promise).await.ok()?;
    if js_sys::Reflect::get(&outcome, &"success".into()).ok()?.as_bool() != Some(false) {
        return None;
    }
    let message = Notice::TooManyFromNetwork.message(l);
    Some(refusal_with_wait(429, codes::RATE_LIMITED, message, ip_retry_after(now_ms(), IP_RATE_PERIOD_S)))
}

/// The binding's name in wrangler.toml, and its period (a Rate Limiting binding's window is 10 or 60 s).
const IP_RATE_LIMITER: &str = "IP_RATE_LIMITER";
const IP_RATE_PERIOD_S: u64 = 60;
/// How long siteverify gets to answer.
const TURNSTILE_TIMEOUT_MS: u32 = 10_000;

async fn turnstile_check(turnstile: &Turnstile, token: &str, client_ip: Option<&str>) -> TurnstileVerdict {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
    let body = turnstile.verify_body(token, client_ip);
    match upstream::call(Method::Post, &turnstile.verify_url, headers, Some(body), TURNSTILE_TIMEOUT_MS).await {
        Ok(answer) => answer.body.map_or(TurnstileVerdict::Unavailable, |b| turnstile_verdict(answer.status, &b)),
        Err(_) => TurnstileVerdict::Unavailable,
    }
}

/// Step 6's refusal, from the phone object's verdict (`None`: it could not be asked).
fn phone_refused(verdict: Option<Verdict>, l: Locale) -> Reply {
    let refusal = match verdict {
        Some(Verdict { kind: VerdictKind::Busy, n, .. }) => PhoneRefusal::Busy { retry_after_s: n },
        Some(Verdict { kind: VerdictKind::Limit, n, .. }) => PhoneRefusal::Limit { retry_after_s: n },
        _ => return guard_unavailable(l),
    };
    refusal_with_wait(429, refusal.code(), refusal.message(l), refusal.retry_after_s())
}

/// A refusal that says when to come back (`Retry-After` and `details.retryAfterSeconds`).
fn refusal_with_wait(status: u16, code: &str, message: &str, seconds: u64) -> Reply {
    Reply::Error {
        status,
        code: code.to_owned(),
        message: message.to_owned(),
        details: Some(json!({ "retryAfterSeconds": seconds })),
        allow: None,
    }
}

fn guard_unavailable(l: Locale) -> Reply {
    Reply::error(503, codes::UPSTREAM_UNAVAILABLE, Notice::Unavailable.message(l))
}

/// The customer's language from `Accept-Language` (English unless it prefers Kiswahili).
fn customer_locale(req: &Request) -> Locale {
    req.headers().get("Accept-Language").ok().flatten().map_or(Locale::En, |h| Locale::from_accept_language(&h))
}

/// The status, body and `Retry-After` of an answer (an error, PalPluss's answer or a replay) as
/// it is sent, before redaction; `None` for the other replies. What `respond` sends and what an
/// `Idempotency-Key` keeps are this one rendering.
fn rendered(reply: &Reply, request_id: &str) -> Option<KeptAnswer> {
    let (body, retry_after) = match reply {
        Reply::Upstream { body, retry_after, .. } => (body.clone(), retry_after.clone()),
        // The proxy's own 429s say when to come back, in the header as in the body.
        Reply::Error { code, message, details, .. } => {
            let envelope = Envelope::error(code, message, details.clone(), request_id);
            let retry_after = details
                .as_ref()
                .and_then(|d| d.get("retryAfterSeconds"))
                .and_then(Value::as_u64)
                .map(|s| s.to_string());
            (serde_json::to_string(&envelope).unwrap_or_default(), retry_after)
        }
        Reply::Replay(answer) => return Some(answer.clone()),
        _ => return None,
    };
    Some(KeptAnswer { status: reply.status(), body, retry_after })
}

/// The answer kept for an `Idempotency-Key`, redacted like every body.
fn kept_answer(reply: &Reply, request_id: &str, secrets: &[String]) -> Option<KeptAnswer> {
    let answer = rendered(reply, request_id)?;
    Some(KeptAnswer { body: proxy::redact(&answer.body, secrets), ..answer })
}

/// Records an accepted push in its payment object and adds `statusUrl` and `statusToken` to
/// PalPluss's `data`. When the record cannot be stored, PalPluss's answer goes back unchanged:
/// the push happened, and the customer must hear so.
async fn record_payment(env: &Env, form: &CheckoutForm, body: String, phone_push: u64) -> String {
    let Ok(mut answer) = serde_json::from_slice::<Value>(body.as_bytes()) else { return body };
    let Some(id) = answer.pointer("/data/transactionId").and_then(Value::as_str).map(str::to_owned) else {
        return body;
    };
    let (true, Some(random)) = (proxy::is_payment_id(&id), upstream::random_bytes()) else { return body };
    let token = status_token(random);
    let mut record = Record::new(&id, form.amount(), form.phone().as_str(), form.account_reference(), &token, now_ms());
    record.phone_push = Some(phone_push);
    if payment::init(env, &record).await.is_err() {
        console_log!("{}", json!({ "level": "error", "message": "payment record not stored", "id": id }));
        return body;
    }
    if let Some(data) = answer.get_mut("data").and_then(Value::as_object_mut) {
        data.insert("statusUrl".into(), json!(["/payments/", &id].concat()));
        data.insert("statusToken".into(), json!(token));
    }
    serde_json::to_string(&answer).unwrap_or(body)
}

fn too_large() -> Reply {
    Reply::error(413, codes::BODY_TOO_LARGE, "The request body is larger than 16 KiB.")
}

fn validation_failed(errors: Vec<FieldError>, l: Locale) -> Reply {
    Reply::Error {
        status: 400,
        code: codes::VALIDATION_FAILED.to_owned(),
        message: Notice::ValidationFailed.message(l).to_owned(),
        details: Some(json!({ "fields": errors })),
        allow: None,
    }
}

/// Sends the STK push once (never retried: a retry could charge the customer twice) and passes
/// PalPluss's answer back, within the configured timeout.
async fn forward(env: &Env, config: &Config, body: &str, l: Locale, facts: &mut LogFacts) -> Reply {
    let headers = upstream::palpluss_headers(&config.authorization(), true);
    let answer =
        upstream::call(Method::Post, &config.stk_url(), headers, Some(body.to_owned()), config.upstream_timeout_ms())
            .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(Failure::BadUrl) => {
            return Reply::error(500, "CONFIG_INVALID_PALPLUSS_BASE_URL", "The proxy is misconfigured.")
        }
        Err(Failure::Timeout) => return Reply::error(504, codes::UPSTREAM_TIMEOUT, Notice::UpstreamTimeout.message(l)),
        Err(Failure::Unreachable) => {
            return Reply::error(502, codes::UPSTREAM_UNAVAILABLE, Notice::UpstreamUnreachable.message(l))
        }
    };
    facts.upstream_status = Some(answer.status);
    budget::observe(env, answer.ratelimit_remaining, answer.reset_seconds(), answer.key_rate_limited()).await;
    let Some(bytes) = answer.body else {
        return Reply::error(502, codes::UPSTREAM_UNAVAILABLE, "PalPluss answered with an oversized response.");
    };
    // Only the shape matters here: the body itself is passed on as it came.
    if serde_json::from_slice::<Envelope<serde::de::IgnoredAny>>(&bytes).is_err() {
        return Reply::error(
            502,
            codes::UPSTREAM_UNAVAILABLE,
            "PalPluss answered with something that is not a PalPluss response.",
        );
    }
    let text = String::from_utf8_lossy(&bytes);
    let retry_after = (answer.status == 429).then(|| proxy::retry_after(answer.retry_after.as_deref(), &bytes));
    // Redacted with everything else in `respond`.
    Reply::Upstream { status: answer.status, body: text.into_owned(), retry_after }
}

fn respond(
    reply: Reply,
    request_id: &str,
    cors_origin: Option<&str>,
    secrets: Option<&[String]>,
) -> ::worker::Result<Response> {
    let headers = Headers::new();
    headers.set("X-Request-Id", request_id)?;
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    if let Some(origin) = cors_origin {
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, Idempotent-Replayed")?;
    }
    headers.set("Vary", "Origin, Accept-Language")?;
    let status = reply.status();
    let body = match reply {
        Reply::Preflight { methods } => {
            headers.set("Access-Control-Allow-Methods", methods)?;
            headers.set("Access-Control-Allow-Headers", "Content-Type, Authorization, Idempotency-Key")?;
            headers.set("Access-Control-Max-Age", "600")?;
            return Ok(Response::empty()?.with_status(204).with_headers(headers));
        }
        Reply::Stream(response) => {
            headers.set("Content-Type", "text/event-stream; charset=utf-8")?;
            return Ok(response.with_headers(headers));
        }
        Reply::Data { data, .. } => json!({ "success": true, "data": data, "requestId": request_id }).to_string(),
        Reply::Health { body, .. } => body.to_string(),
        answer => {
            if let Reply::Error { allow: Some(allow), .. } = &answer {
                headers.set("Allow", allow)?;
            }
            if let Reply::Replay(_) = &answer {
                headers.set("Idempotent-Replayed", "true")?;
            }
            // Every remaining reply is an answer (error, PalPluss's, replay): it always renders.
            let (body, retry_after) =
                rendered(&answer, request_id).map(|a| (a.body, a.retry_after)).unwrap_or_default();
            if let Some(seconds) = retry_after {
                headers.set("Retry-After", &seconds)?;
            }
            body
        }
    };
    headers.set("Content-Type", "application/json; charset=utf-8")?;
    let body = match secrets {
        Some(secrets) => proxy::redact(&body, secrets),
        None => body,
    };
    Ok(Response::from_bytes(body.into_bytes())?.with_status(status).with_headers(headers))
}

fn request_id() -> String {
    // Unreachable on Workers (crypto is always there); a time-based id beats no id.
    let bytes = upstream::random_bytes().unwrap_or_else(|| {
        let mut bytes = [0u8; 16];
        for (slot, b) in bytes.iter_mut().zip(Date::now().as_millis().to_be_bytes()) {
            *slot = b;
        }
        bytes
    });
    proxy::uuid_v4(bytes)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
