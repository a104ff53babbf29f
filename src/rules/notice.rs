//! The checkout's customer messages that no single field owns, in English and Kiswahili: the
//! proxy's refusals, and what the browser client says when an answer is missing or refused.
//! The field and phone messages live with their rules ([`super::stk`], [`super::phone`]), the
//! payment outcomes with the lifecycle ([`crate::edge::lifecycle::customer_message`]).
//!
//! ```
//! use palpluss_stk::rules::notice::{too_many_attempts, Notice};
//! use palpluss_stk::Locale;
//!
//! assert_eq!(Notice::WaitAborted.message(Locale::Sw), "Tumeacha kusubiri malipo.");
//! assert_eq!(
//!     too_many_attempts(120, Locale::En),
//!     "Too many payment attempts. Please wait 2 minutes and try again."
//! );
//! assert_eq!(
//!     too_many_attempts(30, Locale::Sw),
//!     "Majaribio mengi mno ya malipo. Tafadhali subiri sekunde 30, kisha ujaribu tena."
//! );
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

use crate::rules::locale::Locale;
use crate::rules::text::{decimal, join};

/// A customer message. Each says what happened and what to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Notice {
    /// `VALIDATION_FAILED`: the field errors say what to correct.
    ValidationFailed,
    /// `RATE_LIMITED`: the per-IP limit.
    TooManyFromNetwork,
    /// `BUSY`: the proxy's share of PalPluss's rate limit is spent for now.
    Busy,
    /// `TURNSTILE_REQUIRED` (the proxy's answer).
    TurnstileRequired,
    /// `TURNSTILE_FAILED` (the proxy's answer).
    TurnstileFailed,
    /// `TURNSTILE_UNAVAILABLE`.
    TurnstileUnavailable,
    /// `UPSTREAM_TIMEOUT`: PalPluss did not answer a push in time.
    UpstreamTimeout,
    /// `UPSTREAM_UNAVAILABLE`: PalPluss could not be reached.
    UpstreamUnreachable,
    /// `UPSTREAM_UNAVAILABLE`: the proxy's own storage or PalPluss cannot take payments now.
    Unavailable,
    /// The payment's status cannot be read right now.
    StatusUnavailable,
    /// `INTENT_REQUIRED` / `INTENT_INVALID`.
    CheckoutInvalid,
    /// `INTENT_EXPIRED`.
    CheckoutExpired,
    /// `INTENT_MISMATCH` (and, in the browser client, any intent refusal but expiry).
    CheckoutMismatch,
    /// `PHONE_BUSY`.
    PhoneBusy,
    /// `PHONE_LIMIT`.
    PhoneLimit,
    /// Browser client: no answer at all.
    NetworkError,
    /// Browser client: no answer in time (`StkTimeoutError`), or the proxy's 504.
    ServiceTimeout,
    /// Browser client: PalPluss's `INVALID_PHONE`.
    PhoneRejected,
    /// Browser client: a 5xx answer.
    ServiceUnavailable,
    /// Browser client: `ORIGIN_NOT_ALLOWED`.
    OriginNotAllowed,
    /// Browser client: Turnstile required or failed.
    SecurityCheck,
    /// Browser client: `IDEMPOTENCY_KEY_IN_USE`.
    AlreadyProcessing,
    /// Browser client: any other refusal.
    NotStarted,
    /// `waitForResult` gave up after 5 minutes.
    WaitTimeout,
    /// `waitForResult`'s signal fired.
    WaitAborted,
    /// `waitForResult`: the proxy knows no such payment.
    PaymentNotFound,
}

impl Notice {
    /// Every notice, for the message table and its tests.
    pub const ALL: [Notice; 26] = [
        Notice::ValidationFailed,
        Notice::TooManyFromNetwork,
        Notice::Busy,
        Notice::TurnstileRequired,
        Notice::TurnstileFailed,
        Notice::TurnstileUnavailable,
        Notice::UpstreamTimeout,
        Notice::UpstreamUnreachable,
        Notice::Unavailable,
        Notice::StatusUnavailable,
        Notice::CheckoutInvalid,
        Notice::CheckoutExpired,
        Notice::CheckoutMismatch,
        Notice::PhoneBusy,
        Notice::PhoneLimit,
        Notice::NetworkError,
        Notice::ServiceTimeout,
        Notice::PhoneRejected,
        Notice::ServiceUnavailable,
        Notice::OriginNotAllowed,
        Notice::SecurityCheck,
        Notice::AlreadyProcessing,
        Notice::NotStarted,
        Notice::WaitTimeout,
        Notice::WaitAborted,
        Notice::PaymentNotFound,
    ];

