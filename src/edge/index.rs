//! The payment index in D1 (binding `DB`): its schema (the one source is `migrations/`, embedded
//! here so the Worker can apply what is missing itself), and the rows and statements the Worker
//! writes. Pure: the SQL and its bound values are decided here; `worker/index.rs` only runs them.

#[allow(unused_imports)]
use crate::prelude::*;

use super::encoding::{hex, hmac};
use super::lifecycle::Payment;
use super::proxy::mask_phone;
use hmac::Mac;

/// Every migration, in order: its file name in `migrations/` (as `wrangler d1 migrations apply`
/// records it in `d1_migrations`) and its SQL.
pub const MIGRATIONS: [(&str, &str); 1] = [("0001_payments.sql", include_str!("../../migrations/0001_payments.sql"))];

/// The table wrangler records applied migrations in (the same definition, so either may create it).
pub const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)";

/// The statements of a migration file, without comments, one per `;`.
///
/// ```
/// use palpluss_stk::edge::index::statements;
///
/// let sql = "-- a note\nCREATE TABLE t (a TEXT, -- why\n b INTEGER);\n\nCREATE INDEX i ON t (a);\n";
/// assert_eq!(statements(sql), ["CREATE TABLE t (a TEXT,\n b INTEGER)", "CREATE INDEX i ON t (a)"]);
/// ```
pub fn statements(sql: &str) -> Vec<String> {
    // The schema's own files have no `--` or `;` inside string literals.
    let text: Vec<&str> =
        sql.lines().map(|line| line.split_once("--").map_or(line, |(code, _)| code).trim_end()).collect();
    text.join("\n").split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// A value bound to a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlValue {
    /// TEXT
    Text(String),
    /// INTEGER (unix ms, amounts, counts: all within JavaScript's safe integers)
    Int(u64),
    /// NULL
    Null,
}

impl From<Option<String>> for SqlValue {
    fn from(value: Option<String>) -> SqlValue {
        value.map_or(SqlValue::Null, SqlValue::Text)
    }
}

/// Writes a payment's row: inserted once, then updated; the first confirmed final time is kept.
pub const UPSERT_PAYMENT: &str = "INSERT INTO payments (id, created, updated, status, amount, phone_masked, phone_hash, account_reference, receipt, final_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET updated = excluded.updated, status = excluded.status, receipt = excluded.receipt, final_at = COALESCE(payments.final_at, excluded.final_at)";
/// Records one delivery attempt of a merchant event.
pub const INSERT_DELIVERY: &str = "INSERT OR REPLACE INTO deliveries (event_id, payment_id, type, attempt, delivered, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/// Removes a payment and its deliveries (its record's retention ended).
pub const DELETE_PAYMENT: [&str; 2] =
    ["DELETE FROM deliveries WHERE payment_id = ?1", "DELETE FROM payments WHERE id = ?1"];

/// The key the index hashes phones with: derived from the API key, so the index holds no full
/// number and cannot be searched by phone without the Worker's secret.
pub fn phone_key(api_key: &str) -> [u8; 32] {
    hmac(api_key.as_bytes(), &[b"palpluss-stk/phone-index/v1"]).finalize().into_bytes().into()
}

/// The phone's keyed hash as the index stores it (hex HMAC-SHA256).
///
/// ```
/// use palpluss_stk::edge::index::{phone_hash, phone_key};
///
/// let key = phone_key("fake_api_key_1");
/// assert_eq!(phone_hash(&key, "254712345678"), phone_hash(&key, "254712345678"));
/// assert_ne!(phone_hash(&key, "254712345678"), phone_hash(&phone_key("fake_api_key_2"), "254712345678"));
/// assert!(!phone_hash(&key, "254712345678").contains("712345678"));
/// ```
pub fn phone_hash(key: &[u8], phone: &str) -> String {
    hex(&hmac(key, &[phone.as_bytes()]).finalize().into_bytes())
}

