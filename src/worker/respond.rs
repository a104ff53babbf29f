//! The Worker's answers as sent: a [`Reply`] (a refusal decided in `edge::reply`, PalPluss's own
//! answer, a replay, data, a stream) rendered with the CORS, request-id and cache headers, and
//! redacted.

use ::worker::{web_sys, Response};
use serde_json::Value;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::edge::guard::KeptAnswer;
use crate::edge::proxy;
use crate::edge::reply::Refusal;

/// What the proxy answers, before CORS and request-id headers are added.
pub(crate) enum Reply {
    /// An error the proxy makes itself, in PalPluss's envelope.
    Refusal(Refusal),
    /// PalPluss's own answer, passed through (`respond` redacts it like every body).
    Upstream { status: u16, body: String, retry_after: Option<String> },
    /// A successful preflight, with the route's methods.
    Preflight { methods: &'static str },
    /// `/health`.
    Health { status: u16, body: Value },
    /// The proxy's own success, `{ success: true, data, requestId }`, with `data` as JSON text (a
    /// payment object's view goes on as the object wrote it, without a parse and a re-encoding).
    Data { status: u16, data: String },
    /// An answer made elsewhere, sent with its own type: a payment's SSE status stream, the admin
    /// API's CSV export, a file or a redirect of the operator page.
    Stream(Response),
    /// An answer kept for an `Idempotency-Key`, given again.
    Replay(KeptAnswer),
}

impl From<Refusal> for Reply {
    fn from(refusal: Refusal) -> Reply {
        Reply::Refusal(refusal)
    }
}

impl Reply {
    pub(crate) fn status(&self) -> u16 {
        match self {
            Reply::Refusal(refusal) => refusal.status,
            Reply::Upstream { status, .. } | Reply::Health { status, .. } | Reply::Data { status, .. } => *status,
            Reply::Preflight { .. } => 204,
            Reply::Stream(response) => response.status_code(),
            Reply::Replay(answer) => answer.status,
        }
    }

    /// The refusal's code, for the log line.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            Reply::Refusal(refusal) => Some(&refusal.code),
            _ => None,
        }
    }
}

/// The status, body and `Retry-After` of an answer (a refusal, PalPluss's answer or a replay) as
/// it is sent, before redaction; `None` for the other replies. What `respond` sends and what an
/// `Idempotency-Key` keeps are this one rendering.
fn rendered(reply: &Reply, request_id: &str) -> Option<KeptAnswer> {
    match reply {
        Reply::Upstream { status, body, retry_after } => {
            Some(KeptAnswer { status: *status, body: body.clone(), retry_after: retry_after.clone() })
        }
        Reply::Refusal(refusal) => Some(refusal.render(request_id)),
        Reply::Replay(answer) => Some(answer.clone()),
        _ => None,
    }
}

/// The answer kept for an `Idempotency-Key`, redacted like every body.
pub(crate) fn kept_answer(reply: &Reply, request_id: &str, secrets: &[String]) -> Option<KeptAnswer> {
    let answer = rendered(reply, request_id)?;
    Some(KeptAnswer { body: proxy::redact(&answer.body, secrets), ..answer })
}

/// The JavaScript side of an answer: one call that makes the `Response` from its status, its body
/// (text, or a stream's),
/// the headers every answer has (one object of a fixed shape, which the runtime converts faster
/// than one built key by key) and the others (one string, `name\nvalue\n...`), where setting each
/// header from wasm would be a call and two string copies per header (see "The Worker per
/// request" in the README).
#[wasm_bindgen(inline_js = r#"
const EXPOSED = "X-Request-Id, Retry-After, Idempotent-Replayed";
const VARY = "Origin, Accept-Language";
const JSON_TYPE = "application/json; charset=utf-8";
export function answer(status, body, requestId, origin, json, extra) {
  const headers = origin === undefined
    ? { "X-Request-Id": requestId, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", Vary: VARY }
    : { "X-Request-Id": requestId, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", Vary: VARY,
        "Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED };
  if (json) headers["Content-Type"] = JSON_TYPE;
  if (extra !== "") {
    const lines = extra.split("\n");
    for (let i = 0; i + 1 < lines.length; i += 2) headers[lines[i]] = lines[i + 1];
  }
  return new Response(body, { status, headers });
}
export function reanswer(response, requestId, origin, extra) {
  return answer(response.status, response.body, requestId, origin, false, extra);
}"#)]
extern "C" {
    fn answer(
        status: u16,
        body: Option<String>,
        request_id: &str,
        origin: Option<&str>,
        json: bool,
        extra: &str,
    ) -> web_sys::Response;
    /// `answer` with a `Response` made elsewhere: its status and body, the headers every answer
    /// has and `extra`.
    fn reanswer(response: &web_sys::Response, request_id: &str, origin: Option<&str>, extra: &str)
        -> web_sys::Response;
}

/// The headers of an answer beyond those `answer` always sets, as it takes them. Their values
/// never hold a line break: fixed texts, digits, and a stream's own type, name and location.
struct HeaderLines(String);

impl HeaderLines {
    fn set(&mut self, name: &str, value: &str) {
        if value.contains(['\n', '\r']) {
            return;
        }
        self.0.push_str(name);
        self.0.push('\n');
        self.0.push_str(value);
        self.0.push('\n');
    }
}

pub(crate) fn respond(
    reply: Reply,
    request_id: &str,
    cors_origin: Option<&str>,
    secrets: Option<&[String]>,
) -> ::worker::Result<web_sys::Response> {
    // An origin is from ALLOWED_ORIGINS (checked at configuration); one with a line break is
    // never sent.
    let cors_origin = cors_origin.filter(|o| !o.contains(['\n', '\r']));
    let mut headers = HeaderLines(String::new());
    let status = reply.status();
    let body = match reply {
        Reply::Preflight { methods } => {
            headers.set("Access-Control-Allow-Methods", methods);
            headers.set("Access-Control-Allow-Headers", "Content-Type, Authorization, Idempotency-Key");
            headers.set("Access-Control-Max-Age", "600");
            return Ok(answer(204, None, request_id, cors_origin, false, &headers.0));
        }
        Reply::Stream(response) => {
            // The answer's own type (an SSE status stream, a CSV export, a page file), file name
            // and redirect.
            for name in ["Content-Type", "Content-Disposition", "Location"] {
                if let Ok(Some(value)) = response.headers().get(name) {
                    headers.set(name, &value);
                }
            }
            return Ok(reanswer(&response.into(), request_id, cors_origin, &headers.0));
        }
        Reply::Data { data, .. } => {
            let request_id = serde_json::to_string(request_id).unwrap_or_default();
            [r#"{"success":true,"data":"#, &data, r#","requestId":"#, &request_id, "}"].concat()
        }
        Reply::Health { body, .. } => body.to_string(),
        answer => {
            if let Reply::Refusal(Refusal { allow: Some(allow), .. }) = &answer {
                headers.set("Allow", allow);
            }
            if let Reply::Replay(_) = &answer {
                headers.set("Idempotent-Replayed", "true");
            }
            // Every remaining reply is an answer (refusal, PalPluss's, replay): it always renders.
            let (body, retry_after) =
                rendered(&answer, request_id).map(|a| (a.body, a.retry_after)).unwrap_or_default();
            if let Some(seconds) = retry_after {
                headers.set("Retry-After", &seconds);
            }
            body
        }
    };
    let body = match secrets {
        Some(secrets) => proxy::redact(&body, secrets),
        None => body,
    };
    Ok(answer(status, Some(body), request_id, cors_origin, true, &headers.0))
}
