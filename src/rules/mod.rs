//! The rules the browser and the edge share: what a Kenyan M-Pesa number is, what an STK request
//! may contain, and every message a customer can read, in English and Kiswahili.
//!
//! Pure: no platform code, no clock, no I/O. The npm package and the Worker both call these, so a
//! checkout form says exactly what the proxy will say. Nothing here depends on [`crate::edge`] or
//! on the glue (`js`, `worker`).

pub mod locale;
pub mod network;
pub mod notice;
pub mod phone;
pub(crate) mod phone_data;
pub mod stk;
pub(crate) mod text;
