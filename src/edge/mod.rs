//! The edge's decisions, pure: the Worker's configuration, its routes and every answer it gives
//! itself, the payment's lifecycle, the guard, the upstream budget, the signed events, and the
//! text formats and encodings they share.
//!
//! Shaped like quinn-proto: requests, PalPluss's answers and `now` go in; decisions come out (an
//! answer to render, a record to store, a call to make, a time to wake up). The Worker and its
//! Durable Objects (`src/worker`) only execute them, so every edge case is a fast native test with
//! time as a parameter. Depends on [`crate::rules`] and [`crate::palpluss`], never on the glue.

pub mod admin;
pub mod budget;
pub mod codes;
pub mod config;
pub mod encoding;
pub mod events;
pub mod guard;
pub mod health;
pub mod index;
pub mod lifecycle;
pub mod observe;
pub mod proxy;
pub mod reply;
pub mod request;
pub mod route;
pub mod variables;
