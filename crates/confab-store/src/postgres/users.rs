//! TODO(postgres): port of sqlite/users.rs.

#![allow(dead_code, unused_variables, unused_imports)]

use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::*;

pub(super) async fn create(
    conn: &mut PgConnection,
    name: &str,
    hash: &TokenHash,
    now_ms: i64,
) -> StoreResult<User> {
    todo!("postgres")
}

pub(super) async fn by_token_hash(
    conn: &mut PgConnection,
    hash: &TokenHash,
) -> StoreResult<Option<User>> {
    todo!("postgres")
}

pub(super) async fn is_member(
    conn: &mut PgConnection,
    company_id: i64,
    user_id: i64,
) -> StoreResult<bool> {
    todo!("postgres")
}

pub(super) async fn replace_token(
    conn: &mut PgConnection,
    user_id: i64,
    hash: &TokenHash,
) -> StoreResult<Option<User>> {
    todo!("postgres")
}
