//! The `Payment` Durable Object: one per transaction (named by PalPluss's transaction id). It
//! stores the record, asks PalPluss when a webhook hints or the poll schedule says so, streams the
//! status to browsers, and delivers the merchant's signed events. Every decision it executes comes
//! from `crate::edge` (lifecycle, observe, events); here is only storage, scheduling and I/O.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use ::worker::{
    console_log, durable_object, Delay, DurableObject, Env, Headers, Method, Request, RequestInit, Response,
    ScheduledTime, State,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen::prelude::{wasm_bindgen, JsValue};

use super::env::{config, now_ms};
use super::{budget, deliver, index, upstream};
use crate::edge::events::{Delivery, MerchantEvent};
use crate::edge::index::{delivery_row, payment_row, SqlValue, DELETE_PAYMENT, INSERT_DELIVERY, UPSERT_PAYMENT};
use crate::edge::lifecycle::{expired, next_wake, poll_at, Payment as Record, WebhookDecision, DAY_MS};
use crate::edge::observe::{observation_from, WebhookHint};
use crate::palpluss::{Envelope, TransactionStatus};
use crate::rules::locale::Locale;

const KEY: &str = "p";
/// An SSE stream lasts this long from opening.
const STREAM_FOR_MS: u64 = 300_000;
/// A comment line this often keeps proxies from closing an idle stream.
const KEEP_ALIVE_MS: u64 = 15_000;
/// How often an open stream looks for a change (the status shows within this of a confirmation).
const STREAM_TICK_MS: u64 = 250;

/// What is stored, in one key so that it lands in one write.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    payment: Record,
    /// When PalPluss was last asked (poll or webhook).
    last_poll: Option<u64>,
    /// A confirmation the budget deferred, due then.
    confirm_at: Option<u64>,
    /// Signed events not yet delivered.
    outbox: Vec<Delivery>,
}

#[derive(Default)]
struct Shared {
    stored: RefCell<Option<Stored>>,
    loaded: Cell<bool>,
    /// Bumped at every change a browser should see.
    version: Cell<u64>,
    confirming: Cell<bool>,
    again: Cell<bool>,
    delivering: Cell<bool>,
    /// The row last handed to the payment index: a save that changes none of it writes nothing.
    indexed: RefCell<Option<Vec<SqlValue>>>,
}

/// The Durable Object class (wrangler.toml `class_name = "Payment"`).
#[durable_object(alarm)]
pub struct Payment {
    state: State,
    env: Env,
    shared: Rc<Shared>,
}

impl DurableObject for Payment {
    fn new(state: State, env: Env) -> Self {
        Payment { state, env, shared: Rc::new(Shared::default()) }
    }

    async fn fetch(&self, mut req: Request) -> ::worker::Result<Response> {
        self.load().await;
        let body = req.bytes().await.unwrap_or_default();
        // `/status/sw`: the route, then the customer's language.
        let path = req.path();
        let (route, locale) = match path.rsplit_once('/') {
            Some((route, tag)) if !route.is_empty() => (route, Locale::from_tag(tag).unwrap_or_default()),
            _ => (path.as_str(), Locale::En),
        };
        match route {
            "/init" => {
                let Ok(record) = serde_json::from_slice::<Record>(&body) else {
                    return Response::error("bad record", 400);
                };
                if self.shared.stored.borrow().is_none() {
                    *self.shared.stored.borrow_mut() =
                        Some(Stored { payment: record, last_poll: None, confirm_at: None, outbox: Vec::new() });
                    self.save().await;
                    self.schedule().await;
                }
                Response::ok("stored")
            }
            "/status" => match self.view_for(&body, locale) {
                Some(view) => Response::from_json(&view),
                None => Response::error("not found", 404),
            },
            "/events" => {
                if self.view_for(&body, locale).is_none() {
                    return Response::error("not found", 404);
                }
                let headers = Headers::new();
                headers.set("Content-Type", "text/event-stream; charset=utf-8")?;
                headers.set("Cache-Control", "no-store")?;
                Ok(Response::from_stream(status_stream(self.shared.clone(), now_ms(), locale))?.with_headers(headers))
            }
            "/hint" => {
                let Some(hint) = core::str::from_utf8(&body).ok().and_then(WebhookHint::from_text) else {
                    return Response::error("bad hint", 400);
                };
                let decision = {
                    let mut stored = self.shared.stored.borrow_mut();
                    stored.as_mut().map(|s| {
                        let receipt_before = s.payment.mpesa_receipt.clone();
                        let decision = s.payment.on_webhook(&hint);
                        (decision, receipt_before != s.payment.mpesa_receipt)
                    })
                };
                match decision {
                    // A transaction this Worker did not create: acknowledged, nothing asked.
                    None => Response::ok("unknown"),
                    Some((decision, visible)) => {
                        if visible {
                            self.bump();
                        }
                        self.save().await;
                        if decision == WebhookDecision::Confirm {
                            self.confirm().await;
                            self.deliver().await;
                            self.schedule().await;
                            Response::ok("confirmed")
                        } else {
                            Response::ok("ignored")
                        }
                    }
                }
            }
            "/resend" => {
                // The admin API: the confirmed final status's event, queued again (once) and sent now.
                let now = now_ms();
                let queued = self.shared.stored.borrow_mut().as_mut().map(|s| {
                    let event = s.payment.event_to_resend(now)?;
                    let id = event.id.clone();
                    if !s.outbox.iter().any(|o| o.event.id == id) {
                        s.outbox.push(Delivery::new(event, now));
                    }
                    Some(id)
                });
                match queued {
                    None => Response::error("not found", 404),
                    Some(None) => Response::error("not final", 409),
                    Some(Some(id)) => {
                        self.save().await;
                        self.deliver().await;
                        self.schedule().await;
                        Ok(Response::from_json(&json!({ "eventId": id }))?.with_status(202))
                    }
                }
            }
            _ => Response::error("no such operation", 404),
        }
    }

