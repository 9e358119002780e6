//! TODO(postgres): port of sqlite/outbox.rs.

#![allow(dead_code, unused_variables, unused_imports)]

use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::*;

pub(super) async fn record(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: Option<i64>,
    event: &Event,
    now_ms: i64,
) -> StoreResult<()> {
    todo!("postgres")
}

pub(super) async fn claim(
    conn: &mut PgConnection,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<ClaimedEvent>> {
    todo!("postgres")
}

pub(super) async fn record_attempt(
    conn: &mut PgConnection,
    id: i64,
    lease_until: i64,
    attempt: &Attempt,
    now_ms: i64,
) -> StoreResult<bool> {
    todo!("postgres")
}

pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<OutboxEvent>> {
    todo!("postgres")
}

pub(super) async fn resend(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
    now_ms: i64,
) -> StoreResult<Option<OutboxEvent>> {
    todo!("postgres")
}
