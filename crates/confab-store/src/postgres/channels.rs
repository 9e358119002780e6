//! TODO(postgres): port of sqlite/channels.rs.

#![allow(dead_code, unused_variables, unused_imports)]

use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::*;

pub(super) async fn create(
    conn: &mut PgConnection,
    company_id: i64,
    new: &NewChannel,
    now_ms: i64,
) -> StoreResult<Channel> {
    todo!("postgres")
}

pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Channel>> {
    todo!("postgres")
}

pub(super) async fn get(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
) -> StoreResult<Option<Channel>> {
    todo!("postgres")
}

pub(super) async fn by_provider(
    conn: &mut PgConnection,
    company_id: i64,
    provider: &str,
) -> StoreResult<Option<Channel>> {
    todo!("postgres")
}

pub(super) async fn merge_settings(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    patch: Map<String, Value>,
) -> StoreResult<bool> {
    todo!("postgres")
}

pub(super) async fn soft_delete(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    now_ms: i64,
) -> StoreResult<bool> {
    todo!("postgres")
}

pub(super) async fn set_state(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    state: &str,
) -> StoreResult<bool> {
    todo!("postgres")
}

pub(super) async fn set_contact_reachable(
    conn: &mut PgConnection,
    channel_id: i64,
    sender: &str,
    reachable: bool,
) -> StoreResult<()> {
    todo!("postgres")
}
