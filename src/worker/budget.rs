//! The `Budget` Durable Object: one per deployment (named "global"), the only place that counts
//! calls made with the key. It stores [`UpstreamBudget`] and answers its decisions; the decisions
//! themselves are pure (`crate::edge::budget`).

use std::cell::RefCell;

use ::worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use crate::edge::budget::{CallKind, UpstreamBudget};
use crate::edge::route::query_param;

use super::env::{config, now_ms};

const KEY: &str = "budget";

/// The Durable Object class (wrangler.toml `class_name = "Budget"`).
#[durable_object(fetch)]
pub struct Budget {
    state: State,
    env: Env,
    budget: RefCell<Option<UpstreamBudget>>,
}

impl DurableObject for Budget {
    fn new(state: State, env: Env) -> Self {
        Budget { state, env, budget: RefCell::new(None) }
    }

    async fn fetch(&self, req: Request) -> ::worker::Result<Response> {
        if self.budget.borrow().is_none() {
            let text: Option<String> = self.state.storage().get(KEY).await.ok().flatten();
            let stored = text.and_then(|t| UpstreamBudget::from_text(&t));
            self.budget.borrow_mut().get_or_insert(stored.unwrap_or_default());
        }
        let limit = config(&self.env)
            .map_or(crate::edge::variables::DEFAULT_UPSTREAM_RATE_PER_MINUTE, |c| c.upstream_rate_per_minute());
        let now = now_ms();
        // The wire is plain: the operation in the path, numbers in the query, the wait in the body.
        let url = req.inner().url();
        let number = |name: &str| query_param(&url, name).and_then(|n| n.parse::<u64>().ok());
        let wait_ms = match req.path().as_str() {
            "/take" => {
                let kind = if number("push") == Some(1) { CallKind::Push } else { CallKind::StatusCheck };
                let outcome = self.budget.borrow_mut().as_mut().map_or(Ok(()), |b| b.take(kind, limit, now));
                outcome.err().unwrap_or(0)
            }
            "/observe" => {
                if let Some(budget) = self.budget.borrow_mut().as_mut() {
                    budget.observe(number("remaining"), number("reset"), number("limited") == Some(1), now);
                }
                0
            }
            _ => return Response::error("no such operation", 404),
        };
        // The in-memory budget is the truth; storage keeps it across evictions.
        let snapshot = self.budget.borrow().as_ref().map(UpstreamBudget::to_text);
        if let Some(text) = snapshot {
            let _ = self.state.storage().put_raw(KEY, wasm_bindgen::JsValue::from_str(&text)).await;
        }
        Response::ok(wait_ms.to_string())
    }
}

/// Asks the budget for one call. `Ok(())` to go ahead, `Err(ms)` to wait. A budget that cannot be
/// reached says wait a second: never more calls than allowed.
pub(crate) async fn take(env: &Env, push: bool) -> Result<(), u64> {
    match ask(env, if push { "/take?push=1" } else { "/take?push=0" }).await {
        Ok(0) => Ok(()),
        Ok(wait_ms) => Err(wait_ms),
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

async fn ask(env: &Env, op: &str) -> ::worker::Result<u64> {
    let stub = env.durable_object("BUDGET")?.get_by_name("global")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    let request = Request::new_with_init(&["https://budget", op].concat(), &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    response.text().await?.parse().map_err(|_| ::worker::Error::RustError("no answer".into()))
}