    /// The message in `l`.
    // Always inlined: each caller names one notice, so only its two texts end up in a binary
    // (the Worker does not carry the browser client's texts, nor the browser the proxy's).
    #[inline(always)]
    pub const fn message(self, l: Locale) -> &'static str {
        match self {
            Notice::ValidationFailed => l.pick(
                "Some payment details need correcting.",
                "Baadhi ya maelezo ya malipo yanahitaji kurekebishwa.",
            ),
            Notice::TooManyFromNetwork => l.pick(
                "Too many payment attempts from this network. Please wait a minute and try again.",
                "Kuna majaribio mengi mno ya malipo kutoka mtandao huu. Tafadhali subiri dakika moja, kisha ujaribu tena.",
            ),
            Notice::Busy => l.pick(
                "Payments are busy right now. Please try again in a moment.",
                "Malipo yana shughuli nyingi sasa hivi. Tafadhali jaribu tena baada ya muda mfupi.",
            ),
            Notice::TurnstileRequired => {
                l.pick("Please complete the security check.", "Tafadhali kamilisha ukaguzi wa usalama.")
            }
            Notice::TurnstileFailed => l.pick(
                "The security check failed. Please complete it again.",
                "Ukaguzi wa usalama haukufaulu. Tafadhali ukamilishe tena.",
            ),
            Notice::TurnstileUnavailable => l.pick(
                "The security check is not available right now. Please try again shortly.",
                "Ukaguzi wa usalama haupatikani kwa sasa. Tafadhali jaribu tena baadaye kidogo.",
            ),
            Notice::UpstreamTimeout => l.pick(
                "PalPluss did not answer in time. The payment may still go through: check your phone before trying again.",
                "PalPluss haikujibu kwa wakati. Huenda malipo bado yakapita: angalia simu yako kabla ya kujaribu tena.",
            ),
            Notice::UpstreamUnreachable => l.pick(
                "PalPluss could not be reached. Please try again shortly.",
                "Hatukuweza kufikia PalPluss. Tafadhali jaribu tena baadaye kidogo.",
            ),
            Notice::Unavailable => l.pick(
                "Payments are not available right now. Please try again shortly.",
                "Malipo hayapatikani kwa sasa. Tafadhali jaribu tena baadaye kidogo.",
            ),
            Notice::StatusUnavailable => l.pick(
                "The payment status is not available right now. Please try again.",
                "Hali ya malipo haipatikani kwa sasa. Tafadhali jaribu tena.",
            ),
            Notice::CheckoutInvalid => l.pick(
                "This checkout link is not valid. Reload the page and try again.",
                "Kiungo hiki cha malipo si halali. Pakia ukurasa upya, kisha ujaribu tena.",
            ),
            Notice::CheckoutExpired => l.pick(
                "This checkout has expired. Reload the page to start again.",
                "Muda wa malipo haya umekwisha. Pakia ukurasa upya ili uanze tena.",
            ),
            Notice::CheckoutMismatch => l.pick(
                "The payment details do not match your order. Reload the page and try again.",
                "Maelezo ya malipo hayalingani na oda yako. Pakia ukurasa upya, kisha ujaribu tena.",
            ),
            Notice::PhoneBusy => l.pick(
                "A payment prompt was just sent to this phone. Answer it, or wait a minute before trying again.",
                "Ombi la malipo limetumwa kwa simu hii sasa hivi. Lijibu, au subiri dakika moja kabla ya kujaribu tena.",
            ),
            Notice::PhoneLimit => l.pick(
                "Too many payment prompts were sent to this phone. Please wait before trying again.",
                "Maombi mengi mno ya malipo yametumwa kwa simu hii. Tafadhali subiri kabla ya kujaribu tena.",
            ),
            Notice::NetworkError => l.pick(
                "We could not reach the payment service. Check your connection and try again.",
                "Hatukuweza kufikia huduma ya malipo. Angalia mtandao wako, kisha ujaribu tena.",
            ),
            Notice::ServiceTimeout => l.pick(
                "The payment service took too long to answer. Check your phone for an M-Pesa prompt before trying again.",
                "Huduma ya malipo imechelewa kujibu. Angalia kama kuna ombi la M-Pesa kwenye simu yako kabla ya kujaribu tena.",
            ),
            Notice::PhoneRejected => l.pick(
                "M-Pesa did not accept this phone number. Check it and try again.",
                "M-Pesa haikukubali namba hii ya simu. Iangalie, kisha ujaribu tena.",
            ),
            Notice::ServiceUnavailable => l.pick(
                "The payment service is unavailable right now. Please try again shortly.",
                "Huduma ya malipo haipatikani kwa sasa. Tafadhali jaribu tena baadaye kidogo.",
            ),
            Notice::OriginNotAllowed => l.pick(
                "This page is not allowed to take payments. Please contact the shop.",
                "Ukurasa huu hauruhusiwi kupokea malipo. Tafadhali wasiliana na duka.",
            ),
            Notice::SecurityCheck => l.pick(
                "Please complete the security check and try again.",
                "Tafadhali kamilisha ukaguzi wa usalama, kisha ujaribu tena.",
            ),
            Notice::AlreadyProcessing => l.pick(
                "This payment is already being processed. Check your phone.",
                "Malipo haya tayari yanashughulikiwa. Angalia simu yako.",
            ),
            Notice::NotStarted => l.pick(
                "This payment could not be started. Please try again later or contact the shop.",
                "Malipo haya hayakuweza kuanzishwa. Tafadhali jaribu tena baadaye, au wasiliana na duka.",
            ),
            Notice::WaitTimeout => l.pick(
                "We could not confirm the payment yet. If you entered your PIN, check your M-Pesa messages before paying again.",
                "Bado hatujathibitisha malipo. Kama uliweka PIN yako, angalia ujumbe wa M-Pesa kabla ya kulipa tena.",
            ),
            Notice::WaitAborted => l.pick("Stopped waiting for the payment.", "Tumeacha kusubiri malipo."),
            Notice::PaymentNotFound => l.pick(
                "We could not find this payment. Please contact the shop.",
                "Hatukupata malipo haya. Tafadhali wasiliana na duka.",
            ),
        }
    }
}

