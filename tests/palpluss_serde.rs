//! PalPluss envelope and response types against the shapes in the reference documents (native).
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies

use palpluss_stk::palpluss::{
    codes, ApiError, Envelope, StkPushResponse, Transaction, TransactionStatus, WebhookPayload,
};
use serde_json::{json, Value};

/// The success example of the STK page, verbatim.
const STK_SUCCESS: &str = r#"{
  "success": true,
  "data": {
    "transactionId": "fa98a577-95ea-4a8f-8467-1fbe74f5d6f4",
    "tenantId": "b6fbe75f-ce87-4d44-b318-6cfdb8b7de4d",
    "channelId": null,
    "type": "STK",
    "status": "PENDING",
    "amount": 1000,
    "currency": "KES",
    "phone": "254712345678",
    "accountReference": "INV-2024-001",
    "transactionDesc": "Payment for invoice #2024-001",
    "providerRequestId": "29115-34620561-1",
    "providerCheckoutId": "ws_CO_191220191020363925",
    "transactionFee": 2.5,
    "resultCode": "0",
    "resultDescription": "Success. Request accepted for processing",
    "createdAt": "2026-03-01T08:00:00.000Z",
    "updatedAt": "2026-03-01T08:00:00.000Z"
  },
  "requestId": "c1b2a3d4-0000-0000-0000-000000000000"
}"#;

#[test]
fn the_documented_stk_success_parses() {
    let envelope: Envelope<StkPushResponse> = serde_json::from_str(STK_SUCCESS).unwrap();
    assert_eq!(envelope.request_id(), "c1b2a3d4-0000-0000-0000-000000000000");
    let data = envelope.into_result().unwrap();
    assert_eq!(data.transaction_id, "fa98a577-95ea-4a8f-8467-1fbe74f5d6f4");
    assert_eq!(data.status, TransactionStatus::Pending);
    assert_eq!(data.amount, 1000.0);
    assert_eq!(data.channel_id, None);
    assert_eq!(data.kind.as_deref(), Some("STK"));
    assert_eq!(data.provider_checkout_id.as_deref(), Some("ws_CO_191220191020363925"));
    assert_eq!(data.transaction_fee, Some(2.5));
    // Serialising keeps every documented member (nulls included) and reads back the same.
    let envelope = Envelope::Success { success: true, data, request_id: "c1b2a3d4-0000-0000-0000-000000000000".into() };
    let again: Value = serde_json::to_value(&envelope).unwrap();
    let original: Value = serde_json::from_str(STK_SUCCESS).unwrap();
    let keys = |v: &Value| v["data"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&again), keys(&original));
    assert_eq!(again["data"]["amount"].as_f64(), Some(1000.0));
    assert_eq!(serde_json::from_value::<Envelope<StkPushResponse>>(again).unwrap(), envelope);
}

#[test]
fn error_envelopes_parse_with_details() {
    let body = json!({
        "success": false,
        "error": { "code": "STK_TEMP_BANNED", "message": "Too many failed pushes", "details": { "retryAfterSeconds": 3600 } },
        "requestId": "r-1"
    });
    let envelope: Envelope<StkPushResponse> = serde_json::from_value(body).unwrap();
    let error = envelope.into_result().unwrap_err();
    assert_eq!(error.code, codes::STK_TEMP_BANNED);
    assert!(error.is_rate_limited());
    assert_eq!(error.retry_after_seconds(), Some(3600));
}

#[test]
fn retry_after_is_read_defensively() {
    let with_details = |details: Value| ApiError { code: "X".into(), message: "m".into(), details: Some(details) };
    assert_eq!(with_details(json!({ "retryAfterSeconds": "120" })).retry_after_seconds(), Some(120));
    assert_eq!(with_details(json!({ "retryAfterSeconds": 0.1 })).retry_after_seconds(), Some(1));
    assert_eq!(with_details(json!({ "retryAfterSeconds": -5 })).retry_after_seconds(), None);
    assert_eq!(with_details(json!({ "retryAfterSeconds": "soon" })).retry_after_seconds(), None);
    assert_eq!(with_details(json!({ "retryAfterSeconds": [1] })).retry_after_seconds(), None);
    assert_eq!(with_details(json!({ "retryAfterSeconds": 1e308 })).retry_after_seconds(), Some(u64::MAX));
    assert_eq!(with_details(json!([])).retry_after_seconds(), None);
    assert_eq!(ApiError { code: "X".into(), message: "m".into(), details: None }.retry_after_seconds(), None);
}

#[test]
fn malformed_envelopes_are_errors_not_panics() {
    for body in [
        r#"{"success": true, "requestId": "r"}"#,
        r#"{"success": false, "requestId": "r"}"#,
        r#"{"data": {}}"#,
        r#"{"success": "yes"}"#,
        r#"[]"#,
        r#"<html>502 Bad Gateway</html>"#,
    ] {
        assert!(serde_json::from_str::<Envelope<Value>>(body).is_err(), "{body}");
    }
}

#[test]
fn proxy_errors_use_the_same_envelope() {
    let details = json!([{ "field": "phone", "code": "PHONE_TOO_SHORT", "message": "..." }]);
    let envelope =
        Envelope::error(codes::VALIDATION_FAILED, "Check the highlighted fields.", Some(details.clone()), "req");
    let wire = serde_json::to_value(&envelope).unwrap();
    assert_eq!(
        wire,
        json!({
            "success": false,
            "error": { "code": "VALIDATION_FAILED", "message": "Check the highlighted fields.", "details": details },
            "requestId": "req"
        })
    );
    let back: Envelope<Value> = serde_json::from_value(wire).unwrap();
    assert_eq!(back, envelope);
}

#[test]
fn transactions_and_webhooks_use_snake_case() {
    let tx: Transaction = serde_json::from_value(json!({
        "transaction_id": "fa98a577-95ea-4a8f-8467-1fbe74f5d6f4", "status": "CANCELLED", "amount": 10,
        "phone_number": "254712345678", "result_code": "1032", "type": "STK", "extra": "ignored"
    }))
    .unwrap();
    assert_eq!(tx.status, TransactionStatus::Cancelled);
    assert!(tx.status.is_final());
    assert_eq!(tx.result_code.as_deref(), Some("1032"));
    let hook: WebhookPayload = serde_json::from_value(json!({
        "event": "transaction.updated", "event_type": "transaction.failed",
        "transaction": { "id": "x", "status": "SOMETHING_NEW", "amount": 10, "result_code": "2001" }
    }))
    .unwrap();
    assert_eq!(hook.transaction.status, TransactionStatus::Unknown);
    assert!(!hook.transaction.status.is_final());
    let statuses = ["PENDING", "PROCESSING", "SUCCESS", "FAILED", "CANCELLED", "EXPIRED", "REVERSED"];
    for s in statuses {
        let status: TransactionStatus = serde_json::from_value(json!(s)).unwrap();
        assert_eq!(serde_json::to_value(status).unwrap(), json!(s));
        assert_eq!(status.is_final(), !matches!(s, "PENDING" | "PROCESSING"));
    }
}
