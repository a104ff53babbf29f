//! The Worker's routes, by path and method: which route a request is for, what it allows, and
//! how its path is logged.

#[allow(unused_imports)]
use crate::prelude::*;

/// The webhook route's path before the secret.
pub const WEBHOOK_PATH_PREFIX: &str = "/webhooks/palpluss/";

/// A payment id as the status routes accept it: 1 to 128 letters, digits, `-` or `_`. Anything
/// else is answered like an unknown id.
pub fn is_payment_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
}

/// The first value of a query parameter in a URL, percent-decoded (`+` as a space); `None` when
/// absent or not valid UTF-8 once decoded.
///
/// ```
/// use palpluss_stk::edge::route::query_param;
///
/// assert_eq!(query_param("https://x/p?a=1&token=ab%2Dc_d#f", "token").as_deref(), Some("ab-c_d"));
/// assert_eq!(query_param("https://x/p?tokens=1", "token"), None);
/// ```
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or("");
    let raw = query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })?;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|c| (*c as char).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The path of a request's URL as the runtime serialises it (WHATWG: a special scheme's URL
/// always has a path, within which `?` and `#` are percent-encoded), without a URL parser: what
/// worker's `Request::path` gives, for the Worker's own entry (`front`).
///
/// ```
/// use palpluss_stk::edge::route::path_of_url;
///
/// assert_eq!(path_of_url("https://proxy.example/payments/stk?x=1#f"), "/payments/stk");
/// assert_eq!(path_of_url("https://proxy.example"), "/");
/// assert_eq!(path_of_url("https://proxy.example/pay/a%3Fb"), "/pay/a%3Fb");
/// ```
pub fn path_of_url(url: &str) -> &str {
    let Some((_, rest)) = url.split_once("://") else { return "/" };
    let Some(at) = rest.find(['/', '?', '#']) else { return "/" };
    let (_, path) = rest.split_at(at);
    match path.split(['?', '#']).next() {
        Some(path) if !path.is_empty() => path,
        _ => "/",
    }
}

/// Masks the webhook secret in a path for logs: `/webhooks/palpluss/***`, under any base path.
///
/// ```
/// use palpluss_stk::edge::route::loggable_path;
///
/// assert_eq!(loggable_path("/pay/webhooks/palpluss/whk_0123456789abcdef"), "/pay/webhooks/palpluss/***");
/// assert_eq!(loggable_path("/payments/stk"), "/payments/stk");
/// ```
pub fn loggable_path(path: &str) -> String {
    match path.find(WEBHOOK_PATH_PREFIX) {
        Some(at) => [&path[..at + WEBHOOK_PATH_PREFIX.len()], "***"].concat(),
        None => path.to_owned(),
    }
}

/// `BASE_PATH` as the proxy uses it: empty (the routes at the root) or a path such as `/pay`
/// (leading `/`, no trailing `/`, segments of letters, digits, `-`, `_` or `.`, at most 100
/// characters). `None` when malformed.
///
/// ```
/// use palpluss_stk::edge::route::base_path;
///
/// assert_eq!(base_path("").as_deref(), Some(""));
/// assert_eq!(base_path(" /pay/ ").as_deref(), Some("/pay"));
/// assert_eq!(base_path("/shop/pay").as_deref(), Some("/shop/pay"));
/// assert_eq!(base_path("pay"), None);
/// assert_eq!(base_path("/pay/../admin"), None);
/// ```
pub fn base_path(value: &str) -> Option<String> {
    let path = value.trim().trim_end_matches('/');
    if path.is_empty() {
        return Some(String::new());
    }
    let segments = path.strip_prefix('/')?;
    let segment_ok = |s: &str| {
        !s.is_empty() && s != "." && s != ".." && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    (path.len() <= 100 && segments.split('/').all(segment_ok)).then(|| path.to_owned())
}

/// The path under the base path (`/pay/payments/stk` under `/pay` is `/payments/stk`); `None`
/// when the path is outside it.
///
/// ```
/// use palpluss_stk::edge::route::under_base_path;
///
/// assert_eq!(under_base_path("/pay/payments/stk", "/pay"), Some("/payments/stk"));
/// assert_eq!(under_base_path("/payments/stk", ""), Some("/payments/stk"));
/// assert_eq!(under_base_path("/payment/stk", "/pay"), None);
/// assert_eq!(under_base_path("/pay", "/pay"), Some("/"));
/// ```
pub fn under_base_path<'a>(path: &'a str, base: &str) -> Option<&'a str> {
    match path.strip_prefix(base)? {
        "" => Some("/"),
        rest if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

/// The Worker's routes, by path.
///
/// ```
/// use palpluss_stk::edge::route::Route;
///
/// assert_eq!(Route::of("/payments/stk"), Route::Push);
/// assert_eq!(Route::of("/payments/t-1/events"), Route::Events("t-1"));
/// assert_eq!(Route::of("/payments/t-1/x/y"), Route::NotFound);
/// assert_eq!(Route::of("/webhooks/palpluss/s3cret"), Route::Webhook("s3cret"));
/// assert_eq!(Route::of("/admin/payments.csv"), Route::Admin("/payments.csv"));
/// assert_eq!(Route::of("/administrator"), Route::NotFound);
/// assert_eq!(Route::Status("t-1").methods(), "GET, HEAD, OPTIONS");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /health`
    Health,
    /// `POST /payments/stk`
    Push,
    /// `GET /payments/{id}`
    Status(&'a str),
    /// `GET /payments/{id}/events`
    Events(&'a str),
    /// `POST /webhooks/palpluss/{secret}`, with the secret as given (checked by the config).
    Webhook(&'a str),
    /// `/admin` and below (with `ADMIN_TOKEN`): the path after `/admin`.
    Admin(&'a str),
    /// Anything else.
    NotFound,
}

impl<'a> Route<'a> {
    /// The route a path is for.
    pub fn of(path: &'a str) -> Route<'a> {
        if let Some(secret) = path.strip_prefix(WEBHOOK_PATH_PREFIX) {
            return Route::Webhook(secret);
        }
        if let Some(rest) = path.strip_prefix("/admin").filter(|r| r.is_empty() || r.starts_with('/')) {
            return Route::Admin(rest);
        }
        match path {
            "/health" => Route::Health,
            "/payments/stk" => Route::Push,
            _ => match path.strip_prefix("/payments/") {
                Some(rest) => match rest.strip_suffix("/events") {
                    Some(id) => Route::Events(id),
                    None if !rest.contains('/') => Route::Status(rest),
                    None => Route::NotFound,
                },
                None => Route::NotFound,
            },
        }
    }

    /// The methods the route answers (`Allow`, and the preflight's `Access-Control-Allow-Methods`).
    pub fn methods(self) -> &'static str {
        match self {
            Route::Health => "GET, HEAD, OPTIONS",
            Route::Push => "POST, OPTIONS",
            Route::Status(_) => "GET, HEAD, OPTIONS",
            Route::Events(_) => "GET, OPTIONS",
            Route::Webhook(_) => "POST",
            Route::Admin(_) => "GET, POST",
            Route::NotFound => "",
        }
    }
}
