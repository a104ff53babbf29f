//! The `Budget` Durable Object: one per deployment (named "global"), the only place that counts
//! calls made with the key. It stores [`UpstreamBudget`] and answers its decisions; the decisions
//! themselves are pure (`crate::lifecycle`).

use std::cell::RefCell;

use ::worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};
use serde::{Deserialize, Serialize};

use crate::lifecycle::{CallKind, UpstreamBudget};

use super::{config, now_ms};

const KEY: &str = "budget";

/// The Durable Object class (wrangler.toml `class_name = "Budget"`).
#[durable_object(fetch)]
pub struct Budget {
    state: State,
    env: Env,
    budget: RefCell<Option<UpstreamBudget>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Take {
    push: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Observe {
    remaining: Option<u64>,
    reset: Option<u64>,
    rate_limited: bool,
}

/// The budget's answer: `wait_ms` is 0 when the call may go ahead.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verdict {
    wait_ms: u64,
}

impl DurableObject for Budget {
    fn new(state: State, env: Env) -> Self {
        Budget { state, env, budget: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> ::worker::Result<Response> {
        if self.budget.borrow().is_none() {
            let text: Option<String> = self.state.storage().get(KEY).await.ok().flatten();
            let stored = text.and_then(|t| serde_json::from_str::<UpstreamBudget>(&t).ok());
            self.budget.borrow_mut().get_or_insert(stored.unwrap_or_default());
        }
        let limit =
            config(&self.env).map_or(crate::proxy::DEFAULT_UPSTREAM_RATE_PER_MINUTE, |c| c.upstream_rate_per_minute());
        let now = now_ms();
        let body = req.bytes().await.unwrap_or_default();
        let verdict = match req.path().as_str() {
            "/take" => {
                let push = serde_json::from_slice::<Take>(&body).map(|t| t.push).unwrap_or(false);
                let kind = if push { CallKind::Push } else { CallKind::StatusCheck };
                let outcome = self.budget.borrow_mut().as_mut().map_or(Ok(()), |b| b.take(kind, limit, now));
                Verdict { wait_ms: outcome.err().unwrap_or(0) }
            }
            "/observe" => {
                if let Ok(seen) = serde_json::from_slice::<Observe>(&body) {
                    if let Some(budget) = self.budget.borrow_mut().as_mut() {
                        budget.observe(seen.remaining, seen.reset, seen.rate_limited, now);
                    }
                }
                Verdict { wait_ms: 0 }
            }
            _ => return Response::error("no such operation", 404),
        };
        // The in-memory budget is the truth; storage keeps it across evictions.
        let snapshot = self.budget.borrow().as_ref().and_then(|b| serde_json::to_string(b).ok());
        if let Some(text) = snapshot {
            let _ = self.state.storage().put_raw(KEY, wasm_bindgen::JsValue::from_str(&text)).await;
        }
        Response::from_json(&verdict)
    }
}

/// Asks the budget for one call. `Ok(())` to go ahead, `Err(ms)` to wait. A budget that cannot be
/// reached says wait a second: never more calls than allowed.
pub(crate) async fn take(env: &Env, push: bool) -> Result<(), u64> {
    let Ok(verdict) = ask::<Verdict>(env, "/take", &Take { push }).await else { return Err(1_000) };
    if verdict.wait_ms == 0 {
        Ok(())
    } else {
        Err(verdict.wait_ms)
    }
}

/// Tells the budget what PalPluss's rate-limit headers said (only when they say stop).
pub(crate) async fn observe(env: &Env, remaining: Option<u64>, reset: Option<u64>, rate_limited: bool) {
    if remaining == Some(0) || rate_limited {
        let _ = ask::<Verdict>(env, "/observe", &Observe { remaining, reset, rate_limited }).await;
    }
}

async fn ask<T: for<'de> Deserialize<'de>>(env: &Env, path: &str, body: &impl Serialize) -> ::worker::Result<T> {
    let stub = env.durable_object("BUDGET")?.get_by_name("global")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(serde_json::to_string(body)?.into()));
    let request = Request::new_with_init(&["https://budget", path].concat(), &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    Ok(serde_json::from_slice::<T>(&response.bytes().await?)?)
}
