//! The admin API's decisions (`/admin/...` with `Authorization: Bearer {ADMIN_TOKEN}`): the token
//! check, the list's filters and cursor, the SQL over the payment index, and the rows as JSON and
//! CSV. Pure; `worker/admin.rs` runs the queries and streams the answers.

#[allow(unused_imports)]
use crate::prelude::*;

use serde::Deserialize;
use serde_json::{json, Value};

use super::encoding::{base64url, base64url_decode, constant_time_eq, iso8601, sha256_hex};
use super::index::{phone_hash, SqlValue};
use super::route::query_param;
use crate::palpluss::TransactionStatus;
use crate::rules::phone::normalize_phone;

/// The most payments one list page holds.
pub const MAX_LIMIT: u64 = 200;
/// A list page's size when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 50;
/// Rows per query while streaming the CSV export.
pub const CSV_PAGE: u64 = 1000;
/// How far back `GET /admin/health` counts outcomes per hour.
pub const HEALTH_HOURS: u64 = 48;

/// The operator page's files (`public/admin/`), by their path after `/admin`: the Worker serves
/// them from its static assets once `ADMIN_TOKEN` is set (before that they are 404 like every
/// `/admin` route), with no token needed to load the page itself (it holds no data).
///
/// ```
/// use palpluss_stk::edge::admin::is_page_file;
///
/// assert!(is_page_file("/") && is_page_file("/admin.js"));
/// assert!(!is_page_file("/payments") && !is_page_file("/../secret"));
/// ```
pub fn is_page_file(rest: &str) -> bool {
    matches!(rest, "/" | "/admin.js" | "/admin.css")
}

/// Whether `Authorization: Bearer {token}` carries the configured token (compared in constant
/// time over digests, so neither the token's content nor its length leaks).
///
/// ```
/// use palpluss_stk::edge::admin::token_matches;
///
/// assert!(token_matches("adm_0123456789abcdef0123", Some("Bearer adm_0123456789abcdef0123")));
/// assert!(!token_matches("adm_0123456789abcdef0123", Some("Bearer adm_0123456789abcdef012")));
/// assert!(!token_matches("adm_0123456789abcdef0123", Some("adm_0123456789abcdef0123")));
/// assert!(!token_matches("adm_0123456789abcdef0123", None));
/// ```
pub fn token_matches(configured: &str, authorization: Option<&str>) -> bool {
    let given = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim).unwrap_or("");
    let same = constant_time_eq(sha256_hex(configured.as_bytes()).as_bytes(), sha256_hex(given.as_bytes()).as_bytes());
    same && !given.is_empty()
}

/// A filter the list cannot take, named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// The query parameter at fault.
    pub parameter: &'static str,
    /// What it must look like.
    pub expected: &'static str,
}

/// The list's filters: `status`, `since`, `until` (unix ms or ISO 8601, UTC), `phone` (the full
/// number, in any form a customer types), `reference` (exact), `cursor` and `limit`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    /// Only this status.
    pub status: Option<TransactionStatus>,
    /// Created at or after (unix ms).
    pub since: Option<u64>,
    /// Created before (unix ms).
    pub until: Option<u64>,
    /// The full phone, normalised (`254...`): matched by its keyed hash, and shown unmasked.
    pub phone: Option<String>,
    /// The account reference, exactly.
    pub reference: Option<String>,
    /// Continue after this `(created, id)`.
    pub cursor: Option<(u64, String)>,
    /// Page size, 1 to [`MAX_LIMIT`].
    pub limit: u64,
}

