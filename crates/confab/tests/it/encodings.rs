//! Body encodings and SDK quirks (digest 1.1, 1.3, Appendix A): every transport of the same
//! parameters, the Python and PHP wire forms, mislabelled bodies, and bad input that must be
//! a 4xx with a JSON body, never a 500.

use bytes::Bytes;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

/// A company with a whatsapp channel and three conversations: (company, channel, ids).
async fn three_conversations(srv: &TestServer) -> (i64, i64, Vec<i64>) {
    let (company, channel, first) = srv.fixture().await;
    let second = srv.conversation(company, "79250000002").await;
    let third = srv.conversation(company, "79250000003").await;
    (company, channel, vec![first, second, third])
}

/// A raw request with the first user's token: the body bytes and an optional Content-Type.
async fn raw(
    srv: &TestServer,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = srv.req(method, path);
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    call(request.body(body)).await
}

/// A chunked body (no Content-Length) made of `chunks`.
fn chunked(chunks: Vec<Vec<u8>>) -> reqwest::Body {
    let stream = futures_util::stream::iter(
        chunks
            .into_iter()
            .map(|c| Ok::<Bytes, std::io::Error>(Bytes::from(c))),
    );
    reqwest::Body::wrap_stream(stream)
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
async fn python_sdk_wire_forms() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    srv.channel(company, "whatsapp").await;
    // Every Python request carries these headers, JSON label included.
    let py = |method: Method, path: &str| {
        srv.req(method, path)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
    };

    // create_conversation: JSON without text (the SDK cannot send one) is refused by the
    // seed's rule; with text it works, on the trailing-slash path.
    let create = format!("/p1/companies/{company}/conversations/");
    let (s, b) =
        call(py(Method::POST, &create).body(r#"{"provider": "whatsapp", "phone": "79250000001"}"#))
            .await;
    assert_param_error(s, &b, 400, "text");
    let mut ids3 = Vec::new();
    for phone in ["79250000001", "79250000002", "79250000003"] {
        let body = json!({"provider": "whatsapp", "phone": phone, "text": "Hi"});
        let (s, b) = call(py(Method::POST, &create).body(body.to_string())).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["conversation"]["sender_external_id"], phone);
        ids3.push(
            b["data"]["conversation"]["external_id"]
                .as_i64()
                .expect("id"),
        );
    }

    // get_conversations: GET with an empty body labelled JSON, trailing slash, `from_`.
    let list = format!("/p1/companies/{company}/conversations/");
    let (s, b) = call(py(
        Method::GET,
        &format!("{list}?per=1&sort_direction=desc"),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![ids3[2]]);
    let token = b["data"]["next_page"].as_str().expect("token").to_owned();
    let (s, b) = call(py(
        Method::GET,
        &format!("{list}?from_={token}&per=1&sort_direction=desc"),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![ids3[1]]);
    let (s, b) = call(py(
        Method::GET,
        &format!("{list}?from_={token}&sort_direction=desc"),
    ))
    .await;
    assert_eq!(ids(&b), vec![ids3[1], ids3[0]], "{s}");
    let (s, b) = call(py(Method::GET, &format!("{list}?per=0"))).await;
    assert_param_error(s, &b, 400, "per");

    // get_detail, with and without a trailing slash.
    let id = ids3[0];
    for path in [
        item_path(company, id),
        format!("{}/", item_path(company, id)),
    ] {
        let (s, b) = call(py(Method::GET, &path)).await;
        assert_eq!(
            (s, &b["data"]["conversation"]["external_id"]),
            (200, &json!(id))
        );
    }

    // update_assignee: `assignee_id=N` labelled JSON.
    let (s, b) = call(
        py(Method::PUT, &format!("{}/assign", item_path(company, id)))
            .body(format!("assignee_id={}", srv.user_id)),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    assert_eq!(
        srv.conversation_details(company, id).await["assignee_id"],
        srv.user_id
    );
    // update_channel-style form labelled JSON, on the note; and an empty JSON-labelled PUT
    // on the toggle flips the flag.
    let (s, _) =
        call(py(Method::PUT, &format!("{}/note", item_path(company, id))).body("note=py+form&x=1"))
            .await;
    assert_eq!(s, 200);
    let (s, b) = call(py(
        Method::PUT,
        &format!("{}/toggle_bitrix_block_openlines", item_path(company, id)),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["note"], &c["bitrix_block_openlines"]),
        (&json!("py form"), &json!(true))
    );
}

#[tokio::test]
async fn php_sdk_wire_forms() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    // PHP: form bodies with no Content-Type header at all, `//` after /p1, Accept */*.
    let php = |method: Method, path: &str, body: String| {
        srv.req(method, &format!("/p1/{path}"))
            .header("Accept", "*/*")
            .body(body)
    };

    // createConversation with extra keys the caller put in the map, brackets included.
    let (s, b) = call(php(
        Method::POST,
        &format!("/companies/{company}/conversations"),
        "provider=whatsapp&phone=88005553535&text=Hi+there&send_to_crm=0\
         &attachments_ids[]=1&attachments_ids%5B%5D=2&template[id]=x\
         &template[parameters][]=a"
            .to_owned(),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    let c = &b["data"]["conversation"];
    assert_eq!(
        (&c["sender_external_id"], &c["channel_id"]),
        (&json!("88005553535"), &json!(channel))
    );
    let id = c["external_id"].as_i64().expect("id");
    let messages = srv.stored_messages(company, id).await;
    let seen: Vec<_> = messages
        .iter()
        .map(|m| (m.body.as_str(), m.send_to_crm))
        .collect();
    assert_eq!(seen, [("Hi there", false)]);
    let (s, b) = call(php(
        Method::POST,
        &format!("/companies/{company}/conversations"),
        "provider=whatsapp&phone=%2B79250000002&text=Second&send_to_crm=1".to_owned(),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["data"]["conversation"]["sender_external_id"],
        "79250000002"
    );
    let second = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("id");

    // getConversations with from/per/sort_direction, and the `sort` alias of getMessages.
    let list = format!("/companies/{company}/conversations");
    let (s, b) = call(php(
        Method::GET,
        &format!("{list}?from=&per=1&sort_direction=desc"),
        String::new(),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![second]);
    let token = b["data"]["next_page"].as_str().expect("token").to_owned();
    let (_, b) = call(php(
        Method::GET,
        &format!("{list}?from={token}&per=1&sort_direction=desc"),
        String::new(),
    ))
    .await;
    assert_eq!(ids(&b), vec![id]);
    let (_, b) = call(php(
        Method::GET,
        &format!("{list}?sort=desc"),
        String::new(),
    ))
    .await;
    assert_eq!(ids(&b), vec![second, id]);

    // getDetails and updateAssignee on `//` paths.
    let (s, b) = call(php(
        Method::GET,
        &format!("/companies/{company}/conversations/{id}"),
        String::new(),
    ))
    .await;
    assert_eq!(
        (s, &b["data"]["conversation"]["external_id"]),
        (200, &json!(id))
    );
    let (s, b) = call(php(
        Method::PUT,
        &format!("/companies/{company}/conversations/{id}/assign"),
        format!("assignee_id={}", srv.user_id),
    ))
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "data": {"conversation": {"external_id": id}}})
        )
    );
    // Booleans as 1 / 0.
    for (value, want) in [("1", true), ("0", false)] {
        let (s, _) = call(php(
            Method::PUT,
            &format!("/companies/{company}/conversations/{id}/toggle_bitrix_block_openlines"),
            format!("enabled={value}"),
        ))
        .await;
        assert_eq!(s, 200);
        assert_eq!(
            srv.conversation_details(company, id).await["bitrix_block_openlines"],
            want
        );
    }
    // Large bodies go through curl's upload mode: chunked, unlabelled, Expect: 100-continue.
    let (s, b) = call(
        srv.req(
            Method::PUT,
            &format!("/p1//companies/{company}/conversations/{id}/note"),
        )
        .header("Expect", "100-continue")
        .body(chunked(vec![
            b"note=up".to_vec(),
            b"load+mo".to_vec(),
            b"de&x=".to_vec(),
            vec![b'y'; 200_000],
        ])),
    )
    .await;
    assert_eq!((s, b), (200, json!({"status": "updated"})));
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["note"], &c["assignee_id"], &c["bitrix_block_openlines"]),
        (&json!("upload mode"), &json!(srv.user_id), &json!(false))
    );
}

#[tokio::test]
async fn every_endpoint_on_sdk_paths() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    for (n, prefix) in ["/p1/", "/p1//", "//p1//"].into_iter().enumerate() {
        for slash in ["", "/"] {
            let base = format!("{prefix}companies/{company}/conversations");
            let (s, b) = srv.get(&format!("{base}{slash}")).await;
            assert_eq!((s, ids(&b)), (200, vec![id]), "{base}{slash}");
            let (s, b) = srv.get(&format!("{base}/{id}{slash}")).await;
            assert_eq!(s, 200, "{b}");
            let note = format!("{prefix}{slash}{n}");
            let (s, _) = srv
                .form(
                    Method::PUT,
                    &format!("{base}//{id}/note{slash}"),
                    &[("note", &note)],
                )
                .await;
            assert_eq!(s, 200);
            let (s, _) = srv
                .form(
                    Method::PUT,
                    &format!("{base}/{id}/assign{slash}"),
                    &[("assignee_id", &srv.user_id.to_string())],
                )
                .await;
            assert_eq!(s, 200);
            let (s, b) = srv
                .form(
                    Method::PUT,
                    &format!("{base}/{id}/toggle_bitrix_block_openlines{slash}"),
                    &[],
                )
                .await;
            assert_eq!(s, 200);
            let flag = b["data"]["conversation"]["bitrix_block_openlines"].clone();
            let (s, b) = srv
                .form(
                    Method::POST,
                    &format!("{base}{slash}"),
                    &[
                        ("provider", "whatsapp"),
                        ("phone", "79250000001"),
                        ("text", "x"),
                    ],
                )
                .await;
            assert_eq!(
                (s, &b["data"]["conversation"]["external_id"]),
                (200, &json!(id))
            );
            let c = srv.conversation_details(company, id).await;
            assert_eq!(
                (&c["note"], &c["assignee_id"], &c["bitrix_block_openlines"]),
                (&json!(note), &json!(srv.user_id), &flag)
            );
            let (s, _) = srv
                .form(Method::PUT, &format!("{base}/{id}/assign"), &[])
                .await;
            assert_eq!(s, 200);
        }
    }
    // Normalisation does not invent routes.
    let (s, b) = srv
        .get(&format!("/p1/companies/{company}/conversations/{id}/extra"))
        .await;
    assert_client_error(s, &b, 404);
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
async fn malformed_json_is_a_400() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let note = format!("{}/note", item_path(company, id));
    let (s, _) = srv.json(Method::PUT, &note, json!({"note": "kept"})).await;
    assert_eq!(s, 200);
    let deep = format!("{{\"note\":{}1{}}}", "[".repeat(5000), "]".repeat(5000));
    for body in [
        "{\"note\": ",
        "{\"note\": \"x\",}",
        "{note: \"x\"}",
        "{\"note\": \"x\"} trailing",
        "{\"note\": \"x\"}{\"note\": \"y\"}",
        "{\"note\": 1e400}",
        "[{\"note\": \"x\"}]",
        " [1, 2]",
        "[]",
        deep.as_str(),
    ] {
        for label in [Some("application/json"), None] {
            let (s, b) = raw(&srv, Method::PUT, &note, label, body.to_owned()).await;
            assert_client_error(s, &b, 400);
        }
    }
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some("application/json"),
        b"{\"note\": \"\xff\xfe\"}".to_vec(),
    )
    .await;
    assert_client_error(s, &b, 400);
    // Well-formed JSON of the wrong shape names the parameter.
    for body in [json!({"note": [1, [2]]}), json!({"note": {"a": "b"}})] {
        let (s, b) = srv.json(Method::PUT, &note, body).await;
        assert_param_error(s, &b, 400, "note");
    }
    // A JSON scalar is not an object: it is read as a form, which has no note (or is not a
    // form either).
    for body in ["\"note\"", "null", "true"] {
        let (s, b) = raw(&srv, Method::PUT, &note, Some("application/json"), body).await;
        assert_param_error(s, &b, 400, "note");
    }
    let (s, b) = raw(&srv, Method::PUT, &note, Some("application/json"), "42").await;
    assert_client_error(s, &b, 400);
    assert_eq!(srv.conversation_details(company, id).await["note"], "kept");
}

