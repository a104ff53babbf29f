//! The `Guard` Durable Object: one per `Idempotency-Key` (named `key:{key}`) and one per phone
//! (named `phone:{254...}`). Each keeps one small record and answers one decision at a time, so
//! simultaneous requests with one key, or to one phone, are decided one after the other. The
//! decisions and the stored text formats are pure (`crate::edge::guard`); here is only storage, the
//! alarm that forgets, and the wire.
//!
//! The wire is plain: the operation in the path, numbers in the query, text in the body, the
//! verdict in the `x-verdict` header (`{kind}` or `{kind} {number}`). No JSON: every derived
//! (de)serialiser would add kilobytes to the upload.

use std::cell::{Cell, RefCell};

use ::worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, ScheduledTime, State};
use wasm_bindgen::JsValue;

use crate::edge::guard::{
    decide_idempotency, entry_expired, IdempotencyDecision, IdempotencyEntry, KeptAnswer, PhoneHistory, PhoneRefusal,
    IDEMPOTENCY_TTL_MS,
};
use crate::edge::health::{HealthSettings, Payer};
use crate::edge::route::query_param;

use super::env::{config, now_ms};

/// Storage keys: a key object's entry, a phone object's history.
const ENTRY: &str = "k";
const PHONE: &str = "p";
const HOUR_MS: u64 = 3_600_000;

/// What one guard object remembers.
#[derive(Default)]
struct Stored {
    entry: Option<IdempotencyEntry>,
    phone: PhoneHistory,
}

/// The Durable Object class (wrangler.toml `class_name = "Guard"`).
#[durable_object(alarm)]
pub struct Guard {
    state: State,
    env: Env,
    stored: RefCell<Stored>,
    loaded: Cell<bool>,
}

/// The object's answer.
pub(crate) struct Verdict {
    pub kind: VerdictKind,
    /// The reserved push's name, or the seconds to wait.
    pub n: u64,
    /// The kept answer of a replay.
    pub answer: Option<KeptAnswer>,
    /// What a phone's object knows of the payer (a reservation's verdict carries it).
    pub payer: Payer,
}

#[derive(Clone, Copy, PartialEq, Eq)]
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

const KINDS: [(VerdictKind, &str); 8] = [
    (VerdictKind::Run, "run"),
    (VerdictKind::Replay, "replay"),
    (VerdictKind::InFlight, "in-flight"),
    (VerdictKind::Reused, "reused"),
    (VerdictKind::Reserved, "reserved"),
    (VerdictKind::Busy, "busy"),
    (VerdictKind::Limit, "limit"),
    (VerdictKind::Done, "done"),
];

impl VerdictKind {
    fn name(self) -> &'static str {
        KINDS.iter().find(|(k, _)| *k == self).map_or("done", |(_, name)| name)
    }

    fn parse(name: &str) -> Option<VerdictKind> {
        KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }
}

