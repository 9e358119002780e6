//! The stores a check runs on: SQLite in a temp dir of its own, and, when
//! `CONFAB_TEST_DATABASE_URL` names a PostgreSQL cluster (an admin URL, as for the
//! integration suite), a fresh database on it for every test.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use confab_store::{PgStore, Store};
use sqlx::Connection;

/// One empty store, and what keeps it alive.
pub struct Backend {
    /// The store. Declared before `_dir`, so it is closed before its directory goes.
    store: Arc<dyn Store>,
    /// The SQLite data dir, removed when the test ends.
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database's URL, for checks that need a connection of their own.
    pub database_url: Option<String>,
}

impl Deref for Backend {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

/// A SQLite store in a new temp dir.
pub fn sqlite() -> Backend {
    let dir = tempfile::tempdir().expect("a temp dir for the SQLite store");
    let store = confab_store::open_data_dir(dir.path()).expect("open the SQLite store");
    Backend {
        store,
        _dir: Some(dir),
        database_url: None,
    }
}

/// The admin URL of the PostgreSQL cluster to create test databases on, if any.
fn postgres_admin_url() -> Option<String> {
    std::env::var("CONFAB_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A PostgreSQL store on a new database, or `None` when no cluster is configured. The
/// database is left on the (throwaway) cluster, as the integration suite leaves its own.
pub async fn postgres() -> Option<Backend> {
    let url = empty_postgres_database().await?;
    let store = PgStore::connect(&url, 4)
        .await
        .expect("connect the PostgreSQL store to its test database");
    Some(Backend {
        store: Arc::new(store),
        _dir: None,
        database_url: Some(url),
    })
}

/// The URL of a new, empty database (no schema yet), or `None` when no cluster is
/// configured.
pub async fn empty_postgres_database() -> Option<String> {
    let admin_url = postgres_admin_url()?;
    let name = format!(
        "confab_contract_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to CONFAB_TEST_DATABASE_URL");
    // The name is ours (pid and a counter), not input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    admin.close().await.ok();
    Some(with_database(&admin_url, &name))
}

/// `url` with its database (the path) replaced by `name`; the query string is kept.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url
        .split_once("://")
        .expect("CONFAB_TEST_DATABASE_URL is a postgres:// URL");
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let authority = rest
        .split_once('/')
        .map_or(rest, |(authority, _)| authority);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

#[test]
fn database_urls_keep_everything_but_the_path() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgresql://u:p@h/db?sslmode=disable", "t2"),
        "postgresql://u:p@h/t2?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:1", "t3"), "postgres://h:1/t3");
}
