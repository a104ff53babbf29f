//! What every part of the Worker reads from its environment: the configuration (checked once per
//! isolate), the clock and the customer's language.

use std::cell::RefCell;
use std::rc::Rc;

use ::worker::{Env, Request};

use crate::edge::config::Config;
use crate::edge::variables::ConfigError;
use crate::rules::locale::Locale;

thread_local! {
    /// The configuration, checked once per isolate (an isolate serves one deployment's env).
    static CONFIG: RefCell<Option<Result<Rc<Config>, ConfigError>>> = const { RefCell::new(None) };
}

/// The current time, unix milliseconds: `Date.now()`, one call (worker's `Date::now()` makes a
/// `Date` object and asks it, two).
pub(crate) fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

pub(crate) fn config(env: &Env) -> Result<Rc<Config>, ConfigError> {
    CONFIG.with(|cell| {
        cell.borrow_mut().get_or_insert_with(|| Config::from_lookup(|name| lookup(env, name)).map(Rc::new)).clone()
    })
}

/// A variable or a secret by name.
pub(crate) fn lookup(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|s| s.to_string()))
}

/// The customer's language from `Accept-Language` (English unless it prefers Kiswahili).
pub(crate) fn customer_locale(req: &Request) -> Locale {
    req.headers().get("Accept-Language").ok().flatten().map_or(Locale::En, |h| Locale::from_accept_language(&h))
}
