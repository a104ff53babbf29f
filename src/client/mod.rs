//! The checkout client for Rust web apps (feature `client`): Leptos, Yew, Dioxus or plain web-sys
//! in the browser, on gloo-net. It does what the npm package's `StkClient` does, typed:
//!
//! - [`StkClient::push`] checks the checkout against the client's limits, posts it to the proxy
//!   with a fresh `Idempotency-Key` (retried once with the same key when the connection drops,
//!   never after a timeout: the proxy answers a retry with the answer it kept, so the customer
//!   never gets two prompts) and gives the [`AcceptedPayment`] or one [`StkError`];
//! - [`StkClient::wait_for_result`] follows the payment to its final status: the proxy's event
//!   stream, polling every 3 s when the stream is unavailable or drops, five minutes at most, as a
//!   [`Stream`] of [`PaymentStatus`]es that stops when dropped.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use palpluss_stk::client::{StkClient, StkError};
//! use palpluss_stk::{CheckoutForm, Limits, Locale, RawStkRequest, RawValue};
//!
//! async fn pay(phone: &str) -> Result<String, StkError> {
//!     let client = StkClient::new("https://pay.shop.example").with_locale(Locale::Sw);
//!     let form = client.validate(&RawStkRequest {
//!         amount: RawValue::Number(1500.0),
//!         phone: phone.into(),
//!         account_reference: "ORDER-1042".into(),
//!         transaction_desc: "Order 1042".into(),
//!         ..RawStkRequest::default()
//!     })?;
//!     let accepted = client.push(&form).await?;
//!     let mut updates = client.wait_for_result(&accepted);
//!     let mut last = String::new();
//!     while let Some(status) = updates.next().await {
//!         last = status?.message; // "Umelipa. Asante!" once paid
//!     }
//!     Ok(last)
//! }
//! ```
//!
//! It compiles on every target, so that a server-side build of the same components compiles;
//! only wasm32 in a browser (or a Web Worker) sends anything, elsewhere every call fails with
//! [`StkError::Unavailable`]. It needs std: not with the npm builds' `abort-on-panic`.

// `StkError` keeps its fields plain for matching (about 140 bytes): it is made once per failed
// customer action, never in a loop, so its size costs nothing worth boxing the fields for.
#![allow(clippy::result_large_err)]

mod answer;
mod error;
mod transport;

use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_util::Stream;

pub use answer::{AcceptedPayment, PaymentStatus, DEFAULT_TIMEOUT_MS, POLL_INTERVAL_MS, WAIT_MS};
pub use error::StkError;

use answer::{push_answer, status_answer, status_unavailable, stream_event, Follow, Step};
use transport::{Method, NoAnswer, StatusEvents, StreamEvent};

use crate::rules::locale::Locale;
use crate::rules::notice::Notice;
use crate::rules::stk::{CheckoutForm, Limits, RawStkRequest, RawValue};

#[cfg(feature = "abort-on-panic")]
compile_error!("the `client` feature needs std: build it without `abort-on-panic`");

/// A client for the payment proxy. Cheap to clone; holds no connection.
///
/// ```
/// use palpluss_stk::client::StkClient;
/// use palpluss_stk::{Limits, Locale};
///
/// let client = StkClient::new("https://pay.shop.example/")
///     .with_locale(Locale::Sw)
///     .with_limits(Limits::with_amount_max(5_000).unwrap())
///     .with_timeout_ms(10_000)
///     .with_intent("v1.eyJh.c2ln");
/// assert_eq!(client.base_url(), "https://pay.shop.example");
/// assert_eq!((client.locale(), client.limits().amount_max(), client.timeout_ms()), (Locale::Sw, 5_000, 10_000));
/// ```
#[derive(Clone)]
pub struct StkClient {
    base_url: String,
    timeout_ms: u32,
    limits: Limits,
    intent: Option<String>,
    turnstile_token: Option<String>,
}

impl fmt::Debug for StkClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StkClient")
            .field("base_url", &self.base_url)
            .field("timeout_ms", &self.timeout_ms)
            .field("limits", &self.limits)
            .field("intent", &self.intent.is_some())
            .field("turnstile_token", &self.turnstile_token.is_some())
            .finish()
    }
}