impl PaymentFilter {
    /// Reads the filters from a request URL.
    ///
    /// ```
    /// use palpluss_stk::edge::admin::PaymentFilter;
    ///
    /// let f = PaymentFilter::from_url("https://p/admin/payments?status=SUCCESS&since=2026-12-01&phone=0712%20345%20678&limit=20").unwrap();
    /// assert_eq!(f.since, Some(1_796_083_200_000));
    /// assert_eq!(f.phone.as_deref(), Some("254712345678"));
    /// assert_eq!(f.limit, 20);
    /// assert_eq!(PaymentFilter::from_url("https://p/?limit=500").unwrap_err().parameter, "limit");
    /// assert_eq!(PaymentFilter::from_url("https://p/?status=PAID").unwrap_err().parameter, "status");
    /// ```
    pub fn from_url(url: &str) -> Result<PaymentFilter, FilterError> {
        let param = |name| query_param(url, name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let bad = |parameter, expected| FilterError { parameter, expected };
        let status = match param("status") {
            None => None,
            Some(s) => match TransactionStatus::from_name(&s.to_ascii_uppercase()) {
                TransactionStatus::Unknown => {
                    return Err(bad("status", "PENDING, PROCESSING, SUCCESS, FAILED, CANCELLED, EXPIRED or REVERSED"))
                }
                known => Some(known),
            },
        };
        const TIME: &str = "unix milliseconds or an ISO 8601 date or time in UTC (2026-12-01 or 2026-12-01T08:00:00Z)";
        let since = param("since").map(|t| parse_time(&t).ok_or(bad("since", TIME))).transpose()?;
        let until = param("until").map(|t| parse_time(&t).ok_or(bad("until", TIME))).transpose()?;
        let phone = param("phone")
            .map(|p| normalize_phone(&p).map_err(|_| bad("phone", "a full Kenyan mobile number")))
            .transpose()?;
        let reference = param("reference");
        let cursor =
            param("cursor").map(|c| decode_cursor(&c).ok_or(bad("cursor", "a nextCursor from a list"))).transpose()?;
        let limit = match param("limit") {
            None => DEFAULT_LIMIT,
            Some(l) => l.parse::<u64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or(bad("limit", "1 to 200"))?,
        };
        Ok(PaymentFilter { status, since, until, phone, reference, cursor, limit })
    }

    /// The page's query (one row more than the limit, to know whether another page follows),
    /// newest first, and its values.
    pub fn sql(&self, phone_key: &[u8], limit: u64) -> (String, Vec<SqlValue>) {
        let mut sql = String::from(
            "SELECT id, created, updated, status, amount, phone_masked, account_reference, receipt, final_at FROM payments WHERE 1 = 1",
        );
        let mut values = Vec::new();
        let mut and = |clause: &str, value: SqlValue| {
            values.push(value);
            sql.push_str(" AND ");
            sql.push_str(&clause.replace('?', &["?", &values.len().to_string()].concat()));
        };
        if let Some(status) = self.status {
            and("status = ?", SqlValue::Text(status.as_str().to_owned()));
        }
        if let Some(since) = self.since {
            and("created >= ?", SqlValue::Int(since));
        }
        if let Some(until) = self.until {
            and("created < ?", SqlValue::Int(until));
        }
        if let Some(phone) = &self.phone {
            and("phone_hash = ?", SqlValue::Text(phone_hash(phone_key, phone)));
        }
        if let Some(reference) = &self.reference {
            and("account_reference = ?", SqlValue::Text(reference.clone()));
        }
        if let Some((created, id)) = &self.cursor {
            values.push(SqlValue::Int(*created));
            values.push(SqlValue::Text(id.clone()));
            let (c, i) = (values.len() - 1, values.len());
            sql.push_str(
                &[
                    " AND (created < ?",
                    &c.to_string(),
                    " OR (created = ?",
                    &c.to_string(),
                    " AND id < ?",
                    &i.to_string(),
                    "))",
                ]
                .concat(),
            );
        }
        values.push(SqlValue::Int(limit + 1));
        sql.push_str(&[" ORDER BY created DESC, id DESC LIMIT ?", &values.len().to_string()].concat());
        (sql, values)
    }
}

/// One payment as the index holds it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct IndexRow {
    /// The transaction id.
    pub id: String,
    /// Unix ms.
    pub created: u64,
    /// Unix ms.
    pub updated: u64,
    /// PalPluss's spelling.
    pub status: String,
    /// Whole shillings.
    pub amount: u64,
    /// `2547******78`.
    pub phone_masked: String,
    /// The merchant's reference.
    pub account_reference: String,
    /// The M-Pesa receipt.
    pub receipt: Option<String>,
    /// Unix ms.
    pub final_at: Option<u64>,
}

/// The cursor after a row: base64url of `{created}.{id}`.
pub fn encode_cursor(row: &IndexRow) -> String {
    base64url([row.created.to_string(), ".".into(), row.id.clone()].concat().as_bytes())
}

fn decode_cursor(text: &str) -> Option<(u64, String)> {
    let bytes = base64url_decode(text)?;
    let (created, id) = core::str::from_utf8(&bytes).ok()?.split_once('.')?;
    Some((created.parse().ok()?, id.to_owned()))
}

/// A row as the API shows it; the phone masked unless the caller filtered by the full number.
pub fn row_json(row: &IndexRow, full_phone: Option<&str>) -> Value {
    json!({
        "transactionId": row.id,
        "status": row.status,
        "amount": row.amount,
        "phone": full_phone.unwrap_or(&row.phone_masked),
        "accountReference": row.account_reference,
        "mpesaReceipt": row.receipt,
        "createdAt": iso8601(row.created),
        "updatedAt": iso8601(row.updated),
        "finalAt": row.final_at.map(iso8601),
    })
}

