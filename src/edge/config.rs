//! The Worker's configuration: every variable read and checked once, and what it decides (the
//! callback URL, the allowed origins, the body sent upstream, the secrets to redact).
//!
//! ```
//! use palpluss_stk::edge::config::Config;
//! use palpluss_stk::edge::proxy::mask_phone;
//!
//! let config = Config::from_lookup(|name| match name {
//!     "PALPLUSS_API_KEY" => Some("fake_api_key_123".to_owned()),
//!     "CALLBACK_URL" => Some("https://shop.example/mpesa".to_owned()),
//!     "ALLOWED_ORIGINS" => Some("https://shop.example, https://www.shop.example".to_owned()),
//!     _ => None,
//! }).unwrap();
//! assert_eq!(config.stk_url(), "https://api.palpluss.com/v1/payments/stk");
//! assert!(config.origin_allowed("https://www.shop.example"));
//! assert!(!format!("{config:?}").contains("fake_api_key_123"));
//! assert_eq!(mask_phone("254712345678"), "2547******78");
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use serde::Serialize;

use super::encoding::{base64, constant_time_eq, percent_encode};
use super::events::{is_plain_secret, SigningSecret};
use super::health::HealthSettings;
use super::route::{self, WEBHOOK_PATH_PREFIX};
use super::variables::*;
use crate::rules::locale::Locale;
use crate::rules::stk::{
    is_uuid, validate_callback_url, CheckoutForm, ErrorCode, Field, FieldError, Limits, RawStkRequest, RawValue,
    ValidationErrors, AMOUNT_MAX_LIMIT,
};

