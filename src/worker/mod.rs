//! The Cloudflare Worker (wasm32 with the `worker` feature): routing, CORS and forwarding.
//!
//! Every decision lives in [`crate::proxy`] and [`crate::stk`]; this module only moves bytes
//! between them and the Workers runtime. Routes:
//! - `POST /payments/stk`: validate the checkout, add the server fields, forward to PalPluss;
//! - `OPTIONS` on a route: CORS preflight, for `ALLOWED_ORIGINS` only;
//! - `GET /health`: whether the configuration is complete, never a value.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ::worker::{
    console_log, event, AbortController, ByteStream, Context, Date, Delay, Env, Fetch, Headers, Method, Request,
    RequestInit, Response,
};
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::palpluss::Envelope;
use crate::proxy::{self, codes, mask_phone, Config, ConfigError, MAX_BODY_BYTES};
use crate::stk::{CheckoutForm, ErrorCode, Field, FieldError, RawStkRequest};

/// The most bytes read from a PalPluss answer (its envelopes are a few hundred bytes).
const MAX_UPSTREAM_BYTES: usize = 256 * 1024;

thread_local! {
    /// The configuration, checked once per isolate (an isolate serves one deployment's env).
    static CONFIG: RefCell<Option<Result<Rc<Config>, ConfigError>>> = const { RefCell::new(None) };
}

fn config(env: &Env) -> Result<Rc<Config>, ConfigError> {
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
    /// A successful preflight.
    Preflight,
    /// `/health`.
    Health { status: u16, body: Value },
}

