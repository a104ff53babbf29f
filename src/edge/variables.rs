//! What the Worker can be configured with: every variable's name, its default, and the error
//! that names a variable without ever carrying its value.

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

/// The PalPluss API used when `PALPLUSS_BASE_URL` is not set.
pub const DEFAULT_BASE_URL: &str = "https://api.palpluss.com/v1";
/// How long the proxy waits for PalPluss when `UPSTREAM_TIMEOUT_MS` is not set.
pub const DEFAULT_UPSTREAM_TIMEOUT_MS: u32 = 15_000;
/// Cloudflare's siteverify, the default of `TURNSTILE_VERIFY_URL`.
pub const DEFAULT_TURNSTILE_VERIFY_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/// The default of `PHONE_COOLDOWN_SECONDS`.
pub const DEFAULT_PHONE_COOLDOWN_S: u32 = 60;
/// The default of `PHONE_MAX_PER_HOUR`.
pub const DEFAULT_PHONE_MAX_PER_HOUR: u32 = 5;
/// The default of `UPSTREAM_RATE_PER_MINUTE` (PalPluss allows 60 requests a minute per key).
pub const DEFAULT_UPSTREAM_RATE_PER_MINUTE: u32 = 60;
/// The default of `RETENTION_DAYS`.
pub const DEFAULT_RETENTION_DAYS: u32 = 7;

/// A configuration variable the Worker reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Variable {
    /// `PALPLUSS_API_KEY` (a secret).
    ApiKey,
    /// `PALPLUSS_BASE_URL`
    BaseUrl,
    /// `CALLBACK_URL`
    CallbackUrl,
    /// `ALLOWED_ORIGINS`
    AllowedOrigins,
    /// `PALPLUSS_CHANNEL_ID`
    ChannelId,
    /// `PALPLUSS_CREDENTIAL_ID`
    CredentialId,
    /// `AMOUNT_MAX`
    AmountMax,
    /// `UPSTREAM_TIMEOUT_MS`
    UpstreamTimeoutMs,
    /// `WEBHOOK_SECRET` (a secret): enables `POST /webhooks/palpluss/{secret}`.
    WebhookSecret,
    /// `MERCHANT_WEBHOOK_URL`: where signed payment events go.
    MerchantWebhookUrl,
    /// `MERCHANT_WEBHOOK_SECRET` (a secret): the key events are signed with.
    MerchantWebhookSecret,
    /// `UPSTREAM_RATE_PER_MINUTE`: the most calls with the key in any 60 s.
    UpstreamRatePerMinute,
    /// `RETENTION_DAYS`: how long payment records are kept.
    RetentionDays,
    /// `INTENT_SECRET` (a secret): pushes must carry an intent signed with it.
    IntentSecret,
    /// `TURNSTILE_SECRET` (a secret): pushes must carry a Turnstile token that siteverify accepts.
    TurnstileSecret,
    /// `TURNSTILE_VERIFY_URL`: where Turnstile tokens are checked.
    TurnstileVerifyUrl,
    /// `PHONE_COOLDOWN_SECONDS`: how long an open push keeps its phone busy.
    PhoneCooldownSeconds,
    /// `PHONE_MAX_PER_HOUR`: the most pushes to one phone in any hour.
    PhoneMaxPerHour,
    /// `HEALTH_WINDOW`: how many of the most recent push outcomes the key's health counts.
    HealthWindow,
    /// `HEALTH_WINDOW_MINUTES`: outcomes older than this do not count.
    HealthWindowMinutes,
    /// `HEALTH_MIN_OUTCOMES`: fewer counted outcomes than this say nothing about the key.
    HealthMinOutcomes,
    /// `HEALTH_MIN_SUCCESS_RATE`: below this share of paid outcomes the key is at risk (0 turns
    /// the window off; the breaker stays).
    HealthMinSuccessRate,
    /// `HEALTH_KNOWN_PAYER_DAYS`: a phone that paid within this many days goes first while at risk.
    HealthKnownPayerDays,
    /// `BASE_PATH`: the path the proxy is mounted under (a Cloudflare route such as
    /// `shop.example/pay/*`, or a JavaScript Worker calling `handle` for `/pay/...`).
    BasePath,
    /// `ADMIN_TOKEN` (a secret): enables the admin API and page (`/admin/...`).
    AdminToken,
}

