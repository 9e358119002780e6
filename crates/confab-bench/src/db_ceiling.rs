//! The PostgreSQL ceiling: a bare axum server doing one durable single-row INSERT (POST)
//! or one primary-key SELECT (GET) through sqlx per request, then answering confab's body
//! for the endpoint. It is what the database itself can do on this box at the same
//! concurrency, so confab's PostgreSQL figures read as ratios to it, as the HTTP ceiling
//! does for SQLite. It runs in its own process (a hidden mode of this binary) like the
//! HTTP ceiling.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::Context as _;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::ceiling::{Ceiling, READY};

/// The schema of the ceiling's table: apart from confab's, so neither touches the other.
const SCHEMA: &str = "confab_bench_ceiling";
/// The INSERT of a POST (in [`SCHEMA`]; literal, so sqlx prepares and caches it once).
const INSERT: &str = "INSERT INTO confab_bench_ceiling.messages (conversation_id, body, created_at) \
                      VALUES ($1, $2, $3) RETURNING id";
/// The SELECT of a GET.
const SELECT: &str = "SELECT id, conversation_id, body, created_at \
                      FROM confab_bench_ceiling.messages WHERE id = $1";
/// Rows the SELECTs cycle through (loaded at start).
const SEEDED: i64 = 1_000;
/// Pool size: confab's default `--database-max-connections`, so both have as many
/// sessions.
const POOL: u32 = 16;

struct App {
    pool: sqlx::PgPool,
    body: Bytes,
    counter: AtomicI64,
}

/// Serves on 127.0.0.1 (a free port, printed) until killed: POST inserts one row, GET
/// selects one by primary key; both answer the bytes of `body_file`.
pub async fn serve(database_url: &str, body_file: &Path) -> anyhow::Result<()> {
    let body = Bytes::from(
        std::fs::read(body_file).with_context(|| format!("reading {}", body_file.display()))?,
    );
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(POOL)
        .connect(database_url)
        .await
        .context("connecting to PostgreSQL")?;
    // A fresh table every start, shaped like a message row, so each run inserts into the
    // same small table rather than one grown by earlier runs.
    for statement in [
        format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"),
        format!("CREATE SCHEMA {SCHEMA}"),
        format!(
            "CREATE TABLE {SCHEMA}.messages (id BIGSERIAL PRIMARY KEY, \
             conversation_id BIGINT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL)"
        ),
        format!(
            "INSERT INTO {SCHEMA}.messages (conversation_id, body, created_at) \
             SELECT n, 'seeded message ' || n, n FROM generate_series(1, {SEEDED}) AS n"
        ),
    ] {
        // The statements are this file's constants, not input.
        sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
            .execute(&pool)
            .await
            .with_context(|| format!("preparing the ceiling table: {statement}"))?;
    }
    let app = axum::Router::new()
        .fallback(answer)
        .layer(DefaultBodyLimit::disable())
        .with_state(Arc::new(App {
            pool,
            body,
            counter: AtomicI64::new(0),
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{READY}{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// One statement per request, then the fixed body.
async fn answer(State(app): State<Arc<App>>, method: Method, body: Body) -> Response {
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let n = app.counter.fetch_add(1, Ordering::Relaxed);
    let result = if method == Method::POST {
        // Autocommit: one durable commit (a WAL flush) per request, as a send needs.
        sqlx::query_scalar::<_, i64>(INSERT)
            .bind(n % SEEDED + 1)
            .bind(String::from_utf8_lossy(&bytes).into_owned())
            .bind(n)
            .fetch_one(&app.pool)
            .await
            .map(drop)
    } else {
        sqlx::query_as::<_, (i64, i64, String, i64)>(SELECT)
            .bind(n % SEEDED + 1)
            .fetch_one(&app.pool)
            .await
            .map(drop)
    };
    match result {
        Ok(()) => (
            [(header::CONTENT_TYPE, "application/json")],
            app.body.clone(),
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Stops the PostgreSQL ceiling started by [`start`] and drops its schema from the
/// database at `database_url`, so a run leaves nothing of its own beside confab's tables.
pub async fn stop(ceiling: Ceiling, database_url: &str) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    ceiling.stop().await?;
    let mut conn = sqlx::PgConnection::connect(database_url)
        .await
        .context("connecting to PostgreSQL")?;
    sqlx::raw_sql("DROP SCHEMA IF EXISTS confab_bench_ceiling CASCADE")
        .execute(&mut conn)
        .await
        .context("dropping the PostgreSQL ceiling's schema")?;
    conn.close().await?;
    Ok(())
}

/// Starts this binary in PostgreSQL-ceiling mode on `database_url`, answering the bytes
/// of `body_file`.
pub async fn start(database_url: &str, body_file: &Path) -> anyhow::Result<Ceiling> {
    let args = [
        std::ffi::OsStr::new("db-ceiling"),
        "--database-url".as_ref(),
        database_url.as_ref(),
        "--body-file".as_ref(),
        body_file.as_os_str(),
    ];
    Ceiling::spawn(&args).await
}
