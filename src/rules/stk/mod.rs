//! STK Push request rules: the types PalPluss `POST /payments/stk` takes, and validation that
//! reports every field error at once.
//!
//! Two shapes share the rules:
//! - [`StkPushRequest`], the full PalPluss request a server sends (with `callbackUrl`, and optionally
//!   `channelId` and `credential_id`);
//! - [`CheckoutForm`], what a browser sends to the proxy: the same without the three server-side
//!   fields, which a client must not set.
//!
//! Input arrives loosely typed ([`RawStkRequest`], deserialisable from any JSON object) so that a
//! wrong type is a field error, not a parse failure.
//!
//! ```
//! use palpluss_stk::{CheckoutForm, Limits, RawStkRequest, RawValue};
//!
//! let raw = RawStkRequest {
//!     amount: RawValue::Number(1500.0),
//!     phone: RawValue::from("0712 345 678"),
//!     account_reference: RawValue::from(" INV-001 "),
//!     transaction_desc: RawValue::from("Order 1"),
//!     ..RawStkRequest::default()
//! };
//! let form = CheckoutForm::validate(&raw, &Limits::default())?;
//! assert_eq!(form.phone().as_str(), "254712345678");
//! assert_eq!(form.account_reference(), "INV-001");
//! # Ok::<(), palpluss_stk::ValidationErrors>(())
//! ```

mod errors;
mod request;
mod types;

#[cfg_attr(not(feature = "browser"), allow(unused_imports))]
pub(crate) use errors::phone_not_text;
pub use errors::{FieldError, ValidationErrors};
pub(crate) use request::is_uuid;
pub use request::{validate_callback_url, CheckoutForm, StkPushRequest, TOKEN_MAX_CHARS};
pub use types::{
    ErrorCode, Field, Limits, RawStkRequest, RawValue, ACCOUNT_REFERENCE_MAX_CHARS, AMOUNT_MAX_LIMIT, AMOUNT_MIN,
    CALLBACK_URL_MAX_CHARS, DEFAULT_AMOUNT_MAX, TRANSACTION_DESC_MAX_CHARS,
};