#[tokio::test]
async fn invalid_utf8_is_a_4xx() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let note = format!("{}/note", item_path(company, id));
    let (s, _) = srv.form(Method::PUT, &note, &[("note", "kept")]).await;
    assert_eq!(s, 200);
    for body in [
        b"note=\xff\xfe".to_vec(),
        b"note=%FF%FE".to_vec(),
        b"note=ok&\xc3=x".to_vec(),
        b"no\xe2\x82te=x".to_vec(),
    ] {
        for label in [Some("application/x-www-form-urlencoded"), None] {
            let (s, b) = raw(&srv, Method::PUT, &note, label, body.clone()).await;
            assert_client_error(s, &b, 400);
        }
    }
    let (s, b) = srv.get(&format!("{}?per=%FF", list_path(company))).await;
    assert_client_error(s, &b, 400);
    let (s, b) = call(srv.req(Method::PUT, &format!("{note}?note=%C3%28"))).await;
    assert_client_error(s, &b, 400);
    // In JSON the bytes are refused as well (a JSON `\\u` escape of a lone surrogate too).
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some("application/json"),
        b"{\"note\": \"\xc3\x28\"}".to_vec(),
    )
    .await;
    assert_client_error(s, &b, 400);
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some("application/json"),
        r#"{"note": "\ud800"}"#,
    )
    .await;
    assert_client_error(s, &b, 400);
    assert_eq!(srv.conversation_details(company, id).await["note"], "kept");
}

