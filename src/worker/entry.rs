//! The Worker's entry (`#[event(fetch)]`): one request in, the route it is for, one answer and one
//! log line out. The routes themselves are decided in `edge::route`, the refusals in `edge::reply`.

use std::rc::Rc;

use ::worker::{console_log, event, Context, Env, Method, Request, Response};
use serde_json::{json, Value};
use wasm_bindgen::JsCast;

use super::env::{config, customer_locale, lookup, now_ms};
use super::push::{stk_push, LogFacts};
use super::respond::{respond, Reply};
use super::upstream::{self, read_capped};
use super::{budget, payment};
use crate::edge::config::Config;
use crate::edge::observe::{WebhookHint, MAX_WEBHOOK_BYTES};
use crate::edge::proxy::{self, mask_phone};
use crate::edge::reply::{self, Refusal};
use crate::edge::route::{self, is_payment_id, query_param, Route};
use crate::edge::variables::ConfigError;
use crate::rules::locale::Locale;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> ::worker::Result<Response> {
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

    let secrets = config.as_ref().map(|c| c.secrets()).ok();
    let cors_origin = match (&config, origin.as_deref()) {
        (Ok(config), Some(origin)) if config.origin_allowed(origin) => Some(origin.to_owned()),
        _ => None,
    };
    let status = reply.status();
    let code = reply.code().map(str::to_owned);
    // The guard at work, for the admin API: the proxy's own refusals of pushes, by code.
    if let (Some(code), Method::Post) = (&code, &method) {
        if routed == Some("/payments/stk") {
            super::index::count_refusal(&env, &ctx, code, now_ms());
        }
    }
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
    line.insert("path".into(), json!(truncate(&route::loggable_path(&path), 200)));
    line.insert("status".into(), json!(status));
    line.insert("durationMs".into(), json!(now_ms().saturating_sub(started)));
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
    let bearer = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_owned()));
    let url = req.inner().url();
    let query = query_param(&url, "token");
    let locale =
        query_param(&url, "lang").and_then(|tag| Locale::from_tag(&tag)).unwrap_or_else(|| customer_locale(req));
    let Some(token) = bearer.or(query).filter(|t| !t.is_empty() && t.len() <= 256) else {
        return Refusal::payment_not_found().into();
    };
    if !is_payment_id(id) {
        return Refusal::payment_not_found().into();
    }
    // The token is the whole body (plain text: no JSON wire between the Worker and its objects).
    let body = token;
    let route = [if stream { "/events/" } else { "/status/" }, locale.as_str()].concat();
    let Ok(response) = payment::call(env, id, &route, body).await else {
        return Refusal::status_unavailable(locale).into();
    };
    match (response.status_code(), stream) {
        (200, true) => Reply::Stream(response),
        (200, false) => {
            match upstream::response_bytes(&response).await.ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            {
                Some(data) => Reply::Data { status: 200, data },
                None => Refusal::payment_not_found().into(),
            }
        }
        _ => Refusal::payment_not_found().into(),
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
    Reply::Data { status: 200, data: json!({ "received": true }) }
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

fn request_id() -> String {
    // `crypto.randomUUID()`: one call (getRandomValues is four lookups, a buffer and a copy).
    let uuid = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok().and_then(|crypto| {
        let f: js_sys::Function = js_sys::Reflect::get(&crypto, &"randomUUID".into()).ok()?.dyn_into().ok()?;
        f.call0(&crypto).ok()?.as_string()
    });
    if let Some(uuid) = uuid {
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
