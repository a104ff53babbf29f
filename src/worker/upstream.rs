//! Calls out of the Worker (PalPluss, the merchant), each within a deadline, bodies read capped.

use std::time::Duration;

use ::worker::{
    AbortController, ByteStream, Delay, Fetch, Headers, Method, Request, RequestInit, Response, ResponseBody,
};
use futures_util::future::{select, Either};
use futures_util::StreamExt;

/// The most bytes read from an answer (PalPluss's envelopes are a few hundred bytes).
pub(crate) const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// What came back.
pub(crate) struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    /// `x-ratelimit-remaining`, when PalPluss sends it.
    pub ratelimit_remaining: Option<u64>,
    /// `x-ratelimit-reset`, when PalPluss sends it.
    pub ratelimit_reset: Option<u64>,
    /// `None` when the body was larger than [`MAX_ANSWER_BYTES`].
    pub body: Option<Vec<u8>>,
}

impl Answer {
    /// Whether PalPluss said the key's rate limit is used up (`429 RATE_LIMIT_EXCEEDED`; a 429
    /// `STK_TEMP_BANNED` is the key's ban, which the breaker in the `Budget` object handles).
    pub fn key_rate_limited(&self) -> bool {
        self.status == 429
            && self.body.as_deref().is_some_and(|b| {
                serde_json::from_slice::<crate::palpluss::Envelope<serde::de::IgnoredAny>>(b)
                    .ok()
                    .and_then(|e| e.into_result().err())
                    .is_some_and(|e| e.code == crate::palpluss::codes::RATE_LIMIT_EXCEEDED)
            })
    }

    /// When the key's window resets, in seconds from now: `x-ratelimit-reset`, else a numeric
    /// `Retry-After`.
    pub fn reset_seconds(&self) -> Option<u64> {
        self.ratelimit_reset.or_else(|| self.retry_after.as_deref().and_then(|v| v.trim().parse().ok()))
    }
}

/// Why nothing usable came back.
pub(crate) enum Failure {
    /// The request could not be built (a malformed configured URL).
    BadUrl,
    /// No answer within the deadline; the request was aborted.
    Timeout,
    /// The connection failed.
    Unreachable,
}

/// Sends one request (never retried here) and reads the answer within `timeout_ms`.
pub(crate) async fn call(
    method: Method,
    url: &str,
    headers: Headers,
    body: Option<String>,
    timeout_ms: u32,
) -> Result<Answer, Failure> {
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers).with_body(body.map(Into::into));
    let request = Request::new_with_init(url, &init).map_err(|_| Failure::BadUrl)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async {
        let mut response = Fetch::Request(request).send_with_signal(&signal).await?;
        let header = |name: &str| response.headers().get(name).ok().flatten();
        let number = |name: &str| header(name).and_then(|v| v.trim().parse::<u64>().ok());
        let status = response.status_code();
        let retry_after = header("Retry-After");
        let ratelimit_remaining = number("x-ratelimit-remaining");
        let ratelimit_reset = number("x-ratelimit-reset");
        let declared = number("Content-Length").and_then(|n| usize::try_from(n).ok());
        let body = match declared {
            Some(len) if len <= MAX_ANSWER_BYTES => response_bytes(&response).await.map(Some)?,
            _ => read_capped(response.stream(), MAX_ANSWER_BYTES).await?,
        };
        Ok::<_, ::worker::Error>(Answer { status, retry_after, ratelimit_remaining, ratelimit_reset, body })
    };
    let deadline = Delay::from(Duration::from_millis(u64::from(timeout_ms)));
    futures_util::pin_mut!(exchange);
    match select(exchange, deadline).await {
        Either::Left((Ok(answer), _)) => Ok(answer),
        Either::Left((Err(_), _)) => Err(Failure::Unreachable),
        Either::Right(((), _)) => {
            controller.abort();
            Err(Failure::Timeout)
        }
    }
}

/// The whole body of a response from `fetch` or a Durable Object, in one `arrayBuffer()`.
///
/// worker's `Response::bytes` reads such a body through a stream reader, a promise and two
/// closures per chunk and a `releaseLock`: bench/profile.mjs measured that reading as the largest
/// single cost of a status read (a Durable Object's answer of a few hundred bytes). Wrapping the
/// stream in a `Response` and taking its `arrayBuffer()` is one promise.
pub(crate) async fn response_bytes(response: &Response) -> ::worker::Result<Vec<u8>> {
    let stream = match response.body() {
        ResponseBody::Body(bytes) => return Ok(bytes.clone()),
        ResponseBody::Empty => return Ok(Vec::new()),
        ResponseBody::Stream(stream) => stream,
    };
    let whole = ::worker::web_sys::Response::new_with_opt_readable_stream(Some(stream))?;
    let buffer = js_sys::futures::JsFuture::from(whole.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// [`response_bytes`] as text (lossy: the objects answer ASCII, PalPluss UTF-8).
pub(crate) async fn response_text(response: &Response) -> ::worker::Result<String> {
    response_bytes(response)
        .await
        .map(|b| String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Reads at most `cap` bytes of a body; `Ok(None)` when there are more. A body that was never
/// sent reads as empty.
pub(crate) async fn read_capped(stream: ::worker::Result<ByteStream>, cap: usize) -> ::worker::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let Ok(mut stream) = stream else { return Ok(Some(body)) };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Headers for a call to PalPluss with the key.
pub(crate) fn palpluss_headers(authorization: &str, json_body: bool) -> Headers {
    let headers = Headers::new();
    let _ = headers.set("Authorization", authorization);
    let _ = headers.set("Accept", "application/json");
    if json_body {
        let _ = headers.set("Content-Type", "application/json");
    }
    headers
}

/// 16 random bytes from the platform's CSPRNG (`crypto.getRandomValues`).
pub(crate) fn random_bytes() -> Option<[u8; 16]> {
    let mut bytes = [0u8; 16];
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let array = js_sys::Uint8Array::new_with_length(16);
    let get_random = js_sys::Reflect::get(&crypto, &"getRandomValues".into()).ok()?;
    let get_random: js_sys::Function = wasm_bindgen::JsCast::dyn_into(get_random).ok()?;
    get_random.call1(&crypto, &array).ok()?;
    array.copy_to(&mut bytes);
    Some(bytes)
}