    async fn alarm(&self) -> ::worker::Result<Response> {
        self.load().await;
        let now = now_ms();
        let retention = config(&self.env).map_or(7 * DAY_MS, |c| c.retention_ms());
        let (expired, poll_due) = match &*self.shared.stored.borrow() {
            None => (true, false),
            Some(s) => (
                expired(s.payment.pushed_at, retention, now),
                poll_at(s.payment.pushed_at, s.last_poll, s.payment.settled()).is_some_and(|at| at <= now)
                    || s.confirm_at.is_some_and(|at| at <= now),
            ),
        };
        if expired {
            // Retention: the record, its token hash and any undelivered event go, and its rows in
            // the payment index.
            let id = self.shared.stored.borrow().as_ref().map(|s| s.payment.transaction_id.clone());
            if let Some(id) = id {
                index::write(
                    &self.env,
                    DELETE_PAYMENT.iter().map(|sql| (*sql, vec![SqlValue::Text(id.clone())])).collect(),
                );
            }
            *self.shared.stored.borrow_mut() = None;
            let _ = self.state.storage().delete_all().await;
            return Response::ok("deleted");
        }
        if poll_due {
            self.confirm().await;
        }
        self.deliver().await;
        self.schedule().await;
        Response::ok("done")
    }
}

impl Payment {
    async fn load(&self) {
        if self.shared.loaded.get() {
            return;
        }
        // Stored as JSON text: one (de)serialiser for everything, not a second one for JS values.
        let text: Option<String> = self.state.storage().get(KEY).await.ok().flatten();
        let stored = text.and_then(|t| serde_json::from_slice::<Stored>(t.as_bytes()).ok());
        // Another request may have loaded (and changed) it meanwhile: memory is the truth then.
        if !self.shared.loaded.get() {
            *self.shared.stored.borrow_mut() = stored;
            self.shared.loaded.set(true);
        }
    }

    async fn save(&self) {
        let snapshot = self.shared.stored.borrow().clone();
        // The payment index follows the record (in the background: never on the customer's path),
        // when what it holds changed (a poll that finds nothing new, a delivery: no write).
        if let (Some(stored), Ok(config)) = (&snapshot, config(&self.env)) {
            let row = payment_row(&stored.payment, config.phone_index_key());
            if self.shared.indexed.borrow().as_ref() != Some(&row) {
                *self.shared.indexed.borrow_mut() = Some(row.clone());
                index::write(&self.env, vec![(UPSERT_PAYMENT, row)]);
            }
        }
        if let Some(text) = snapshot.and_then(|s| serde_json::to_string(&s).ok()) {
            if self.state.storage().put_raw(KEY, JsValue::from_str(&text)).await.is_err() {
                log("error", "payment record could not be stored", None);
            }
        }
    }

    fn bump(&self) {
        self.shared.version.set(self.shared.version.get().wrapping_add(1));
    }

    /// The browser's view when the body's token is the payment's; `None` otherwise (unknown and
    /// wrong look the same).
    fn view_for(&self, body: &[u8], locale: Locale) -> Option<Value> {
        let token = core::str::from_utf8(body).ok()?;
        let stored = self.shared.stored.borrow();
        let payment = &stored.as_ref()?.payment;
        payment.token_matches(token).then(|| payment.public_view(locale))
    }

    /// The next wake-up: the next poll, a deferred confirmation, an event retry, or retention.
    async fn schedule(&self) {
        let retention = config(&self.env).map_or(7 * DAY_MS, |c| c.retention_ms());
        let next = self.shared.stored.borrow().as_ref().map(|s| {
            let events = s.outbox.iter().map(|o| o.next_at).min();
            next_wake(s.payment.pushed_at, s.last_poll, s.payment.settled(), s.confirm_at, events, retention)
        });
        if let Some(Some(at)) = next {
            let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
            if self.state.storage().set_alarm(ScheduledTime::new(date)).await.is_err() {
                log("error", "alarm could not be set", None);
            }
        }
    }

