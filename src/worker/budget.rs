//! The `Budget` Durable Object: one per deployment (named "global"), the only place that counts
//! calls made with the key, and the key's health: PalPluss's ban (the breaker), the outcomes of
//! recent pushes, and the `key.*` events for the merchant. It stores [`UpstreamBudget`] and
//! [`KeyHealth`] and executes their decisions; the decisions themselves are pure
//! (`crate::edge::budget`, `crate::edge::health`).

use std::cell::{Cell, RefCell};

use ::worker::{
    console_log, durable_object, DurableObject, Env, Method, Request, RequestInit, Response, ScheduledTime, State,
};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;

use super::deliver;
use super::env::{config, now_ms};
use crate::edge::budget::{CallKind, UpstreamBudget};
use crate::edge::events::Delivery;
use crate::edge::health::{key_event, HealthSettings, KeyHealth, Payer, Refused};
use crate::edge::route::query_param;

const KEY: &str = "budget";
const HEALTH: &str = "health";
const OUTBOX: &str = "outbox";

/// The key's health and the key events not yet delivered.
#[derive(Default)]
struct Health {
    key: KeyHealth,
    outbox: Vec<Delivery>,
}

/// The Durable Object class (wrangler.toml `class_name = "Budget"`).
#[durable_object(alarm)]
pub struct Budget {
    state: State,
    env: Env,
    budget: RefCell<Option<UpstreamBudget>>,
    health: RefCell<Health>,
    loaded: Cell<bool>,
    delivering: Cell<bool>,
}

impl DurableObject for Budget {
    fn new(state: State, env: Env) -> Self {
        Budget {
            state,
            env,
            budget: RefCell::new(None),
            health: RefCell::new(Health::default()),
            loaded: Cell::new(false),
            delivering: Cell::new(false),
        }
    }

    async fn fetch(&self, req: Request) -> ::worker::Result<Response> {
        self.load().await;
        let (limit, settings) = self.settings();
        let now = now_ms();
        // The wire is plain: the operation in the path, numbers in the query, the verdict in the body.
        let url = req.inner().url();
        let number = |name: &str| query_param(&url, name).and_then(|n| n.parse::<u64>().ok());
        let time = |name: &str| number(name).filter(|&n| n > 0);
        // Decided and changed in memory with no await in between: the next request sees it.
        let (verdict, health_changed) = match req.path().as_str() {
            "/take" if number("push") == Some(1) => {
                let payer = Payer { paid_at: time("paid"), failed_at: time("failed") };
                let first = self.health.borrow().key.first_in_line(now, payer, &settings);
                let kind = if first { CallKind::Push } else { CallKind::NewPush };
                let admitted = self.health.borrow_mut().key.admit(now, payer, &settings);
                match admitted {
                    Err(Refused::Banned { until }) => (["banned ", &until.to_string()].concat(), false),
                    Err(Refused::Busy { retry_after_s }) => (["busy ", &retry_after_s.to_string()].concat(), false),
                    Err(Refused::PhoneFailed { retry_after_s }) => {
                        (["phone ", &retry_after_s.to_string()].concat(), false)
                    }
                    Ok(slot) => match self.take(kind, limit, now) {
                        Ok(()) => (["ok ", &slot.to_string()].concat(), true),
                        Err(wait_ms) => {
                            self.health.borrow_mut().key.release(slot);
                            (["wait ", &wait_ms.to_string()].concat(), false)
                        }
                    },
                }
            }
            "/take" => match self.take(CallKind::StatusCheck, limit, now) {
                Ok(()) => ("ok 0".to_owned(), false),
                Err(wait_ms) => (["wait ", &wait_ms.to_string()].concat(), false),
            },
            "/observe" => {
                if let Some(budget) = self.budget.borrow_mut().as_mut() {
                    budget.observe(number("remaining"), number("reset"), number("limited") == Some(1), now);
                }
                ("ok 0".to_owned(), false)
            }
            "/outcome" => {
                self.health.borrow_mut().key.outcome(time("slot"), number("paid") == Some(1), now, &settings);
                ("ok 0".to_owned(), true)
            }
            "/release" => {
                self.health.borrow_mut().key.release(number("slot").unwrap_or(0));
                ("ok 0".to_owned(), true)
            }
            "/ban" => {
                self.health.borrow_mut().key.ban(number("until").unwrap_or(0));
                ("ok 0".to_owned(), true)
            }
            "/state" => return Response::from_json(&self.health.borrow().key.view(now, &settings)),
            // The admin API's view: the key's state and the calls made with it in the last 60 s.
            "/usage" => {
                let mut view = self.health.borrow().key.view(now, &settings);
                let calls = self.budget.borrow().as_ref().map_or(0, |b| b.in_window(now));
                if let Some(object) = view.as_object_mut() {
                    object.insert("callsLastMinute".into(), serde_json::json!(calls));
                    object.insert("callsPerMinute".into(), serde_json::json!(limit));
                }
                return Response::from_json(&view);
            }
            _ => return Response::error("no such operation", 404),
        };
        if health_changed {
            self.tell(now, &settings);
        }
        self.save(health_changed).await;
        Response::ok(verdict)
    }