impl DurableObject for Guard {
    fn new(state: State, env: Env) -> Self {
        Guard { state, env, stored: RefCell::new(Stored::default()), loaded: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> ::worker::Result<Response> {
        self.load().await;
        let url = req.inner().url();
        let number = |name: &str| query_param(&url, name).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        let body = req.text().await.unwrap_or_default();
        let now = now_ms();
        let path = req.path();
        // Decided and changed in memory with no await in between: the next request sees it.
        let verdict = {
            let mut stored = self.stored.borrow_mut();
            let of = |kind| Verdict { kind, n: 0, answer: None, payer: Payer::default() };
            match path.as_str() {
                "/begin" => {
                    // An empty fingerprint: the body did not validate (it never takes the key).
                    let fingerprint = (!body.is_empty()).then_some(body);
                    match decide_idempotency(stored.entry.as_ref(), fingerprint.as_deref(), now) {
                        IdempotencyDecision::Run => {
                            if let Some(fingerprint) = fingerprint {
                                stored.entry = Some(IdempotencyEntry { fingerprint, created_at: now, answer: None });
                            }
                            of(VerdictKind::Run)
                        }
                        IdempotencyDecision::Replay(answer) => {
                            Verdict { answer: Some(answer), ..of(VerdictKind::Replay) }
                        }
                        IdempotencyDecision::InFlight => of(VerdictKind::InFlight),
                        IdempotencyDecision::Reused => of(VerdictKind::Reused),
                    }
                }
                "/finish" => {
                    if let (Some(entry), Some(answer)) = (stored.entry.as_mut(), KeptAnswer::from_text(&body)) {
                        entry.answer = Some(answer);
                    }
                    of(VerdictKind::Done)
                }
                "/release" => {
                    if stored.entry.as_ref().is_some_and(|e| e.answer.is_none()) {
                        stored.entry = None;
                    }
                    of(VerdictKind::Done)
                }
                "/reserve" => {
                    let max_per_hour = u32::try_from(number("max")).unwrap_or(u32::MAX);
                    match stored.phone.reserve(now, number("cooldown"), max_per_hour) {
                        Ok(at) => Verdict { n: at, payer: stored.phone.payer(), ..of(VerdictKind::Reserved) },
                        Err(refusal @ PhoneRefusal::Busy { .. }) => {
                            Verdict { n: refusal.retry_after_s(), ..of(VerdictKind::Busy) }
                        }
                        Err(refusal) => Verdict { n: refusal.retry_after_s(), ..of(VerdictKind::Limit) },
                    }
                }
                "/unreserve" => {
                    stored.phone.release(number("at"));
                    of(VerdictKind::Done)
                }
                "/settle" => {
                    stored.phone.settled(number("at"));
                    // `paid=1` or `paid=0`: the push's final status, for the key's health.
                    if let Some(paid) = query_param(&url, "paid") {
                        stored.phone.outcome(paid == "1", now);
                    }
                    of(VerdictKind::Done)
                }
                _ => return Response::error("no such operation", 404),
            }
        };
        let key_op = matches!(path.as_str(), "/begin" | "/finish" | "/release");
        self.save(key_op, !key_op).await;
        let header = [verdict.kind.name(), " ", &verdict.n.to_string()].concat();
        // A reservation's body: when the phone last paid and last failed (0: never).
        let body = match verdict.kind {
            VerdictKind::Reserved => {
                let time = |at: Option<u64>| at.unwrap_or(0).to_string();
                [time(verdict.payer.paid_at), " ".to_owned(), time(verdict.payer.failed_at)].concat()
            }
            _ => verdict.answer.map(|a| a.to_text()).unwrap_or_default(),
        };
        let response = Response::ok(body)?;
        response.headers().set("x-verdict", &header)?;
        Ok(response)
    }

    async fn alarm(&self) -> ::worker::Result<Response> {
        self.load().await;
        let now = now_ms();
        let forget = {
            let mut stored = self.stored.borrow_mut();
            if stored.entry.as_ref().is_some_and(|e| entry_expired(e, now)) {
                stored.entry = None;
            }
            stored.phone.sent.retain(|&at| at.saturating_add(HOUR_MS) > now);
            stored.entry.is_none() && stored.phone.forgotten(now, self.known_payer_ms())
        };
        if forget {
            let _ = self.state.storage().delete_all().await;
        } else {
            self.save(true, true).await;
        }
        Response::empty()
    }
}

impl Guard {
    /// `HEALTH_KNOWN_PAYER_DAYS`, in ms.
    fn known_payer_ms(&self) -> u64 {
        config(&self.env).map_or(HealthSettings::default().known_payer_ms, |c| c.health().known_payer_ms)
    }

    async fn load(&self) {
        if self.loaded.get() {
            return;
        }
        let storage = self.state.storage();
        let entry: Option<String> = storage.get(ENTRY).await.ok().flatten();
        let phone: Option<String> = storage.get(PHONE).await.ok().flatten();
        // Another request may have loaded (and changed) it meanwhile: memory is the truth then.
        if !self.loaded.replace(true) {
            *self.stored.borrow_mut() = Stored {
                entry: entry.and_then(|t| IdempotencyEntry::from_text(&t)),
                phone: phone.and_then(|t| PhoneHistory::from_text(&t)).unwrap_or_default(),
            };
        }
    }

    /// Writes the key's entry and/or the phone's history as they are in memory (what is gone from
    /// memory is deleted from storage too: a released key must not come back after an eviction),
    /// and wakes up when the rest can be forgotten (the key's 24 h, the phone's hour).
    async fn save(&self, entry_part: bool, phone_part: bool) {
        let (entry, phone, forget_at) = {
            let stored = self.stored.borrow();
            let key_until = stored.entry.as_ref().map(|e| e.created_at.saturating_add(IDEMPOTENCY_TTL_MS));
            let phone = &stored.phone;
            let empty =
                phone.sent.is_empty() && phone.open.is_none() && phone.paid_at.is_none() && phone.failed_at.is_none();
            let text = (!empty).then(|| phone.to_text());
            // A phone is remembered for its hour, and a payer for HEALTH_KNOWN_PAYER_DAYS.
            let remember = [
                phone.forget_at(),
                phone.failed_at.map(|at| at.saturating_add(HOUR_MS)),
                phone.paid_at.map(|at| at.saturating_add(self.known_payer_ms())),
            ];
            (
                stored.entry.as_ref().map(IdempotencyEntry::to_text),
                text,
                key_until.max(remember.into_iter().flatten().max()),
            )
        };
        let storage = self.state.storage();
        for (key, text, part) in [(ENTRY, entry, entry_part), (PHONE, phone, phone_part)] {
            let _ = match (part, text) {
                (false, _) => continue,
                (true, Some(text)) => storage.put_raw(key, JsValue::from_str(&text)).await,
                (true, None) => storage.delete(key).await.map(|_| ()),
            };
        }
        if let Some(at) = forget_at {
            let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
            let _ = storage.set_alarm(ScheduledTime::new(date)).await;
        }
    }
}

/// Sends one operation to the guard object `name` (`key:...` or `phone:...`).
async fn ask(env: &Env, name: &str, op: &str, body: String) -> ::worker::Result<Verdict> {
    let stub = env.durable_object("GUARD")?.get_by_name(name)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let request = Request::new_with_init(&["https://guard", op].concat(), &init)?;
    let response = stub.fetch_with_request(request).await?;
    let header = response.headers().get("x-verdict")?.unwrap_or_default();
    let (kind, n) = header.split_once(' ').unwrap_or((&header, "0"));
    let kind = VerdictKind::parse(kind).ok_or_else(|| ::worker::Error::RustError("no verdict".into()))?;
    let answer = match kind {
        VerdictKind::Replay => KeptAnswer::from_text(&super::upstream::response_text(&response).await?),
        _ => None,
    };
    let payer = match kind {
        VerdictKind::Reserved => {
            let text = super::upstream::response_text(&response).await?;
            let mut times = text.split(' ').map(|t| t.parse::<u64>().ok().filter(|&at| at > 0));
            Payer { paid_at: times.next().flatten(), failed_at: times.next().flatten() }
        }
        _ => Payer::default(),
    };
    Ok(Verdict { kind, n: n.parse().unwrap_or(0), answer, payer })
}

fn key_name(key: &str) -> String {
    ["key:", key].concat()
}

fn phone_name(phone: &str) -> String {
    ["phone:", phone].concat()
}

/// Decides a request that carries `Idempotency-Key: key`; `fingerprint` is `None` for a body
/// that did not validate.
pub(crate) async fn begin(env: &Env, key: &str, fingerprint: Option<String>) -> ::worker::Result<Verdict> {
    ask(env, &key_name(key), "/begin", fingerprint.unwrap_or_default()).await
}

/// Keeps the answer for the key.
pub(crate) async fn finish(env: &Env, key: &str, answer: &KeptAnswer) {
    let _ = ask(env, &key_name(key), "/finish", answer.to_text()).await;
}

/// Frees a key whose request ended before PalPluss.
pub(crate) async fn release(env: &Env, key: &str) {
    let _ = ask(env, &key_name(key), "/release", String::new()).await;
}

/// Checks the phone and counts one push to it.
pub(crate) async fn reserve(env: &Env, phone: &str, cooldown_s: u64, max_per_hour: u32) -> ::worker::Result<Verdict> {
    let op = ["/reserve?cooldown=", &cooldown_s.to_string(), "&max=", &max_per_hour.to_string()].concat();
    ask(env, &phone_name(phone), &op, String::new()).await
}

/// Takes back a reservation whose push was never sent.
pub(crate) async fn unreserve(env: &Env, phone: &str, at: u64) {
    let _ = ask(env, &phone_name(phone), &["/unreserve?at=", &at.to_string()].concat(), String::new()).await;
}

/// The push `at` to `phone` is final (PalPluss refused it, or it reached a final status); `paid`
/// says which final status, for the key's health (`None`: no status, PalPluss refused the push).
pub(crate) async fn settle(env: &Env, phone: &str, at: u64, paid: Option<bool>) {
    let mut op = ["/settle?at=", &at.to_string()].concat();
    if let Some(paid) = paid {
        op.push_str(if paid { "&paid=1" } else { "&paid=0" });
    }
    let _ = ask(env, &phone_name(phone), &op, String::new()).await;
}
