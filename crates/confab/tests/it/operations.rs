//! Operations: per-token rate limits, readiness, Prometheus metrics, the admin listener.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn each_token_has_its_own_rate_limit() {
    let srv = TestServer::start_with(|c| {
        c.rate_limit = 2;
        c.rate_burst = 5;
    })
    .await;
    for i in 0..5 {
        let (s, _) = srv.get("/p1/companies").await;
        assert_eq!(s, 200, "request {i} within the burst");
    }
    let response = srv
        .req(Method::GET, "/p1/companies")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&retry), "{retry}");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "error");
    // Another token is not held back by the first one's use.
    let (_, other) = srv.new_user("bob").await;
    let (s, _) = call(srv.req_as(&other, Method::GET, "/p1/companies")).await;
    assert_eq!(s, 200);
    // Health checks are not rate limited.
    for _ in 0..10 {
        assert_eq!(srv.get("/healthz").await.0, 200);
    }
}

#[tokio::test]
async fn readiness_and_metrics() {
    let srv = TestServer::start().await;
    let (company, _, _) = srv.fixture().await;
    let (s, b) = srv.get("/readyz").await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"status": "ok", "database": "ok", "delivery_worker": "ok", "webhook_dispatcher": "ok", "storage": "ok"})
        )
    );
    srv.get(&format!("/p1/companies/{company}/conversations"))
        .await;
    let response = srv
        .http
        .get(srv.url("/metrics"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain")
    );
    let text = response.text().await.expect("text");
    assert!(
        text.lines()
            .any(|l| l.starts_with("confab_http_requests_total")
                && l.contains(r#"route="/p1/companies/{company_id}/conversations""#)
                && l.contains(r#"status="200""#)),
        "{text}"
    );
    assert!(
        text.contains("confab_http_request_duration_seconds_bucket"),
        "{text}"
    );
    for gauge in [
        "confab_jobs_pending",
        "confab_jobs_oldest_age_seconds",
        "confab_webhook_events_pending",
        "confab_webhook_events_failed",
        "confab_db_connections_idle",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(gauge)),
            "{gauge} missing"
        );
    }
}

#[tokio::test]
async fn admin_endpoints_move_to_the_admin_listener() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let admin = format!("127.0.0.1:{port}");
    let addr = admin.parse().expect("addr");
    let srv = TestServer::start_with(|c| c.admin_listen = Some(addr)).await;
    assert_eq!(srv.get("/metrics").await.0, 404);
    assert_eq!(srv.get("/readyz").await.0, 404);
    let http = reqwest::Client::new();
    let readyz = http
        .get(format!("http://{admin}/readyz"))
        .send()
        .await
        .expect("send");
    assert_eq!(readyz.status(), 200);
    let metrics = http
        .get(format!("http://{admin}/metrics"))
        .send()
        .await
        .expect("send");
    assert_eq!(metrics.status(), 200);
    let api = http
        .get(format!("http://{admin}/p1/companies"))
        .send()
        .await
        .expect("send");
    assert_eq!(api.status(), 404, "the API is not on the admin listener");
}

