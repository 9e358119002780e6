//! The same parameters in every transport (query, form, JSON, multipart): creates and
//! updates, which source wins, mislabelled and parameterised content types, multipart text
//! fields, and an empty body.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

/// A company with a whatsapp channel and three conversations: (company, channel, ids).
async fn three_conversations(srv: &TestServer) -> (i64, i64, Vec<i64>) {
    let (company, channel, first) = srv.fixture().await;
    let second = srv.conversation(company, "79250000002").await;
    let third = srv.conversation(company, "79250000003").await;
    (company, channel, vec![first, second, third])
}

#[tokio::test]
async fn create_in_every_encoding() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let path = list_path(company);
    let mut created = Vec::new();
    for (n, encoding) in Encoding::ALL.into_iter().enumerate() {
        let phone = format!("7925000000{n}");
        let text = format!("Hello via {encoding:?}");
        // Each required parameter is read from this encoding: leaving one out is a 400.
        let (s, b) = srv
            .send_as(
                Method::POST,
                &path,
                encoding,
                &[("provider", "whatsapp"), ("text", &text)],
            )
            .await;
        assert_param_error(s, &b, 400, "phone");
        let (s, b) = srv
            .send_as(
                Method::POST,
                &path,
                encoding,
                &[("provider", "whatsapp"), ("phone", &phone)],
            )
            .await;
        assert_param_error(s, &b, 400, "text");

        let (s, b) = srv
            .send_as(
                Method::POST,
                &path,
                encoding,
                &[
                    ("provider", "whatsapp"),
                    ("phone", &phone),
                    ("text", &text),
                    ("send_to_crm", "false"),
                ],
            )
            .await;
        assert_eq!(s, 200, "{encoding:?}: {b}");
        let c = &b["data"]["conversation"];
        assert_conversation_shape(c);
        assert_eq!(
            (&c["sender_external_id"], &c["channel_id"]),
            (&json!(phone), &json!(channel)),
            "{encoding:?}"
        );
        let id = c["external_id"].as_i64().expect("id");
        let messages = srv.stored_messages(company, id).await;
        let seen: Vec<_> = messages
            .iter()
            .map(|m| (m.body.clone(), m.send_to_crm))
            .collect();
        assert_eq!(seen, [(text, false)], "{encoding:?}");
        created.push(id);
    }
    let (_, list) = srv.get(&path).await;
    assert_eq!(ids(&list), created);
}

#[tokio::test]
async fn updates_in_every_encoding() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let item = item_path(company, id);
    let user = srv.user_id.to_string();
    for encoding in Encoding::ALL {
        let note = format!("note via {encoding:?}: ünïcode & = +");
        let (s, b) = srv
            .send_as(
                Method::PUT,
                &format!("{item}/note"),
                encoding,
                &[("note", &note)],
            )
            .await;
        assert_eq!((s, b), (200, json!({"status": "updated"})), "{encoding:?}");

        let (s, b) = srv
            .send_as(
                Method::PUT,
                &format!("{item}/assign"),
                encoding,
                &[("assignee_id", &user)],
            )
            .await;
        assert_eq!(s, 200, "{encoding:?}: {b}");
        let c = srv.conversation_details(company, id).await;
        assert_eq!(
            (&c["note"], &c["assignee_id"]),
            (&json!(note), &json!(srv.user_id))
        );

        let (s, b) = srv
            .send_as(
                Method::PUT,
                &format!("{item}/assign"),
                encoding,
                &[("assignee_id", "0")],
            )
            .await;
        assert_param_error(s, &b, 400, "assignee_id");
        let (s, _) = srv
            .send_as(
                Method::PUT,
                &format!("{item}/assign"),
                encoding,
                &[("assignee_id", "")],
            )
            .await;
        assert_eq!(s, 200);

        for value in ["true", "false"] {
            let (s, b) = srv
                .send_as(
                    Method::PUT,
                    &format!("{item}/toggle_bitrix_block_openlines"),
                    encoding,
                    &[("enabled", value)],
                )
                .await;
            assert_eq!(s, 200, "{encoding:?}: {b}");
            assert_eq!(
                srv.conversation_details(company, id).await["bitrix_block_openlines"],
                json!(value == "true"),
                "{encoding:?}"
            );
        }
        let c = srv.conversation_details(company, id).await;
        assert_eq!(c["assignee_id"], json!(null), "{encoding:?}");

        let (s, b) = srv
            .send_as(Method::GET, &list_path(company), encoding, &[("per", "0")])
            .await;
        assert_param_error(s, &b, 400, "per");
    }
}

