//! The Worker's entry (`#[event(fetch)]`): one request in, the route it is for, one answer and one
//! log line out. The routes themselves are decided in `edge::route`, the refusals in `edge::reply`.

use std::rc::Rc;

use ::worker::{event, web_sys, Context, Env, Method, Request};
use serde::de::IgnoredAny;
use serde::Serialize;
use serde_json::json;
use wasm_bindgen::prelude::{wasm_bindgen, JsValue};

use super::env::{config, lookup, now_ms};
use super::push::{stk_push, LogFacts};
use super::respond::{respond, Reply};
use super::upstream::{self, read_capped};
use super::{budget, payment};
use crate::edge::config::Config;
use crate::edge::observe::{WebhookHint, MAX_WEBHOOK_BYTES};
use crate::edge::proxy::{self, mask_phone};
use crate::edge::reply::{self, Refusal};
use crate::edge::request::StatusQuery;
use crate::edge::route::{self, is_payment_id, Route};
use crate::edge::variables::ConfigError;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> ::worker::Result<web_sys::Response> {
    let started = now_ms();
    let request_id = request_id();
    let method = req.method();
    let path = req.path();
    let origin = req.headers().get("Origin").ok().flatten();
    let mut facts = LogFacts::default();
    let config = config(&env);
    // Under BASE_PATH (a broken configuration still answers /health there, with what is wrong).
    let unchecked_base;
    let base = match &config {
        Ok(config) => config.base_path(),
        Err(_) => {
            unchecked_base = lookup(&env, "BASE_PATH").and_then(|b| route::base_path(&b)).unwrap_or_default();
            unchecked_base.as_str()
        }
    };

    let routed = route::under_base_path(&path, base);
    let reply = match routed {
        Some(routed) => route(req, routed, &env, &ctx, &config, origin.as_deref(), &request_id, &mut facts).await,
        None => Refusal::not_found().into(),
    };

    let served = Served {
        started,
        request_id: &request_id,
        method: &method,
        path: &path,
        config: &config,
        origin: origin.as_deref(),
        push_route: routed == Some("/payments/stk"),
        facts: &facts,
    };
    finish(&env, &ctx, reply, &served)
}

/// What the answer and the log line need to know of a request once it is served.
pub(crate) struct Served<'a> {
    pub(crate) started: u64,
    pub(crate) request_id: &'a str,
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) config: &'a Result<Rc<Config>, ConfigError>,
    pub(crate) origin: Option<&'a str>,
    /// The request was for `/payments/stk` (under the base path).
    pub(crate) push_route: bool,
    pub(crate) facts: &'a LogFacts,
}

/// The answer as sent (CORS, request id, redaction) and the request's one log line; a refusal of
/// a push is counted for the admin API.
pub(crate) fn finish(env: &Env, ctx: &Context, reply: Reply, served: &Served) -> ::worker::Result<web_sys::Response> {
    let config = served.config;
    let secrets = config.as_ref().map(|c| c.secrets()).ok();
    let cors_origin = match (config, served.origin) {
        (Ok(config), Some(origin)) if config.origin_allowed(origin) => Some(origin),
        _ => None,
    };
    let status = reply.status();
    let code = reply.code().map(str::to_owned);
    // The guard at work, for the admin API: the proxy's own refusals of pushes, by code.
    if let (Some(code), Method::Post, true) = (&code, served.method, served.push_route) {
        super::index::count_refusal(env, ctx, code, now_ms());
    }
    let response = respond(reply, served.request_id, cors_origin, secrets);

    let level = if status >= 500 {
        "error"
    } else if status >= 400 {
        "warn"
    } else {
        "info"
    };
    let facts = served.facts;
    let phone = facts.phone.as_deref().map(mask_phone);
    let line = LogLine {
        level,
        request_id: served.request_id,
        method: served.method.as_ref(),
        path: &truncate(&route::loggable_path(served.path), 200),
        status,
        duration_ms: now_ms().saturating_sub(served.started),
        code: code.as_deref(),
        phone: phone.as_deref(),
        amount: facts.amount,
        upstream_status: facts.upstream_status,
        upstream_ms: facts.upstream_ms,
    };
    let text = serde_json::to_string(&line).unwrap_or_default();
    // The line holds no secret by construction; redacting anyway costs nothing.
    log(&match secrets {
        Some(secrets) => proxy::redact(&text, secrets),
        None => text,
    });
    response
}

/// The request's one log line (Workers Logs index its fields).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogLine<'a> {
    level: &'static str,
    request_id: &'a str,
    method: &'a str,
    path: &'a str,
    status: u16,
    duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_ms: Option<u64>,
}