/// The Worker's configuration, checked once per isolate.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// The key and its Basic encoding (`base64(key + ":")`), computed once, then the webhook
    /// secrets: everything that must never leave the proxy.
    secrets: Vec<String>,
    base_url: String,
    /// `CALLBACK_URL`; `None` when it is derived from the Worker's host and `WEBHOOK_SECRET`.
    callback_url: Option<String>,
    webhook_secret: Option<String>,
    merchant: Option<MerchantWebhook>,
    upstream_rate_per_minute: u32,
    retention_days: u32,
    intent_secret: Option<String>,
    turnstile: Option<Turnstile>,
    phone_cooldown_s: u32,
    phone_max_per_hour: u32,
    health: HealthSettings,
    allowed_origins: Vec<String>,
    channel_id: Option<String>,
    credential_id: Option<String>,
    limits: Limits,
    upstream_timeout_ms: u32,
    /// `BASE_PATH`: `""` or a path such as `/pay` (see [`route::base_path`]).
    base_path: String,
    /// The key the payment index hashes phones with (derived from the API key once).
    phone_index_key: [u8; 32],
    /// `ADMIN_TOKEN`: the admin API's bearer token; `None`: every `/admin` route is 404.
    admin_token: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("secrets", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("callback_url", &self.callback_url)
            .field("allowed_origins", &self.allowed_origins)
            .field("channel_id", &self.channel_id)
            .field("credential_id", &self.credential_id)
            .field("limits", &self.limits)
            .field("upstream_timeout_ms", &self.upstream_timeout_ms)
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "[redacted]"))
            .field("merchant_webhook_url", &self.merchant.as_ref().map(|m| m.url.as_str()))
            .field("upstream_rate_per_minute", &self.upstream_rate_per_minute)
            .field("retention_days", &self.retention_days)
            .field("intent_secret", &self.intent_secret.as_ref().map(|_| "[redacted]"))
            .field("turnstile_verify_url", &self.turnstile.as_ref().map(|t| t.verify_url.as_str()))
            .field("phone_cooldown_s", &self.phone_cooldown_s)
            .field("phone_max_per_hour", &self.phone_max_per_hour)
            .field("health", &self.health)
            .field("base_path", &self.base_path)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Config {
    /// Reads and checks every variable through `lookup` (the Worker passes its `Env`). Empty or
    /// whitespace-only values count as unset. The first problem found is returned.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |v: Variable| lookup(v.name()).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let missing = |variable, expected| ConfigError { variable, missing: true, expected };
        let invalid = |variable, expected| ConfigError { variable, missing: false, expected };

        const KEY: &str = "the PalPluss API key (printable characters, no spaces)";
        let api_key = get(Variable::ApiKey).ok_or(missing(Variable::ApiKey, KEY))?;
        if !api_key.bytes().all(|b| b.is_ascii_graphic()) || api_key.len() > 512 {
            return Err(invalid(Variable::ApiKey, KEY));
        }

        const BASE: &str = "an https URL such as https://api.palpluss.com/v1 (http only on 127.0.0.1 or localhost)";
        let base_url = get(Variable::BaseUrl).unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let base_url = base_url.trim_end_matches('/').to_owned();
        let base_is_loopback = is_loopback_http(&base_url);
        if !(base_is_loopback || is_plain_https_url(&base_url)) {
            return Err(invalid(Variable::BaseUrl, BASE));
        }

        const SECRET: &str = "a random string of 16 to 256 letters, digits, '-' or '_'";
        let secret = |variable| match get(variable) {
            None => Ok(None),
            Some(s) if is_plain_secret(&s) => Ok(Some(s)),
            Some(_) => Err(invalid(variable, SECRET)),
        };
        let webhook_secret = secret(Variable::WebhookSecret)?;

        const CALLBACK: &str = "the absolute https URL PalPluss posts results to (http on loopback only with a loopback PALPLUSS_BASE_URL), or empty with WEBHOOK_SECRET set";
        let callback_url = match (get(Variable::CallbackUrl), &webhook_secret) {
            (None, None) => return Err(missing(Variable::CallbackUrl, CALLBACK)),
            (None, Some(_)) => None,
            (Some(url), _) => {
                // A loopback http callback is allowed only while talking to a local simulator:
                // PalPluss itself could never reach it.
                let ok = validate_callback_url(&url).is_ok() || (base_is_loopback && is_loopback_http(&url));
                if !ok {
                    return Err(invalid(Variable::CallbackUrl, CALLBACK));
                }
                Some(url)
            }
        };

        const MERCHANT_URL: &str =
            "the https URL of your backend's event endpoint (http only on 127.0.0.1 or localhost)";
        let merchant_url = get(Variable::MerchantWebhookUrl);
        if let Some(url) = &merchant_url {
            if !(is_plain_https_url(url) || is_loopback_http(url)) {
                return Err(invalid(Variable::MerchantWebhookUrl, MERCHANT_URL));
            }
        }
        const SIGNING: &str = "16 to 256 letters, digits, '-' or '_', or a Standard Webhooks secret (whsec_ and the base64 of 24 to 64 bytes); while rotating, the new and the old one separated by one space";
        let merchant_secret = match get(Variable::MerchantWebhookSecret) {
            None => None,
            Some(value) => Some(
                SigningSecret::parse_list(&value)
                    .map(|secrets| (value, secrets))
                    .ok_or(invalid(Variable::MerchantWebhookSecret, SIGNING))?,
            ),
        };
        let merchant = match (merchant_url, merchant_secret) {
            (Some(url), Some((secret, secrets))) => Some(MerchantWebhook { url, secret, secrets }),
            (Some(_), None) => return Err(missing(Variable::MerchantWebhookSecret, SIGNING)),
            (None, _) => None,
        };

        const RATE: &str = "a whole number of calls from 1 to 10000";
        let upstream_rate_per_minute = match get(Variable::UpstreamRatePerMinute) {
            None => DEFAULT_UPSTREAM_RATE_PER_MINUTE,
            Some(text) => parse_count(&text, 10_000).ok_or(invalid(Variable::UpstreamRatePerMinute, RATE))?,
        };
        const DAYS: &str = "a whole number of days, at least 1 (at most ten years)";
        let retention_days = match get(Variable::RetentionDays) {
            None => DEFAULT_RETENTION_DAYS,
            Some(text) => parse_count(&text, 3650).ok_or(invalid(Variable::RetentionDays, DAYS))?,
        };

        let intent_secret = secret(Variable::IntentSecret)?;
        // A token of `min` to 256 letters, digits, '-', '_' or '.', if set.
        let token = |variable, min: usize, expected| match get(variable) {
            None => Ok(None),
            Some(t)
                if (min..=256).contains(&t.len())
                    && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
            {
                Ok(Some(t))
            }
            Some(_) => Err(invalid(variable, expected)),
        };
        const TURNSTILE_SECRET: &str = "your Turnstile widget's secret key (letters, digits, '-', '_' or '.')";
        let turnstile_secret = token(Variable::TurnstileSecret, 8, TURNSTILE_SECRET)?;
        const VERIFY: &str = "the https URL of Turnstile's siteverify (http only on 127.0.0.1 or localhost)";
        let verify_url = get(Variable::TurnstileVerifyUrl).unwrap_or_else(|| DEFAULT_TURNSTILE_VERIFY_URL.to_owned());
        if !(is_plain_https_url(&verify_url) || is_loopback_http(&verify_url)) {
            return Err(invalid(Variable::TurnstileVerifyUrl, VERIFY));
        }
        let turnstile = turnstile_secret.map(|secret| Turnstile { secret, verify_url });
        const COOLDOWN: &str = "a whole number of seconds from 0 to 3600";
        let phone_cooldown_s = match get(Variable::PhoneCooldownSeconds) {
            None => DEFAULT_PHONE_COOLDOWN_S,
            Some(text) => parse_whole(&text, 3600)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or(invalid(Variable::PhoneCooldownSeconds, COOLDOWN))?,
        };
        const PER_HOUR: &str = "a whole number of pushes from 1 to 10000";
        let phone_max_per_hour = match get(Variable::PhoneMaxPerHour) {
            None => DEFAULT_PHONE_MAX_PER_HOUR,
            Some(text) => parse_count(&text, 10_000).ok_or(invalid(Variable::PhoneMaxPerHour, PER_HOUR))?,
        };

        let health = health_settings(&get)?;

        const ORIGINS: &str = "a comma-separated list of exact origins such as https://shop.example";
        let allowed_origins = match get(Variable::AllowedOrigins) {
            None => Vec::new(),
            Some(list) => {
                let origins: Vec<String> = list.split(',').map(|o| o.trim().to_owned()).collect();
                if !origins.iter().all(|o| is_origin(o)) {
                    return Err(invalid(Variable::AllowedOrigins, ORIGINS));
                }
                origins
            }
        };

        const UUID: &str = "a UUID such as 3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6f";
        let uuid = |variable| match get(variable) {
            None => Ok(None),
            Some(id) if is_uuid(&id) => Ok(Some(id.to_ascii_lowercase())),
            Some(_) => Err(invalid(variable, UUID)),
        };
        let channel_id = uuid(Variable::ChannelId)?;
        let credential_id = uuid(Variable::CredentialId)?;

        const AMOUNT: &str = "a whole number of shillings, at least 1";
        let limits = match get(Variable::AmountMax) {
            None => Limits::default(),
            Some(text) => parse_whole(&text, AMOUNT_MAX_LIMIT)
                .and_then(Limits::with_amount_max)
                .ok_or(invalid(Variable::AmountMax, AMOUNT))?,
        };

        const TIMEOUT: &str = "a whole number of milliseconds from 100 to 120000";
        let upstream_timeout_ms = match get(Variable::UpstreamTimeoutMs) {
            None => DEFAULT_UPSTREAM_TIMEOUT_MS,
            Some(text) => parse_whole(&text, 120_000)
                .filter(|ms| *ms >= 100)
                .and_then(|ms| u32::try_from(ms).ok())
                .ok_or(invalid(Variable::UpstreamTimeoutMs, TIMEOUT))?,
        };

        const BASE_PATH: &str = "empty, or the path the proxy is mounted under such as /pay (letters, digits, '-', '_' or '.' between slashes)";
        let base_path = match get(Variable::BasePath) {
            None => String::new(),
            Some(text) => route::base_path(&text).ok_or(invalid(Variable::BasePath, BASE_PATH))?,
        };

        const ADMIN: &str = "a random string of 24 to 256 letters, digits, '-', '_' or '.'";
        let admin_token = token(Variable::AdminToken, 24, ADMIN)?;
        let phone_index_key = super::index::phone_key(&api_key);
        let encoded = base64([api_key.as_str(), ":"].concat().as_bytes());
        let mut secrets = vec![api_key, encoded];
        secrets.extend(webhook_secret.iter().cloned());
        if let Some(merchant) = &merchant {
            secrets.push(merchant.secret.clone());
            secrets.extend(merchant.secrets.iter().map(|s| s.text().to_owned()));
        }
        secrets.extend(intent_secret.iter().cloned());
        secrets.extend(turnstile.iter().map(|t| t.secret.clone()));
        secrets.extend(admin_token.iter().cloned());
        Ok(Config {
            intent_secret,
            turnstile,
            phone_cooldown_s,
            phone_max_per_hour,
            health,
            secrets,
            base_url,
            callback_url,
            webhook_secret,
            merchant,
            upstream_rate_per_minute,
            retention_days,
            allowed_origins,
            channel_id,
            credential_id,
            limits,
            upstream_timeout_ms,
            base_path,
            phone_index_key,
            admin_token,
        })
    }

    /// Which variables are set, for `/health`: `(name, set, required)`, never a value.
    pub fn presence(lookup: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, bool, bool)> {
        let set = |v: Variable| lookup(v.name()).is_some_and(|s| !s.trim().is_empty());
        let webhook = set(Variable::WebhookSecret);
        Variable::ALL
            .iter()
            .map(|&v| (v.name(), set(v), v.required() && !(v == Variable::CallbackUrl && webhook)))
            .collect()
    }

    /// `{base}/transactions/{id}`, PalPluss's status endpoint (the id is percent-encoded).
    pub fn transaction_url(&self, transaction_id: &str) -> String {
        [self.base_url.as_str(), "/transactions/", &percent_encode(transaction_id)].concat()
    }

    /// The callback PalPluss posts to: `CALLBACK_URL` when set, else
    /// `{origin}{BASE_PATH}/webhooks/palpluss/{WEBHOOK_SECRET}` on the host the request came to
    /// (https, or http on loopback only).
    ///
    /// ```
    /// use palpluss_stk::edge::config::Config;
    ///
    /// let config = Config::from_lookup(|name| match name {
    ///     "PALPLUSS_API_KEY" => Some("pk_test_1".into()),
    ///     "WEBHOOK_SECRET" => Some("whk_0123456789abcdef".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(
    ///     config.callback_url("https://pay.shop.example/payments/stk").as_deref(),
    ///     Some("https://pay.shop.example/webhooks/palpluss/whk_0123456789abcdef"),
    /// );
    /// assert_eq!(
    ///     config.callback_url("http://shop.example/payments/stk").as_deref(),
    ///     Some("https://shop.example/webhooks/palpluss/whk_0123456789abcdef"),
    /// );
    /// assert_eq!(
    ///     config.callback_url("http://127.0.0.1:8787/payments/stk").as_deref(),
    ///     Some("http://127.0.0.1:8787/webhooks/palpluss/whk_0123456789abcdef"),
    /// );
    /// // Mounted under a path: the webhook route is under it too.
    /// let mounted = Config::from_lookup(|name| match name {
    ///     "PALPLUSS_API_KEY" => Some("pk_test_1".into()),
    ///     "WEBHOOK_SECRET" => Some("whk_0123456789abcdef".into()),
    ///     "BASE_PATH" => Some("/pay".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(
    ///     mounted.callback_url("https://shop.example/pay/payments/stk").as_deref(),
    ///     Some("https://shop.example/pay/webhooks/palpluss/whk_0123456789abcdef"),
    /// );
    /// # Ok::<(), palpluss_stk::edge::variables::ConfigError>(())
    /// ```
    pub fn callback_url(&self, request_url: &str) -> Option<String> {
        if let Some(url) = &self.callback_url {
            return Some(url.clone());
        }
        let secret = self.webhook_secret.as_deref()?;
        let (scheme, rest) = request_url.split_once("://")?;
        let host = rest.split(['/', '?', '#']).next().filter(|h| !h.is_empty() && !h.contains('@'))?;
        let loopback = is_loopback_http(&["http://", host].concat());
        let scheme = if scheme.eq_ignore_ascii_case("http") && loopback { "http" } else { "https" };
        Some([scheme, "://", host, &self.base_path, WEBHOOK_PATH_PREFIX, secret].concat())
    }

    /// `ADMIN_TOKEN`, when the admin API is on.
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }

    /// The key the payment index hashes phones with ([`super::index::phone_key`] of the API key).
    pub fn phone_index_key(&self) -> &[u8; 32] {
        &self.phone_index_key
    }

    /// `BASE_PATH`: `""` when the routes are at the root, else a path such as `/pay`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Whether a webhook path's last segment is `WEBHOOK_SECRET` (compared in constant time).
    /// Always `false` when no secret is configured.
    pub fn webhook_secret_matches(&self, candidate: &str) -> bool {
        self.webhook_secret.as_deref().is_some_and(|secret| constant_time_eq(secret.as_bytes(), candidate.as_bytes()))
    }

    /// Where signed payment events go, if anywhere.
    pub fn merchant_webhook(&self) -> Option<&MerchantWebhook> {
        self.merchant.as_ref()
    }

    /// The most calls with the key in any 60 s (`UPSTREAM_RATE_PER_MINUTE`).
    pub fn upstream_rate_per_minute(&self) -> u32 {
        self.upstream_rate_per_minute
    }

    /// How long records are kept, in milliseconds (`RETENTION_DAYS`).
    pub fn retention_ms(&self) -> u64 {
        u64::from(self.retention_days) * 86_400_000
    }

    /// `{base}/payments/stk`.
    pub fn stk_url(&self) -> String {
        [self.base_url.as_str(), "/payments/stk"].concat()
    }

    /// The `Authorization` header PalPluss expects: `Basic base64(key + ":")`.
    pub fn authorization(&self) -> String {
        ["Basic ", self.secrets.get(1).map_or("", String::as_str)].concat()
    }

    /// Every form of the key that must never leave the proxy: the key, and its Basic encoding.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Whether a browser `Origin` may call the proxy (exact match, case-sensitive as browsers send it).
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }

    /// The limits the checkout is validated with (`AMOUNT_MAX`).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How long to wait for PalPluss.
    pub fn upstream_timeout_ms(&self) -> u32 {
        self.upstream_timeout_ms
    }

    /// Validates a checkout as this proxy takes it: [`CheckoutForm::validate`] with `AMOUNT_MAX`
    /// and messages in `locale`, and `intent` refused (`FIELD_NOT_ALLOWED`, a message for the
    /// developer) when no `INTENT_SECRET` is set.
    pub fn validate_checkout(&self, raw: &RawStkRequest, locale: Locale) -> Result<CheckoutForm, Vec<FieldError>> {
        let result = CheckoutForm::validate(raw, &self.limits.in_locale(locale)).map_err(ValidationErrors::into_vec);
        if self.intent_secret.is_some() || raw.intent == RawValue::Missing {
            return result;
        }
        let mut errors = result.err().unwrap_or_default();
        errors.retain(|e| e.field() != Field::Intent);
        // In field order: only `turnstileToken` comes after `intent`.
        let at = errors.iter().position(|e| e.field() == Field::TurnstileToken).unwrap_or(errors.len());
        let message = "intent is not accepted: this proxy has no INTENT_SECRET.".to_owned();
        errors.insert(at, FieldError::with_message(Field::Intent, ErrorCode::FieldNotAllowed, message));
        Err(errors)
    }

    /// `INTENT_SECRET`, when pushes must carry a signed intent.
    pub fn intent_secret(&self) -> Option<&str> {
        self.intent_secret.as_deref()
    }

    /// `TURNSTILE_SECRET` and `TURNSTILE_VERIFY_URL`, when pushes must pass Turnstile.
    pub fn turnstile(&self) -> Option<&Turnstile> {
        self.turnstile.as_ref()
    }

    /// `PHONE_COOLDOWN_SECONDS` (0: no cooldown).
    pub fn phone_cooldown_s(&self) -> u64 {
        u64::from(self.phone_cooldown_s)
    }

    /// `PHONE_MAX_PER_HOUR`.
    pub fn phone_max_per_hour(&self) -> u32 {
        self.phone_max_per_hour
    }

    /// The key's health thresholds (`HEALTH_*`).
    pub fn health(&self) -> &HealthSettings {
        &self.health
    }

    /// The JSON body sent to PalPluss: the validated checkout (without `intent` and
    /// `turnstileToken`, which never leave the proxy) plus the server-side fields, with
    /// `callback_url` from [`Config::callback_url`].
    pub fn upstream_body(&self, form: &CheckoutForm, callback_url: &str) -> String {
        let form = &form.payment_only();
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Upstream<'a> {
            #[serde(flatten)]
            form: &'a CheckoutForm,
            callback_url: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            channel_id: Option<&'a str>,
            #[serde(rename = "credential_id", skip_serializing_if = "Option::is_none")]
            credential_id: Option<&'a str>,
        }
        let body = Upstream {
            form,
            callback_url,
            channel_id: self.channel_id.as_deref(),
            credential_id: self.credential_id.as_deref(),
        };
        // Serialising strings and integers into a String cannot fail.
        serde_json::to_string(&body).unwrap_or_default()
    }
}