impl StkClient {
    /// A client for the proxy at `base_url` (`"https://pay.shop.example"`, or `""` for the page's
    /// own origin; a trailing `/` is dropped). English, the default [`Limits`], a 20 s timeout.
    ///
    /// ```
    /// use palpluss_stk::client::StkClient;
    ///
    /// assert_eq!(StkClient::new(" https://pay.shop.example/pay/ ").base_url(), "https://pay.shop.example/pay");
    /// assert_eq!(StkClient::new("").base_url(), "");
    /// ```
    pub fn new(base_url: impl Into<String>) -> StkClient {
        let base_url = base_url.into();
        StkClient {
            base_url: base_url.trim().trim_end_matches('/').to_owned(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            limits: Limits::default(),
            intent: None,
            turnstile_token: None,
        }
    }

    /// The language of every message: the client's own, and the proxy's (`Accept-Language`, and
    /// `lang` on the status routes).
    ///
    /// ```
    /// use palpluss_stk::client::StkClient;
    /// use palpluss_stk::Locale;
    ///
    /// assert_eq!(StkClient::new("").with_locale(Locale::Sw).limits().locale(), Locale::Sw);
    /// ```
    pub fn with_locale(mut self, locale: Locale) -> StkClient {
        self.limits = self.limits.in_locale(locale);
        self
    }

    /// The largest amount accepted (match the proxy's `AMOUNT_MAX`); the language stays.
    ///
    /// ```
    /// use palpluss_stk::client::StkClient;
    /// use palpluss_stk::{Limits, Locale};
    ///
    /// let client = StkClient::new("").with_locale(Locale::Sw).with_limits(Limits::with_amount_max(900).unwrap());
    /// assert_eq!((client.limits().amount_max(), client.locale()), (900, Locale::Sw));
    /// ```
    pub fn with_limits(mut self, limits: Limits) -> StkClient {
        self.limits = limits.in_locale(self.limits.locale());
        self
    }

    /// How long to wait for the proxy's answer to a push, in milliseconds (1 to 600,000; values
    /// outside are brought into that range).
    ///
    /// ```
    /// use palpluss_stk::client::StkClient;
    ///
    /// assert_eq!(StkClient::new("").with_timeout_ms(0).timeout_ms(), 1);
    /// assert_eq!(StkClient::new("").with_timeout_ms(u32::MAX).timeout_ms(), 600_000);
    /// ```
    pub fn with_timeout_ms(mut self, timeout_ms: u32) -> StkClient {
        self.timeout_ms = timeout_ms.clamp(1, 600_000);
        self
    }

    /// The signed checkout intent your server rendered into the page (a proxy with
    /// `INTENT_SECRET` needs it), sent with every push whose form has none of its own.
    ///
    /// ```
    /// use palpluss_stk::client::StkClient;
    ///
    /// let client = StkClient::new("").with_intent("v1.eyJh.c2ln");
    /// assert!(format!("{client:?}").contains("intent: true"));
    /// ```
    pub fn with_intent(mut self, intent: impl Into<String>) -> StkClient {
        self.intent = Some(intent.into());
        self
    }

    /// Cloudflare Turnstile's token (a proxy with `TURNSTILE_SECRET` needs it), sent with every
    /// push whose form has none of its own. A token is good for one push: set a fresh one (or put
    /// it in the form) for each.
    ///
    /// ```
    /// use palpluss_stk::client::StkClient;
    ///
    /// let client = StkClient::new("").with_turnstile_token("XXXX.DUMMY.TOKEN.XXXX");
    /// assert!(!format!("{client:?}").contains("DUMMY"));
    /// ```
    pub fn with_turnstile_token(mut self, token: impl Into<String>) -> StkClient {
        self.turnstile_token = Some(token.into());
        self
    }

    /// The proxy's base URL, without a trailing slash.
    ///
    /// ```
    /// assert_eq!(palpluss_stk::client::StkClient::new("https://pay.example/").base_url(), "https://pay.example");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The language of the messages.
    ///
    /// ```
    /// use palpluss_stk::{client::StkClient, Locale};
    ///
    /// assert_eq!(StkClient::new("").locale(), Locale::En);
    /// ```
    pub fn locale(&self) -> Locale {
        self.limits.locale()
    }

    /// The limits a checkout is checked against (with the client's language).
    ///
    /// ```
    /// assert_eq!(palpluss_stk::client::StkClient::new("").limits().amount_max(), 250_000);
    /// ```
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The push's timeout in milliseconds.
    ///
    /// ```
    /// use palpluss_stk::client::{StkClient, DEFAULT_TIMEOUT_MS};
    ///
    /// assert_eq!(StkClient::new("").timeout_ms(), DEFAULT_TIMEOUT_MS);
    /// ```
    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms
    }