/// The CSV export's first line.
pub const CSV_HEADER: &str =
    "transactionId,status,amount,phone,accountReference,mpesaReceipt,createdAt,updatedAt,finalAt\r\n";

/// A row as a CSV line (RFC 4180; a cell a spreadsheet would run as a formula is prefixed with `'`).
///
/// ```
/// use palpluss_stk::edge::admin::{csv_line, IndexRow};
///
/// let row = IndexRow { id: "t-1".into(), created: 0, updated: 0, status: "SUCCESS".into(), amount: 10,
///     phone_masked: "2547******78".into(), account_reference: "=HYPERLINK(\"x\")".into(), receipt: None, final_at: None };
/// assert_eq!(csv_line(&row, None), "t-1,SUCCESS,10,2547******78,\"'=HYPERLINK(\"\"x\"\")\",,1970-01-01T00:00:00.000Z,1970-01-01T00:00:00.000Z,\r\n");
/// ```
pub fn csv_line(row: &IndexRow, full_phone: Option<&str>) -> String {
    let cells = [
        row.id.clone(),
        row.status.clone(),
        row.amount.to_string(),
        full_phone.unwrap_or(&row.phone_masked).to_owned(),
        row.account_reference.clone(),
        row.receipt.clone().unwrap_or_default(),
        iso8601(row.created),
        iso8601(row.updated),
        row.final_at.map(iso8601).unwrap_or_default(),
    ];
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let cell = if formula { ["'", cell].concat() } else { cell.clone() };
        if cell.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&cell);
        }
    }
    line.push_str("\r\n");
    line
}

/// Outcomes per hour for the last [`HEALTH_HOURS`]: `(hour, status, count)` rows (hour = unix ms
/// / 3,600,000 of `final_at`) into one bucket per hour, oldest first, with the paid share.
///
/// ```
/// use palpluss_stk::edge::admin::hourly;
///
/// let now = 100 * 3_600_000;
/// let buckets = hourly(&[(100, "SUCCESS".into(), 3), (100, "CANCELLED".into(), 1)], now);
/// assert_eq!(buckets.as_array().unwrap().len(), 48);
/// assert_eq!(buckets[47]["paid"], 3);
/// assert_eq!(buckets[47]["successRate"], 0.75);
/// assert_eq!(buckets[0]["successRate"], serde_json::Value::Null);
/// ```
pub fn hourly(rows: &[(u64, String, u64)], now: u64) -> Value {
    let current = now / 3_600_000;
    let first = current.saturating_sub(HEALTH_HOURS - 1);
    let buckets: Vec<Value> = (first..=current)
        .map(|hour| {
            let mut by_status = serde_json::Map::new();
            let (mut paid, mut total) = (0, 0);
            for (_, status, count) in rows.iter().filter(|(h, _, _)| *h == hour) {
                by_status.insert(status.clone(), json!(count));
                total += count;
                if status == "SUCCESS" {
                    paid += count;
                }
            }
            let rate = (total > 0).then(|| ((paid * 1000 + total / 2) / total) as f64 / 1000.0);
            json!({ "hour": iso8601(hour * 3_600_000), "outcomes": total, "paid": paid, "successRate": rate, "byStatus": by_status })
        })
        .collect();
    Value::Array(buckets)
}

/// Unix ms from digits, or from an ISO 8601 date or UTC time (`2026-12-01`, `2026-12-01T08:00Z`,
/// `2026-12-01T08:00:00.250Z`).
fn parse_time(text: &str) -> Option<u64> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let (date, time) = text.split_once('T').unwrap_or((text, ""));
    let mut d = date.split('-').map(|p| p.parse::<u64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    if d.next().is_some() || !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let time = time.strip_suffix('Z').unwrap_or(time);
    let (hms, ms) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').filter(|p| !p.is_empty()).map(|p| p.parse::<u64>().ok());
    let (h, min, s) = (t.next().unwrap_or(Some(0))?, t.next().unwrap_or(Some(0))?, t.next().unwrap_or(Some(0))?);
    let ms: u64 = ms.get(..ms.len().min(3))?.parse().ok()?;
    if t.next().is_some() || h > 23 || min > 59 || s > 59 {
        return None;
    }
    let days = crate::edge::encoding::unix_days(y, m, day)?;
    Some(((days * 24 + h) * 60 + min) * 60_000 + s * 1000 + ms)
}