#[tokio::test]
async fn path_beats_body_beats_query() {
    let srv = TestServer::start().await;
    let (company, _, ids3) = three_conversations(&srv).await;
    let id = ids3[0];
    let note = format!("{}/note", item_path(company, id));

    let (s, _) = call(
        srv.req(Method::PUT, &format!("{note}?note=query"))
            .form(&[("note", "form")]),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(srv.conversation_details(company, id).await["note"], "form");
    let (s, _) = call(
        srv.req(Method::PUT, &format!("{note}?note=query"))
            .json(&json!({"note": "json"})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(srv.conversation_details(company, id).await["note"], "json");
    // A parameter only in the query still counts when the body has others.
    let (s, _) = call(
        srv.req(Method::PUT, &format!("{note}?note=query"))
            .form(&[("unrelated", "x")]),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(srv.conversation_details(company, id).await["note"], "query");

    // Path parameters cannot be overridden by the body or the query.
    let (s, _) = call(
        srv.req(
            Method::PUT,
            &format!("{note}?conversation_id={}&company_id=999", ids3[1]),
        )
        .json(&json!({"note": "path wins", "conversation_id": ids3[2], "company_id": 999})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        srv.conversation_details(company, id).await["note"],
        "path wins"
    );
    for other in &ids3[1..] {
        assert_eq!(
            srv.conversation_details(company, *other).await["note"],
            json!(null)
        );
    }

    // Bodies are read on GET too, and win over the query.
    let (s, b) = call(
        srv.req(Method::GET, &format!("{}?per=100", list_path(company)))
            .form(&[("per", "1")]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![ids3[0]]);
    let (s, b) = call(
        srv.req(Method::GET, &list_path(company))
            .json(&json!({"per": 2, "sort_direction": "desc"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![ids3[2], ids3[1]]);
}

#[tokio::test]
async fn mislabelled_and_parameterised_content_types() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    srv.channel(company, "whatsapp").await;
    let path = list_path(company);
    // The docs' interactive example: JSON text sent with curl -d, so labelled as a form;
    // also JSON under other wrong labels, after whitespace, and with a charset.
    let json_body = |phone: &str| {
        format!(" \r\n\t{{\"provider\":\"whatsapp\",\"phone\":\"{phone}\",\"text\":\"Привет\"}}")
    };
    for (n, label) in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        None,
        Some("application/json; charset=utf-8"),
        Some("Application/JSON;charset=UTF-8"),
    ]
    .into_iter()
    .enumerate()
    {
        let phone = format!("7925000000{n}");
        let (s, b) = raw(&srv, Method::POST, &path, label, json_body(&phone)).await;
        assert_eq!(s, 200, "{label:?}: {b}");
        assert_eq!(b["data"]["conversation"]["sender_external_id"], phone);
        let id = b["data"]["conversation"]["external_id"]
            .as_i64()
            .expect("id");
        let messages = srv.stored_messages(company, id).await;
        assert_eq!(messages[0].body, "Привет", "{label:?}");
    }
    // A form under a JSON label with a charset, and under an unrelated label.
    let (company2, _, id) = srv.fixture().await;
    let note = format!("{}/note", item_path(company2, id));
    for (label, body, want) in [
        ("application/json; charset=utf-8", "note=a+b%26c", "a b&c"),
        ("application/xml", "note=xml+label", "xml label"),
        ("application/json", "", "xml label"),
    ] {
        let (s, b) = raw(&srv, Method::PUT, &note, Some(label), body).await;
        if body.is_empty() {
            assert_param_error(s, &b, 400, "note");
        } else {
            assert_eq!(s, 200, "{label}: {b}");
        }
        assert_eq!(srv.conversation_details(company2, id).await["note"], want);
    }
    // A JSON-labelled empty body is no parameters at all: the toggle flips.
    let toggle = format!("{}/toggle_bitrix_block_openlines", item_path(company2, id));
    for label in ["application/json", "application/x-www-form-urlencoded"] {
        let (s, b) = raw(&srv, Method::PUT, &toggle, Some(label), "").await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = raw(&srv, Method::PUT, &toggle, Some("application/json"), "  \n").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        srv.conversation_details(company2, id).await["bitrix_block_openlines"],
        true
    );
}

#[tokio::test]
async fn multipart_text_fields() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let note = format!("{}/note", item_path(company, id));
    // PHP style: a quoted boundary with a dot, part-level Content-Type and Content-Length.
    let boundary = "5f1a2b3c.4d5e6f";
    let body = format!(
        "--{boundary}\r\n\
         Content-Disposition: form-data; name=\"note\"\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: 12\r\n\r\n\
         php note ✓\r\n\
         --{boundary}\r\n\
         Content-Disposition: form-data; name=\"tags[]\"\r\n\r\n\
         a\r\n\
         --{boundary}--\r\n"
    );
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some(&format!("multipart/form-data; boundary=\"{boundary}\"")),
        body,
    )
    .await;
    assert_eq!((s, b), (200, json!({"status": "updated"})));
    assert_eq!(
        srv.conversation_details(company, id).await["note"],
        "php note ✓"
    );
    // A multipart label without a boundary, and a body that is not multipart at all.
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some("multipart/form-data"),
        "note=x",
    )
    .await;
    assert_client_error(s, &b, 400);
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some("multipart/form-data; boundary=zzz"),
        "note=x",
    )
    .await;
    assert_client_error(s, &b, 400);
    // Invalid UTF-8 in a text field names the field.
    let mut bad = b"--zzz\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n".to_vec();
    bad.extend_from_slice(b"\xff\xfe bad\r\n--zzz--\r\n");
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some("multipart/form-data; boundary=zzz"),
        bad,
    )
    .await;
    assert_param_error(s, &b, 400, "note");
    assert_eq!(
        srv.conversation_details(company, id).await["note"],
        "php note ✓"
    );
}

#[tokio::test]
async fn an_empty_body_is_no_parameters_whatever_its_label() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let path = format!(
        "/p1/companies/{company}/conversations/{conversation}/toggle_bitrix_block_openlines"
    );
    for label in [
        "multipart/form-data; boundary=x",
        "application/json",
        "application/x-www-form-urlencoded",
    ] {
        let before = srv
            .get(&format!(
                "/p1/companies/{company}/conversations/{conversation}"
            ))
            .await
            .1;
        let (s, b) = call(
            srv.req(Method::PUT, &path)
                .header("Content-Type", label)
                .body(""),
        )
        .await;
        assert_eq!(s, 200, "{label}: {b}");
        // No `enabled` parameter: the flag flips.
        assert_eq!(
            b["data"]["conversation"]["bitrix_block_openlines"],
            !before["data"]["conversation"]["bitrix_block_openlines"]
                .as_bool()
                .expect("bool"),
            "{label}"
        );
    }
}
