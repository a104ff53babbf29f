//! `POST /payments/stk`: the guard's checks in DESIGN.md's order, then the push, sent once, and
//! the payment recorded. Every refusal is decided in `edge::reply`; here are only the calls (the
//! guard's and the budget's objects, Turnstile, PalPluss) that the decisions need.

use ::worker::{console_log, Env, Headers, Method, Request};
use serde_json::{json, Value};
use wasm_bindgen::prelude::{wasm_bindgen, JsValue};

use super::budget::{self, Take};
use super::env::{customer_locale, now_ms};
use super::guard::{self, Verdict, VerdictKind};
use super::payment;
use super::respond::{kept_answer, Reply};
use super::upstream::{self, read_capped, Failure};
use crate::edge::config::{Config, Turnstile};
use crate::edge::guard::{
    idempotency_key_valid, request_fingerprint, turnstile_verdict, PhoneRefusal, TurnstileVerdict,
};
use crate::edge::health::{ban_until, is_ban, refusal_counts};
use crate::edge::lifecycle::{status_token, Payment as Record};
use crate::edge::proxy::{self, MAX_BODY_BYTES};
use crate::edge::reply::{intent_refusal, Refusal};
use crate::edge::request::{body_expected, checkout_json};
use crate::edge::route::is_payment_id;
use crate::palpluss::Envelope;
use crate::rules::locale::Locale;
use crate::rules::stk::{CheckoutForm, ErrorCode, Field, FieldError, RawStkRequest};

/// Facts gathered for the request's one log line.
#[derive(Default)]
pub(crate) struct LogFacts {
    pub(crate) phone: Option<String>,
    pub(crate) amount: Option<u64>,
    pub(crate) upstream_status: Option<u16>,
    pub(crate) upstream_ms: Option<u64>,
}

pub(crate) async fn stk_push(
    mut req: Request,
    env: &Env,
    config: &Config,
    request_id: &str,
    facts: &mut LogFacts,
) -> Reply {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let declared = match body_expected(&header("Content-Type").unwrap_or_default(), header("Content-Length").as_deref())
    {
        Ok(declared) => declared,
        Err(refusal) => return refusal.into(),
    };
    let checkout = Checkout {
        request_url: req.inner().url(),
        client_ip: header("CF-Connecting-IP"),
        l: customer_locale(&req),
        key: header("Idempotency-Key"),
    };
    // A declared length within the limit is read in one go; otherwise the stream is read chunk by
    // chunk and abandoned past the limit (streaming costs more per request: see bench/).
    let body = match declared {
        Some(_) => req.bytes().await.map(Some),
        None => read_capped(req.stream(), MAX_BODY_BYTES).await,
    };
    let raw = match body {
        Ok(body) => checkout_json(body.as_deref()),
        Err(_) => Err(Refusal::body_unreadable()),
    };
    let raw = match raw {
        Ok(raw) => raw,
        Err(refusal) => return refusal.into(),
    };
    // The guard, in DESIGN.md's order. 1: per client IP.
    if ip_limited(env, checkout.client_ip()).await {
        return Refusal::rate_limited(now_ms(), IP_RATE_PERIOD_S, checkout.l).into();
    }
    let form = match checkout.form(config, raw) {
        Ok(form) => form,
        Err(refusal) => return refusal.into(),
    };
    checkout.push(env, config, form, request_id, facts).await
}

/// A checkout once its body is read: what the guard's later steps need from the request.
pub(crate) struct Checkout {
    pub(crate) request_url: String,
    pub(crate) client_ip: Option<String>,
    pub(crate) l: Locale,
    pub(crate) key: Option<String>,
}

/// A checkout's fields as validated (step 3), or what is wrong with them.
pub(crate) type Form = Result<CheckoutForm, Vec<FieldError>>;

impl Checkout {
    /// The per-IP limit's key (an address that is not one is not used as one).
    pub(crate) fn client_ip(&self) -> Option<&str> {
        self.client_ip.as_deref().filter(|ip| ip.len() <= 64)
    }

    /// Steps 2 and 3 as far as they need no call: a malformed `Idempotency-Key` is refused; the
    /// fields are validated, and without a key an invalid checkout is refused here (with one, the
    /// key's object is asked first: it may hold an answer to replay).
    pub(crate) fn form(&self, config: &Config, raw: Option<RawStkRequest>) -> Result<Form, Refusal> {
        // 2: the Idempotency-Key, compared on the validated request.
        if self.key.as_deref().is_some_and(|k| !idempotency_key_valid(k)) {
            return Err(Refusal::idempotency_key_invalid());
        }
        let form = match raw {
            Some(raw) => config.validate_checkout(&raw, self.l),
            None => {
                Err(vec![FieldError::new(Field::Request, ErrorCode::NotAnObject, &config.limits().in_locale(self.l))])
            }
        };
        match (&self.key, form) {
            // 3: the fields.
            (None, Err(errors)) => Err(Refusal::validation_failed(&errors, self.l)),
            (_, form) => Ok(form),
        }
    }

