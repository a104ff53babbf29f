//! The client's I/O, and nothing else: one HTTP exchange with a timeout (gloo-net's `http`), the
//! proxy's event stream (gloo-net's `eventsource`), timers, the clock and random keys. In wasm32
//! these are the browser's; elsewhere nothing can be sent and every call says so at once.

/// An HTTP answer, read to the end.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: String,
}

/// Why no answer came.
// `Unavailable` happens only off wasm32, the others only on it.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoAnswer {
    /// The connection failed or dropped (before or during the answer).
    Network,
    /// The timeout passed first (the request was aborted).
    Timeout,
    /// Not in a browser.
    Unavailable,
}

/// What the event stream gave.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) enum StreamEvent {
    /// An `event: status` with this `data:`.
    Status(String),
    /// The stream failed, closed or reconnects: follow by polling from now on.
    Closed,
    /// The deadline passed first.
    Deadline,
}

#[cfg(target_arch = "wasm32")]
pub(crate) use browser::*;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use elsewhere::*;

#[cfg(target_arch = "wasm32")]
mod browser {
    use core::future::Future;
    use core::pin::Pin;
    use core::task::{Context, Poll};

    use futures_util::future::{select, Either};
    use futures_util::stream::{select as merge, Select};
    use futures_util::StreamExt;
    use gloo_net::eventsource::futures::{EventSource, EventSourceSubscription};
    pub(crate) use gloo_net::http::Method;
    use gloo_net::http::RequestBuilder;
    use js_sys::{Function, Promise};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_futures::JsFuture;

    use super::{Answer, NoAnswer, StreamEvent};

    #[wasm_bindgen]
    extern "C" {
        // The global functions, so that the client works in a page and in a Web Worker alike.
        #[wasm_bindgen(js_name = setTimeout)]
        fn set_timeout(handler: &Function, ms: i32) -> JsValue;
        #[wasm_bindgen(js_name = clearTimeout)]
        fn clear_timeout(id: &JsValue);
    }

    /// Milliseconds since 1970.
    pub(crate) fn now_ms() -> u64 {
        js_sys::Date::now() as u64
    }

    /// A random version 4 UUID (`crypto.getRandomValues`); `None` where there is no crypto.
    pub(crate) fn random_key() -> Option<String> {
        let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
        let crypto: web_sys::Crypto = crypto.dyn_into().ok()?;
        let mut bytes = [0u8; 16];
        crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
        Some(crate::edge::encoding::uuid_v4(bytes))
    }

    /// A `setTimeout` as a future; dropping it clears the timer.
    pub(crate) struct Sleep {
        id: JsValue,
        done: JsFuture,
    }

    /// Waits `ms` milliseconds.
    pub(crate) fn sleep(ms: u64) -> Sleep {
        let mut id = JsValue::UNDEFINED;
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        let promise = Promise::new(&mut |resolve, _| id = set_timeout(&resolve, ms));
        Sleep { id, done: JsFuture::from(promise) }
    }

    impl Future for Sleep {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut self.done).poll(cx).map(|_| ())
        }
    }

    impl Drop for Sleep {
        fn drop(&mut self) {
            clear_timeout(&self.id);
        }
    }

    /// Aborts its request when dropped: on a timeout, or when the caller drops the future.
    struct AbortOnDrop(Option<web_sys::AbortController>);

    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            if let Some(controller) = &self.0 {
                controller.abort();
            }
        }
    }

    /// One HTTP exchange, the whole body read, within `timeout_ms`.
    pub(crate) async fn send(
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        timeout_ms: u32,
    ) -> Result<Answer, NoAnswer> {
        let abort = AbortOnDrop(web_sys::AbortController::new().ok());
        let mut request =
            RequestBuilder::new(url).method(method).abort_signal(abort.0.as_ref().map(|c| c.signal()).as_ref());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let exchange = async move {
            let request = match body {
                Some(body) => request.body(body.to_owned()),
                None => request.build(),
            };
            let response = request.map_err(|_| NoAnswer::Network)?.send().await.map_err(|_| NoAnswer::Network)?;
            let retry_after = response.headers().get("Retry-After");
            let body = response.text().await.map_err(|_| NoAnswer::Network)?;
            Ok(Answer { status: response.status(), retry_after, body })
        };
        let exchange = core::pin::pin!(exchange);
        match select(exchange, sleep(u64::from(timeout_ms))).await {
            Either::Left((answer, _)) => answer,
            // `abort` drops here and cancels the request.
            Either::Right(((), _)) => Err(NoAnswer::Timeout),
        }
    }

    /// The proxy's event stream for one payment: its `status` events, and its `error` events
    /// (gloo-net reports only a final failure; a stream that drops and reconnects is followed by
    /// polling instead, as the npm client does).
    pub(crate) struct StatusEvents {
        _source: EventSource,
        events: Select<EventSourceSubscription, EventSourceSubscription>,
    }

    impl StatusEvents {
        /// Opens the stream; `None` where EventSource is missing or refuses the URL.
        pub(crate) fn open(url: &str) -> Option<StatusEvents> {
            let mut source = EventSource::new(url).ok()?;
            let status = source.subscribe("status").ok()?;
            let errors = source.subscribe("error").ok()?;
            Some(StatusEvents { events: merge(status, errors), _source: source })
        }

        /// The next event, or [`StreamEvent::Deadline`] once `deadline_ms` has passed.
        pub(crate) async fn next(&mut self, deadline_ms: u64) -> StreamEvent {
            let timer = sleep(deadline_ms.saturating_sub(now_ms()));
            match select(self.events.next(), timer).await {
                Either::Left((Some(Ok((kind, event))), _)) if kind == "status" => {
                    event.data().as_string().map_or(StreamEvent::Closed, StreamEvent::Status)
                }
                Either::Left(_) => StreamEvent::Closed,
                Either::Right(_) => StreamEvent::Deadline,
            }
        }
    }
}

/// Off wasm32 there is no fetch: everything fails at once with [`NoAnswer::Unavailable`].
#[cfg(not(target_arch = "wasm32"))]
mod elsewhere {
    use super::{Answer, NoAnswer, StreamEvent};

    /// The HTTP methods the client uses, spelt as gloo-net spells them.
    #[allow(clippy::upper_case_acronyms)]
    pub(crate) enum Method {
        GET,
        POST,
    }

    /// Milliseconds since 1970.
    pub(crate) fn now_ms() -> u64 {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// No random source is used off wasm32 (nothing is sent).
    pub(crate) fn random_key() -> Option<String> {
        None
    }

    /// Ready at once: nothing is waited for off wasm32.
    pub(crate) async fn sleep(_ms: u64) {}

    /// Never sends.
    pub(crate) async fn send(
        _method: Method,
        _url: &str,
        _headers: &[(&str, &str)],
        _body: Option<&str>,
        _timeout_ms: u32,
    ) -> Result<Answer, NoAnswer> {
        Err(NoAnswer::Unavailable)
    }

    /// Never opens.
    pub(crate) enum StatusEvents {}

    impl StatusEvents {
        pub(crate) fn open(_url: &str) -> Option<StatusEvents> {
            None
        }

        pub(crate) async fn next(&mut self, _deadline_ms: u64) -> StreamEvent {
            match *self {}
        }
    }
}
