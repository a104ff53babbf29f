//! The Cloudflare Worker (wasm32 with the `worker` feature): routing, CORS, forwarding and the
//! payment lifecycle's Durable Objects.
//!
//! Glue only: every decision lives in `crate::edge` (routes, refusals, configuration, the
//! lifecycle, the guard, the budget) and `crate::rules`; this module moves bytes between them
//! and the Workers runtime. Routes:
//! - `POST /payments/stk`: validate the checkout, add the server fields, forward to PalPluss
//!   within the upstream budget, record the payment, answer with `statusUrl` and `statusToken`
//!   (`push`);
//! - `GET /payments/{id}` and `GET /payments/{id}/events` (SSE): the payment's status, for the
//!   holder of its token (`entry`, then the `Payment` object);
//! - `POST /webhooks/palpluss/{WEBHOOK_SECRET}`: PalPluss's webhook, a hint to confirm;
//! - `OPTIONS` on a route: CORS preflight, for `ALLOWED_ORIGINS` only;
//! - `GET /health`: whether the configuration is complete, never a value.
//!
//! The Durable Objects: `Payment` (one per transaction: its record, polls, events, streams),
//! `Guard` (one per `Idempotency-Key` or phone) and `Budget` (one per key: the upstream budget).

mod admin;
mod budget;
mod deliver;
mod entry;
mod env;
mod front;
mod guard;
mod index;
mod payment;
mod push;
mod respond;
mod upstream;
