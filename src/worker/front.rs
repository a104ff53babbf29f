//! The Worker's front: the requests served most (a checkout, a status read, an unknown path) taken
//! step by step by the default export in `front.js`, without worker-rs's entry and its awaits in
//! wasm (see "The Worker per request" in the README). Every decision is made here, by the same
//! functions the worker-rs entry (`entry`) uses; `front.js` only does the I/O between the steps
//! (reading the body, asking the limiter, asking the payment's object). Everything else, and every
//! request while the configuration is broken, is handed to the worker-rs entry unchanged.

use std::rc::Rc;

use ::worker::{web_sys, Context, Env, Method};
use wasm_bindgen::prelude::{wasm_bindgen, JsValue};
use wasm_bindgen::JsCast;

use super::entry::{finish, request_id, status_reply, Served};
use super::env::{config, now_ms};
use super::payment;
use super::push::{ip_limited_call, Checkout, Form, LogFacts, IP_RATE_PERIOD_S};
use super::respond::Reply;
use crate::edge::config::Config;
use crate::edge::reply::Refusal;
use crate::edge::request::{body_expected, checkout_json, StatusQuery};
use crate::edge::route::{self, Route};
use crate::edge::variables::ConfigError;
use crate::rules::locale::Locale;
use crate::rules::stk::RawStkRequest;

/// What `front.js` does next; the numbers it switches on.
#[derive(Clone, Copy)]
enum Step {
    /// Send `answer()`.
    Answer = 0,
    /// Hand the request to the worker-rs entry.
    Delegate = 1,
    /// Read the body, then `body(bytes)`.
    ReadBody = 2,
    /// Await `limiter()`, then `limited(refused)`.
    AskLimiter = 3,
    /// Send `Front.push(front)`.
    Push = 4,
    /// Await `payment()`, then `viewed(answer)`.
    ReadView = 5,
}

/// Where a request is between two steps.
enum State {
    /// The answer is decided.
    Answered(Reply),
    /// The request is the worker-rs entry's.
    Delegated,
    /// A checkout whose body is to be read.
    Body(Checkout),
    /// A checkout whose body is read, before the per-IP limit.
    Limit(Checkout, Option<RawStkRequest>),
    /// A checkout past the checks that need no call: the push.
    Push(Checkout, Form),
    /// A status read, before the payment's object is asked.
    View(String, StatusQuery),
}

/// One request as the front serves it (made by `Front.begin`, consumed by `answer` or `push`).
#[wasm_bindgen]
pub struct Front {
    env: Env,
    ctx: Context,
    started: u64,
    request_id: String,
    method: Method,
    path: String,
    /// The request is for `/payments/stk` under `BASE_PATH`.
    push_route: bool,
    /// A broken configuration delegates the request at once (worker-rs's entry says what is wrong).
    config: Result<Rc<Config>, ConfigError>,
    origin: Option<String>,
    facts: LogFacts,
    state: State,
}

/// A request's headers as `front.js` passes them: one line per name of its `HEADERS`, `+value`
/// when present, `-` when absent (a header value never holds a line break).
struct RequestHeaders<'a>(Vec<Option<&'a str>>);

/// The headers the front reads, in the order of `front.js`'s list.
#[derive(Clone, Copy)]
enum Header {
    Origin = 0,
    ContentType = 1,
    ContentLength = 2,
    ConnectingIp = 3,
    AcceptLanguage = 4,
    IdempotencyKey = 5,
    Authorization = 6,
}