    /// The rest of the guard (the key's object, then steps 3 to 7) and the push.
    pub(crate) async fn push(
        self,
        env: &Env,
        config: &Config,
        form: Form,
        request_id: &str,
        facts: &mut LogFacts,
    ) -> Reply {
        let client_ip = self.client_ip().map(str::to_owned);
        let (request_url, l) = (&self.request_url, self.l);
        let Some(key) = self.key else {
            return guarded_push(env, config, form, request_url, client_ip.as_deref(), l, facts).await.0;
        };
        match guard::begin(env, &key, form.as_ref().ok().map(request_fingerprint)).await.map(|v| (v.kind, v.answer)) {
            Ok((VerdictKind::Run, _)) => {}
            Ok((VerdictKind::Replay, Some(answer))) => return Reply::Replay(answer),
            Ok((VerdictKind::Reused, _)) => return Refusal::idempotency_key_reused().into(),
            Ok(_) => return Refusal::idempotency_key_in_use().into(),
            Err(_) => return Refusal::guard_unavailable(l).into(),
        }
        // The key is taken only by a valid request.
        let taken = form.is_ok();
        let (reply, sent) = guarded_push(env, config, form, request_url, client_ip.as_deref(), l, facts).await;
        if taken {
            match (sent, kept_answer(&reply, request_id, config.secrets())) {
                (true, Some(answer)) => guard::finish(env, &key, &answer).await,
                _ => guard::release(env, &key).await,
            }
        }
        reply
    }
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
        Err(errors) => return (Refusal::validation_failed(&errors, l).into(), false),
    };
    facts.phone = Some(form.phone().as_str().to_owned());
    facts.amount = Some(form.amount());
    let Some(callback_url) = config.callback_url(request_url) else {
        return (Refusal::callback_url_missing().into(), false);
    };
    // 4: the merchant's signed intent.
    if let Some(refusal) = intent_refusal(config, &form, now_ms() / 1000, l) {
        return (refusal.into(), false);
    }
    // 5: Turnstile.
    if let Some(turnstile) = config.turnstile() {
        let verdict = match form.turnstile_token() {
            Some(token) => Some(turnstile_check(turnstile, token, client_ip).await),
            None => None,
        };
        if let Some(refusal) = Refusal::turnstile(verdict, l) {
            return (refusal.into(), false);
        }
    }
    // 6: the phone (its cooldown and hourly cap), counted now so that of simultaneous pushes one goes.
    let phone = form.phone().as_str();
    let (slot, payer) = match guard::reserve(env, phone, config.phone_cooldown_s(), config.phone_max_per_hour()).await {
        Ok(Verdict { kind: VerdictKind::Reserved, n, payer, .. }) => (n, payer),
        other => return (phone_refused(other.ok(), l).into(), false),
    };
    // 7: the key's health (the breaker, the window) and the upstream budget, in the one object
    // every push goes through. Pushes come first in the budget, but it is never exceeded.
    let health_slot = match budget::take_push(env, payer).await {
        Take::Go(health_slot) => health_slot,
        refused => {
            guard::unreserve(env, phone, slot).await;
            let refusal = match refused {
                Take::Refused(refused) => Refusal::key_health(refused, now_ms(), l),
                Take::Wait(wait_ms) | Take::Go(wait_ms) => Refusal::busy(wait_ms, l),
            };
            return (refusal.into(), false);
        }
    };

    let started = now_ms();
    let reply = forward(env, config, &config.upstream_body(&form, &callback_url), l, facts).await;
    facts.upstream_ms = Some(now_ms().saturating_sub(started));
    let reply = match reply {
        Reply::Upstream { status, body, retry_after } if (200..300).contains(&status) => {
            Reply::Upstream { status, body: record_payment(env, &form, body, slot, health_slot).await, retry_after }
        }
        // PalPluss refused the push: the phone got no prompt and is not busy (the push still counts
        // for the phone; for the key's health when the refusal is about the push).
        Reply::Upstream { status, body, retry_after } => {
            guard::settle(env, phone, slot, None).await;
            match refusal_counts(status) {
                true => budget::outcome(env, health_slot, false).await,
                false => budget::release(env, health_slot).await,
            }
            Reply::Upstream { status, body, retry_after }
        }
        // No answer in time: the prompt may be on the phone, which stays busy for the cooldown, and
        // the push stays pending in the key's health until its slot expires.
        other if other.status() == 504 => other,
        other => {
            budget::release(env, health_slot).await;
            other
        }
    };
    let sent = reply.status() != 500;
    (reply, sent)
}

