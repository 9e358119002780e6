//! Bodies that are not parameters: garbage under a JSON label (or any label), and lists or
//! objects where a parameter is a single value. Each is a 400 that changes nothing; the
//! wire forms real clients send keep working.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

/// Bodies no client sends as parameters, each with what it is.
fn garbage() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        // Valid UTF-8, so a lenient form parser reads it as one odd parameter name.
        (
            "protobuf",
            b"\x08\x2a\x12\x07garbage\x1a\x00\x20\x01".to_vec(),
        ),
        ("terminal escapes", b"\x1b[31mred\x1b[0m\x07".to_vec()),
        ("C1 control", "caf\u{85}=x".as_bytes().to_vec()),
        (
            "PNG header",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
        ),
        (
            "XML",
            br#"<?xml version="1.0"?><assignee_id>1</assignee_id>"#.to_vec(),
        ),
        ("plain text", b"please unassign this".to_vec()),
        ("JSON string", br#""enabled=true""#.to_vec()),
        ("percent-encoded control in a name", b"a%01b=1".to_vec()),
    ]
}

/// A company with a whatsapp channel and a conversation that is assigned to the user, has a
/// note and the Bitrix flag on: (company, conversation).
async fn annotated(srv: &TestServer) -> (i64, i64) {
    let (company, _, id) = srv.fixture().await;
    let item = item_path(company, id);
    let assignee = srv.user_id.to_string();
    for (path, pair) in [
        ("assign", ("assignee_id", assignee.as_str())),
        ("note", ("note", "kept")),
        ("toggle_bitrix_block_openlines", ("enabled", "true")),
    ] {
        let (s, b) = srv
            .form(Method::PUT, &format!("{item}/{path}"), &[pair])
            .await;
        assert_eq!(s, 200, "{path}: {b}");
    }
    (company, id)
}

/// Asserts the conversation is as [`annotated`] left it.
#[track_caller]
fn assert_unchanged(srv: &TestServer, c: &Value, what: &str) {
    assert_eq!(
        (&c["assignee_id"], &c["note"], &c["bitrix_block_openlines"]),
        (&json!(srv.user_id), &json!("kept"), &json!(true)),
        "{what}"
    );
}

#[tokio::test]
async fn garbage_bodies_are_400_and_change_nothing() {
    let srv = TestServer::start().await;
    let (company, id) = annotated(&srv).await;
    let item = item_path(company, id);
    for path in ["assign", "toggle_bitrix_block_openlines", "note"] {
        for (what, body) in garbage() {
            for label in [
                Some("application/json"),
                Some("application/x-www-form-urlencoded"),
                None,
            ] {
                let (s, b) = raw(
                    &srv,
                    Method::PUT,
                    &format!("{item}/{path}"),
                    label,
                    body.clone(),
                )
                .await;
                let context = format!("{what} to {path} labelled {label:?}");
                assert_client_error(s, &b, 400);
                let message = b["message"].as_str().unwrap_or_default();
                assert!(
                    message.contains("request body"),
                    "{context}: the error does not say the body is unreadable: {b}"
                );
                let c = srv.conversation_details(company, id).await;
                assert_unchanged(&srv, &c, &context);
            }
        }
    }
}

#[tokio::test]
async fn garbage_creates_and_sends_nothing() {
    let srv = TestServer::start().await;
    let (company, id) = annotated(&srv).await;
    let messages = srv.all_messages(company, id).await.len();
    for (what, body) in garbage() {
        for path in [list_path(company), messages_path(company, id)] {
            let (s, b) = raw(
                &srv,
                Method::POST,
                &path,
                Some("application/json"),
                body.clone(),
            )
            .await;
            assert_eq!(s, 400, "{what} to {path}: {b}");
        }
        let (s, b) = raw(
            &srv,
            Method::PUT,
            &format!("/p1/companies/{company}"),
            Some("application/json"),
            body.clone(),
        )
        .await;
        assert_eq!(s, 400, "{what} to the company: {b}");
    }
    let (_, list) = srv.get(&list_path(company)).await;
    assert_eq!(ids(&list), vec![id]);
    assert_eq!(srv.all_messages(company, id).await.len(), messages);
    let (_, b) = srv.get(&format!("/p1/companies/{company}")).await;
    assert_eq!(b["data"]["company"]["name"], "Acme");
}

