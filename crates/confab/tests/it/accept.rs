//! `Accept` negotiation on the JSON routes (Pact's 406), and what it leaves alone:
//! attachment downloads, the event stream, `/openapi.json`, health and metrics.

use reqwest::Method;
use serde_json::Value;

use crate::harness::*;

async fn get_accepting(srv: &TestServer, path: &str, accept: &str) -> (u16, Value) {
    call(srv.req(Method::GET, path).header("Accept", accept)).await
}

#[tokio::test]
async fn a_request_that_accepts_no_json_gets_406_with_the_json_error_body() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let list = format!("/p1/companies/{company}/channels");
    for accept in [
        "text/html",
        "text/html, application/xhtml+xml",
        "application/json;q=0",
        "*/*, application/json;q=0",
        "image/png",
    ] {
        let (s, b) = get_accepting(&srv, &list, accept).await;
        assert_param_error(s, &b, 406, "Accept");
    }
    // Writes are refused the same way, before anything changes.
    let (s, b) = call(
        srv.req(Method::POST, "/p1/companies")
            .header("Accept", "text/html")
            .form(&[("name", "Not made")]),
    )
    .await;
    assert_param_error(s, &b, 406, "Accept");
    let (_, b) = srv.get("/p1/companies").await;
    let listed: Vec<&Value> = b["data"]["companies"]
        .as_array()
        .expect("companies")
        .iter()
        .map(|c| &c["external_id"])
        .collect();
    assert_eq!(listed, [&Value::from(company)], "nothing was created");
}

#[tokio::test]
async fn json_wildcards_parameters_and_no_header_keep_working() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let list = format!("/p1/companies/{company}/channels");
    for accept in [
        "*/*",
        "application/*",
        "application/json",
        "application/json; charset=utf-8",
        "text/html, application/json;q=0.5",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ] {
        let (s, b) = get_accepting(&srv, &list, accept).await;
        assert_eq!(s, 200, "{accept}: {b}");
    }
    let (s, b) = call(
        srv.http
            .get(srv.url(&list))
            .header("X-Private-Api-Token", &srv.token),
    )
    .await;
    assert_eq!(s, 200, "no Accept header: {b}");
}

#[tokio::test]
async fn downloads_streams_and_operations_are_not_negotiated() {
    let srv = TestServer::start().await;
    let (company, _, conversation) = srv.fixture().await;
    let (s, b) = srv
        .upload_as(
            &srv.token,
            company,
            conversation,
            "photo.png",
            b"\x89PNG not really".to_vec(),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let attachment = b["data"]["external_id"].as_i64().expect("id");
    let download =
        format!("/p1/companies/{company}/conversations/{conversation}/attachments/{attachment}");
    let res = srv
        .req(Method::GET, &download)
        .header("Accept", "image/png")
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 200);

    let res = srv
        .req(Method::GET, &format!("/p1/companies/{company}/events"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .expect("stream");
    assert_eq!(res.status(), 200);
    drop(res);

    for path in ["/openapi.json", "/healthz", "/metrics"] {
        let res = srv
            .http
            .get(srv.url(path))
            .header("Accept", "text/html")
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200, "{path}");
    }
}