/// Turnstile's configuration (`TURNSTILE_SECRET` and `TURNSTILE_VERIFY_URL`).
#[derive(Clone, PartialEq, Eq)]
pub struct Turnstile {
    /// The widget's secret key.
    pub secret: String,
    /// siteverify.
    pub verify_url: String,
}

impl fmt::Debug for Turnstile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Turnstile").field("secret", &"[redacted]").field("verify_url", &self.verify_url).finish()
    }
}

impl Turnstile {
    /// The form body posted to siteverify: `secret`, `response` and, when known, `remoteip`.
    ///
    /// ```
    /// use palpluss_stk::edge::config::Turnstile;
    ///
    /// let t = Turnstile { secret: "1x0000000000000000000000000000000AA".into(), verify_url: String::new() };
    /// assert_eq!(
    ///     t.verify_body("XXXX.DUMMY.TOKEN.XXXX", Some("203.0.113.7")),
    ///     "secret=1x0000000000000000000000000000000AA&response=XXXX.DUMMY.TOKEN.XXXX&remoteip=203.0.113.7",
    /// );
    /// ```
    pub fn verify_body(&self, token: &str, remote_ip: Option<&str>) -> String {
        let mut body = ["secret=", &percent_encode(&self.secret), "&response=", &percent_encode(token)].concat();
        if let Some(ip) = remote_ip {
            body.push_str("&remoteip=");
            body.push_str(&percent_encode(ip));
        }
        body
    }
}