/// A local server whose only route answers after `delay`.
async fn slow_server(delay: std::time::Duration) -> String {
    let app = axum::Router::new().route(
        "/slow",
        axum::routing::get(move || async move {
            tokio::time::sleep(delay).await;
            "late"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/slow", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    url
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_cut_with_503() {
    let srv = TestServer::start_with(|c| {
        c.allow_private_urls = true;
        c.request_timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let (company, _, conversation) = srv.fixture().await;
    let url = slow_server(std::time::Duration::from_secs(3)).await;
    let path = format!("/p1/companies/{company}/conversations/{conversation}/messages/attachments");
    let response = srv
        .req(Method::POST, &path)
        .json(&json!({"file_url": url}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("--request-timeout"),
        "{body}"
    );
    // Quick requests are unaffected.
    assert_eq!(srv.get("/p1/companies").await.0, 200);
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_are_refused_at_once() {
    let srv = TestServer::start_with(|c| {
        c.allow_private_urls = true;
        c.max_concurrent_requests = 1;
    })
    .await;
    let (company, _, conversation) = srv.fixture().await;
    let url = slow_server(std::time::Duration::from_millis(1500)).await;
    let path = format!("/p1/companies/{company}/conversations/{conversation}/messages/attachments");
    let slow = srv
        .req(Method::POST, &path)
        .json(&json!({"file_url": url}))
        .send();
    let slow = tokio::spawn(slow);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let response = srv
        .req(Method::GET, "/p1/companies")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let first = slow.await.expect("join").expect("send");
    assert_eq!(first.status(), 200, "the request holding the slot finishes");
    assert_eq!(
        srv.get("/p1/companies").await.0,
        200,
        "and the slot is free again"
    );
}

#[tokio::test]
async fn too_many_or_too_long_parameters_are_refused() {
    let srv = TestServer::start_with(|c| c.max_params = 50).await;
    let (company, _, conversation) = srv.fixture().await;
    let note = format!("/p1/companies/{company}/conversations/{conversation}/note");
    let many: String = (0..51).map(|i| format!("x[]={i}&")).collect::<String>() + "note=a";
    let (s, b) = call(
        srv.req(Method::PUT, &note)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(many),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["message"].as_str().unwrap_or("").contains("--max-params"),
        "{b}"
    );
    let long_name = format!("{}=1&note=a", "k".repeat(300));
    let (s, b) = call(
        srv.req(Method::PUT, &note)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(long_name),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    let few: String = (0..40).map(|i| format!("x[]={i}&")).collect::<String>() + "note=ok";
    let (s, _) = call(
        srv.req(Method::PUT, &note)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(few),
    )
    .await;
    assert_eq!(s, 200);
    let (_, c) = srv
        .get(&format!(
            "/p1/companies/{company}/conversations/{conversation}"
        ))
        .await;
    assert_eq!(c["data"]["conversation"]["note"], "ok");
}

#[tokio::test]
async fn oversized_headers_are_refused() {
    let srv = TestServer::start().await;
    let response = srv
        .req(Method::GET, "/p1/companies")
        .header("X-Padding", "p".repeat(512 * 1024))
        .send()
        .await;
    match response {
        Ok(r) => assert!(r.status() == 431 || r.status() == 400, "{}", r.status()),
        Err(e) => panic!("the server should answer, not drop: {e}"),
    }
    assert_eq!(srv.get("/p1/companies").await.0, 200);
}

/// The Prometheus text of `/metrics`.
async fn metrics_text(srv: &TestServer) -> String {
    srv.http
        .get(srv.url("/metrics"))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text")
}

/// The value of the `confab_http_requests_total` series with all of `labels`, 0 if absent.
async fn requests_total(srv: &TestServer, labels: &[&str]) -> f64 {
    metrics_text(srv)
        .await
        .lines()
        .filter(|l| l.starts_with("confab_http_requests_total{"))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn request_counters_count_every_request_and_bound_the_method_label() {
    let srv = TestServer::start().await;
    let (company, _, _) = srv.fixture().await;
    // Unique to this test: the recorder is shared by every server in the process.
    let route = r#"route="/p1/companies/{company_id}/channels""#;
    let labels = [route, r#"method="GET""#, r#"status="200""#];
    let before = requests_total(&srv, &labels).await;
    for _ in 0..3 {
        let (status, _) = srv.get(&format!("/p1/companies/{company}/channels")).await;
        assert_eq!(status, 200);
    }
    let after = requests_total(&srv, &labels).await;
    assert!(after - before >= 3.0, "counted {before} then {after}");

    let brew = reqwest::Method::from_bytes(b"BREWCOFFEE").expect("method");
    let response = srv
        .http
        .request(brew, srv.url("/no-such-route"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 404);
    let text = metrics_text(&srv).await;
    assert!(!text.contains("BREWCOFFEE"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("confab_http_requests_total")
                && l.contains(r#"method="other""#)
                && l.contains(r#"route="unmatched""#)),
        "{text}"
    );
}
