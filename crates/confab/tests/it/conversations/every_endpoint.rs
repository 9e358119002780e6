//! What every conversation endpoint shares: the token (header or query), and success
//! answers that are JSON 200s.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

#[tokio::test]
async fn every_endpoint_needs_the_token() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let item = item_path(company, id);
    let user = srv.user_id.to_string();
    let endpoints = [
        (Method::GET, list_path(company), vec![]),
        (
            Method::POST,
            list_path(company),
            vec![
                ("provider", "whatsapp"),
                ("phone", "79250000009"),
                ("text", "x"),
            ],
        ),
        (Method::GET, item.clone(), vec![]),
        (Method::PUT, format!("{item}/note"), vec![("note", "x")]),
        (
            Method::PUT,
            format!("{item}/assign"),
            vec![("assignee_id", user.as_str())],
        ),
        (
            Method::PUT,
            format!("{item}/toggle_bitrix_block_openlines"),
            vec![("enabled", "true")],
        ),
    ];
    for (method, path, pairs) in &endpoints {
        let (s, b) = call(srv.http.request(method.clone(), srv.url(path)).form(pairs)).await;
        assert_eq!(s, 401, "{method} {path}: {b}");
        assert_eq!(b["status"], "error");
        let (s, _) = call(srv.req_as("wrong", method.clone(), path).form(pairs)).await;
        assert_eq!(s, 401, "{method} {path}");
    }
    // Nothing happened.
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["note"], &c["assignee_id"], &c["bitrix_block_openlines"]),
        (&json!(null), &json!(null), &json!(false))
    );
    let (_, list) = srv.get(&list_path(company)).await;
    assert_eq!(ids(&list), vec![id]);

    // The query-string token works on every endpoint.
    for (method, path, pairs) in &endpoints {
        let url = srv.url(&format!("{path}?private_api_token={}", srv.token));
        let (s, b) = call(srv.http.request(method.clone(), url).form(pairs)).await;
        assert_eq!(s, 200, "{method} {path}: {b}");
    }
    let c = srv.conversation_details(company, id).await;
    assert_eq!(
        (&c["note"], &c["assignee_id"], &c["bitrix_block_openlines"]),
        (&json!("x"), &json!(srv.user_id), &json!(true))
    );
}

#[tokio::test]
async fn success_answers_are_json_200() {
    let srv = TestServer::start().await;
    let (company, _, id) = srv.fixture().await;
    let item = item_path(company, id);
    for (method, path, pairs, status) in [
        (Method::GET, list_path(company), vec![], "ok"),
        (
            Method::POST,
            list_path(company),
            vec![
                ("provider", "whatsapp"),
                ("phone", "79250000001"),
                ("text", "x"),
            ],
            "ok",
        ),
        (Method::GET, item.clone(), vec![], "ok"),
        (
            Method::PUT,
            format!("{item}/note"),
            vec![("note", "x")],
            "updated",
        ),
        (Method::PUT, format!("{item}/assign"), vec![], "ok"),
        (
            Method::PUT,
            format!("{item}/toggle_bitrix_block_openlines"),
            vec![],
            "ok",
        ),
    ] {
        let response = srv
            .req(method.clone(), &path)
            .form(&pairs)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{method} {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8",
            "{method} {path}"
        );
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["status"], status, "{method} {path}");
        if status == "ok" {
            assert!(body["data"].is_object(), "{body}");
        } else {
            assert_eq!(body.get("data"), None, "{body}");
        }
    }
}