#[wasm_bindgen(inline_js = r#"
export async function ipLimited(env, key) {
  const limiter = env.IP_RATE_LIMITER;
  if (!limiter) return false;
  return (await limiter.limit({ key })).success === false;
}"#)]
extern "C" {
    /// Whether the Rate Limiting binding refuses this key, in one call across the boundary (the
    /// binding's typed wrapper converts with serde-wasm-bindgen, kilobytes for one boolean; through
    /// `Reflect` it is eight calls). `false` without the binding.
    #[wasm_bindgen(catch, js_name = ipLimited)]
    fn ip_limited_js(env: &JsValue, key: &str) -> Result<js_sys::Promise, JsValue>;
}

/// The per-IP limit (the Rate Limiting binding `IP_RATE_LIMITER`): whether it refuses this
/// client. Without the binding (a deployment that removed it) there is no per-IP limit; a limiter
/// that fails does not block payments either.
async fn ip_limited(env: &Env, client_ip: Option<&str>) -> bool {
    let Ok(promise) = ip_limited_call(env, client_ip) else { return false };
    js_sys::futures::JsFuture::from(promise).await.ok().and_then(|v| v.as_bool()).unwrap_or(false)
}

/// The limiter's call for this client (a promise of whether it refuses), for `ip_limited` and
/// the front, which awaits it in JavaScript.
pub(crate) fn ip_limited_call(env: &Env, client_ip: Option<&str>) -> Result<js_sys::Promise, JsValue> {
    ip_limited_js(env.as_ref(), client_ip.unwrap_or("unknown"))
}

/// The binding's period (a Rate Limiting binding's window is 10 or 60 s).
pub(crate) const IP_RATE_PERIOD_S: u64 = 60;
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
fn phone_refused(verdict: Option<Verdict>, l: Locale) -> Refusal {
    match verdict {
        Some(Verdict { kind: VerdictKind::Busy, n, .. }) => Refusal::phone(PhoneRefusal::Busy { retry_after_s: n }, l),
        Some(Verdict { kind: VerdictKind::Limit, n, .. }) => {
            Refusal::phone(PhoneRefusal::Limit { retry_after_s: n }, l)
        }
        _ => Refusal::guard_unavailable(l),
    }
}

/// Records an accepted push in its payment object and adds `statusUrl` and `statusToken` to
/// PalPluss's `data`. When the record cannot be stored, PalPluss's answer goes back unchanged:
/// the push happened, and the customer must hear so.
async fn record_payment(env: &Env, form: &CheckoutForm, body: String, phone_push: u64, health_push: u64) -> String {
    let Ok(mut answer) = serde_json::from_slice::<Value>(body.as_bytes()) else { return body };
    let Some(id) = answer.pointer("/data/transactionId").and_then(Value::as_str).map(str::to_owned) else {
        return body;
    };
    let (true, Some(random)) = (is_payment_id(&id), upstream::random_bytes()) else { return body };
    let token = status_token(random);
    let mut record = Record::new(&id, form.amount(), form.phone().as_str(), form.account_reference(), &token, now_ms());
    record.phone_push = Some(phone_push);
    record.health_push = Some(health_push);
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

/// Sends the STK push once (never retried: a retry could charge the customer twice) and passes
/// PalPluss's answer back, within the configured timeout.
async fn forward(env: &Env, config: &Config, body: &str, l: Locale, facts: &mut LogFacts) -> Reply {
    let headers = upstream::palpluss_headers(&config.authorization(), true);
    let answer =
        upstream::call(Method::Post, &config.stk_url(), headers, Some(body.to_owned()), config.upstream_timeout_ms())
            .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(Failure::BadUrl) => return Refusal::upstream_bad_url().into(),
        Err(Failure::Timeout) => return Refusal::upstream_timeout(l).into(),
        Err(Failure::Unreachable) => return Refusal::upstream_unreachable(l).into(),
    };
    facts.upstream_status = Some(answer.status);
    budget::observe(env, answer.ratelimit_remaining, answer.reset_seconds(), answer.key_rate_limited()).await;
    let Some(bytes) = answer.body else {
        return Refusal::upstream_oversized().into();
    };
    // PalPluss banned the key: the breaker opens, and no push goes until the ban ends.
    if is_ban(answer.status, &bytes) {
        budget::ban(env, ban_until(&bytes, answer.retry_after.as_deref(), now_ms())).await;
    }
    // Only the shape matters here: the body itself is passed on as it came.
    if serde_json::from_slice::<Envelope<serde::de::IgnoredAny>>(&bytes).is_err() {
        return Refusal::upstream_not_palpluss().into();
    }
    let text = String::from_utf8_lossy(&bytes);
    let retry_after = (answer.status == 429).then(|| proxy::retry_after(answer.retry_after.as_deref(), &bytes));
    // Redacted with everything else in `respond`.
    Reply::Upstream { status: answer.status, body: text.into_owned(), retry_after }
}
