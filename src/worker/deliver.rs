//! Sending one signed event to the merchant (payment events from the `Payment` objects, key events
//! from the `Budget` object). What to send and when to retry is decided in `edge::events`.

use ::worker::{Headers, Method};

use super::env::now_ms;
use super::upstream;
use crate::edge::config::MerchantWebhook;
use crate::edge::events::{sign_event, MerchantEvent, SIGNATURE_HEADER};

/// How long a merchant endpoint gets to answer.
const MERCHANT_TIMEOUT_MS: u32 = 10_000;

/// Posts the event, signed now; `true` when the merchant answered 2xx.
pub(crate) async fn send(merchant: &MerchantWebhook, event: &MerchantEvent) -> bool {
    let body = event.body();
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set(SIGNATURE_HEADER, &sign_event(&merchant.secret, now_ms() / 1000, body.as_bytes()));
    upstream::call(Method::Post, &merchant.url, headers, Some(body), MERCHANT_TIMEOUT_MS)
        .await
        .is_ok_and(|a| (200..300).contains(&a.status))
}
