//! The admin API (`/admin/...`, `Authorization: Bearer {ADMIN_TOKEN}`) over the payment index:
//! the list, the CSV export (streamed page by page), one payment with its deliveries, resending an
//! event, and the key's health with outcomes per hour. What to query and how rows look is decided
//! in `edge::admin`; here are the queries and the stream.

use ::worker::d1::D1Database;
use ::worker::{Env, Headers, Method, Request, Response};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};

use super::env::now_ms;
use super::index::query;
use super::respond::Reply;
use super::{budget, index, payment};
use crate::edge::admin::{
    csv_line, encode_cursor, hourly, is_page_file, row_json, token_matches, IndexRow, PaymentFilter, CSV_HEADER,
    CSV_PAGE, HEALTH_HOURS,
};
use crate::edge::codes;
use crate::edge::config::Config;
use crate::edge::index::SqlValue;
use crate::edge::reply::Refusal;
use crate::edge::route::is_payment_id;

/// One `/admin` request; `rest` is the path after `/admin`.
pub(crate) async fn admin(req: &Request, rest: &str, env: &Env, config: &Config) -> Reply {
    // Without the token the admin API does not exist; with it, nothing answers before the check.
    let Some(token) = config.admin_token() else { return Refusal::not_found().into() };
    let method = req.method();
    let url = req.inner().url();
    if method == Method::Get && rest.is_empty() {
        // `/admin` to `/admin/`, so the page's relative URLs resolve under it.
        let location = [url.split(['?', '#']).next().unwrap_or(""), "/"].concat();
        return match Response::empty().map(|r| r.with_status(308)) {
            Ok(response) => {
                let _ = response.headers().set("Location", &location);
                Reply::Stream(response)
            }
            Err(_) => Refusal::not_found().into(),
        };
    }
    if method == Method::Get && is_page_file(rest) {
        return page(env, &url, rest).await;
    }
    let authorization = req.headers().get("Authorization").ok().flatten();
    if !token_matches(token, authorization.as_deref()) {
        return Refusal::unauthorized().into();
    }
    let Some(db) = index::database(env) else {
        return Refusal::new(
            503,
            codes::ADMIN_DB_MISSING,
            "The admin API needs the payment index: bind a D1 database as DB.",
        )
        .into();
    };
    if index::migrate(&db).await.is_err() {
        return unavailable();
    }
    match (rest, method) {
        ("/payments", Method::Get) => list(&db, &url, config).await,
        ("/payments.csv", Method::Get) => csv(db, &url, config),
        ("/health", Method::Get) => health(&db, env).await,
        (path, method) => match path.strip_prefix("/payments/").map(|p| p.split_once('/').unwrap_or((p, ""))) {
            Some((id, "")) if method == Method::Get && is_payment_id(id) => one(&db, id).await,
            Some((id, "events/resend")) if method == Method::Post && is_payment_id(id) => resend(env, id, config).await,
            _ => Refusal::not_found().into(),
        },
    }
}

/// One file of the operator page, from the `ASSETS` binding (`public/admin/`), whatever path the
/// proxy is served under.
async fn page(env: &Env, url: &str, rest: &str) -> Reply {
    let Ok(assets) = env.assets("ASSETS") else { return Refusal::not_found().into() };
    let origin: String = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    match assets.fetch([origin.as_str(), "/admin", rest].concat(), None).await {
        Ok(response) if response.status_code() == 200 => Reply::Stream(response),
        _ => Refusal::not_found().into(),
    }
}

fn unavailable() -> Reply {
    Refusal::new(503, codes::ADMIN_DB_UNAVAILABLE, "The payment index could not be read just now; try again.").into()
}

fn filter(url: &str) -> Result<PaymentFilter, Reply> {
    PaymentFilter::from_url(url).map_err(|e| {
        let message = ["The filter ", e.parameter, " must be ", e.expected, "."].concat();
        Refusal::new(400, codes::ADMIN_BAD_FILTER, &message).into()
    })
}

/// `GET /admin/payments`: newest first, `nextCursor` while more follow.
async fn list(db: &D1Database, url: &str, config: &Config) -> Reply {
    let filter = match filter(url) {
        Ok(filter) => filter,
        Err(reply) => return reply,
    };
    let (sql, values) = filter.sql(config.phone_index_key(), filter.limit);
    let Some(mut rows) = query::<IndexRow>(db, &sql, values).await else { return unavailable() };
    let more = rows.len() as u64 > filter.limit;
    rows.truncate(filter.limit as usize);
    let next = rows.last().filter(|_| more).map(encode_cursor);
    let payments: Vec<Value> = rows.iter().map(|r| row_json(r, filter.phone.as_deref())).collect();
    Reply::Data { status: 200, data: json!({ "payments": payments, "nextCursor": next }).to_string() }
}

