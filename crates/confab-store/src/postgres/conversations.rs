//! TODO(postgres): port of sqlite/conversations.rs.

#![allow(dead_code, unused_variables, unused_imports)]

use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::*;

pub(super) async fn next_id(conn: &mut PgConnection, sequence: &str) -> StoreResult<i64> {
    todo!("postgres")
}

pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Conversation>> {
    todo!("postgres")
}

pub(super) async fn get(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
) -> StoreResult<Option<Conversation>> {
    todo!("postgres")
}

pub(super) async fn find_or_create(
    conn: &mut PgConnection,
    channel: &Channel,
    contact: &Contact,
    now_ms: i64,
) -> StoreResult<(Conversation, bool)> {
    todo!("postgres")
}

pub(super) async fn set_note(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
    note: &str,
) -> StoreResult<bool> {
    todo!("postgres")
}

pub(super) async fn set_assignee(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
    assignee: Option<i64>,
) -> StoreResult<bool> {
    todo!("postgres")
}

pub(super) async fn set_bitrix(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
    enabled: Option<bool>,
) -> StoreResult<Option<Conversation>> {
    todo!("postgres")
}
