//! User management shared by `confab user create` and the tests.

use std::path::Path;

use confab_store::{User, UserSummary};

use crate::clock::{Clock, SystemClock};
use crate::domain::token;

/// Creates a user in the server's database (PostgreSQL at `database_url`, else the data
/// dir's SQLite file), whether or not a server runs on it, and returns it with its API
/// token, which is shown only this once.
///
/// # Errors
/// When the database cannot be opened or written.
pub async fn create_user(
    data_dir: &Path,
    database_url: Option<&str>,
    name: &str,
) -> anyhow::Result<(User, String)> {
    let store = confab_store::open(database_url, data_dir, 1).await?;
    let token = token::generate();
    let user = store
        .create_user(name.to_owned(), token::hash(&token), SystemClock.now_ms())
        .await?;
    Ok((user, token))
}

/// Every user of the server's database (PostgreSQL at `database_url`, else the data dir's
/// SQLite file), by id, with the ids of the companies they are a member of; tokens are
/// not shown (they are stored hashed).
///
/// # Errors
/// When the database cannot be opened or read.
pub async fn list_users(
    data_dir: &Path,
    database_url: Option<&str>,
) -> anyhow::Result<Vec<UserSummary>> {
    let store = confab_store::open(database_url, data_dir, 1).await?;
    Ok(store.list_users().await?)
}

/// Gives user `user_id` a new API token and revokes the old one; returns the user and the
/// new token, shown only this once.
///
/// # Errors
/// When there is no such user, or the database cannot be opened or written.
pub async fn rotate_token(
    data_dir: &Path,
    database_url: Option<&str>,
    user_id: i64,
) -> anyhow::Result<(User, String)> {
    let store = confab_store::open(database_url, data_dir, 1).await?;
    let token = token::generate();
    let user = store
        .replace_token(user_id, token::hash(&token))
        .await?
        .ok_or_else(|| anyhow::anyhow!("there is no user {user_id}"))?;
    Ok((user, token))
}
