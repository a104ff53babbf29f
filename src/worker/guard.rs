//! The `Guard` Durable Object: one per `Idempotency-Key` (named `key:{key}`) and one per phone
//! (named `phone:{254...}`). Each keeps one small record and answers one decision at a time, so
//! simultaneous requests with one key, or to one phone, are decided one after the other. The
//! decisions are pure (`crate::guard`); here is only storage and the alarm that forgets.

use std::cell::{Cell, RefCell};

use ::worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, ScheduledTime, State};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use crate::guard::{
    decide_idempotency, entry_expired, IdempotencyDecision, IdempotencyEntry, KeptAnswer, PhoneHistory, PhoneRefusal,
    IDEMPOTENCY_TTL_MS,
};

use super::now_ms;

const KEY: &str = "g";

/// What one guard object remembers: a key's entry, or a phone's pushes.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    entry: Option<IdempotencyEntry>,
    #[serde(default)]
    phone: PhoneHistory,
}

/// The Durable Object class (wrangler.toml `class_name = "Guard"`).
#[durable_object(alarm)]
pub struct Guard {
    state: State,
    stored: RefCell<Stored>,
    loaded: Cell<bool>,
}

/// An operation, as the Worker sends it: `op` names it, the other fields are its arguments.
/// (Plain structs on the wire: tagged enums would cost kilobytes of serde code in the upload.)
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Op {
    op: OpKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    answer: Option<KeptAnswer>,
    #[serde(default)]
    cooldown_s: u64,
    #[serde(default)]
    max_per_hour: u32,
    #[serde(default)]
    at: u64,
}

#[derive(Clone, Copy, Default, Serialize, Deserialize)]
enum OpKind {
    /// Decide a keyed request; take the key when it runs and the body was valid.
    #[default]
    Begin,
    /// Keep the answer given after the push was sent.
    Finish,
    /// Let go of a key whose request ended before PalPluss (nothing kept).
    Release,
    /// Check the phone and count the push in one step.
    Reserve,
    /// The push `at` was never sent.
    Unreserve,
    /// The push `at` is final.
    Settle,
}

/// The object's answer.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Verdict {
    pub kind: VerdictKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<KeptAnswer>,
    /// The reserved push's name, or the seconds to wait.
    #[serde(default)]
    pub n: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum VerdictKind {
    Run,
    Replay,
    InFlight,
    Reused,
    Reserved,
    Busy,
    Limit,
    Done,
}

impl Verdict {
    fn of(kind: VerdictKind) -> Verdict {
        Verdict { kind, answer: None, n: 0 }
    }
}

