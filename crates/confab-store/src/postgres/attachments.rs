//! TODO(postgres): port of sqlite/attachments.rs.

#![allow(dead_code, unused_variables, unused_imports)]

use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::*;

pub(super) async fn create(
    conn: &mut PgConnection,
    company_id: i64,
    new: &NewAttachment,
    message_id: Option<i64>,
    now_ms: i64,
) -> StoreResult<Attachment> {
    todo!("postgres")
}

pub(super) async fn get(
    conn: &mut PgConnection,
    company_id: i64,
    id: i64,
) -> StoreResult<Option<Attachment>> {
    todo!("postgres")
}

pub(super) async fn of_messages(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
    message_ids: &[i64],
) -> StoreResult<Vec<Attachment>> {
    todo!("postgres")
}
