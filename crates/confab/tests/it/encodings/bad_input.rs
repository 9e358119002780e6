//! Bad input that must be a 4xx with a JSON body, never a 500: malformed JSON, invalid
//! UTF-8, bad numbers and path ids, over-long strings, deeply nested brackets, and bodies
//! over the limit.

use reqwest::Method;
use serde_json::json;

use super::chunked;
use crate::harness::*;

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