impl<'a> RequestHeaders<'a> {
    fn parse(lines: &'a str) -> RequestHeaders<'a> {
        RequestHeaders(lines.split('\n').map(|line| line.strip_prefix('+')).collect())
    }

    fn get(&self, name: Header) -> Option<String> {
        self.0.get(name as usize).copied().flatten().map(str::to_owned)
    }
}

#[wasm_bindgen]
impl Front {
    /// A request arrives: its method, URL and headers (`RequestHeaders`). The first step is decided.
    ///
    /// The strings come as JS values and are read in here: wasm-bindgen's glue writes string
    /// arguments into the module's memory before it checks whether the module must be replaced
    /// after a trap, so a string passed to the first call after a trap would land in the old
    /// memory; JS values are read by the new instance.
    pub fn begin(env: Env, ctx: JsValue, method: JsValue, url: JsValue, headers: JsValue) -> Front {
        let started = now_ms();
        let (method, url, headers) = (
            method.as_string().unwrap_or_default(),
            url.as_string().unwrap_or_default(),
            headers.as_string().unwrap_or_default(),
        );
        let headers = RequestHeaders::parse(&headers);
        let method = Method::from(method);
        let path = route::path_of_url(&url).to_owned();
        let config = config(&env);
        let (routed, origin, state) = match &config {
            Ok(config) => Front::first_step(config, &method, &path, &url, &headers),
            // A broken configuration is answered by the worker-rs entry (with what is wrong).
            Err(_) => (None, None, State::Delegated),
        };
        Front {
            push_route: routed.as_deref() == Some("/payments/stk"),
            request_id: match state {
                State::Delegated => String::new(),
                _ => request_id(),
            },
            env,
            ctx: Context::new(ctx.unchecked_into()),
            started,
            method,
            path,
            config,
            origin,
            facts: LogFacts::default(),
            state,
        }
    }

    /// The step `front.js` takes next.
    pub fn step(&self) -> u8 {
        let step = match &self.state {
            State::Answered(_) => Step::Answer,
            State::Delegated => Step::Delegate,
            State::Body(_) => Step::ReadBody,
            State::Limit(..) => Step::AskLimiter,
            State::Push(..) => Step::Push,
            State::View(..) => Step::ReadView,
        };
        step as u8
    }

    /// The checkout's body as read (`None`: it could not be read): its JSON is checked.
    pub fn body(&mut self, body: Option<Vec<u8>>) -> u8 {
        self.state = match std::mem::replace(&mut self.state, State::Delegated) {
            State::Body(checkout) => match body {
                None => State::Answered(Refusal::body_unreadable().into()),
                Some(body) => match checkout_json(Some(&body)) {
                    Ok(raw) => State::Limit(checkout, raw),
                    Err(refusal) => State::Answered(refusal.into()),
                },
            },
            other => other,
        };
        self.step()
    }

    /// The per-IP limit's call (a promise of whether it refuses this client).
    pub fn limiter(&self) -> Result<js_sys::Promise, JsValue> {
        match &self.state {
            State::Limit(checkout, _) => ip_limited_call(&self.env, checkout.client_ip()),
            _ => Ok(js_sys::Promise::resolve(&JsValue::FALSE)),
        }
    }

    /// The limiter's verdict (`false` too when it failed: a failing limiter blocks no payment);
    /// then the checks that need no call (the `Idempotency-Key`'s form, the fields).
    pub fn limited(&mut self, refused: bool) -> u8 {
        self.state = match std::mem::replace(&mut self.state, State::Delegated) {
            State::Limit(checkout, _) if refused => {
                State::Answered(Refusal::rate_limited(now_ms(), IP_RATE_PERIOD_S, checkout.l).into())
            }
            State::Limit(checkout, raw) => match &self.config {
                Ok(config) => match checkout.form(config, raw) {
                    Ok(form) => State::Push(checkout, form),
                    Err(refusal) => State::Answered(refusal.into()),
                },
                // Not reached: `begin` delegates a request with a broken configuration.
                Err(e) => State::Answered(Refusal::misconfigured(e).into()),
            },
            other => other,
        };
        self.step()
    }

    /// The payment object's call for a status read (a promise of `"{status} {view}"`).
    pub fn payment(&self) -> Result<js_sys::Promise, JsValue> {
        match &self.state {
            State::View(id, read) => payment::call_text_promise(&self.env, id, &read.route, &read.token),
            _ => Err(JsValue::from_str("no status read decided")),
        }
    }

