//! Assertions on answers: error bodies and the shape of a conversation.

use serde_json::Value;

/// Asserts an error answer: the status, `status: "error"`, and that the message or the
/// `errors` list names `param`.
#[track_caller]
pub fn assert_param_error(status: u16, body: &Value, want_status: u16, param: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    let named = body["errors"]
        .as_array()
        .is_some_and(|e| e.iter().any(|d| d["parameter"] == param));
    assert!(
        named && message.contains(param),
        "error does not name {param}: {body}"
    );
}

/// The JSON types the seed requires of every conversation object.
#[track_caller]
pub fn assert_conversation_shape(c: &Value) {
    for (field, ok) in [
        ("external_id", c["external_id"].is_i64()),
        ("name", c["name"].is_string()),
        ("channel_id", c["channel_id"].is_i64()),
        ("channel_type", c["channel_type"].is_string()),
        ("created_at", c["created_at"].is_string()),
        ("created_at_timestamp", c["created_at_timestamp"].is_i64()),
        ("avatar", c["avatar"].is_string()),
        ("sender_external_id", c["sender_external_id"].is_string()),
        ("meta", c["meta"].is_object()),
        ("last_message_at", c["last_message_at"].is_i64()),
        (
            "last_income_message_at",
            c["last_income_message_at"].is_i64(),
        ),
        (
            "bitrix_block_openlines",
            c["bitrix_block_openlines"].is_boolean(),
        ),
    ] {
        assert!(ok, "field {field} missing or mistyped in {c}");
    }
    let created = c["created_at"].as_str().unwrap_or_default();
    let re_ok = created.len() == 24
        && created.ends_with('Z')
        && created.as_bytes().get(10) == Some(&b'T')
        && created.as_bytes().get(19) == Some(&b'.');
    assert!(re_ok, "created_at not ISO with ms: {created}");
    let parsed =
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .expect("created_at parses");
    assert_eq!(
        parsed.unix_timestamp(),
        c["created_at_timestamp"].as_i64().unwrap_or(-1)
    );
}

/// Asserts a client error without a parameter to name: the status and a JSON error body.
#[track_caller]
pub fn assert_client_error(status: u16, body: &Value, want_status: u16) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message: {body}"
    );
}

/// Unix seconds now.
#[allow(clippy::disallowed_methods)] // compared with the server's times, by the wall clock
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
