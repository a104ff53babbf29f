//! The codes of the errors the proxy answers itself (PalPluss's envelope, `error.code`).

/// Every code the proxy answers with itself (not PalPluss's, not `CONFIG_*`).
pub const ALL: [&str; 25] = [
    INVALID_JSON,
    VALIDATION_FAILED,
    ORIGIN_NOT_ALLOWED,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    BODY_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    UPSTREAM_UNAVAILABLE,
    UPSTREAM_TIMEOUT,
    BUSY,
    PAYMENT_NOT_FOUND,
    RATE_LIMITED,
    IDEMPOTENCY_KEY_INVALID,
    IDEMPOTENCY_KEY_IN_USE,
    IDEMPOTENCY_KEY_REUSED,
    INTENT_REQUIRED,
    INTENT_INVALID,
    INTENT_EXPIRED,
    INTENT_MISMATCH,
    TURNSTILE_REQUIRED,
    TURNSTILE_FAILED,
    TURNSTILE_UNAVAILABLE,
    PHONE_BUSY,
    PHONE_LIMIT,
    STK_TEMP_BANNED,
];
/// 400: the body is not valid JSON (or not an object).
pub const INVALID_JSON: &str = "INVALID_JSON";
/// 400: the checkout failed validation; `details` holds the field errors.
pub const VALIDATION_FAILED: &str = crate::palpluss::codes::VALIDATION_FAILED;
/// 403: the `Origin` is not in `ALLOWED_ORIGINS`.
pub const ORIGIN_NOT_ALLOWED: &str = "ORIGIN_NOT_ALLOWED";
/// 404: no such route.
pub const NOT_FOUND: &str = "NOT_FOUND";
/// 405: the route exists, the method does not.
pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
/// 413: the body is over 16 KiB.
pub const BODY_TOO_LARGE: &str = "BODY_TOO_LARGE";
/// 415: the body is not `application/json`.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
/// 502: PalPluss could not be reached or answered something that is not a PalPluss envelope.
pub const UPSTREAM_UNAVAILABLE: &str = "UPSTREAM_UNAVAILABLE";
/// 504: PalPluss did not answer in time.
pub const UPSTREAM_TIMEOUT: &str = "UPSTREAM_TIMEOUT";
/// 429: the upstream budget (`UPSTREAM_RATE_PER_MINUTE`) has no call left for a push.
pub const BUSY: &str = "BUSY";
/// 404: no payment with that id and token (unknown id and wrong token look the same).
pub const PAYMENT_NOT_FOUND: &str = "PAYMENT_NOT_FOUND";
/// 429: too many pushes from this client IP (the Rate Limiting binding).
pub const RATE_LIMITED: &str = "RATE_LIMITED";
/// 400: the `Idempotency-Key` header is not 1-255 characters from `!` to `~`.
pub const IDEMPOTENCY_KEY_INVALID: &str = "IDEMPOTENCY_KEY_INVALID";
/// 409: a request with this `Idempotency-Key` is still in flight.
pub const IDEMPOTENCY_KEY_IN_USE: &str = "IDEMPOTENCY_KEY_IN_USE";
/// 422: this `Idempotency-Key` was used with another body.
pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
/// 400: `INTENT_SECRET` is set and the body has no `intent`.
pub const INTENT_REQUIRED: &str = "INTENT_REQUIRED";
/// 400: the intent is malformed or its signature does not match.
pub const INTENT_INVALID: &str = "INTENT_INVALID";
/// 400: the intent is past its `exp` (60 s skew allowed).
pub const INTENT_EXPIRED: &str = "INTENT_EXPIRED";
/// 400: the request differs from the intent; `details.fields` names the fields.
pub const INTENT_MISMATCH: &str = "INTENT_MISMATCH";
/// 400: `TURNSTILE_SECRET` is set and the body has no `turnstileToken`.
pub const TURNSTILE_REQUIRED: &str = "TURNSTILE_REQUIRED";
/// 403: siteverify refused the Turnstile token.
pub const TURNSTILE_FAILED: &str = "TURNSTILE_FAILED";
/// 503: siteverify could not be asked or could not say.
pub const TURNSTILE_UNAVAILABLE: &str = "TURNSTILE_UNAVAILABLE";
/// 429: a push to this phone is still open and younger than `PHONE_COOLDOWN_SECONDS`.
pub const PHONE_BUSY: &str = "PHONE_BUSY";
/// 429: this phone had `PHONE_MAX_PER_HOUR` pushes in the last hour.
pub const PHONE_LIMIT: &str = "PHONE_LIMIT";
/// 429: PalPluss banned the key (its own code, which the proxy also answers itself while the ban
/// runs, before any call to PalPluss); `Retry-After` says when the ban ends.
pub const STK_TEMP_BANNED: &str = "STK_TEMP_BANNED";

/// The admin API's own codes (`/admin/...`; never answered to a customer).
pub const ADMIN: [&str; 6] =
    [UNAUTHORIZED, ADMIN_DB_MISSING, ADMIN_DB_UNAVAILABLE, ADMIN_BAD_FILTER, ADMIN_NOT_FINAL, ADMIN_EVENTS_OFF];
/// 401: no `Authorization: Bearer`, or not `ADMIN_TOKEN` (nothing says what exists).
pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
/// 503: the admin API needs the payment index, and the Worker has no `DB` binding.
pub const ADMIN_DB_MISSING: &str = "ADMIN_DB_MISSING";
/// 503: the payment index could not be read just now.
pub const ADMIN_DB_UNAVAILABLE: &str = "ADMIN_DB_UNAVAILABLE";
/// 400: a list filter is malformed; the message names it.
pub const ADMIN_BAD_FILTER: &str = "ADMIN_BAD_FILTER";
/// 409: the payment has no final status yet, so no event to send again.
pub const ADMIN_NOT_FINAL: &str = "ADMIN_NOT_FINAL";
/// 409: `MERCHANT_WEBHOOK_URL` is not set: there is nowhere to send events.
pub const ADMIN_EVENTS_OFF: &str = "ADMIN_EVENTS_OFF";