    async fn alarm(&self) -> ::worker::Result<Response> {
        self.load().await;
        let (_, settings) = self.settings();
        self.tell(now_ms(), &settings);
        self.deliver().await;
        self.save(true).await;
        Response::ok("done")
    }
}

impl Budget {
    fn settings(&self) -> (u32, HealthSettings) {
        match config(&self.env) {
            Ok(c) => (c.upstream_rate_per_minute(), *c.health()),
            Err(_) => (crate::edge::variables::DEFAULT_UPSTREAM_RATE_PER_MINUTE, HealthSettings::default()),
        }
    }

    fn take(&self, kind: CallKind, limit: u32, now: u64) -> Result<(), u64> {
        self.budget.borrow_mut().as_mut().map_or(Ok(()), |b| b.take(kind, limit, now))
    }

    async fn load(&self) {
        if self.loaded.get() {
            return;
        }
        let storage = self.state.storage();
        let budget: Option<String> = storage.get(KEY).await.ok().flatten();
        let health: Option<String> = storage.get(HEALTH).await.ok().flatten();
        let outbox: Option<String> = storage.get(OUTBOX).await.ok().flatten();
        // Another request may have loaded (and changed) it meanwhile: memory is the truth then.
        if !self.loaded.replace(true) {
            *self.budget.borrow_mut() = Some(budget.and_then(|t| UpstreamBudget::from_text(&t)).unwrap_or_default());
            *self.health.borrow_mut() = Health {
                key: health.and_then(|t| KeyHealth::from_text(&t)).unwrap_or_default(),
                // As bytes, like every JSON the Worker reads: one reader in the upload, not two.
                outbox: outbox.and_then(|t| serde_json::from_slice(t.as_bytes()).ok()).unwrap_or_default(),
            };
        }
    }

    /// The in-memory state is the truth; storage keeps it across evictions (the ban survives a
    /// restart). The health part is written only when it changed.
    async fn save(&self, health: bool) {
        let storage = self.state.storage();
        let snapshot = self.budget.borrow().as_ref().map(UpstreamBudget::to_text);
        if let Some(text) = snapshot {
            let _ = storage.put_raw(KEY, JsValue::from_str(&text)).await;
        }
        if health {
            let (key, outbox) = {
                let health = self.health.borrow();
                (health.key.to_text(), serde_json::to_string(&health.outbox).unwrap_or_default())
            };
            // Written together: a change of state and the event that tells it land as one.
            let entries = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&entries, &HEALTH.into(), &key.into());
            let _ = js_sys::Reflect::set(&entries, &OUTBOX.into(), &outbox.into());
            let _ = storage.put_multiple_raw(entries).await;
            self.schedule().await;
        }
    }

    /// A change of state since the merchant last heard becomes one `key.*` event (and a log line);
    /// the alarm delivers it.
    fn tell(&self, now: u64, settings: &HealthSettings) {
        let merchant = config(&self.env).is_ok_and(|c| c.merchant_webhook().is_some());
        let mut health = self.health.borrow_mut();
        let Some(state) = health.key.transition(now, settings) else { return };
        let view = health.key.view(now, settings);
        console_log!(
            "{}",
            json!({ "level": "warn", "component": "budget", "message": "key state changed", "key": view })
        );
        if merchant {
            health.outbox.push(Delivery::new(key_event(state, view, now), now));
        }
    }

    /// Wakes up for the next event delivery or the next change of state with time alone.
    async fn schedule(&self) {
        let (_, settings) = self.settings();
        let now = now_ms();
        let next = {
            let health = self.health.borrow();
            let delivery = health.outbox.iter().map(|d| d.next_at).min();
            [delivery, health.key.next_change(now, &settings)].into_iter().flatten().min()
        };
        if let Some(at) = next {
            let date = js_sys::Date::new(&JsValue::from_f64(at.max(now + 1) as f64));
            let _ = self.state.storage().set_alarm(ScheduledTime::new(date)).await;
        }
    }

    /// Delivers every due key event once; failures are rescheduled by the retry schedule.
    async fn deliver(&self) {
        let Ok(config) = config(&self.env) else { return };
        let Some(merchant) = config.merchant_webhook() else { return };
        if self.delivering.replace(true) {
            return;
        }
        let now = now_ms();
        let due: Vec<Delivery> = self.health.borrow().outbox.iter().filter(|d| d.next_at <= now).cloned().collect();
        for delivery in due {
            let delivered = deliver::send(merchant, &delivery.event).await;
            let mut health = self.health.borrow_mut();
            let Some(index) = health.outbox.iter().position(|d| d.event.id == delivery.event.id) else { continue };
            let over = health.outbox.get_mut(index).is_none_or(|d| d.attempted(delivered, now_ms()));
            if over {
                health.outbox.remove(index);
            }
            let level = if delivered { "info" } else { "warn" };
            console_log!(
                "{}",
                json!({ "level": level, "component": "budget", "event": delivery.event.id, "delivered": delivered })
            );
        }
        self.delivering.set(false);
    }
}

