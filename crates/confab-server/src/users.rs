//! User management shared by `confab user create` and the tests.

use std::path::Path;

use confab_store::{User, UserSummary};

use crate::clock::{Clock, SystemClock};
use crate::domain::{password, token};

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

/// Gives user `user_id` a new API token and revokes the old one, and ends the user's
/// browser sessions; returns the user and the new token, shown only this once.
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

/// Gives user `user_id` the password `password` (stored as its argon2id hash) and ends the
/// user's browser sessions; returns the user.
///
/// # Errors
/// When the password is blank or too long, there is no such user, another user of the
/// same name can log in already, or the database cannot be opened or written.
pub async fn set_password(
    data_dir: &Path,
    database_url: Option<&str>,
    user_id: i64,
    password: &str,
) -> anyhow::Result<User> {
    password::check(password)?;
    let phc =
        password::hash(password).map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    let store = confab_store::open(database_url, data_dir, 1).await?;
    match store.set_password(user_id, phc).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => anyhow::bail!("there is no user {user_id}"),
        Err(confab_store::StoreError::Conflict { .. }) => anyhow::bail!(
            "another user with the same name has a password already: users log in by \
             name, so two users of one name cannot both have a password"
        ),
        Err(e) => Err(e.into()),
    }
}