#[allow(clippy::too_many_arguments)]
async fn route(
    req: Request,
    path: &str,
    env: &Env,
    ctx: &Context,
    config: &Result<Rc<Config>, ConfigError>,
    origin: Option<&str>,
    request_id: &str,
    facts: &mut LogFacts,
) -> Reply {
    let method = req.method();
    let route = Route::of(path);
    if let (Route::NotFound, _) | (Route::Webhook(_) | Route::Admin(_), Method::Options) = (&route, &method) {
        return Refusal::not_found().into();
    }
    if method == Method::Options {
        let config = match config {
            Ok(config) => config,
            Err(e) => return Refusal::misconfigured(e).into(),
        };
        return match origin {
            Some(origin) if config.origin_allowed(origin) => Reply::Preflight { methods: route.methods() },
            _ => Refusal::origin_not_allowed().into(),
        };
    }
    if route == Route::Health {
        return match method {
            Method::Get | Method::Head => health(env, config).await,
            _ => Refusal::method_not_allowed(route.methods()).into(),
        };
    }
    let config = match config {
        Ok(config) => config,
        Err(e) => return Refusal::misconfigured(e).into(),
    };
    match (route, method) {
        (Route::Admin(rest), _) => super::admin::admin(&req, rest, env, config).await,
        (Route::Push, Method::Post) => {
            if origin.is_some_and(|o| !config.origin_allowed(o)) {
                return Refusal::origin_not_allowed().into();
            }
            stk_push(req, env, config, request_id, facts).await
        }
        (Route::Webhook(secret), Method::Post) if config.webhook_secret_matches(secret) => webhook(req, env, ctx).await,
        // Any other secret, or none configured: the route does not exist.
        (Route::Webhook(secret), _) if !config.webhook_secret_matches(secret) => Refusal::not_found().into(),
        (Route::Status(id), Method::Get | Method::Head) => status(&req, env, id, false).await,
        (Route::Events(id), Method::Get) => status(&req, env, id, true).await,
        (route, _) => Refusal::method_not_allowed(route.methods()).into(),
    }
}

/// `GET /payments/{id}` and its event stream: the token from `Authorization: Bearer` or `?token=`,
/// the message's language from `?lang=` (an EventSource cannot set headers) or `Accept-Language`.
async fn status(req: &Request, env: &Env, id: &str, stream: bool) -> Reply {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (authorization, accept_language) = (header("Authorization"), header("Accept-Language"));
    let read =
        match StatusQuery::of(id, stream, authorization.as_deref(), &req.inner().url(), accept_language.as_deref()) {
            Ok(read) => read,
            Err(refusal) => return refusal.into(),
        };
    if stream {
        return match payment::call(env, id, &read.route, read.token).await {
            Ok(response) if response.status_code() == 200 => Reply::Stream(response),
            Ok(_) => Refusal::payment_not_found().into(),
            Err(_) => Refusal::status_unavailable(read.locale).into(),
        };
    }
    let answer = payment::call_text(env, id, &read.route, &read.token).await.ok();
    status_reply(&read, answer)
}

/// The answer to a status read from its object's (`None`: the object could not be asked).
pub(crate) fn status_reply(read: &StatusQuery, answer: Option<(u16, String)>) -> Reply {
    match answer {
        // The object's view is JSON it wrote itself; checked, then passed on without a re-encoding.
        Some((200, view)) if serde_json::from_str::<IgnoredAny>(&view).is_ok() => {
            Reply::Data { status: 200, data: view }
        }
        Some(_) => Refusal::payment_not_found().into(),
        None => Refusal::status_unavailable(read.locale).into(),
    }
}

/// PalPluss's webhook: answered at once; the payment's object then confirms with PalPluss.
async fn webhook(mut req: Request, env: &Env, ctx: &Context) -> Reply {
    let body = match read_capped(req.stream(), MAX_WEBHOOK_BYTES).await {
        Ok(Some(body)) => body,
        Ok(None) => return Refusal::webhook_too_large().into(),
        Err(_) => return Refusal::webhook_unreadable().into(),
    };
    let hint = match WebhookHint::parse(&body) {
        Ok(hint) => hint,
        Err(e) => return Refusal::webhook(e).into(),
    };
    if is_payment_id(&hint.transaction_id) {
        let body = hint.to_text();
        let env = env.clone();
        let id = hint.transaction_id;
        ctx.wait_until(async move {
            let _ = payment::call(&env, &id, "/hint", body).await;
        });
    }
    Reply::Data { status: 200, data: json!({ "received": true }).to_string() }
}

/// `GET /health`: the configuration, and the key's state from the `Budget` object.
async fn health(env: &Env, config: &Result<Rc<Config>, ConfigError>) -> Reply {
    let (status, mut body) = reply::health(|name| lookup(env, name), config.as_deref());
    if config.is_ok() {
        // A key whose object cannot be asked has an unknown state, said as such.
        let key = budget::state(env).await.unwrap_or_else(|| json!({ "state": "unknown" }));
        if let Some(object) = body.as_object_mut() {
            object.insert("key".into(), key);
        }
    }
    Reply::Health { status, body }
}

#[wasm_bindgen]
extern "C" {
    /// `console.log` with one string (worker's `console_log!` formats into a new `String` first).
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub(crate) fn log(line: &str);
    /// `crypto.randomUUID()`, called directly (through `Reflect` it is four calls).
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID, catch)]
    fn random_uuid() -> Result<String, JsValue>;
}

pub(crate) fn request_id() -> String {
    if let Ok(uuid) = random_uuid() {
        return uuid;
    }
    // Unreachable on Workers (crypto is always there); a time-based id beats no id.
    let bytes = upstream::random_bytes().unwrap_or_else(|| {
        let mut bytes = [0u8; 16];
        for (slot, b) in bytes.iter_mut().zip(now_ms().to_be_bytes()) {
            *slot = b;
        }
        bytes
    });
    crate::edge::encoding::uuid_v4(bytes)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