/// The budget's answer to a push: go (with the push's slot in the key's health) or why not.
pub(crate) enum Take {
    /// Go ahead; the slot names the push for its outcome.
    Go(u64),
    /// The upstream budget has no call left for this long (ms).
    Wait(u64),
    /// The key's health refuses the push.
    Refused(Refused),
}

/// Asks the budget for one push, with what the phone's object knows of the payer. A budget that
/// cannot be reached says wait a second: never more calls than allowed.
pub(crate) async fn take_push(env: &Env, payer: Payer) -> Take {
    let op = [
        "/take?push=1&paid=",
        &payer.paid_at.unwrap_or(0).to_string(),
        "&failed=",
        &payer.failed_at.unwrap_or(0).to_string(),
    ]
    .concat();
    let Ok(verdict) = ask(env, &op).await else { return Take::Wait(1_000) };
    let (kind, n) = verdict.split_once(' ').unwrap_or((&verdict, "0"));
    let n = n.parse::<u64>().unwrap_or(0);
    match kind {
        "ok" => Take::Go(n),
        "banned" => Take::Refused(Refused::Banned { until: n }),
        "busy" => Take::Refused(Refused::Busy { retry_after_s: n }),
        "phone" => Take::Refused(Refused::PhoneFailed { retry_after_s: n }),
        _ => Take::Wait(n.max(1)),
    }
}

/// Asks the budget for one status check. `Ok(())` to go ahead, `Err(ms)` to wait.
pub(crate) async fn take(env: &Env) -> Result<(), u64> {
    match ask(env, "/take?push=0").await.as_deref().map(|v| v.split_once(' ').unwrap_or((v, "0"))) {
        Ok(("ok", _)) => Ok(()),
        Ok((_, n)) => Err(n.parse::<u64>().unwrap_or(1_000).max(1)),
        Err(_) => Err(1_000),
    }
}

/// Tells the budget what PalPluss's rate-limit headers said (only when they say stop).
pub(crate) async fn observe(env: &Env, remaining: Option<u64>, reset: Option<u64>, rate_limited: bool) {
    if remaining == Some(0) || rate_limited {
        let mut op = String::from("/observe?limited=");
        op.push_str(if rate_limited { "1" } else { "0" });
        for (name, value) in [("&remaining=", remaining), ("&reset=", reset)] {
            if let Some(value) = value {
                op.push_str(name);
                op.push_str(&value.to_string());
            }
        }
        let _ = ask(env, &op).await;
    }
}

/// A push's outcome for the key's health: paid or not (`slot`: what [`take_push`] gave, 0 when
/// unknown).
pub(crate) async fn outcome(env: &Env, slot: u64, paid: bool) {
    let op = ["/outcome?slot=", &slot.to_string(), "&paid=", if paid { "1" } else { "0" }].concat();
    let _ = ask(env, &op).await;
}

/// A push admitted but with no outcome to count (not sent, or PalPluss's own failure).
pub(crate) async fn release(env: &Env, slot: u64) {
    let _ = ask(env, &["/release?slot=", &slot.to_string()].concat()).await;
}

/// PalPluss banned the key until then (unix ms): the breaker opens.
pub(crate) async fn ban(env: &Env, until: u64) {
    let _ = ask(env, &["/ban?until=", &until.to_string()].concat()).await;
}

/// The key's state for `GET /health`: `{ state, until?, successRate, outcomes }`.
pub(crate) async fn state(env: &Env) -> Option<Value> {
    view(env, "https://budget/state").await
}

/// The key's state with the budget's use (`callsLastMinute`, `callsPerMinute`), for the admin API.
pub(crate) async fn usage(env: &Env) -> Option<Value> {
    view(env, "https://budget/usage").await
}

async fn view(env: &Env, url: &str) -> Option<Value> {
    let stub = env.durable_object("BUDGET").ok()?.get_by_name("global").ok()?;
    let response = stub.fetch_with_str(url).await.ok()?;
    super::upstream::response_bytes(&response).await.ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok())
}

async fn ask(env: &Env, op: &str) -> ::worker::Result<String> {
    let stub = env.durable_object("BUDGET")?.get_by_name("global")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    let request = Request::new_with_init(&["https://budget", op].concat(), &init)?;
    let response = stub.fetch_with_request(request).await?;
    super::upstream::response_text(&response).await
}