impl Reply {
    fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::Error { status, code: code.to_owned(), message: message.to_owned(), details: None, allow: None }
    }

    fn status(&self) -> u16 {
        match self {
            Reply::Error { status, .. } | Reply::Upstream { status, .. } | Reply::Health { status, .. } => *status,
            Reply::Preflight => 204,
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
async fn fetch(req: Request, env: Env, _ctx: Context) -> ::worker::Result<Response> {
    let started = Date::now().as_millis();
    let request_id = request_id();
    let method = req.method();
    let path = req.path();
    let origin = req.headers().get("Origin").ok().flatten();
    let mut facts = LogFacts::default();
    let config = config(&env);

    let reply = route(req, &env, &config, origin.as_deref(), &mut facts).await;

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
    line.insert("path".into(), json!(truncate(&path, 200)));
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
    config: &Result<Rc<Config>, ConfigError>,
    origin: Option<&str>,
    facts: &mut LogFacts,
) -> Reply {
    let path = req.path();
    match (path.as_str(), req.method()) {
        ("/health", Method::Get | Method::Head) => health(env, config),
        ("/health", Method::Options) | ("/payments/stk", Method::Options) => {
            let Ok(config) = config else { return config_error(config) };
            match origin {
                Some(origin) if config.origin_allowed(origin) => Reply::Preflight,
                _ => Reply::error(403, codes::ORIGIN_NOT_ALLOWED, "This origin may not call the payment proxy."),
            }
        }
        ("/health", _) => method_not_allowed("GET, HEAD, OPTIONS"),
        ("/payments/stk", Method::Post) => {
            let Ok(config) = config else { return config_error(config) };
            if origin.is_some_and(|o| !config.origin_allowed(o)) {
                return Reply::error(403, codes::ORIGIN_NOT_ALLOWED, "This origin may not call the payment proxy.");
            }
            stk_push(req, config, facts).await
        }
        ("/payments/stk", _) => method_not_allowed("POST, OPTIONS"),
        _ => Reply::error(404, codes::NOT_FOUND, "No such route. The payment proxy serves POST /payments/stk."),
    }
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

async fn stk_push(mut req: Request, config: &Config, facts: &mut LogFacts) -> Reply {
    let content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    if !proxy::is_json_content_type(&content_type) {
        return Reply::error(415, codes::UNSUPPORTED_MEDIA_TYPE, "Send the payment details as application/json.");
    }
    let declared = req.headers().get("Content-Length").ok().flatten().and_then(|l| l.trim().parse::<u64>().ok());
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

    let raw = match serde_json::from_slice::<RawStkRequest>(&body) {
        Ok(raw) => raw,
        Err(e) if e.is_data() && serde_json::from_slice::<Value>(&body).is_ok_and(|v| !v.is_object()) => {
            let error = FieldError::new(Field::Request, ErrorCode::NotAnObject, config.limits());
            return validation_failed(vec![error]);
        }
        Err(_) => return Reply::error(400, codes::INVALID_JSON, "The request body is not valid JSON."),
    };
    let form = match CheckoutForm::validate(&raw, config.limits()) {
        Ok(form) => form,
        Err(errors) => return validation_failed(errors.into_vec()),
    };
    facts.phone = Some(form.phone().as_str().to_owned());
    facts.amount = Some(form.amount());

    let started = Date::now().as_millis();
    let reply = forward(config, &config.upstream_body(&form), facts).await;
    facts.upstream_ms = Some(Date::now().as_millis().saturating_sub(started));
    reply
}

fn too_large() -> Reply {
    Reply::error(413, codes::BODY_TOO_LARGE, "The request body is larger than 16 KiB.")
}

fn validation_failed(errors: Vec<FieldError>) -> Reply {
    Reply::Error {
        status: 400,
        code: codes::VALIDATION_FAILED.to_owned(),
        message: "Some payment details need correcting.".to_owned(),
        details: Some(json!({ "fields": errors })),
        allow: None,
    }
}

/// Reads at most `cap` bytes of a body; `Ok(None)` when there are more. A body that was never
/// sent reads as empty.
async fn read_capped(stream: ::worker::Result<ByteStream>, cap: usize) -> ::worker::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let Ok(mut stream) = stream else { return Ok(Some(body)) };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Sends the STK push once (never retried: a retry could charge the customer twice) and passes
/// PalPluss's answer back, within the configured timeout.
async fn forward(config: &Config, body: &str, facts: &mut LogFacts) -> Reply {
    let headers = Headers::new();
    let _ = headers.set("Authorization", &config.authorization());
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set("Accept", "application/json");
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let Ok(request) = Request::new_with_init(&config.stk_url(), &init) else {
        return Reply::error(500, "CONFIG_INVALID_PALPLUSS_BASE_URL", "The proxy is misconfigured.");
    };

    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async {
        let fetch = Fetch::Request(request);
        let mut response = fetch.send_with_signal(&signal).await?;
        let status = response.status_code();
        let retry_after = response.headers().get("Retry-After").ok().flatten();
        let declared =
            response.headers().get("Content-Length").ok().flatten().and_then(|l| l.trim().parse::<usize>().ok());
        let bytes = match declared {
            Some(len) if len <= MAX_UPSTREAM_BYTES => response.bytes().await.map(Some)?,
            _ => read_capped(response.stream(), MAX_UPSTREAM_BYTES).await?,
        };
        Ok::<_, ::worker::Error>((status, retry_after, bytes))
    };
    let deadline = Delay::from(Duration::from_millis(u64::from(config.upstream_timeout_ms())));
    futures_util::pin_mut!(exchange);
    let outcome = match select(exchange, deadline).await {
        Either::Left((outcome, _)) => outcome,
        Either::Right(((), _)) => {
            controller.abort();
            return Reply::error(
                504,
                codes::UPSTREAM_TIMEOUT,
                "PalPluss did not answer in time. The payment may still go through: check your phone before trying again.",
            );
        }
    };
    let (status, retry_after_header, bytes) = match outcome {
        Ok(parts) => parts,
        Err(_) => {
            return Reply::error(
                502,
                codes::UPSTREAM_UNAVAILABLE,
                "PalPluss could not be reached. Please try again shortly.",
            )
        }
    };
    facts.upstream_status = Some(status);
    let Some(bytes) = bytes else {
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
    let retry_after = (status == 429).then(|| proxy::retry_after(retry_after_header.as_deref(), &bytes));
    // Redacted with everything else in `respond`.
    Reply::Upstream { status, body: text.into_owned(), retry_after }
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
        headers.set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")?;
    }
    headers.set("Vary", "Origin")?;
    let status = reply.status();
    let body = match reply {
        Reply::Preflight => {
            headers.set("Access-Control-Allow-Methods", "POST, OPTIONS")?;
            headers.set("Access-Control-Allow-Headers", "Content-Type")?;
            headers.set("Access-Control-Max-Age", "600")?;
            return Ok(Response::empty()?.with_status(204).with_headers(headers));
        }
        Reply::Error { code, message, details, allow, .. } => {
            if let Some(allow) = allow {
                headers.set("Allow", allow)?;
            }
            let envelope = Envelope::error(&code, &message, details, request_id);
            serde_json::to_string(&envelope).unwrap_or_default()
        }
        Reply::Upstream { body, retry_after, .. } => {
            if let Some(seconds) = retry_after {
                headers.set("Retry-After", &seconds)?;
            }
            body
        }
        Reply::Health { body, .. } => body.to_string(),
    };
    headers.set("Content-Type", "application/json; charset=utf-8")?;
    let body = match secrets {
        Some(secrets) => proxy::redact(&body, secrets),
        None => body,
    };
    Ok(Response::from_bytes(body.into_bytes())?.with_status(status).with_headers(headers))
}

fn request_id() -> String {
    let mut bytes = [0u8; 16];
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok();
    let filled = crypto.and_then(|crypto| {
        let array = js_sys::Uint8Array::new_with_length(16);
        let get_random = js_sys::Reflect::get(&crypto, &"getRandomValues".into()).ok()?;
        let get_random: js_sys::Function = wasm_bindgen::JsCast::dyn_into(get_random).ok()?;
        get_random.call1(&crypto, &array).ok()?;
        array.copy_to(&mut bytes);
        Some(())
    });
    if filled.is_none() {
        // Unreachable on Workers (crypto is always there); a time-based id beats no id.
        for (slot, b) in bytes.iter_mut().zip(Date::now().as_millis().to_be_bytes()) {
            *slot = b;
        }
    }
    proxy::uuid_v4(bytes)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
