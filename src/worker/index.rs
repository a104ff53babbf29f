//! The payment index in D1 (binding `DB`): applies the missing migrations on first use, and runs
//! the writes `edge::index` decides, always off the customer's path (spawned, never awaited by a
//! request). Without the binding every function here does nothing.

use std::cell::{Cell, RefCell};

use ::worker::d1::D1Database;
use ::worker::wasm_bindgen_futures::spawn_local;
use ::worker::{Context, Env};
use serde::Deserialize;
use wasm_bindgen::JsValue;

use crate::edge::index::{statements, RefusalTally, SqlValue, ADD_REFUSALS, MIGRATIONS, MIGRATIONS_TABLE};

thread_local! {
    /// Whether this isolate has seen every migration applied.
    static MIGRATED: Cell<bool> = const { Cell::new(false) };
}

/// The `DB` binding, if the Worker has one.
pub(crate) fn database(env: &Env) -> Option<D1Database> {
    env.d1("DB").ok()
}

#[derive(Deserialize)]
struct Applied {
    name: String,
}

/// Applies what `migrations/` has and `d1_migrations` does not, each file in one batch with its
/// record (so a file lands whole or not at all; a second isolate racing this one fails its batch
/// on the name and finds everything applied).
pub(crate) async fn migrate(db: &D1Database) -> ::worker::Result<()> {
    if MIGRATED.get() {
        return Ok(());
    }
    db.prepare(MIGRATIONS_TABLE).run().await?;
    let applied: Vec<Applied> = db.prepare("SELECT name FROM d1_migrations").all().await?.results()?;
    for (name, sql) in MIGRATIONS {
        if applied.iter().any(|a| a.name == name) {
            continue;
        }
        let mut batch: Vec<_> = statements(sql).into_iter().map(|s| db.prepare(s)).collect();
        batch.push(db.prepare("INSERT INTO d1_migrations (name) VALUES (?1)").bind(&[JsValue::from_str(name)])?);
        if let Err(e) = db.batch(batch).await {
            let now: Vec<Applied> = db.prepare("SELECT name FROM d1_migrations").all().await?.results()?;
            if !now.iter().any(|a| a.name == name) {
                return Err(e);
            }
        }
    }
    MIGRATED.set(true);
    Ok(())
}

fn js(value: SqlValue) -> JsValue {
    match value {
        SqlValue::Text(text) => JsValue::from_str(&text),
        // Unix ms and amounts are far below 2^53: exact as a JS number.
        SqlValue::Int(n) => JsValue::from_f64(n as f64),
        SqlValue::Null => JsValue::NULL,
    }
}

/// Runs one query and reads its rows; `None` when it fails.
pub(crate) async fn query<T: for<'de> Deserialize<'de>>(
    db: &D1Database,
    sql: &str,
    values: Vec<SqlValue>,
) -> Option<Vec<T>> {
    let values: Vec<JsValue> = values.into_iter().map(js).collect();
    db.prepare(sql).bind(&values).ok()?.all().await.ok()?.results().ok()
}

/// Runs the statements (each with its values) in one batch, in the background: the request or the
/// object that asked goes on at once. A failure is logged, never raised.
pub(crate) fn write(env: &Env, writes: Vec<(&'static str, Vec<SqlValue>)>) {
    if let Some(work) = batch(env, writes) {
        spawn_local(work);
    }
}

/// The batch as a future, for the Worker's `ctx.wait_until`; `None` without `DB`.
fn batch(env: &Env, writes: Vec<(&'static str, Vec<SqlValue>)>) -> Option<impl core::future::Future<Output = ()>> {
    let db = database(env)?;
    Some(async move {
        let result = async {
            migrate(&db).await?;
            let mut batch = Vec::with_capacity(writes.len());
            for (sql, values) in writes {
                let values: Vec<JsValue> = values.into_iter().map(js).collect();
                batch.push(db.prepare(sql).bind(&values)?);
            }
            db.batch(batch).await
        }
        .await;
        if result.is_err() {
            ::worker::console_log!(
                "{}",
                r#"{"level":"error","message":"the payment index (DB) could not be written"}"#
            );
        }
    })
}

thread_local! {
    /// This isolate's refusals not yet added to the index.
    static REFUSALS: RefCell<RefusalTally> = RefCell::new(RefusalTally::default());
}

/// Counts one of the proxy's refusals of a push; about once a minute the isolate's tally is added
/// to the index after the answer has gone (`ctx.wait_until`).
pub(crate) fn count_refusal(env: &Env, ctx: &Context, code: &str, now: u64) {
    let Some(due) = REFUSALS.with(|t| t.borrow_mut().add(code, now)) else { return };
    let writes = due
        .into_iter()
        .map(|(hour, code, n)| (ADD_REFUSALS, vec![SqlValue::Int(hour), SqlValue::Text(code), SqlValue::Int(n)]))
        .collect();
    if let Some(work) = batch(env, writes) {
        ctx.wait_until(work);
    }
}