#[tokio::test]
async fn bad_numbers_name_the_parameter() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let list = list_path(company);
    let item = item_path(company, id);
    for bad in [
        "99999999999999999999",
        "-99999999999999999999",
        "-5",
        "2.5",
        "1e1",
        "0x10",
        "+5",
    ] {
        let (s, b) = srv.form(Method::GET, &list, &[("per", bad)]).await;
        assert_param_error(s, &b, 400, "per");
        let (s, b) = srv
            .form(
                Method::PUT,
                &format!("{item}/assign"),
                &[("assignee_id", bad)],
            )
            .await;
        assert_param_error(s, &b, 400, "assignee_id");
        let (s, b) = srv
            .form(
                Method::PUT,
                &format!("{item}/toggle_bitrix_block_openlines"),
                &[("enabled", bad)],
            )
            .await;
        assert_param_error(s, &b, 400, "enabled");
    }
    for bad in [
        json!(1e20),
        json!(18446744073709551615_u64),
        json!(-1),
        json!(2.5),
        json!(10.0),
        json!("10.0"),
        json!(true),
    ] {
        let (s, b) = srv.json(Method::GET, &list, json!({"per": bad})).await;
        assert_param_error(s, &b, 400, "per");
        let (s, b) = srv
            .json(
                Method::PUT,
                &format!("{item}/assign"),
                json!({"assignee_id": bad}),
            )
            .await;
        assert_param_error(s, &b, 400, "assignee_id");
    }
    // A number too large for any JSON parser is a malformed body, still a 400.
    let (s, b) = raw(
        &srv,
        Method::GET,
        &list,
        Some("application/json"),
        format!("{{\"per\": 1{}}}", "0".repeat(400)),
    )
    .await;
    assert_client_error(s, &b, 400);
    // JSON integers and decimal strings are both fine.
    for good in [json!(1), json!("1")] {
        let (s, b) = srv.json(Method::GET, &list, json!({"per": good})).await;
        assert_eq!((s, ids(&b)), (200, vec![id]));
    }
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["assignee_id"], &c["bitrix_block_openlines"]),
        (&json!(null), &json!(false))
    );
}