    /// Checks a checkout form as typed, with the client's limits and language, adding the
    /// client's intent and Turnstile token when the form has none: every field error at once, as
    /// [`StkError::Validation`].
    ///
    /// ```
    /// use palpluss_stk::client::{StkClient, StkError};
    /// use palpluss_stk::{Limits, RawStkRequest, RawValue};
    ///
    /// let client = StkClient::new("").with_limits(Limits::with_amount_max(1_000).unwrap());
    /// let raw = RawStkRequest {
    ///     amount: RawValue::from("1500"),
    ///     phone: "0712 345 678".into(),
    ///     account_reference: "INV-1".into(),
    ///     transaction_desc: "".into(),
    ///     ..RawStkRequest::default()
    /// };
    /// let Err(StkError::Validation { fields, http_status: None, .. }) = client.validate(&raw) else { panic!() };
    /// let codes: Vec<_> = fields.iter().map(|f| f.code().as_str()).collect();
    /// assert_eq!(codes, ["AMOUNT_TOO_LARGE", "REQUIRED"]);
    /// ```
    pub fn validate(&self, raw: &RawStkRequest) -> Result<CheckoutForm, StkError> {
        let mut raw = raw.clone();
        for (value, default) in [(&mut raw.intent, &self.intent), (&mut raw.turnstile_token, &self.turnstile_token)] {
            if let (RawValue::Missing | RawValue::Null, Some(default)) = (&*value, default) {
                *value = RawValue::String(default.clone());
            }
        }
        CheckoutForm::validate(&raw, &self.limits).map_err(|errors| StkError::Validation {
            fields: errors.into_vec(),
            message: Notice::ValidationFailed.message(self.locale()).to_owned(),
            http_status: None,
            details: None,
            request_id: None,
        })
    }

    /// Asks the proxy for an STK push. The form is checked again with this client's limits (it
    /// may have been built with others) and gets the client's intent and Turnstile token when it
    /// has none; an invalid form sends nothing.
    ///
    /// Errors: [`StkError::Validation`] (here or at the proxy), [`StkError::Api`],
    /// [`StkError::RateLimit`], [`StkError::Network`] (no answer, after one retry with the same
    /// `Idempotency-Key`), [`StkError::Timeout`] (no retry: the prompt may still arrive),
    /// [`StkError::Unavailable`] off wasm32.
    ///
    /// ```no_run
    /// # async fn run(form: palpluss_stk::CheckoutForm) {
    /// use palpluss_stk::client::{StkClient, StkError};
    ///
    /// match StkClient::new("https://pay.shop.example").push(&form).await {
    ///     Ok(accepted) => println!("prompt sent: {}", accepted.transaction_id()),
    ///     Err(StkError::RateLimit { retry_after_seconds, message, .. }) => println!("{message} ({retry_after_seconds} s)"),
    ///     Err(other) => println!("{other}"),
    /// }
    /// # }
    /// ```
    pub async fn push(&self, form: &CheckoutForm) -> Result<AcceptedPayment, StkError> {
        let form = self.validate(&raw_form(form))?;
        let body = serde_json::to_string(&form).map_err(|_| StkError::network(self.locale()))?;
        let url = [self.base_url.as_str(), "/payments/stk"].concat();
        let key = transport::random_key();
        let l = self.locale();
        let mut headers = vec![
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            // The proxy's messages (field errors, refusals) come back in this language.
            ("Accept-Language", l.as_str()),
        ];
        if let Some(key) = &key {
            headers.push(("Idempotency-Key", key.as_str()));
        }
        let mut retried = false;
        loop {
            match transport::send(Method::POST, &url, &headers, Some(&body), self.timeout_ms).await {
                Ok(answer) => {
                    let retry_after = answer.retry_after.as_deref();
                    return push_answer(answer.status, retry_after, &answer.body, transport::now_ms(), l);
                }
                // Only with a key: without one the proxy could not tell a retry from a second push.
                Err(NoAnswer::Network) if key.is_some() && !retried => retried = true,
                Err(NoAnswer::Network) => return Err(StkError::network(l)),
                Err(NoAnswer::Timeout) => return Err(StkError::timeout(l)),
                Err(NoAnswer::Unavailable) => return Err(unavailable(l)),
            }
        }
    }

