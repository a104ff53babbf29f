//! What a request asks for, read from its headers, URL and body before any call is made: a
//! checkout's content type, length and JSON, and a status read's token and language. The Worker's
//! two entries (worker-rs's and its own, `src/worker/front.js`) both decide with these.

#[allow(unused_imports)]
use crate::prelude::*;

use serde_json::Value;

use crate::edge::proxy::{is_json_content_type, MAX_BODY_BYTES};
use crate::edge::reply::Refusal;
use crate::edge::route::{is_payment_id, query_param};
use crate::rules::locale::Locale;
use crate::rules::stk::RawStkRequest;

/// What the headers of a checkout decide before its body is read: a refusal (not JSON, a declared
/// length over [`MAX_BODY_BYTES`]), or the declared length (`None`: not declared, so the body is
/// read as a stream and abandoned past the limit).
///
/// ```
/// use palpluss_stk::edge::request::body_expected;
///
/// assert_eq!(body_expected("application/json; charset=utf-8", Some(" 120 ")), Ok(Some(120)));
/// assert_eq!(body_expected("application/json", None), Ok(None));
/// assert_eq!(body_expected("text/plain", Some("120")).unwrap_err().code, "UNSUPPORTED_MEDIA_TYPE");
/// assert_eq!(body_expected("application/json", Some("16385")).unwrap_err().code, "BODY_TOO_LARGE");
/// ```
pub fn body_expected(content_type: &str, content_length: Option<&str>) -> Result<Option<u64>, Refusal> {
    if !is_json_content_type(content_type) {
        return Err(Refusal::unsupported_media_type());
    }
    let declared = content_length.and_then(|l| l.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(Refusal::body_too_large());
    }
    Ok(declared)
}

/// A checkout's body as read (`None`: it went over [`MAX_BODY_BYTES`]), checked as JSON: the
/// request, `None` for valid JSON that is not an object (a field error, reported at validation
/// with the others), or the refusal (too large, not JSON).
///
/// ```
/// use palpluss_stk::edge::request::checkout_json;
///
/// assert!(matches!(checkout_json(Some(br#"{"amount":100}"#)), Ok(Some(_))));
/// assert!(matches!(checkout_json(Some(b"[1,2]")), Ok(None)));
/// assert_eq!(checkout_json(Some(b"{")).unwrap_err().code, "INVALID_JSON");
/// assert_eq!(checkout_json(None).unwrap_err().code, "BODY_TOO_LARGE");
/// ```
pub fn checkout_json(body: Option<&[u8]>) -> Result<Option<RawStkRequest>, Refusal> {
    let Some(body) = body.filter(|b| b.len() <= MAX_BODY_BYTES) else {
        return Err(Refusal::body_too_large());
    };
    match serde_json::from_slice::<RawStkRequest>(body) {
        Ok(raw) => Ok(Some(raw)),
        Err(e) if e.is_data() && serde_json::from_slice::<Value>(body).is_ok_and(|v| !v.is_object()) => Ok(None),
        Err(_) => Err(Refusal::invalid_json()),
    }
}

/// A status read (`GET /payments/{id}`, or its event stream) as a request asks for it: the token
/// from `Authorization: Bearer` or `?token=`, the message's language from `?lang=` (an EventSource
/// cannot set headers) or `Accept-Language`, and the payment object's route for it.
///
/// ```
/// use palpluss_stk::edge::request::StatusQuery;
///
/// let read = StatusQuery::of("t-1", false, Some("Bearer st_abc"), "https://x/payments/t-1?lang=sw", None).unwrap();
/// assert_eq!((read.token.as_str(), read.route.as_str()), ("st_abc", "/status/sw"));
/// let read = StatusQuery::of("t-1", true, None, "https://x/payments/t-1/events?token=st_abc", Some("sw-KE")).unwrap();
/// assert_eq!((read.token.as_str(), read.route.as_str()), ("st_abc", "/events/sw"));
/// // No token, or an id that cannot be one: answered like an unknown payment.
/// assert_eq!(StatusQuery::of("t-1", false, None, "https://x/payments/t-1", None).unwrap_err().status, 404);
/// assert_eq!(StatusQuery::of("t 1", false, Some("Bearer st_abc"), "https://x/", None).unwrap_err().status, 404);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusQuery {
    /// The token, the whole body of the call to the object (plain text: no JSON wire between the
    /// Worker and its objects).
    pub token: String,
    /// The object's route: `/status/{lang}` or `/events/{lang}`.
    pub route: String,
    /// The language of the answer's messages.
    pub locale: Locale,
}

impl StatusQuery {
    /// The read a request asks for, or its refusal (no token, a token over 256 bytes, or an id
    /// that cannot be one: all answered like an unknown payment).
    pub fn of(
        id: &str,
        stream: bool,
        authorization: Option<&str>,
        url: &str,
        accept_language: Option<&str>,
    ) -> Result<StatusQuery, Refusal> {
        let bearer = authorization.and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_owned()));
        let query = query_param(url, "token");
        let locale = query_param(url, "lang")
            .and_then(|tag| Locale::from_tag(&tag))
            .unwrap_or_else(|| accept_language.map_or(Locale::En, Locale::from_accept_language));
        let Some(token) = bearer.or(query).filter(|t| !t.is_empty() && t.len() <= 256) else {
            return Err(Refusal::payment_not_found());
        };
        if !is_payment_id(id) {
            return Err(Refusal::payment_not_found());
        }
        let route = [if stream { "/events/" } else { "/status/" }, locale.as_str()].concat();
        Ok(StatusQuery { token, route, locale })
    }
}
