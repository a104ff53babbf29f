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
//! The pure modules ([`phone`], [`stk`], [`palpluss`]) have no platform dependency. The JavaScript
//! bindings live in `js`, compiled for `wasm32` with the `browser` feature.
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

pub mod guard;
pub mod lifecycle;
pub mod locale;
pub mod notice;
pub mod palpluss;
pub mod phone;
mod phone_data;
pub mod proxy;
pub mod stk;
mod text;

#[cfg(all(target_arch = "wasm32", feature = "browser"))]
pub mod js;

/// The Cloudflare Worker entry point (`#[event(fetch)]`).
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
mod worker;

pub use locale::{Locale, UnknownLocale};
pub use phone::{format_phone_as_you_type, normalize_phone, Network, PhoneError, PhoneNumber};
pub use phone_data::{KE_MOBILE_PATTERN, PHONE_DATA_VERSION};
pub use stk::{
    CheckoutForm, ErrorCode, Field, FieldError, Limits, RawStkRequest, RawValue, StkPushRequest, ValidationErrors,
    ACCOUNT_REFERENCE_MAX_CHARS, AMOUNT_MAX_LIMIT, AMOUNT_MIN, CALLBACK_URL_MAX_CHARS, DEFAULT_AMOUNT_MAX,
    TRANSACTION_DESC_MAX_CHARS,
};

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
