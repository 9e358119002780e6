//! Changing a conversation: the note, the assignee and the bitrix_block_openlines flag.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

#[tokio::test]
async fn note_is_stored_and_read_back() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let other = srv.conversation(company, "79250000002").await;
    let path = format!("{}/note", item_path(company, id));
    let before = srv.conversation_details(company, id).await;
    assert_eq!(before["note"], json!(null));

    // curl -X PUT -d "note=your+note"
    let response = srv
        .req(Method::PUT, &path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("note=your+note")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(
        response.text().await.expect("body"),
        r#"{"status":"updated"}"#
    );
    let after = srv.conversation_details(company, id).await;
    assert_eq!(after["note"], "your note");
    let mut expected = before.clone();
    expected["note"] = json!("your note");
    assert_eq!(after, expected, "only the note changed");
    assert_eq!(
        srv.conversation_details(company, other).await["note"],
        json!(null)
    );

    let (s, b) = srv.json(Method::PUT, &path, json!({"note": "x"})).await;
    assert_eq!((s, b), (200, json!({"status": "updated"})));
    assert_eq!(srv.conversation_details(company, id).await["note"], "x");
    let (s, _) = call(srv.req(Method::PUT, &format!("{path}?note=from+query"))).await;
    assert_eq!(s, 200);
    assert_eq!(
        srv.conversation_details(company, id).await["note"],
        "from query"
    );
    let utf8 = "Заметка ✓ 😀\nвторая строка & = + % \u{1} \t end";
    let (s, _) = srv.form(Method::PUT, &path, &[("note", utf8)]).await;
    assert_eq!(s, 200);
    assert_eq!(srv.conversation_details(company, id).await["note"], utf8);
    // NUL is refused by name on every store (PostgreSQL text cannot hold it); the note stays.
    let (s, b) = srv.form(Method::PUT, &path, &[("note", "a\u{0}b")]).await;
    assert_param_error(s, &b, 400, "note");
    let (s, b) = srv
        .json(Method::PUT, &path, json!({"note": "a\u{0}b"}))
        .await;
    assert_param_error(s, &b, 400, "note");
    assert_eq!(srv.conversation_details(company, id).await["note"], utf8);
    let max = "n".repeat(65_536);
    let (s, _) = srv.json(Method::PUT, &path, json!({"note": max})).await;
    assert_eq!(s, 200);
    assert_eq!(srv.conversation_details(company, id).await["note"], max);

    // Refused: missing, not a string, too long. The note stays.
    let (s, b) = srv.form(Method::PUT, &path, &[("other", "x")]).await;
    assert_param_error(s, &b, 400, "note");
    let (s, b) = srv.json(Method::PUT, &path, json!({"note": null})).await;
    assert_param_error(s, &b, 400, "note");
    let (s, b) = srv
        .json(Method::PUT, &path, json!({"note": {"a": 1}}))
        .await;
    assert_param_error(s, &b, 400, "note");
    let (s, b) = srv
        .json(Method::PUT, &path, json!({"note": "n".repeat(65_537)}))
        .await;
    assert_param_error(s, &b, 400, "note");
    assert_eq!(srv.conversation_details(company, id).await["note"], max);

    // An empty note clears it.
    let (s, _) = srv.form(Method::PUT, &path, &[("note", "")]).await;
    assert_eq!(s, 200);
    assert_eq!(srv.conversation_details(company, id).await["note"], "");

    // Other methods and unknown conversations.
    for method in [Method::POST, Method::GET] {
        let response = srv
            .req(method.clone(), &path)
            .form(&[("note", "nope")])
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 405, "{method}");
        let allow = response.headers()["allow"]
            .to_str()
            .unwrap_or("")
            .to_owned();
        assert!(allow.contains("PUT"), "{allow}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["status"], "error");
    }
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/conversations/999/note"),
            &[("note", "x")],
        )
        .await;
    assert_eq!(
        (s, b),
        (
            404,
            json!({"status": "error", "message": "conversation not found"})
        )
    );
    assert_eq!(srv.conversation_details(company, id).await["note"], "");
}