    /// Follows an accepted payment to its final status: each new status once, the final one last
    /// (then the stream ends), or one error (then it ends): [`StkError::Timeout`] after
    /// [`WAIT_MS`], [`StkError::Api`] `PAYMENT_NOT_FOUND` for a payment the proxy does not know,
    /// `STATUS_UNAVAILABLE` for a push accepted without a status route. Dropping the stream stops
    /// everything (the event stream is closed, timers cleared, a poll in flight aborted).
    ///
    /// ```no_run
    /// # async fn run(accepted: palpluss_stk::client::AcceptedPayment) {
    /// use futures_util::StreamExt;
    /// use palpluss_stk::client::StkClient;
    /// use palpluss_stk::palpluss::TransactionStatus;
    ///
    /// let client = StkClient::new("https://pay.shop.example");
    /// let mut updates = client.wait_for_result(&accepted);
    /// while let Some(update) = updates.next().await {
    ///     match update {
    ///         Ok(payment) if payment.status == TransactionStatus::Success => println!("paid: {:?}", payment.mpesa_receipt),
    ///         Ok(payment) => println!("{}", payment.message),
    ///         Err(error) => println!("{error}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn wait_for_result(&self, accepted: &AcceptedPayment) -> PaymentUpdates {
        let l = self.locale();
        let mut follow = Follow::new(transport::now_ms());
        let route = accepted.status_route().map(|(url, token)| {
            let base = [self.base_url.as_str(), url].concat();
            Route {
                // An EventSource cannot send headers: the token and language go in the query.
                events: [base.as_str(), "/events?token=", token, "&lang=", l.as_str()].concat(),
                poll: [base.as_str(), "?lang=", l.as_str()].concat(),
                authorization: ["Bearer ", token].concat(),
            }
        });
        let first = match route {
            None => follow.fail(status_unavailable(l)),
            Some(_) => Step::Quiet,
        };
        let waiting = Waiting {
            follow,
            route,
            events: None,
            opened: false,
            polled: false,
            first,
            l,
            timeout_ms: self.timeout_ms,
        };
        let updates = futures_util::stream::unfold(waiting, |mut waiting| async move {
            waiting.next().await.map(|update| (update, waiting))
        });
        PaymentUpdates { inner: Box::pin(updates) }
    }

    /// [`StkClient::wait_for_result`] with a callback: `on_update` hears every status on the way
    /// (the final one included), and the final status (or the error) is returned.
    ///
    /// ```no_run
    /// # async fn run(accepted: palpluss_stk::client::AcceptedPayment) -> Result<(), palpluss_stk::client::StkError> {
    /// use palpluss_stk::client::StkClient;
    ///
    /// let client = StkClient::new("https://pay.shop.example");
    /// let last = client.wait_for_result_with(&accepted, |status| println!("{}", status.message)).await?;
    /// assert!(last.is_final);
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_result_with(
        &self,
        accepted: &AcceptedPayment,
        mut on_update: impl FnMut(&PaymentStatus),
    ) -> Result<PaymentStatus, StkError> {
        use futures_util::StreamExt;
        let mut updates = self.wait_for_result(accepted);
        while let Some(update) = updates.next().await {
            let payment = update?;
            on_update(&payment);
            if payment.is_final {
                return Ok(payment);
            }
        }
        // The stream ends with a final status or an error; this is for completeness.
        Err(StkError::Timeout { message: Notice::WaitTimeout.message(self.locale()).to_owned() })
    }
}

/// A valid form as raw input, to check it again with the client's limits.
fn raw_form(form: &CheckoutForm) -> RawStkRequest {
    let text = |s: Option<&str>| s.map_or(RawValue::Missing, RawValue::from);
    RawStkRequest {
        amount: RawValue::Number(form.amount() as f64),
        phone: RawValue::from(form.phone().as_str()),
        account_reference: RawValue::from(form.account_reference()),
        transaction_desc: RawValue::from(form.transaction_desc()),
        intent: text(form.intent()),
        turnstile_token: text(form.turnstile_token()),
        ..RawStkRequest::default()
    }
}