/// `GET /admin/payments.csv`: every payment the filters select, a page of rows at a time, so the
/// Worker holds one page however many there are.
fn csv(db: D1Database, url: &str, config: &Config) -> Reply {
    let filter = match filter(url) {
        Ok(filter) => filter,
        Err(reply) => return reply,
    };
    let key = *config.phone_index_key();
    struct Page {
        db: D1Database,
        filter: PaymentFilter,
        header: bool,
        done: bool,
    }
    let start = Page { db, filter, header: true, done: false };
    let stream = futures_util::stream::unfold(start, move |mut page| async move {
        if page.header {
            page.header = false;
            return Some((Ok::<Vec<u8>, ::worker::Error>(CSV_HEADER.as_bytes().to_vec()), page));
        }
        if page.done {
            return None;
        }
        let (sql, values) = page.filter.sql(&key, CSV_PAGE);
        let Some(mut rows) = query::<IndexRow>(&page.db, &sql, values).await else {
            return Some((
                Err(::worker::Error::RustError("the payment index could not be read".into())),
                Page { done: true, ..page },
            ));
        };
        page.done = rows.len() as u64 <= CSV_PAGE;
        rows.truncate(CSV_PAGE as usize);
        let mut chunk = String::with_capacity(rows.len() * 120);
        for row in &rows {
            chunk.push_str(&csv_line(row, page.filter.phone.as_deref()));
        }
        page.filter.cursor = rows.last().map(|r| (r.created, r.id.clone()));
        if rows.is_empty() {
            return None;
        }
        Some((Ok(chunk.into_bytes()), page))
    });
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "text/csv; charset=utf-8");
    let _ = headers.set("Content-Disposition", "attachment; filename=\"payments.csv\"");
    match Response::from_stream(stream) {
        Ok(response) => Reply::Stream(response.with_headers(headers)),
        Err(_) => unavailable(),
    }
}

#[derive(Deserialize)]
struct DeliveryRow {
    event_id: String,
    #[serde(rename = "type")]
    kind: String,
    attempt: u64,
    delivered: u64,
    at: u64,
}

/// `GET /admin/payments/{id}`: the row and every delivery attempt of its events.
async fn one(db: &D1Database, id: &str) -> Reply {
    let sql = "SELECT id, created, updated, status, amount, phone_masked, account_reference, receipt, final_at FROM payments WHERE id = ?1";
    let Some(rows) = query::<IndexRow>(db, sql, vec![SqlValue::Text(id.to_owned())]).await else {
        return unavailable();
    };
    let Some(row) = rows.first() else { return Refusal::payment_not_found().into() };
    let sql =
        "SELECT event_id, type, attempt, delivered, at FROM deliveries WHERE payment_id = ?1 ORDER BY at, attempt";
    let Some(deliveries) = query::<DeliveryRow>(db, sql, vec![SqlValue::Text(id.to_owned())]).await else {
        return unavailable();
    };
    let deliveries: Vec<Value> = deliveries
        .iter()
        .map(|d| {
            json!({ "eventId": d.event_id, "type": d.kind, "attempt": d.attempt, "delivered": d.delivered == 1,
                "at": crate::edge::encoding::iso8601(d.at) })
        })
        .collect();
    let mut payment = row_json(row, None);
    if let Some(object) = payment.as_object_mut() {
        object.insert("deliveries".into(), Value::Array(deliveries));
    }
    Reply::Data { status: 200, data: json!({ "payment": payment }).to_string() }
}

/// `POST /admin/payments/{id}/events/resend`: the final status's event, sent again by its object.
async fn resend(env: &Env, id: &str, config: &Config) -> Reply {
    if config.merchant_webhook().is_none() {
        return Refusal::new(
            409,
            codes::ADMIN_EVENTS_OFF,
            "MERCHANT_WEBHOOK_URL is not set: there is nowhere to send events.",
        )
        .into();
    }
    let Ok((status, answer)) = payment::call_text(env, id, "/resend", "").await else { return unavailable() };
    match status {
        202 if serde_json::from_str::<IgnoredAny>(&answer).is_ok() => Reply::Data { status: 202, data: answer },
        202 => unavailable(),
        409 => Refusal::new(
            409,
            codes::ADMIN_NOT_FINAL,
            "This payment has no confirmed final status yet: no event to send.",
        )
        .into(),
        _ => Refusal::payment_not_found().into(),
    }
}

#[derive(Deserialize)]
struct CodeCount {
    code: String,
    count: u64,
}

#[derive(Deserialize)]
struct HourRow {
    hour: u64,
    status: String,
    count: u64,
}

/// `GET /admin/health`: the key's state and budget use from its `Budget` object, the outcomes per
/// hour for the last 48 hours and the proxy's refusals of pushes by code (counted about once a
/// minute per isolate) from the index.
async fn health(db: &D1Database, env: &Env) -> Reply {
    let now = now_ms();
    let since = (now / 3_600_000).saturating_sub(HEALTH_HOURS - 1) * 3_600_000;
    let sql = "SELECT final_at / 3600000 AS hour, status, COUNT(*) AS count FROM payments WHERE final_at >= ?1 GROUP BY hour, status";
    let Some(rows) = query::<HourRow>(db, sql, vec![SqlValue::Int(since)]).await else { return unavailable() };
    let rows: Vec<(u64, String, u64)> = rows.into_iter().map(|r| (r.hour, r.status, r.count)).collect();
    let sql = "SELECT code, SUM(count) AS count FROM refusals WHERE hour >= ?1 GROUP BY code ORDER BY count DESC";
    let Some(refusals) = query::<CodeCount>(db, sql, vec![SqlValue::Int(since / 3_600_000)]).await else {
        return unavailable();
    };
    let refusals: serde_json::Map<String, Value> = refusals.into_iter().map(|r| (r.code, json!(r.count))).collect();
    let key = budget::usage(env).await.unwrap_or_else(|| json!({ "state": "unknown" }));
    Reply::Data {
        status: 200,
        data: json!({ "key": key, "hours": hourly(&rows, now), "refusals": refusals }).to_string(),
    }
}
