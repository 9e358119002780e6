//! Which store and blob storage the suite runs on. By default every server gets the
//! embedded SQLite database and local blobs in its temp data dir. With
//! `CONFAB_TEST_DATABASE_URL` set (an admin URL of a throwaway PostgreSQL cluster), each
//! data dir gets a fresh database of its own on it; with `CONFAB_TEST_BLOB_URL` set
//! (`s3://bucket`, reached through the `AWS_*` variables), each gets its own prefix in
//! that bucket. `scripts/test` runs the suite both ways.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};

use confab_server::Config;
use sqlx::Connection;

/// The admin URL of the PostgreSQL cluster tests create databases on, if any.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("CONFAB_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Where a data dir's database and blobs live, when not in the data dir.
#[derive(Clone, Debug, Default)]
pub struct Location {
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--blob-url`.
    pub blob_url: Option<String>,
}

static LOCATIONS: LazyLock<Mutex<HashMap<PathBuf, Location>>> = LazyLock::new(Mutex::default);
static NEXT: AtomicU64 = AtomicU64::new(0);

/// The database and blob storage of `data_dir`, created on first use, so the same data
/// dir means the same data for the in-process server and the `confab` binary alike.
pub async fn location_for(data_dir: &Path) -> Location {
    if let Some(found) = LOCATIONS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(data_dir)
    {
        return found.clone();
    }
    let name = format!(
        "confab_t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let database_url = match postgres_admin_url() {
        Some(admin) => Some(create_database(&admin, &name).await),
        None => None,
    };
    let blob_url = std::env::var("CONFAB_TEST_BLOB_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|bucket| format!("{}/{name}", bucket.trim_end_matches('/')));
    let location = Location {
        database_url,
        blob_url,
    };
    LOCATIONS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(data_dir.to_owned(), location.clone());
    location
}

/// Points `config` at its data dir's database and blob storage.
pub async fn configure(config: &mut Config) {
    let location = location_for(&config.data_dir).await;
    config.database_url = location.database_url;
    config.blob_url = location.blob_url;
}

/// The `CONFAB_*` variables a `confab` process needs to reach `data_dir`'s data.
pub async fn env_for(data_dir: &Path) -> Vec<(&'static str, String)> {
    let location = location_for(data_dir).await;
    let mut vars = Vec::new();
    if let Some(url) = location.database_url {
        vars.push(("CONFAB_DATABASE_URL", url));
    }
    if let Some(url) = location.blob_url {
        vars.push(("CONFAB_BLOB_URL", url));
    }
    vars
}

/// Creates database `name` on the cluster and returns its URL.
async fn create_database(admin_url: &str, name: &str) -> String {
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to CONFAB_TEST_DATABASE_URL");
    // The name is ours (pid and a counter), not input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    admin.close().await.ok();
    let mut url = url::Url::parse(admin_url).expect("CONFAB_TEST_DATABASE_URL is a URL");
    url.set_path(name);
    url.to_string()
}
