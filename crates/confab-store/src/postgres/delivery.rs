//! TODO(postgres): port of sqlite/delivery.rs.

#![allow(dead_code, unused_variables, unused_imports)]

use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::*;

pub(super) async fn get_job(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    job_id: i64,
) -> StoreResult<Option<Job>> {
    todo!("postgres")
}

pub(super) async fn enqueue(
    conn: &mut PgConnection,
    channel: &Channel,
    conversation_id: i64,
    message_id: i64,
    now_ms: i64,
) -> StoreResult<Job> {
    todo!("postgres")
}

pub(super) async fn send(
    conn: &mut PgConnection,
    company_id: i64,
    out: &NewOutgoing,
    now_ms: i64,
) -> StoreResult<Job> {
    todo!("postgres")
}

pub(super) async fn claim(
    conn: &mut PgConnection,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<Claimed>> {
    todo!("postgres")
}

pub(super) async fn renew(
    conn: &mut PgConnection,
    job_id: i64,
    lease_until: i64,
    new_lease_until: i64,
) -> StoreResult<bool> {
    todo!("postgres")
}

pub(super) async fn finish(
    conn: &mut PgConnection,
    job_id: i64,
    lease_until: i64,
    outcome: &Outcome,
    now_ms: i64,
) -> StoreResult<Option<(Job, Message)>> {
    todo!("postgres")
}

/// Queue figures for `/metrics` (`db_connections_idle` is filled in by the caller).
pub(super) async fn queue_stats(conn: &mut PgConnection, now_ms: i64) -> StoreResult<QueueStats> {
    todo!("postgres")
}