/// Where signed payment events go (`MERCHANT_WEBHOOK_URL` and `MERCHANT_WEBHOOK_SECRET`).
#[derive(Clone, PartialEq, Eq)]
pub struct MerchantWebhook {
    /// The merchant's endpoint.
    pub url: String,
    /// `MERCHANT_WEBHOOK_SECRET` as configured (one secret, or two while rotating).
    pub secret: String,
    /// The secrets every event is signed with, the new one first.
    pub secrets: Vec<SigningSecret>,
}

impl fmt::Debug for MerchantWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantWebhook").field("url", &self.url).field("secret", &"[redacted]").finish()
    }
}

/// A whole number from 1 to `max`.
fn parse_count(text: &str, max: u32) -> Option<u32> {
    parse_whole(text, u64::from(max)).filter(|n| *n >= 1).and_then(|n| u32::try_from(n).ok())
}

fn parse_whole(text: &str, max: u64) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().filter(|n| *n <= max)
}

/// `https://host[:port][/path]` with no query, fragment or credentials: a base URL.
fn is_plain_https_url(url: &str) -> bool {
    validate_callback_url(url).is_ok() && !url.contains(['?', '#'])
}

/// `http://127.0.0.1[:port][/path]` or `http://localhost[:port][/path]`.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            "invalid"
        }
    });
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
        && url.bytes().all(|b| b.is_ascii_graphic())
        && !url.contains(['?', '#', '@'])
}

