//! Companies, authentication, routing and the error envelope.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn create_list_update_and_read_back() {
    let srv = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let rx = crate::harness::Receiver::start().await;
    let (status, body) = srv
        .form(
            Method::POST,
            "/p1/companies",
            &[
                ("name", "Acme"),
                ("phone", "79250000001"),
                ("description", "shop"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "created");
    let id = body["data"]["external_id"].as_i64().expect("id");

    let (status, body) = srv.get("/p1/companies").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"status": "ok", "data": {"companies": [
        {"external_id": id, "name": "Acme", "phone": "79250000001", "description": "shop", "webhook_url": null}
    ], "next_page": null}})
    );

    let (status, body) = srv
        .json(
            Method::PUT,
            &format!("/p1/companies/{id}"),
            json!({"name": "Acme 2", "hidden": true, "webhook_url": rx.url}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"status": "updated", "data": {"external_id": id}})
        )
    );
    let (_, body) = srv.get(&format!("/p1/companies/{id}")).await;
    assert_eq!(body["data"]["company"]["name"], "Acme 2");
    assert_eq!(
        body["data"]["company"]["phone"], "79250000001",
        "absent fields stay"
    );
    assert_eq!(body["data"]["company"]["webhook_url"], rx.url);

    // An empty webhook_url clears it; an update with no known field still answers updated.
    let (status, _) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{id}"),
            &[("webhook_url", "")],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{id}"),
            &[("unknown", "x")],
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = srv.get(&format!("/p1/companies/{id}")).await;
    assert_eq!(body["data"]["company"]["webhook_url"], json!(null));
    assert_eq!(body["data"]["company"]["name"], "Acme 2");
}

#[tokio::test]
async fn company_validation() {
    let srv = TestServer::start().await;
    let (s, b) = srv.form(Method::POST, "/p1/companies", &[]).await;
    assert_param_error(s, &b, 400, "name");
    let (s, b) = srv
        .form(Method::POST, "/p1/companies", &[("name", "   ")])
        .await;
    assert_param_error(s, &b, 400, "name");
    let long = "n".repeat(256);
    let (s, b) = srv
        .form(Method::POST, "/p1/companies", &[("name", &long)])
        .await;
    assert_param_error(s, &b, 400, "name");
    let (s, b) = srv
        .form(
            Method::POST,
            "/p1/companies",
            &[("name", "A"), ("webhook_url", "ftp://x")],
        )
        .await;
    assert_param_error(s, &b, 400, "webhook_url");
    let (s, b) = srv
        .form(
            Method::POST,
            "/p1/companies",
            &[("name", "A"), ("webhook_url", "not a url")],
        )
        .await;
    assert_param_error(s, &b, 400, "webhook_url");
    let id = srv.company("Acme").await;
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{id}"),
            &[("hidden", "maybe")],
        )
        .await;
    assert_param_error(s, &b, 400, "hidden");
    let (s, b) = srv
        .form(Method::PUT, &format!("/p1/companies/{id}"), &[("name", "")])
        .await;
    assert_param_error(s, &b, 400, "name");
    // Nothing half-stored by the failed requests.
    let (_, body) = srv.get("/p1/companies").await;
    assert_eq!(body["data"]["companies"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn authentication() {
    let srv = TestServer::start().await;
    let (s, b) = call(srv.http.get(srv.url("/p1/companies"))).await;
    assert_eq!(s, 401, "{b}");
    assert_eq!(b["status"], "error");
    let (s, _) = call(srv.req_as("wrong", Method::GET, "/p1/companies")).await;
    assert_eq!(s, 401);
    let (s, _) = call(srv.req_as("", Method::GET, "/p1/companies")).await;
    assert_eq!(s, 401);
    let (s, _) = call(
        srv.http
            .get(srv.url(&format!("/p1/companies?private_api_token={}", srv.token))),
    )
    .await;
    assert_eq!(s, 200);
    // A wrong header is not rescued by a right query parameter.
    let (s, _) = call(srv.req_as(
        "wrong",
        Method::GET,
        &format!("/p1/companies?private_api_token={}", srv.token),
    ))
    .await;
    assert_eq!(s, 401);
    // Header names are case-insensitive.
    let (s, _) = call(
        srv.http
            .get(srv.url("/p1/companies"))
            .header("x-private-api-token", &srv.token),
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn routing_errors_are_json() {
    let srv = TestServer::start().await;
    let (s, b) = srv.get("/p1/nothing/here").await;
    assert_eq!((s, &b["status"]), (404, &json!("error")));
    let (s, b) = srv.form(Method::DELETE, "/p1/companies", &[]).await;
    assert_eq!((s, &b["status"]), (405, &json!("error")));
    let response = srv
        .req(Method::POST, "/p1/companies/1/conversations/1/note")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 405);
    assert!(
        response
            .headers()
            .get("allow")
            .is_some_and(|v| v.to_str().unwrap_or("").contains("PUT"))
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("application/json")
    );
    let (s, _) = srv.get("/healthz").await;
    assert_eq!(s, 200);
    // The placeholder avatar every conversation carries resolves to an image.
    let avatar = srv
        .http
        .get(srv.url("/avatars/original/missing.png"))
        .send()
        .await
        .expect("send");
    assert_eq!(avatar.status(), 200);
    assert_eq!(avatar.headers()["content-type"], "image/png");
    assert!(avatar.bytes().await.expect("body").starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn sdk_path_forms() {
    let srv = TestServer::start().await;
    let id = srv.company("Acme").await;
    for path in ["/p1/companies/", "/p1//companies", "//p1//companies//"] {
        let (s, b) = srv.get(path).await;
        assert_eq!(s, 200, "{path}: {b}");
        assert_eq!(b["data"]["companies"][0]["external_id"], id);
    }
    let (s, _) = srv
        .form(
            Method::PUT,
            &format!("/p1//companies/{id}"),
            &[("name", "B")],
        )
        .await;
    assert_eq!(s, 200);
    // The query string survives normalisation.
    let (s, b) = srv.get("/p1//companies/?per=0").await;
    assert_param_error(s, &b, 400, "per");
}
