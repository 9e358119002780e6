//! TODO(postgres): port of sqlite/messages.rs.

#![allow(dead_code, unused_variables, unused_imports)]

use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::*;

pub(super) async fn insert(
    conn: &mut PgConnection,
    conversation: &Conversation,
    message: &NewMessage<'_>,
    now_ms: i64,
) -> StoreResult<i64> {
    todo!("postgres")
}

pub(super) async fn get(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
    id: i64,
) -> StoreResult<Option<Message>> {
    todo!("postgres")
}

pub(super) async fn all(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
) -> StoreResult<Vec<Message>> {
    todo!("postgres")
}

pub(super) async fn list(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
    page: MessagePageRequest,
) -> StoreResult<Vec<Message>> {
    todo!("postgres")
}

pub(super) async fn advance_ack(
    conn: &mut PgConnection,
    company_id: i64,
    conversation_id: i64,
    id: i64,
    ack: i32,
    now_ms: i64,
) -> StoreResult<Option<(Message, bool)>> {
    todo!("postgres")
}

pub(super) struct NewMessage<'a> {
    pub income: bool,
    pub body: &'a str,
    pub ack: i32,
    pub send_to_crm: bool,
    pub interactive: Option<&'a str>,
}