/// The values of [`UPSERT_PAYMENT`] for a payment as its object stores it.
///
/// ```
/// use palpluss_stk::edge::index::{payment_row, phone_key, SqlValue};
/// use palpluss_stk::lifecycle::Payment;
///
/// let payment = Payment::new("t-1", 1500, "254712345678", "INV-1", "token", 1_000);
/// let row = payment_row(&payment, &phone_key("fake_api_key_1"));
/// assert_eq!(row[0], SqlValue::Text("t-1".into()));
/// assert_eq!(row[5], SqlValue::Text("2547******78".into()));
/// assert!(!row.iter().any(|v| matches!(v, SqlValue::Text(t) if t.contains("712345678"))), "no full phone");
/// assert_eq!(row[9], SqlValue::Null, "not final yet");
/// ```
pub fn payment_row(payment: &Payment, key: &[u8]) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(payment.transaction_id.clone()),
        SqlValue::Int(payment.pushed_at),
        SqlValue::Int(payment.updated_at),
        SqlValue::Text(payment.status.as_str().to_owned()),
        SqlValue::Int(payment.amount),
        SqlValue::Text(mask_phone(&payment.phone)),
        SqlValue::Text(phone_hash(key, &payment.phone)),
        SqlValue::Text(payment.account_reference.clone()),
        payment.mpesa_receipt.clone().into(),
        if payment.status.is_final() { SqlValue::Int(payment.updated_at) } else { SqlValue::Null },
    ]
}

/// The values of [`INSERT_DELIVERY`] for one attempt.
pub fn delivery_row(
    event_id: &str,
    payment_id: &str,
    kind: &str,
    attempt: u32,
    delivered: bool,
    at: u64,
) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(event_id.to_owned()),
        SqlValue::Text(payment_id.to_owned()),
        SqlValue::Text(kind.to_owned()),
        SqlValue::Int(u64::from(attempt)),
        SqlValue::Int(u64::from(delivered)),
        SqlValue::Int(at),
    ]
}

/// Adds a tally to the refusals of its hour and code.
pub const ADD_REFUSALS: &str = "INSERT INTO refusals (hour, code, count) VALUES (?1, ?2, ?3) ON CONFLICT (hour, code) DO UPDATE SET count = count + excluded.count";

/// How often an isolate adds its tally of refusals to the index, at most.
pub const REFUSAL_FLUSH_MS: u64 = 60_000;

/// An isolate's count of the proxy's refusals of pushes, by hour and code, handed over for
/// writing at most once every [`REFUSAL_FLUSH_MS`].
///
/// ```
/// use palpluss_stk::edge::index::RefusalTally;
///
/// let mut tally = RefusalTally::default();
/// assert!(tally.add("RATE_LIMITED", 1_000).is_none(), "the first minute collects");
/// assert!(tally.add("RATE_LIMITED", 2_000).is_none());
/// let due = tally.add("PHONE_BUSY", 61_000).unwrap();
/// assert_eq!(due, vec![(0, "PHONE_BUSY".to_owned(), 1), (0, "RATE_LIMITED".to_owned(), 2)]);
/// assert!(tally.add("PHONE_BUSY", 62_000).is_none(), "then a minute again");
/// ```
#[derive(Clone, Debug, Default)]
pub struct RefusalTally {
    counts: alloc::collections::BTreeMap<(u64, String), u64>,
    since: Option<u64>,
}

impl RefusalTally {
    /// Counts one refusal at `now`; the counts to write when a minute has passed since the first.
    pub fn add(&mut self, code: &str, now: u64) -> Option<Vec<(u64, String, u64)>> {
        *self.counts.entry((now / 3_600_000, code.to_owned())).or_insert(0) += 1;
        let since = *self.since.get_or_insert(now);
        if now.saturating_sub(since) < REFUSAL_FLUSH_MS {
            return None;
        }
        self.since = None;
        Some(core::mem::take(&mut self.counts).into_iter().map(|((hour, code), n)| (hour, code, n)).collect())
    }
}