fn unavailable(l: Locale) -> StkError {
    StkError::Unavailable { message: Notice::NetworkError.message(l).to_owned() }
}

/// The statuses of one payment as they change: a [`Stream`] of `Result<PaymentStatus, StkError>`
/// that ends after the final status or an error. Made by [`StkClient::wait_for_result`].
///
/// ```
/// use futures_util::{FutureExt, StreamExt};
/// use palpluss_stk::client::{AcceptedPayment, StkClient};
///
/// // A push accepted without a status route cannot be followed: one error, then the end.
/// let accepted: AcceptedPayment = serde_json::from_str(
///     r#"{"transactionId": "t-1", "status": "PENDING", "amount": 100, "phone": "254712345678"}"#,
/// )?;
/// let mut updates = StkClient::new("").wait_for_result(&accepted);
/// let first = updates.next().now_or_never().flatten().expect("ready at once");
/// assert_eq!(first.unwrap_err().code(), "STATUS_UNAVAILABLE");
/// assert!(updates.next().now_or_never().flatten().is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct PaymentUpdates {
    inner: Pin<Box<dyn Stream<Item = Result<PaymentStatus, StkError>>>>,
}

impl fmt::Debug for PaymentUpdates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PaymentUpdates")
    }
}

impl Stream for PaymentUpdates {
    type Item = Result<PaymentStatus, StkError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// Where a payment's status is shown.
struct Route {
    events: String,
    poll: String,
    authorization: String,
}

/// One wait: the pure [`Follow`] decides, this only fetches and sleeps.
struct Waiting {
    follow: Follow,
    route: Option<Route>,
    events: Option<StatusEvents>,
    opened: bool,
    polled: bool,
    first: Step,
    l: Locale,
    timeout_ms: u32,
}

impl Waiting {
    /// The next update for the caller, or `None` once the wait has ended.
    async fn next(&mut self) -> Option<Result<PaymentStatus, StkError>> {
        let mut step = core::mem::replace(&mut self.first, Step::Quiet);
        loop {
            match step {
                Step::Tell(payment) | Step::Finish(payment) => return Some(Ok(payment)),
                Step::Fail(error) => return Some(Err(error)),
                Step::Quiet if self.follow.is_done() => return None,
                Step::Quiet => {}
            }
            let route = self.route.as_ref()?;
            // The stream first (every change at once), opened once; then polling.
            if !self.opened {
                self.opened = true;
                self.events = StatusEvents::open(&route.events);
            }
            step = match self.events.as_mut() {
                Some(events) => match events.next(self.follow.deadline_ms()).await {
                    StreamEvent::Status(data) => match stream_event(&data) {
                        Some(payment) => self.follow.seen(payment),
                        None => self.close_stream(),
                    },
                    StreamEvent::Closed => self.close_stream(),
                    StreamEvent::Deadline => self.follow.tick(transport::now_ms(), self.l),
                },
                None => self.poll().await,
            };
        }
    }

    fn close_stream(&mut self) -> Step {
        self.events = None;
        Step::Quiet
    }

    /// One poll (after waiting [`POLL_INTERVAL_MS`] unless it is the first).
    async fn poll(&mut self) -> Step {
        let Some(route) = &self.route else { return Step::Quiet };
        if self.polled {
            let left = self.follow.deadline_ms().saturating_sub(transport::now_ms());
            transport::sleep(left.min(u64::from(POLL_INTERVAL_MS))).await;
        }
        self.polled = true;
        if let Step::Fail(error) = self.follow.tick(transport::now_ms(), self.l) {
            return Step::Fail(error);
        }
        let headers = [("Authorization", route.authorization.as_str()), ("Accept", "application/json")];
        match transport::send(Method::GET, &route.poll, &headers, None, self.timeout_ms).await {
            Ok(answer) => self.follow.polled(status_answer(answer.status, &answer.body), transport::now_ms(), self.l),
            Err(NoAnswer::Unavailable) => self.follow.fail(unavailable(self.l)),
            // The network may come back: ask again until the deadline.
            Err(NoAnswer::Network | NoAnswer::Timeout) => self.follow.tick(transport::now_ms(), self.l),
        }
    }
}