#[tokio::test]
async fn bad_path_ids_are_404() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    for bad in [
        "abc",
        "1a",
        "-1",
        "0",
        "1.5",
        "1e2",
        "%20",
        "99999999999999999999",
        "0x1",
    ] {
        let paths = [
            (Method::GET, format!("/p1/companies/{bad}/conversations")),
            (Method::POST, format!("/p1/companies/{bad}/conversations")),
            (
                Method::GET,
                format!("/p1/companies/{bad}/conversations/{id}"),
            ),
            (
                Method::GET,
                format!("/p1/companies/{company}/conversations/{bad}"),
            ),
            (
                Method::PUT,
                format!("/p1/companies/{company}/conversations/{bad}/note"),
            ),
            (
                Method::PUT,
                format!("/p1/companies/{company}/conversations/{bad}/assign"),
            ),
            (
                Method::PUT,
                format!(
                    "/p1/companies/{company}/conversations/{bad}/toggle_bitrix_block_openlines"
                ),
            ),
            (
                Method::PUT,
                format!("/p1/companies/{bad}/conversations/{id}/note"),
            ),
        ];
        for (method, path) in paths {
            let (s, b) = srv
                .form(
                    method.clone(),
                    &path,
                    &[
                        ("note", "x"),
                        ("provider", "whatsapp"),
                        ("phone", "79250000009"),
                        ("text", "x"),
                    ],
                )
                .await;
            assert_client_error(s, &b, 404);
            assert_eq!(b.get("errors"), None, "{method} {path}: {b}");
        }
    }
    let c = srv.conversation_details(company, id).await;
    assert_eq!(c["note"], json!(null));
    let (_, list) = srv.get(&list_path(company)).await;
    assert_eq!(ids(&list), vec![id]);
}

