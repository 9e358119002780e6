//! The seed's Conversations API: list, create (whatsapp and telegram_personal), details,
//! note, assign and toggle_bitrix_block_openlines, after the digest's section 6 checklist.
//! The helpers the topics share are here; the tests are in one file a topic.

mod create_providers;
mod create_whatsapp;
mod details;
mod every_endpoint;
mod filters;
mod list;
mod updates;

use reqwest::Method;
use serde_json::Value;

use crate::harness::*;

/// Creates a conversation from form pairs; returns the conversation object.
async fn create(srv: &TestServer, company: i64, pairs: &[(&str, &str)]) -> Value {
    let (status, body) = srv.form(Method::POST, &list_path(company), pairs).await;
    assert_eq!(status, 200, "{pairs:?}: {body}");
    assert_eq!(body["status"], "ok", "{body}");
    let conversation = body["data"]["conversation"].clone();
    assert_conversation_shape(&conversation);
    conversation
}

/// The id of a conversation object.
fn id_of(conversation: &Value) -> i64 {
    conversation["external_id"].as_i64().expect("external_id")
}
