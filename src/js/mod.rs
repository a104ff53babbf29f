//! JavaScript bindings (wasm32 only): thin translations between JS values and the pure core.
//!
//! Every export treats its arguments as hostile: any JS value (proxies with throwing traps,
//! symbols, bigints, megabyte strings) gets an answer, and the validators never throw. Nothing here
//! holds state between calls, so a bad input cannot break a later call.

mod fast;

#[cfg(feature = "checkout")]
mod client;
#[cfg(feature = "checkout")]
mod client_config;
#[cfg(feature = "checkout")]
mod form;
#[cfg(feature = "checkout")]
mod http;
#[cfg(feature = "checkout")]
mod wait;

#[cfg(feature = "checkout")]
pub use client::StkClient;
#[cfg(feature = "checkout")]
pub use form::attach_checkout_form;

mod validators;
mod values;

pub use validators::{
    check_phone, format_phone_as_you_type, limits, normalize_phone, validate_checkout, validate_stk_request,
};
pub use values::{PhoneOptions, ValidationOptions};

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Every machine code a field error or a thrown phone error can carry. */
export type ErrorCode =
  | "NOT_AN_OBJECT" | "REQUIRED" | "INVALID_TYPE" | "INVALID_OPTION"
  | "AMOUNT_NOT_A_NUMBER" | "AMOUNT_NOT_WHOLE" | "AMOUNT_TOO_SMALL" | "AMOUNT_TOO_LARGE"
  | PhoneErrorCode
  | "TOO_LONG" | "CONTROL_CHARACTERS" | "URL_INVALID" | "URL_NOT_HTTPS" | "UUID_INVALID"
  | "FIELD_NOT_ALLOWED"
  | ProxyErrorCode;

/** The proxy's own error codes (an `StkApiError`'s or `StkRateLimitError`'s `code`; PalPluss's
 * own codes pass through as they are). */
export type ProxyErrorCode =
  | "INVALID_JSON" | "VALIDATION_FAILED" | "ORIGIN_NOT_ALLOWED" | "NOT_FOUND" | "METHOD_NOT_ALLOWED"
  | "BODY_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "UPSTREAM_UNAVAILABLE" | "UPSTREAM_TIMEOUT"
  | "BUSY" | "PAYMENT_NOT_FOUND" | "RATE_LIMITED"
  | "IDEMPOTENCY_KEY_INVALID" | "IDEMPOTENCY_KEY_IN_USE" | "IDEMPOTENCY_KEY_REUSED"
  | "INTENT_REQUIRED" | "INTENT_INVALID" | "INTENT_EXPIRED" | "INTENT_MISMATCH"
  | "TURNSTILE_REQUIRED" | "TURNSTILE_FAILED" | "TURNSTILE_UNAVAILABLE"
  | "PHONE_BUSY" | "PHONE_LIMIT" | "STK_TEMP_BANNED";

/** Why a string is not a Kenyan mobile number. */
export type PhoneErrorCode =
  | "PHONE_EMPTY" | "PHONE_INVALID_CHARACTERS" | "PHONE_TOO_SHORT" | "PHONE_TOO_LONG"
  | "PHONE_MISSING_PREFIX" | "PHONE_NOT_KENYAN" | "PHONE_LANDLINE" | "PHONE_TOLL_FREE"
  | "PHONE_NOT_MOBILE";

/** The network a number's range was first assigned to (a hint: numbers are portable). */
export type Network = "safaricom" | "airtel" | "telkom" | "equitel" | "other";

/** The field an error is about, as PalPluss spells it; "request" for the whole request. */
export type FieldName =
  | "request" | "amount" | "phone" | "accountReference" | "transactionDesc"
  | "callbackUrl" | "channelId" | "credential_id" | "intent" | "turnstileToken" | "options.amountMax"
  | "options.locale";

/** One problem with one field. The message is fit to show a customer. */
export interface FieldError {
  field: FieldName;
  code: ErrorCode;
  message: string;
}

/** The Error `normalizePhone` throws. */
export interface PhoneError extends Error {
  name: "PhoneError";
  code: PhoneErrorCode | "INVALID_TYPE";
}

/** The answer of `checkPhone`. */
export type PhoneCheck =
  | {
      ok: true;
      /** Normalised, `254XXXXXXXXX`. */
      phone: string;
      /** `0712 345 678` */
      national: string;
      /** `+254 712 345 678` */
      international: string;
      network: Network;
      /** "Safaricom", "Airtel", ... */
      networkName: string;
      /** A warning to show (never a reason to block), or null for Safaricom ranges. */
      mpesaWarning: string | null;
      /**
       * Whether the number is in a range libphonenumber's metadata lists as assigned. `false` is
       * never a refusal: new ranges open before any metadata knows them.
       */
      rangeKnown: boolean;
      /** A soft note to show when `rangeKnown` is false (never a reason to block), else null. */
      rangeWarning: string | null;
    }
  | { ok: false; code: PhoneErrorCode | "INVALID_TYPE"; message: string };

/** What a browser sends to the proxy: amount in whole shillings, phone normalised. */
export interface CheckoutRequest {
  amount: number;
  phone: string;
  accountReference: string;
  transactionDesc: string;
  /** The merchant's signed checkout intent (only for a proxy with INTENT_SECRET). */
  intent?: string;
  /** Cloudflare Turnstile's token (checked by a proxy with TURNSTILE_SECRET). */
  turnstileToken?: string;
}

/** A PalPluss `POST /payments/stk` request. */
export interface StkPushRequest extends CheckoutRequest {
  callbackUrl: string;
  channelId?: string;
  credential_id?: string;
}

/** The answer of the validators: every field error at once, or the normalised request. */
export type ValidationResult<T> =
  | { ok: true; errors: []; value: T }
  | { ok: false; errors: FieldError[]; value?: undefined };

/** The language of the messages: English (the default) or Kiswahili. */
export type Locale = "en" | "sw";

/** Options of the phone functions. */
export interface PhoneOptions {
  /** The language of the messages and warnings (default "en"). */
  locale?: Locale;
}

/** Options of the validators. */
export interface ValidationOptions {
  /** The largest amount accepted, in whole shillings (default 250000). */
  amountMax?: number;
  /** The language of the messages (default "en"). */
  locale?: Locale;
}

/** The answer of `normalizePhones`: one entry per input, in order; a number or an error code. */
export interface PhoneBatch {
  /** `254XXXXXXXXX`, or null where the input is not a Kenyan mobile number. */
  phones: (string | null)[];
  /** Why not (what `normalizePhone` would throw), or null where the number is good. */
  codes: (PhoneErrorCode | "INVALID_TYPE" | null)[];
}

/**
 * Normalises a whole list in one call into the module (a CSV import, a customer list): the same
 * answers as `normalizePhone` on each, without a thrown Error per bad number. Throws a TypeError
 * when `inputs` is not an array.
 */
export function normalizePhones(inputs: readonly unknown[]): PhoneBatch;

/** The fixed limits of the rules. */
export interface Limits {
  amountMin: number;
  amountMaxDefault: number;
  accountReferenceMaxLength: number;
  transactionDescMaxLength: number;
  callbackUrlMaxLength: number;
}
"#;