impl DurableObject for Guard {
    fn new(state: State, _env: Env) -> Self {
        Guard { state, stored: RefCell::new(Stored::default()), loaded: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> ::worker::Result<Response> {
        self.load().await;
        let Ok(op) = serde_json::from_slice::<Op>(&req.bytes().await.unwrap_or_default()) else {
            return Response::error("bad operation", 400);
        };
        let now = now_ms();
        // Decided and changed in memory with no await in between: the next request sees it.
        let verdict = {
            let mut stored = self.stored.borrow_mut();
            match op.op {
                OpKind::Begin => match decide_idempotency(stored.entry.as_ref(), op.fingerprint.as_deref(), now) {
                    IdempotencyDecision::Run => {
                        if let Some(fingerprint) = op.fingerprint {
                            stored.entry = Some(IdempotencyEntry { fingerprint, created_at: now, answer: None });
                        }
                        Verdict::of(VerdictKind::Run)
                    }
                    IdempotencyDecision::Replay(answer) => {
                        Verdict { kind: VerdictKind::Replay, answer: Some(answer), n: 0 }
                    }
                    IdempotencyDecision::InFlight => Verdict::of(VerdictKind::InFlight),
                    IdempotencyDecision::Reused => Verdict::of(VerdictKind::Reused),
                },
                OpKind::Finish => {
                    if let (Some(entry), Some(answer)) = (stored.entry.as_mut(), op.answer) {
                        entry.answer = Some(answer);
                    }
                    Verdict::of(VerdictKind::Done)
                }
                OpKind::Release => {
                    if stored.entry.as_ref().is_some_and(|e| e.answer.is_none()) {
                        stored.entry = None;
                    }
                    Verdict::of(VerdictKind::Done)
                }
                OpKind::Reserve => match stored.phone.reserve(now, op.cooldown_s, op.max_per_hour) {
                    Ok(at) => Verdict { kind: VerdictKind::Reserved, answer: None, n: at },
                    Err(refusal @ PhoneRefusal::Busy { .. }) => {
                        Verdict { kind: VerdictKind::Busy, answer: None, n: refusal.retry_after_s() }
                    }
                    Err(refusal) => Verdict { kind: VerdictKind::Limit, answer: None, n: refusal.retry_after_s() },
                },
                OpKind::Unreserve => {
                    stored.phone.release(op.at);
                    Verdict::of(VerdictKind::Done)
                }
                OpKind::Settle => {
                    stored.phone.settled(op.at);
                    Verdict::of(VerdictKind::Done)
                }
            }
        };
        self.save().await;
        Response::from_json(&verdict)
    }

    async fn alarm(&self) -> ::worker::Result<Response> {
        self.load().await;
        let now = now_ms();
        let forget = {
            let mut stored = self.stored.borrow_mut();
            if stored.entry.as_ref().is_some_and(|e| entry_expired(e, now)) {
                stored.entry = None;
            }
            stored.phone.sent.retain(|&at| at.saturating_add(3_600_000) > now);
            stored.entry.is_none() && stored.phone.sent.is_empty()
        };
        if forget {
            let _ = self.state.storage().delete_all().await;
        } else {
            self.save().await;
        }
        Response::empty()
    }
}

impl Guard {
    async fn load(&self) {
        if self.loaded.get() {
            return;
        }
        let text: Option<String> = self.state.storage().get(KEY).await.ok().flatten();
        let stored = text.and_then(|t| serde_json::from_str::<Stored>(&t).ok());
        // Another request may have loaded (and changed) it meanwhile: memory is the truth then.
        if !self.loaded.replace(true) {
            *self.stored.borrow_mut() = stored.unwrap_or_default();
        }
    }

    /// Writes the record and wakes up when it can be forgotten (the key's 24 h, the phone's hour).
    async fn save(&self) {
        let (text, forget_at) = {
            let stored = self.stored.borrow();
            let key_until = stored.entry.as_ref().map(|e| e.created_at.saturating_add(IDEMPOTENCY_TTL_MS));
            (serde_json::to_string(&*stored).ok(), key_until.max(stored.phone.forget_at()))
        };
        if let Some(text) = text {
            let _ = self.state.storage().put_raw(KEY, JsValue::from_str(&text)).await;
        }
        if let Some(at) = forget_at {
            let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
            let _ = self.state.storage().set_alarm(ScheduledTime::new(date)).await;
        }
    }
}

/// Sends one operation to the guard object `name` (`key:...` or `phone:...`).
async fn ask(env: &Env, name: &str, op: &Op) -> ::worker::Result<Verdict> {
    let stub = env.durable_object("GUARD")?.get_by_name(name)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(serde_json::to_string(op)?.into()));
    let request = Request::new_with_init("https://guard/", &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    Ok(serde_json::from_slice::<Verdict>(&response.bytes().await?)?)
}

fn key_name(key: &str) -> String {
    ["key:", key].concat()
}

fn phone_name(phone: &str) -> String {
    ["phone:", phone].concat()
}

/// Decides a request that carries `Idempotency-Key: key`.
pub(crate) async fn begin(env: &Env, key: &str, fingerprint: Option<String>) -> ::worker::Result<Verdict> {
    ask(env, &key_name(key), &Op { op: OpKind::Begin, fingerprint, ..Op::default() }).await
}

/// Keeps the answer for the key.
pub(crate) async fn finish(env: &Env, key: &str, answer: KeptAnswer) {
    let _ = ask(env, &key_name(key), &Op { op: OpKind::Finish, answer: Some(answer), ..Op::default() }).await;
}

/// Frees a key whose request ended before PalPluss.
pub(crate) async fn release(env: &Env, key: &str) {
    let _ = ask(env, &key_name(key), &Op { op: OpKind::Release, ..Op::default() }).await;
}

/// Checks the phone and counts one push to it.
pub(crate) async fn reserve(env: &Env, phone: &str, cooldown_s: u64, max_per_hour: u32) -> ::worker::Result<Verdict> {
    ask(env, &phone_name(phone), &Op { op: OpKind::Reserve, cooldown_s, max_per_hour, ..Op::default() }).await
}

/// Takes back a reservation whose push was never sent.
pub(crate) async fn unreserve(env: &Env, phone: &str, at: u64) {
    let _ = ask(env, &phone_name(phone), &Op { op: OpKind::Unreserve, at, ..Op::default() }).await;
}

/// The push `at` to `phone` is final.
pub(crate) async fn settle(env: &Env, phone: &str, at: u64) {
    let _ = ask(env, &phone_name(phone), &Op { op: OpKind::Settle, at, ..Op::default() }).await;
}