/// The wait in the unit a person would say (seconds under 90, minutes under 90, else hours,
/// rounded up): the number, the English unit, the Kiswahili unit (which comes first).
fn spoken_wait(seconds: u64) -> (String, &'static str, &'static str) {
    let (n, en, sw) = if seconds < 90 {
        (seconds, " seconds", "sekunde ")
    } else if seconds < 5400 {
        (seconds.div_ceil(60), " minutes", "dakika ")
    } else {
        (seconds.div_ceil(3600), " hours", "saa ")
    };
    (decimal(n), en, sw)
}

/// The message while PalPluss's ban of the key runs (429 `STK_TEMP_BANNED`): M-Pesa prompts are
/// paused, for about how long, and what the customer can do.
///
/// ```
/// use palpluss_stk::rules::notice::prompts_paused;
/// use palpluss_stk::Locale;
///
/// assert_eq!(
///     prompts_paused(3_000, Locale::En),
///     "Payments by M-Pesa prompt are paused for about 50 minutes. Please try again later."
/// );
/// assert!(prompts_paused(3_000, Locale::Sw).contains("dakika 50"));
/// ```
pub fn prompts_paused(seconds: u64, l: Locale) -> String {
    let (n, en, sw) = spoken_wait(seconds);
    match l {
        Locale::En => join(&["Payments by M-Pesa prompt are paused for about ", &n, en, ". Please try again later."]),
        Locale::Sw => {
            join(&["Malipo kwa ombi la M-Pesa yamesitishwa kwa takriban ", sw, &n, ". Tafadhali jaribu tena baadaye."])
        }
    }
}

/// The browser client's message for a 429, with the wait in the unit a person would say
/// (seconds under 90, minutes under 90, else hours, rounded up).
pub fn too_many_attempts(seconds: u64, l: Locale) -> String {
    let (n, en, sw) = spoken_wait(seconds);
    match l {
        Locale::En => join(&["Too many payment attempts. Please wait ", &n, en, " and try again."]),
        Locale::Sw => join(&["Majaribio mengi mno ya malipo. Tafadhali subiri ", sw, &n, ", kisha ujaribu tena."]),
    }
}

/// What the browser clients (the npm one and [`crate::client`]) tell the customer when the proxy
/// or PalPluss refuses a push with HTTP `status` and error `code` (a 429 has its own message,
/// [`too_many_attempts`] or [`prompts_paused`]).
///
/// ```
/// use palpluss_stk::rules::notice::{refusal_notice, Notice};
///
/// assert_eq!(refusal_notice(400, "INTENT_EXPIRED"), Notice::CheckoutExpired);
/// assert_eq!(refusal_notice(502, "UPSTREAM_UNAVAILABLE"), Notice::ServiceUnavailable);
/// assert_eq!(refusal_notice(402, "INSUFFICIENT_SERVICE_BALANCE"), Notice::NotStarted);
/// ```
pub fn refusal_notice(status: u16, code: &str) -> Notice {
    match (status, code) {
        (_, "INVALID_PHONE") => Notice::PhoneRejected,
        (504, _) => Notice::ServiceTimeout,
        (500..=599, _) => Notice::ServiceUnavailable,
        (403, "ORIGIN_NOT_ALLOWED") => Notice::OriginNotAllowed,
        (_, "INTENT_EXPIRED") => Notice::CheckoutExpired,
        (_, "INTENT_REQUIRED" | "INTENT_INVALID" | "INTENT_MISMATCH") => Notice::CheckoutMismatch,
        (_, "TURNSTILE_REQUIRED" | "TURNSTILE_FAILED") => Notice::SecurityCheck,
        (_, "IDEMPOTENCY_KEY_IN_USE") => Notice::AlreadyProcessing,
        _ => Notice::NotStarted,
    }
}