    /// Asks PalPluss (once at a time; a hint that arrives meanwhile asks again after). The caller
    /// delivers any event it created and schedules the next wake-up.
    async fn confirm(&self) {
        if self.shared.confirming.replace(true) {
            self.shared.again.set(true);
            return;
        }
        loop {
            self.shared.again.set(false);
            self.confirm_once().await;
            let settled = self.shared.stored.borrow().as_ref().is_none_or(|s| s.payment.settled());
            if !self.shared.again.get() || settled {
                break;
            }
        }
        self.shared.confirming.set(false);
        self.release_phone().await;
    }

    /// Once the payment is final, its phone is no longer busy because of it (the push still
    /// counts towards the phone's hourly cap), and the phone and the key's health learn whether
    /// it paid.
    async fn release_phone(&self) {
        let release = self.shared.stored.borrow_mut().as_mut().and_then(|s| match s.payment.settled() {
            true => {
                let paid = s.payment.status == TransactionStatus::Success;
                let phone = s.payment.phone_push.take().map(|at| (s.payment.phone.clone(), at));
                let health = s.payment.health_push.take();
                (phone.is_some() || health.is_some()).then_some((phone, health, paid))
            }
            false => None,
        });
        if let Some((phone, health, paid)) = release {
            self.save().await;
            if let Some((phone, at)) = phone {
                super::guard::settle(&self.env, &phone, at, Some(paid)).await;
            }
            if let Some(slot) = health {
                budget::outcome(&self.env, slot, paid).await;
            }
        }
    }

    async fn confirm_once(&self) {
        let Ok(config) = config(&self.env) else { return };
        let Some(id) = self.shared.stored.borrow().as_ref().map(|s| s.payment.transaction_id.clone()) else { return };
        if let Err(wait_ms) = budget::take(&self.env).await {
            let at = now_ms().saturating_add(wait_ms);
            if let Some(s) = self.shared.stored.borrow_mut().as_mut() {
                s.confirm_at = Some(at);
            }
            self.save().await;
            return;
        }
        let headers = upstream::palpluss_headers(&config.authorization(), false);
        let answer =
            upstream::call(Method::Get, &config.transaction_url(&id), headers, None, config.upstream_timeout_ms())
                .await;
        let now = now_ms();
        let observation = match &answer {
            Ok(a) => {
                budget::observe(&self.env, a.ratelimit_remaining, a.reset_seconds(), a.key_rate_limited()).await;
                a.body
                    .as_deref()
                    .filter(|_| (200..300).contains(&a.status))
                    .and_then(|b| serde_json::from_slice::<Envelope<Value>>(b).ok())
                    .and_then(|e| e.into_result().ok())
                    .and_then(|data| observation_from(&data))
            }
            Err(_) => None,
        };
        let merchant = config.merchant_webhook().is_some();
        let changed = {
            let mut stored = self.shared.stored.borrow_mut();
            let Some(s) = stored.as_mut() else { return };
            s.last_poll = Some(now);
            s.confirm_at = None;
            match &observation {
                Some(seen) => {
                    let change = s.payment.confirm(seen, now);
                    if let (Some(kind), true) = (change.event, merchant) {
                        let event = MerchantEvent::new(&s.payment, kind, now);
                        s.outbox.push(Delivery::new(event, now));
                    }
                    change.changed
                }
                None => false,
            }
        };
        if observation.is_none() {
            log("warn", "status check got no usable answer", Some(&id));
        }
        if changed {
            self.bump();
        }
        self.save().await;
    }

    /// Delivers every due event once; failures are rescheduled by the retry schedule.
    async fn deliver(&self) {
        let Ok(config) = config(&self.env) else { return };
        let Some(merchant) = config.merchant_webhook() else { return };
        if self.shared.delivering.replace(true) {
            return;
        }
        let now = now_ms();
        let due: Vec<MerchantEvent> = self
            .shared
            .stored
            .borrow()
            .as_ref()
            .map(|s| s.outbox.iter().filter(|o| o.next_at <= now).map(|o| o.event.clone()).collect())
            .unwrap_or_default();
        for event in due {
            let delivered = deliver::send(merchant, &event).await;
            let mut stored = self.shared.stored.borrow_mut();
            let Some(s) = stored.as_mut() else { break };
            let Some(index) = s.outbox.iter().position(|o| o.event.id == event.id) else { continue };
            let attempt = s.outbox.get(index).map_or(1, |entry| entry.attempts + 1);
            let row =
                delivery_row(&event.id, &s.payment.transaction_id, event.kind.as_str(), attempt, delivered, now_ms());
            super::index::write(&self.env, vec![(INSERT_DELIVERY, row)]);
            if s.outbox.get_mut(index).is_some_and(|entry| entry.attempted(delivered, now_ms())) {
                if !delivered {
                    log("error", "merchant event dropped after its last retry", Some(&event.id));
                }
                s.outbox.remove(index);
            }
            drop(stored);
            match delivered {
                true => log("info", "merchant event delivered", Some(&event.id)),
                false => log("warn", "merchant event not delivered, will retry", Some(&event.id)),
            }
        }
        self.shared.delivering.set(false);
        self.save().await;
    }
}

