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
            json!({"status": "ok", "database": "ok", "delivery_worker": "ok", "webhook_dispatcher": "ok"})
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