/// `scheme://host[:port]` with nothing after: what a browser sends in `Origin`.
fn is_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    matches!(scheme, "https" | "http")
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

/// The `HEALTH_*` variables, each with its default.
fn health_settings(get: &impl Fn(Variable) -> Option<String>) -> Result<HealthSettings, ConfigError> {
    let invalid = |variable, expected| ConfigError { variable, missing: false, expected };
    let d = HealthSettings::default();
    let count = |variable, max: u32, expected| match get(variable) {
        None => Ok(None),
        Some(text) => parse_count(&text, max).map(Some).ok_or(invalid(variable, expected)),
    };
    let window = count(Variable::HealthWindow, 1000, "a whole number of outcomes from 1 to 1000")?;
    let minutes = count(Variable::HealthWindowMinutes, 1440, "a whole number of minutes from 1 to 1440")?;
    let min_outcomes = count(Variable::HealthMinOutcomes, 1000, "a whole number of outcomes from 1 to 1000")?;
    const DAYS: &str = "a whole number of days from 0 to 365";
    let known_days = match get(Variable::HealthKnownPayerDays) {
        None => None,
        Some(text) => Some(parse_whole(&text, 365).ok_or(invalid(Variable::HealthKnownPayerDays, DAYS))?),
    };
    const RATE: &str = "a share from 0 to 1 with at most three decimals, such as 0.3";
    let rate = match get(Variable::HealthMinSuccessRate) {
        None => None,
        Some(text) => Some(parse_permille(&text).ok_or(invalid(Variable::HealthMinSuccessRate, RATE))?),
    };
    Ok(HealthSettings {
        window: window.map_or(d.window, |n| n as usize),
        window_ms: minutes.map_or(d.window_ms, |m| u64::from(m) * 60_000),
        min_outcomes: min_outcomes.map_or(d.min_outcomes, |n| n as usize),
        min_success_permille: rate.unwrap_or(d.min_success_permille),
        known_payer_ms: known_days.map_or(d.known_payer_ms, |days| days * 86_400_000),
    })
}

/// `0`, `1`, or `0.` and one to three digits, in thousandths (`"0.3"` is 300).
fn parse_permille(text: &str) -> Option<u32> {
    match text.split_once('.') {
        None => match text {
            "0" => Some(0),
            "1" => Some(1000),
            _ => None,
        },
        Some((whole, digits)) => {
            if !(1..=3).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let thousandths = digits.parse::<u32>().ok()? * 10u32.pow(3 - digits.len() as u32);
            match whole {
                "0" => Some(thousandths),
                "1" if thousandths == 0 => Some(1000),
                _ => None,
            }
        }
    }
}