    /// The object's answer to a status read (`None`: it could not be asked).
    pub fn viewed(&mut self, answer: Option<String>) -> u8 {
        self.state = match std::mem::replace(&mut self.state, State::Delegated) {
            State::View(_, read) => State::Answered(status_reply(&read, payment::text_answer(answer))),
            other => other,
        };
        self.step()
    }

    /// The decided answer, as sent, with the request's log line.
    pub fn answer(mut self) -> Result<web_sys::Response, JsValue> {
        match std::mem::replace(&mut self.state, State::Delegated) {
            State::Answered(reply) => self.finish(reply),
            _ => Err(JsValue::from_str("no answer decided")),
        }
    }

    /// The push (the guard's calls, PalPluss, the record), answered with the request's log line:
    /// a promise of the `Response`.
    pub fn push(front: Front) -> js_sys::Promise {
        js_sys::futures::future_to_promise(async move {
            let mut front = front;
            let State::Push(checkout, form) = std::mem::replace(&mut front.state, State::Delegated) else {
                return Err(JsValue::from_str("no push decided"));
            };
            let mut facts = LogFacts::default();
            let reply = match front.config.clone() {
                Ok(config) => checkout.push(&front.env, &config, form, &front.request_id, &mut facts).await,
                // Not reached: `begin` delegates a request with a broken configuration.
                Err(e) => Refusal::misconfigured(&e).into(),
            };
            front.facts = facts;
            front.finish(reply).map(JsValue::from)
        })
    }
}

impl Front {
    /// The first step of a request, decided from its method, path, URL and headers; with it the
    /// path under `BASE_PATH` and the `Origin`.
    fn first_step(
        config: &Config,
        method: &Method,
        path: &str,
        url: &str,
        headers: &RequestHeaders,
    ) -> (Option<String>, Option<String>, State) {
        let routed = route::under_base_path(path, config.base_path()).map(str::to_owned);
        let origin = headers.get(Header::Origin);
        let state = match routed.as_deref().map(Route::of) {
            None | Some(Route::NotFound) => State::Answered(Refusal::not_found().into()),
            Some(Route::Push) if *method == Method::Post => {
                if origin.as_deref().is_some_and(|o| !config.origin_allowed(o)) {
                    State::Answered(Refusal::origin_not_allowed().into())
                } else {
                    let content_type = headers.get(Header::ContentType).unwrap_or_default();
                    match body_expected(&content_type, headers.get(Header::ContentLength).as_deref()) {
                        Err(refusal) => State::Answered(refusal.into()),
                        // A body of undeclared length is streamed and capped by the worker-rs entry.
                        Ok(None) => State::Delegated,
                        Ok(Some(_)) => State::Body(Checkout {
                            request_url: url.to_owned(),
                            client_ip: headers.get(Header::ConnectingIp),
                            l: headers
                                .get(Header::AcceptLanguage)
                                .map_or(Locale::En, |h| Locale::from_accept_language(&h)),
                            key: headers.get(Header::IdempotencyKey),
                        }),
                    }
                }
            }
            Some(Route::Status(id)) if matches!(method, Method::Get | Method::Head) => {
                let (authorization, accept_language) =
                    (headers.get(Header::Authorization), headers.get(Header::AcceptLanguage));
                let read = StatusQuery::of(id, false, authorization.as_deref(), url, accept_language.as_deref());
                match read {
                    Ok(read) => State::View(id.to_owned(), read),
                    Err(refusal) => State::Answered(refusal.into()),
                }
            }
            Some(_) => State::Delegated,
        };
        (routed, origin, state)
    }

    fn finish(self, reply: Reply) -> Result<web_sys::Response, JsValue> {
        let served = Served {
            started: self.started,
            request_id: &self.request_id,
            method: &self.method,
            path: &self.path,
            config: &self.config,
            origin: self.origin.as_deref(),
            push_route: self.push_route,
            facts: &self.facts,
        };
        finish(&self.env, &self.ctx, reply, &served).map_err(JsValue::from)
    }
}