#[tokio::test]
async fn assign_and_unassign() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let path = format!("{}/assign", item_path(company, id));
    let user = srv.user_id.to_string();
    let assigned = || async { srv.conversation_details(company, id).await["assignee_id"].clone() };
    assert_eq!(assigned().await, json!(null));

    let (s, b) = srv
        .form(Method::PUT, &path, &[("assignee_id", &user)])
        .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    assert_eq!(assigned().await, json!(srv.user_id));

    // Refused values leave the assignee as it was.
    let (stranger, _) = srv.new_user("stranger").await;
    let stranger = stranger.to_string();
    for bad in [
        "0",
        "-1",
        "abc",
        "1.5",
        "1e1",
        "99999999999999999999",
        "9999",
        stranger.as_str(),
    ] {
        let (s, b) = srv.form(Method::PUT, &path, &[("assignee_id", bad)]).await;
        assert_param_error(s, &b, 400, "assignee_id");
        assert_eq!(assigned().await, json!(srv.user_id), "{bad}");
    }
    for bad in [
        json!(1.5),
        json!(true),
        json!(-1),
        json!({"id": 1}),
        json!([1, [2]]),
    ] {
        let (s, b) = srv
            .json(Method::PUT, &path, json!({"assignee_id": bad}))
            .await;
        assert_param_error(s, &b, 400, "assignee_id");
    }
    assert_eq!(assigned().await, json!(srv.user_id));

    // Absent unassigns.
    let (s, b) = call(srv.req(Method::PUT, &path)).await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    assert_eq!(assigned().await, json!(null));
    // A JSON number, then an empty string, then a JSON null.
    let (s, _) = srv
        .json(Method::PUT, &path, json!({"assignee_id": srv.user_id}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(assigned().await, json!(srv.user_id));
    let (s, _) = srv.form(Method::PUT, &path, &[("assignee_id", "")]).await;
    assert_eq!(s, 200);
    assert_eq!(assigned().await, json!(null));
    let (s, _) = srv
        .json(Method::PUT, &path, json!({"assignee_id": user}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(assigned().await, json!(srv.user_id));
    let (s, _) = srv
        .json(Method::PUT, &path, json!({"assignee_id": null}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(assigned().await, json!(null));

    // Python SDK: a form body labelled JSON.
    let (s, b) = call(
        srv.req(Method::PUT, &path)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(format!("assignee_id={user}")),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    assert_eq!(assigned().await, json!(srv.user_id));

    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/conversations/999/assign"),
            &[("assignee_id", &user)],
        )
        .await;
    assert_eq!(s, 404, "{b}");
}

#[tokio::test]
async fn toggle_bitrix_block_openlines() {
    let srv = TestServer::start().await;
    let (company, channel, id) = srv.fixture().await;
    let bystander = srv.conversation(company, "79250000002").await;
    let path = format!("{}/toggle_bitrix_block_openlines", item_path(company, id));
    let flag =
        || async { srv.conversation_details(company, id).await["bitrix_block_openlines"].clone() };
    assert_eq!(flag().await, json!(false));

    let (s, b) = srv.form(Method::PUT, &path, &[("enabled", "true")]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "ok");
    let c = &b["data"]["conversation"];
    assert_conversation_shape(c);
    assert_eq!(c["bitrix_block_openlines"], true);
    assert_eq!(c["last_income_message_at"], 0);
    assert_eq!(c["last_message_at"], c["created_at_timestamp"]);
    assert_eq!(*c, srv.conversation_details(company, id).await);

    // `enabled` sets (repeating it keeps the value); every boolean spelling works.
    for (value, want) in [
        ("true", true),
        ("false", false),
        ("false", false),
        ("1", true),
        ("1", true),
        ("0", false),
        ("TRUE", true),
    ] {
        let (s, b) = srv.form(Method::PUT, &path, &[("enabled", value)]).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["conversation"]["bitrix_block_openlines"], want);
        assert_eq!(flag().await, json!(want), "{value}");
    }
    for (value, want) in [
        (json!(false), false),
        (json!(true), true),
        (json!(0), false),
    ] {
        let (s, b) = srv
            .json(Method::PUT, &path, json!({"enabled": value}))
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(flag().await, json!(want));
    }
    // Absent flips.
    for want in [true, false, true] {
        let (s, b) = call(srv.req(Method::PUT, &path)).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["conversation"]["bitrix_block_openlines"], want);
        assert_eq!(flag().await, json!(want));
    }
    // Refused values change nothing.
    for bad in ["yes?", "yes", "2", "on", "1.0"] {
        let (s, b) = srv.form(Method::PUT, &path, &[("enabled", bad)]).await;
        assert_param_error(s, &b, 400, "enabled");
    }
    let (s, b) = srv
        .json(Method::PUT, &path, json!({"enabled": "maybe"}))
        .await;
    assert_param_error(s, &b, 400, "enabled");
    assert_eq!(flag().await, json!(true));
    assert_eq!(
        srv.conversation_details(company, bystander).await["bitrix_block_openlines"],
        json!(false)
    );

    // An incoming message shows in the answer's timestamps.
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
            &[("sender_external_id", "79250000001"), ("message", "Hi")],
        )
        .await;
    assert_eq!((s, &b["data"]["conversation_id"]), (200, &json!(id)), "{b}");
    let (s, b) = srv.form(Method::PUT, &path, &[("enabled", "false")]).await;
    assert_eq!(s, 200);
    let c = &b["data"]["conversation"];
    let income = c["last_income_message_at"].as_i64().expect("int");
    assert!(income >= c["created_at_timestamp"].as_i64().expect("int") && income > 0);
    assert_eq!(c["last_message_at"], income);
    assert_eq!(c["bitrix_block_openlines"], false);
    assert_eq!(*c, srv.conversation_details(company, id).await);

    let (s, _) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/conversations/999/toggle_bitrix_block_openlines"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(s, 404);
}
