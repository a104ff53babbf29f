//! # palpluss-stk
//!
//! M-Pesa STK Push checkouts through PalPluss, safe on both sides of the wire: Kenyan phone
//! normalisation, the exact PalPluss STK request rules with every field error reported at once, and
//! the PalPluss response types. The same code runs natively, in the browser (the `palpluss-stk` npm
//! package) and in the Cloudflare Worker proxy.
//!
//! ```
//! use palpluss_stk::{normalize_phone, CheckoutForm, Limits, RawStkRequest, ErrorCode, Field};
//!
//! assert_eq!(normalize_phone("+254 712 345 678")?, "254712345678");
//!
//! let raw: RawStkRequest = serde_json::from_str(
//!     r#"{"amount": 0, "phone": "020 123 4567", "accountReference": "INV-1", "transactionDesc": "Tea"}"#,
//! ).unwrap();
//! let errors = CheckoutForm::validate(&raw, &Limits::default()).unwrap_err();
//! let codes: Vec<_> = errors.as_slice().iter().map(|e| (e.field().as_str(), e.code().as_str())).collect();
//! assert_eq!(codes, [("amount", "AMOUNT_TOO_SMALL"), ("phone", "PHONE_LANDLINE")]);
//! # Ok::<(), palpluss_stk::PhoneError>(())
//! ```
//!
//! Three layers, each depending only on the ones before it:
//! - [`rules`]: what the browser and the edge share (phone numbers, the STK request rules, the
//!   customer messages in English and Kiswahili);
//! - [`palpluss`]: PalPluss's request and response types;
//! - [`edge`]: the Worker's decisions (configuration, routes and refusals, the payment lifecycle,
//!   the guard, the upstream budget, signed events), pure, with time as a parameter.
//!
//! Then the glue, which only translates: `js` (the npm package's bindings, `wasm32` with the
//! `browser` feature) and the Worker (`wasm32` with the `worker` feature). Nothing above the glue
//! has a platform dependency. Beside them, `client` (feature `client`): the checkout client for
//! Rust web apps, on gloo-net.
#![cfg_attr(feature = "abort-on-panic", no_std)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

extern crate alloc;

/// What std's prelude gives and a `no_std` build (feature `abort-on-panic`) must import.
mod prelude {
    pub(crate) use alloc::borrow::ToOwned;
    pub(crate) use alloc::string::{String, ToString};
    pub(crate) use alloc::vec::Vec;
    pub(crate) use alloc::{format, vec};
}

pub mod edge;
pub mod palpluss;
pub mod rules;

#[cfg(all(target_arch = "wasm32", feature = "browser"))]
pub mod js;

#[cfg(feature = "client")]
pub mod client;

/// The Cloudflare Worker entry point (`#[event(fetch)]`).
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
mod worker;

pub use rules::locale::{Locale, UnknownLocale};
pub use rules::network::Network;
pub use rules::phone::{format_phone_as_you_type, normalize_phone, PhoneError, PhoneNumber};
pub use rules::phone_data::{KE_MOBILE_PATTERN, PHONE_DATA_VERSION};
pub use rules::stk::{
    CheckoutForm, ErrorCode, Field, FieldError, Limits, RawStkRequest, RawValue, StkPushRequest, ValidationErrors,
    ACCOUNT_REFERENCE_MAX_CHARS, AMOUNT_MAX_LIMIT, AMOUNT_MIN, CALLBACK_URL_MAX_CHARS, DEFAULT_AMOUNT_MAX,
    TRANSACTION_DESC_MAX_CHARS,
};

// The 0.1 module paths, kept so that code written against 0.1 compiles unchanged (CHANGELOG.md,
// 0.2.0). Hidden from the docs: each item is documented where it lives now, under `rules` or `edge`.
#[doc(hidden)]
pub use rules::{locale, notice, phone, stk};

/// 0.1's `palpluss_stk::guard`: now [`edge::guard`], and `base64url_decode` in [`edge::encoding`].
#[doc(hidden)]
pub mod guard {
    pub use crate::edge::encoding::base64url_decode;
    pub use crate::edge::guard::*;
}

/// 0.1's `palpluss_stk::lifecycle`: now [`edge::lifecycle`], [`edge::observe`], [`edge::budget`],
/// [`edge::events`] and [`edge::encoding`].
#[doc(hidden)]
pub mod lifecycle {
    pub use crate::edge::budget::*;
    pub use crate::edge::encoding::{base64url, iso8601};
    pub use crate::edge::events::*;
    pub use crate::edge::lifecycle::*;
    pub use crate::edge::observe::*;
}

/// 0.1's `palpluss_stk::proxy`: now [`edge::proxy`], [`edge::config`], [`edge::variables`],
/// [`edge::route`], [`edge::codes`] and [`edge::encoding`].
#[doc(hidden)]
pub mod proxy {
    pub use crate::edge::codes;
    pub use crate::edge::config::*;
    pub use crate::edge::encoding::uuid_v4;
    pub use crate::edge::proxy::*;
    pub use crate::edge::route::{is_payment_id, loggable_path, query_param, WEBHOOK_PATH_PREFIX};
    pub use crate::edge::variables::*;
}

/// Single-threaded wasm (no atomics target feature): nothing else can allocate concurrently.
#[cfg(all(target_arch = "wasm32", feature = "tiny-allocator"))]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// Without std, a panic traps: the module is then unusable, which is why no input may reach one.
#[cfg(all(target_arch = "wasm32", feature = "abort-on-panic"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The README's Rust examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