impl Variable {
    /// Every variable, in the order `/health` reports them.
    pub const ALL: [Variable; 25] = [
        Variable::ApiKey,
        Variable::BaseUrl,
        Variable::CallbackUrl,
        Variable::AllowedOrigins,
        Variable::ChannelId,
        Variable::CredentialId,
        Variable::AmountMax,
        Variable::UpstreamTimeoutMs,
        Variable::WebhookSecret,
        Variable::MerchantWebhookUrl,
        Variable::MerchantWebhookSecret,
        Variable::UpstreamRatePerMinute,
        Variable::RetentionDays,
        Variable::IntentSecret,
        Variable::TurnstileSecret,
        Variable::TurnstileVerifyUrl,
        Variable::PhoneCooldownSeconds,
        Variable::PhoneMaxPerHour,
        Variable::HealthWindow,
        Variable::HealthWindowMinutes,
        Variable::HealthMinOutcomes,
        Variable::HealthMinSuccessRate,
        Variable::HealthKnownPayerDays,
        Variable::BasePath,
        Variable::AdminToken,
    ];

    /// The variable's name, e.g. `"CALLBACK_URL"`.
    pub const fn name(self) -> &'static str {
        match self {
            Variable::ApiKey => "PALPLUSS_API_KEY",
            Variable::BaseUrl => "PALPLUSS_BASE_URL",
            Variable::CallbackUrl => "CALLBACK_URL",
            Variable::AllowedOrigins => "ALLOWED_ORIGINS",
            Variable::ChannelId => "PALPLUSS_CHANNEL_ID",
            Variable::CredentialId => "PALPLUSS_CREDENTIAL_ID",
            Variable::AmountMax => "AMOUNT_MAX",
            Variable::UpstreamTimeoutMs => "UPSTREAM_TIMEOUT_MS",
            Variable::WebhookSecret => "WEBHOOK_SECRET",
            Variable::MerchantWebhookUrl => "MERCHANT_WEBHOOK_URL",
            Variable::MerchantWebhookSecret => "MERCHANT_WEBHOOK_SECRET",
            Variable::UpstreamRatePerMinute => "UPSTREAM_RATE_PER_MINUTE",
            Variable::RetentionDays => "RETENTION_DAYS",
            Variable::IntentSecret => "INTENT_SECRET",
            Variable::TurnstileSecret => "TURNSTILE_SECRET",
            Variable::TurnstileVerifyUrl => "TURNSTILE_VERIFY_URL",
            Variable::PhoneCooldownSeconds => "PHONE_COOLDOWN_SECONDS",
            Variable::PhoneMaxPerHour => "PHONE_MAX_PER_HOUR",
            Variable::HealthWindow => "HEALTH_WINDOW",
            Variable::HealthWindowMinutes => "HEALTH_WINDOW_MINUTES",
            Variable::HealthMinOutcomes => "HEALTH_MIN_OUTCOMES",
            Variable::HealthMinSuccessRate => "HEALTH_MIN_SUCCESS_RATE",
            Variable::HealthKnownPayerDays => "HEALTH_KNOWN_PAYER_DAYS",
            Variable::BasePath => "BASE_PATH",
            Variable::AdminToken => "ADMIN_TOKEN",
        }
    }

    /// Whether the proxy cannot work without it (`CALLBACK_URL` may be left empty when
    /// `WEBHOOK_SECRET` is set: the callback is then derived from the Worker's host).
    pub const fn required(self) -> bool {
        matches!(self, Variable::ApiKey | Variable::CallbackUrl)
    }
}

/// A configuration problem. It names the variable and never carries its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable at fault.
    pub variable: Variable,
    /// `true` when it is missing, `false` when it is set but malformed.
    pub missing: bool,
    /// What a valid value looks like.
    pub expected: &'static str,
}

impl ConfigError {
    /// The machine code, naming the variable: `CONFIG_MISSING_CALLBACK_URL`,
    /// `CONFIG_INVALID_AMOUNT_MAX`, ...
    pub fn code(&self) -> String {
        let kind = if self.missing { "CONFIG_MISSING_" } else { "CONFIG_INVALID_" };
        [kind, self.variable.name()].concat()
    }

    /// A message for the merchant's logs and the 500 answer: the variable and the expected form.
    pub fn message(&self) -> String {
        let state = if self.missing { " is not set: it must be " } else { " is malformed: it must be " };
        ["The proxy is misconfigured. ", self.variable.name(), state, self.expected, "."].concat()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for ConfigError {}
