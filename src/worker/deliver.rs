//! Sending one signed event to the merchant (payment events from the `Payment` objects, key events
//! from the `Budget` object). What to send and when to retry is decided in `edge::events`.

use ::worker::{Headers, Method};

use super::env::now_ms;
use super::upstream;
use crate::edge::config::MerchantWebhook;
use crate::edge::events::{
    sign_event_with, MerchantEvent, SIGNATURE_HEADER, WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER,
};

/// How long a merchant endpoint gets to answer.
const MERCHANT_TIMEOUT_MS: u32 = 10_000;

/// Posts the event, signed now for both schemes (`Palpluss-Stk-Signature`, and Standard
/// Webhooks' three headers); `true` when the merchant answered 2xx.
pub(crate) async fn send(merchant: &MerchantWebhook, event: &MerchantEvent) -> bool {
    let body = event.body();
    let t = now_ms() / 1000;
    let signed = sign_event_with(&merchant.secrets, &event.id, t, body.as_bytes());
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set(SIGNATURE_HEADER, &signed.palpluss);
    let _ = headers.set(WEBHOOK_ID_HEADER, &event.id);
    let _ = headers.set(WEBHOOK_TIMESTAMP_HEADER, &t.to_string());
    let _ = headers.set(WEBHOOK_SIGNATURE_HEADER, &signed.standard);
    upstream::call(Method::Post, &merchant.url, headers, Some(body), MERCHANT_TIMEOUT_MS)
        .await
        .is_ok_and(|a| (200..300).contains(&a.status))
}