#[tokio::test]
async fn over_long_strings_are_refused() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let list = list_path(company);
    let (s, b) = srv
        .get(&format!("{list}?from={}", "f".repeat(20_000)))
        .await;
    assert_param_error(s, &b, 400, "from");
    let (s, b) = srv
        .json(Method::GET, &list, json!({"from_": "f".repeat(256)}))
        .await;
    assert_param_error(s, &b, 400, "from_");
    let cases = [
        (
            json!({"provider": "whatsapp", "phone": "7".repeat(33), "text": "x"}),
            "phone",
        ),
        (
            json!({"provider": "whatsapp", "phone": "7".repeat(10_000), "text": "x"}),
            "phone",
        ),
        (
            json!({"provider": "whatsapp", "phone": "79250000001", "text": "t".repeat(65_537)}),
            "text",
        ),
        (
            json!({"provider": "telegram_personal", "username": "u".repeat(100_000), "text": "x"}),
            "username",
        ),
        (
            json!({"provider": "p".repeat(100_000), "phone": "79250000001", "text": "x"}),
            "provider",
        ),
    ];
    for (body, param) in cases {
        let (s, b) = srv.json(Method::POST, &list, body).await;
        assert_param_error(s, &b, 400, param);
    }
    // A 1 MiB note is under the body limit but over the note limit.
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("{}/note", item_path(company, id)),
            &[("note", &"n".repeat(1 << 20))],
        )
        .await;
    assert_param_error(s, &b, 400, "note");
    let c = srv.conversation_details(company, id).await;
    assert_eq!(c["note"], json!(null));
    let (_, b) = srv.get(&list).await;
    assert_eq!(ids(&b), vec![id]);
    assert_eq!(srv.stored_messages(company, id).await.len(), 1);
}