fn log(level: &str, message: &str, id: Option<&str>) {
    console_log!("{}", json!({ "level": level, "component": "payment", "message": message, "id": id }));
}

/// `event: status` at once and at every change, a comment every 15 s, closed after a final status
/// or 5 minutes from opening.
fn status_stream(
    shared: Rc<Shared>,
    opened_at: u64,
    locale: Locale,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, ::worker::Error>> + 'static {
    struct Progress {
        shared: Rc<Shared>,
        sent: Option<u64>,
        last_write: u64,
        done: bool,
    }
    let start = Progress { shared, sent: None, last_write: opened_at, done: false };
    futures_util::stream::unfold(start, move |mut p| async move {
        if p.done {
            return None;
        }
        loop {
            let now = now_ms();
            let version = p.shared.version.get();
            if p.sent != Some(version) {
                let current = p
                    .shared
                    .stored
                    .borrow()
                    .as_ref()
                    .map(|s| (s.payment.public_view(locale), s.payment.status.is_final()));
                let (view, is_final) = current?;
                p.sent = Some(version);
                p.last_write = now;
                p.done = is_final;
                return Some((Ok(["event: status\ndata: ", &view.to_string(), "\n\n"].concat().into_bytes()), p));
            }
            if now.saturating_sub(opened_at) >= STREAM_FOR_MS {
                return None;
            }
            if now.saturating_sub(p.last_write) >= KEEP_ALIVE_MS {
                p.last_write = now;
                return Some((Ok(b": keep-alive\n\n".to_vec()), p));
            }
            Delay::from(Duration::from_millis(STREAM_TICK_MS)).await;
        }
    })
}

/// Stores a new record in its object (the Worker calls this after PalPluss accepted a push).
pub(crate) async fn init(env: &Env, record: &Record) -> ::worker::Result<()> {
    let (status, _) = call_text(env, &record.transaction_id, "/init", &serde_json::to_string(record)?).await?;
    if status == 200 {
        Ok(())
    } else {
        Err(::worker::Error::RustError("payment record not stored".into()))
    }
}

#[wasm_bindgen(inline_js = r#"
export async function callPayment(env, id, url, body) {
  const payments = env.PAYMENTS;
  const answer = await payments.get(payments.idFromName(id)).fetch(url, { method: "POST", body });
  return answer.status + " " + (await answer.text());
}"#)]
extern "C" {
    /// The object's answer as `"{status} {body}"`: the stub, the request, the call and the body
    /// read in one call across the boundary (with worker's types they are about twenty).
    #[wasm_bindgen(catch, js_name = callPayment)]
    fn call_payment(env: &JsValue, id: &str, url: &str, body: &str) -> Result<js_sys::Promise, JsValue>;
}

/// Sends one operation to a payment's object and reads its whole answer: status and text.
pub(crate) async fn call_text(env: &Env, id: &str, path: &str, body: &str) -> ::worker::Result<(u16, String)> {
    let answer = js_sys::futures::JsFuture::from(call_text_promise(env, id, path, body)?).await?;
    text_answer(answer.as_string()).ok_or_else(|| ::worker::Error::RustError("no answer from the payment".into()))
}

/// `call_text`'s call, a promise of `"{status} {body}"` (the front awaits it in JavaScript).
pub(crate) fn call_text_promise(env: &Env, id: &str, path: &str, body: &str) -> Result<js_sys::Promise, JsValue> {
    call_payment(env.as_ref(), id, &["https://payment", path].concat(), body)
}

/// The status and text of `call_text_promise`'s answer.
pub(crate) fn text_answer(answer: Option<String>) -> Option<(u16, String)> {
    let answer = answer?;
    let (status, text) = answer.split_once(' ')?;
    Some((status.parse().ok()?, text.to_owned()))
}

/// Sends one operation to a payment's object (its answer as a stream: the status events).
pub(crate) async fn call(env: &Env, id: &str, path: &str, body: String) -> ::worker::Result<Response> {
    let stub = env.durable_object("PAYMENTS")?.get_by_name(id)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let request = Request::new_with_init(&["https://payment", path].concat(), &init)?;
    stub.fetch_with_request(request).await
}