#[tokio::test]
async fn lists_and_objects_are_not_single_values() {
    let srv = TestServer::start().await;
    let (company, id) = annotated(&srv).await;
    let item = item_path(company, id);
    let me = srv.user_id;
    let mut cases: Vec<(Method, String, Value, &str)> = Vec::new();
    for (path, name, good) in [
        ("note", "note", json!("x")),
        ("assign", "assignee_id", json!(me)),
        ("toggle_bitrix_block_openlines", "enabled", json!(false)),
    ] {
        for bad in [
            json!([good.clone()]),
            json!([]),
            json!([good.clone(), good.clone()]),
            json!({"a": good.clone()}),
            json!({}),
        ] {
            cases.push((
                Method::PUT,
                format!("{item}/{path}"),
                json!({ name: bad }),
                name,
            ));
        }
    }
    let create = json!({"provider": "whatsapp", "phone": "79250000009", "text": "Hi"});
    for name in ["provider", "phone", "text", "send_to_crm"] {
        for bad in [
            json!([create.get(name).cloned().unwrap_or(json!(true))]),
            json!({"a": 1}),
        ] {
            let mut body = create.clone();
            body[name] = bad;
            cases.push((Method::POST, list_path(company), body, name));
        }
    }
    for (body, name) in [
        (json!({"message": ["Hi"]}), "message"),
        (json!({"message": {"text": "Hi"}}), "message"),
        (
            json!({"message": "Hi", "send_to_crm": [false]}),
            "send_to_crm",
        ),
    ] {
        cases.push((Method::POST, messages_path(company, id), body, name));
    }
    for (body, name) in [
        (json!({"name": ["Other"]}), "name"),
        (json!({"name": {"first": "Other"}}), "name"),
        (json!({"hidden": [true]}), "hidden"),
        (json!({"phone": ["79250000009"]}), "phone"),
    ] {
        cases.push((Method::PUT, format!("/p1/companies/{company}"), body, name));
    }
    let channels = format!("/p1/companies/{company}/channels");
    cases.push((
        Method::POST,
        channels.clone(),
        json!({"provider": ["telegram"], "token": "t"}),
        "provider",
    ));
    cases.push((
        Method::POST,
        channels.clone(),
        json!({"provider": "telegram", "token": ["t"]}),
        "token",
    ));
    let channel = srv.conversation_details(company, id).await["channel_id"].clone();
    cases.push((
        Method::POST,
        format!("/p1/companies/{company}/channels/{channel}/conversations"),
        json!({"phone": ["79250000009"], "message": "Hi"}),
        "phone",
    ));

    for (method, path, body, name) in cases {
        let (s, b) = srv.json(method.clone(), &path, body.clone()).await;
        assert_param_error(s, &b, 400, name);
        assert!(
            b["errors"][0]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("list") || d.contains("object")),
            "{method} {path} {body}: {b}"
        );
    }

    // Rails bracket forms of the same: a list or an object, never the value inside.
    for (path, form, name) in [
        ("note", "note[]=x", "note"),
        ("note", "note[0]=x", "note"),
        ("assign", "assignee_id[]=1", "assignee_id"),
        ("assign", "assignee_id[id]=1", "assignee_id"),
        (
            "toggle_bitrix_block_openlines",
            "enabled[]=false",
            "enabled",
        ),
    ] {
        let (s, b) = raw(
            &srv,
            Method::PUT,
            &format!("{item}/{path}"),
            Some("application/x-www-form-urlencoded"),
            form,
        )
        .await;
        assert_param_error(s, &b, 400, name);
    }
    let (s, b) = srv.get(&format!("{}?per[]=1", list_path(company))).await;
    assert_param_error(s, &b, 400, "per");

    let c = srv.conversation_details(company, id).await;
    assert_unchanged(&srv, &c, "after lists and objects");
    let (_, list) = srv.get(&list_path(company)).await;
    assert_eq!(ids(&list), vec![id]);
    let (_, b) = srv.get(&format!("/p1/companies/{company}")).await;
    assert_eq!(b["data"]["company"]["name"], "Acme");
    let (_, b) = srv.get(&channels).await;
    assert_eq!(b["data"]["channels"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn real_forms_still_read() {
    let srv = TestServer::start().await;
    let (company, id) = annotated(&srv).await;
    let item = item_path(company, id);
    let note = format!("{item}/note");
    // Hand-typed curl: raw UTF-8, raw spaces and a newline in a value, a trailing newline
    // (curl --data-binary @file). A repeated plain key is read as its last value (Rails).
    for (body, want) in [
        ("note=Привет мир", "Привет мир"),
        ("note=two\nlines&x", "two\nlines"),
        ("note=first&note=second", "second"),
        ("note=%F0%9F%99%82+ok\r\n", "🙂 ok\r\n"),
        (
            "x.y=1&a-b=2&template[name with space]=3&note=odd+names",
            "odd names",
        ),
    ] {
        for label in [Some("application/json"), None] {
            let (s, b) = raw(&srv, Method::PUT, &note, label, body).await;
            assert_eq!(s, 200, "{body:?} {label:?}: {b}");
            let c = srv.conversation_details(company, id).await;
            assert_eq!(c["note"], want, "{body:?}");
        }
    }
    // The Python SDK's form under a JSON label, and an empty JSON-labelled body.
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &format!("{item}/assign"),
        Some("application/json"),
        "assignee_id=",
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        srv.conversation_details(company, id).await["assignee_id"],
        Value::Null
    );
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &format!("{item}/assign"),
        Some("application/json"),
        format!("assignee_id={}", srv.user_id),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let toggle = format!("{item}/toggle_bitrix_block_openlines");
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &toggle,
        Some("application/json"),
        " \r\n",
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["assignee_id"], &c["bitrix_block_openlines"]),
        (&json!(srv.user_id), &json!(false))
    );
}