#[tokio::test]
async fn deeply_nested_brackets() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let note = format!("{}/note", item_path(company, id));
    let (s, _) = srv.form(Method::PUT, &note, &[("note", "kept")]).await;
    assert_eq!(s, 200);
    // A bracketed note is an object, not a string; nesting deeper than the parser goes is
    // still an object. Sequences of sequences are malformed.
    for (body, names_note) in [
        ("note[a]=x".to_owned(), true),
        ("note[a][b][c][d][e][f][g][h]=x".to_owned(), true),
        (format!("note{}=x", "[a]".repeat(10_000)), true),
        (format!("note{}=x", "[]".repeat(10_000)), false),
        (format!("note{}=x", "[".repeat(10_000)), false),
    ] {
        let (s, b) = raw(&srv, Method::PUT, &note, None, body).await;
        if names_note {
            assert_param_error(s, &b, 400, "note");
        } else {
            assert_client_error(s, &b, 400);
        }
    }
    assert_eq!(srv.conversation_details(company, id).await["note"], "kept");
    // Junk beside a good note: whatever the answer, it is a 200 that stored the note or a
    // JSON 400 that stored nothing.
    for (n, junk) in [
        format!("junk{}=x", "[a]".repeat(10_000)),
        format!("junk{}=x", "[".repeat(10_000)),
        format!("junk{}=x", "]".repeat(10_000)),
        "a[=1".to_owned(),
        "a]=1".to_owned(),
        "[]=1".to_owned(),
        "[a]=1".to_owned(),
        "a[b=1".to_owned(),
    ]
    .into_iter()
    .enumerate()
    {
        let before = srv.conversation_details(company, id).await["note"].clone();
        let wanted = format!("ok {n}");
        let body = format!("note=ok+{n}&{junk}");
        let (s, b) = raw(&srv, Method::PUT, &note, None, body).await;
        let after = srv.conversation_details(company, id).await["note"].clone();
        if s == 200 {
            assert_eq!(b, json!({"status": "updated"}));
            assert_eq!(after, json!(wanted), "{}", &junk[..junk.len().min(20)]);
        } else {
            assert_client_error(s, &b, 400);
            assert_eq!(after, before);
        }
    }
    for query in [
        format!("a{}=1", "[b]".repeat(2_000)),
        format!("a{}=1", "[]".repeat(2_000)),
        format!("per=1&a{}=1", "[".repeat(2_000)),
    ] {
        let (s, b) = srv.get(&format!("{}?{query}", list_path(company))).await;
        if s == 200 {
            assert_eq!(ids(&b), vec![id]);
        } else {
            assert_client_error(s, &b, 400);
        }
    }
    // JSON nesting beyond the parser's recursion limit is a malformed body.
    let deep = format!(
        "{{\"note\":\"x\",\"a\":{}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (s, b) = raw(&srv, Method::PUT, &note, Some("application/json"), deep).await;
    assert_client_error(s, &b, 400);
    let deep = format!(
        "{{\"note\":\"x\",\"a\":{}1{}}}",
        "{\"b\":".repeat(50_000),
        "}".repeat(50_000)
    );
    let (s, b) = raw(&srv, Method::PUT, &note, Some("application/json"), deep).await;
    assert_client_error(s, &b, 400);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let note = format!("{}/note", item_path(company, id));
    let limit = 2 * 1024 * 1024;
    // Exactly at the limit the body is read (and the note refused as too long).
    let mut at_limit = b"note=".to_vec();
    at_limit.resize(limit, b'n');
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some("application/x-www-form-urlencoded"),
        at_limit.clone(),
    )
    .await;
    assert_param_error(s, &b, 400, "note");

    let mut over = at_limit.clone();
    over.push(b'n');
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some("application/x-www-form-urlencoded"),
        over.clone(),
    )
    .await;
    assert_client_error(s, &b, 413);
    let (s, b) = raw(&srv, Method::PUT, &note, None, chunked(vec![over.clone()])).await;
    assert_client_error(s, &b, 413);
    let mut json_over = b"{\"note\":\"".to_vec();
    json_over.resize(limit + 10, b'n');
    json_over.extend_from_slice(b"\"}");
    let (s, b) = raw(
        &srv,
        Method::PUT,
        &note,
        Some("application/json"),
        json_over,
    )
    .await;
    assert_client_error(s, &b, 413);
    let form = reqwest::multipart::Form::new().text("note", "n".repeat(limit + 1));
    let (s, b) = call(srv.req(Method::PUT, &note).multipart(form)).await;
    assert_client_error(s, &b, 413);
    // Create, too.
    let mut create = b"provider=whatsapp&phone=79250000002&text=".to_vec();
    create.resize(limit + 1, b't');
    let (s, b) = raw(&srv, Method::POST, &list_path(company), None, create).await;
    assert_client_error(s, &b, 413);

    let c = srv.conversation_details(company, id).await;
    assert_eq!(c["note"], json!(null));
    let (_, b) = srv.get(&list_path(company)).await;
    assert_eq!(ids(&b), vec![id]);
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
