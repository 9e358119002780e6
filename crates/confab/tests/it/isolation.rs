//! The isolation matrix: two tenants with everything a tenant can have, and for every
//! tenant-addressed route, every id of the other tenant. Each answer must be a 403/404
//! that leaks nothing, and nothing of the other tenant may change.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

/// Every route that names a company, as (method, path template). `all_routes_are_covered`
/// keeps this list equal to what the server routes.
pub const TENANT_ROUTES: &[(&str, &str)] = &[
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/request_code",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/confirm",
    ),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
    ),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/code",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/password",
    ),
    ("POST", "/p1/companies/{company_id}/service_messages"),
    ("GET", "/p1/companies/{company_id}"),
    ("PUT", "/p1/companies/{company_id}"),
    ("POST", "/p1/companies/{company_id}/webhook_secret/rotate"),
    ("GET", "/p1/companies/{company_id}/channels"),
    ("POST", "/p1/companies/{company_id}/channels"),
    ("PUT", "/p1/companies/{company_id}/channels/{channel_id}"),
    ("DELETE", "/p1/companies/{company_id}/channels/{channel_id}"),
    ("POST", "/p1/companies/{company_id}/channels/{channel_id}"),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/conversations",
    ),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/jobs/{job_id}",
    ),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/user_exists",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/inbound",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/contacts",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/events",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/waba_templates",
    ),
    ("GET", "/p1/companies/{company_id}/waba_templates"),
    ("POST", "/p1/companies/{company_id}/waba_templates/sync"),
    ("GET", "/p1/companies/{company_id}/conversations"),
    ("POST", "/p1/companies/{company_id}/conversations"),
    ("GET", "/p1/companies/{company_id}/conversations/meta"),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/{conversation_id}",
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/conversations/{conversation_id}/note",
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/conversations/{conversation_id}/assign",
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/conversations/{conversation_id}/toggle_bitrix_block_openlines",
    ),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/message",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages/attachments",
    ),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/{conversation_id}/attachments/{attachment_id}",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/sandbox/read",
    ),
    ("GET", "/p1/companies/{company_id}/webhook_deliveries"),
    (
        "POST",
        "/p1/companies/{company_id}/webhook_deliveries/{delivery_id}/resend",
    ),
    ("GET", "/p1/companies/{company_id}/events"),
    ("GET", "/p1/companies/{company_id}/members"),
    ("POST", "/p1/companies/{company_id}/members"),
    ("PUT", "/p1/companies/{company_id}/members/{user_id}"),
    ("DELETE", "/p1/companies/{company_id}/members/{user_id}"),
];

/// Everything one tenant has, and the strings that must never reach the other.
struct Tenant {
    token: String,
    user_id: i64,
    company: i64,
    channel: i64,
    conversation: i64,
    attachment: i64,
    job: i64,
    message: i64,
    delivery: i64,
    secrets: Vec<String>,
}

async fn tenant(
    srv: &TestServer,
    (user_id, token): (i64, &str),
    tag: &str,
    rx: &Receiver,
) -> Tenant {
    let as_user = |method: Method, path: String| srv.req_as(token, method, &path);
    let name = format!("{tag} Secret Holdings");
    let (_, b) = call(as_user(Method::POST, "/p1/companies".into()).form(&[
        ("name", name.as_str()),
        ("phone", "79990001111"),
        ("webhook_url", rx.url.as_str()),
    ]))
    .await;
    let company = b["data"]["external_id"].as_i64().expect("company");
    let (_, b) = call(
        as_user(Method::POST, format!("/p1/companies/{company}/channels"))
            .form(&[("provider", "whatsapp")]),
    )
    .await;
    let channel = b["data"]["external_id"].as_i64().expect("channel");
    let text = format!("{tag} private words");
    let (_, b) = call(
        as_user(
            Method::POST,
            format!("/p1/companies/{company}/conversations"),
        )
        .form(&[
            ("provider", "whatsapp"),
            ("phone", "79991112233"),
            ("text", text.as_str()),
        ]),
    )
    .await;
    let conversation = b["data"]["conversation"]["external_id"]
        .as_i64()
        .expect("conversation");
    let note = format!("{tag} private note");
    call(
        as_user(
            Method::PUT,
            format!("/p1/companies/{company}/conversations/{conversation}/note"),
        )
        .form(&[("note", note.as_str())]),
    )
    .await;
    let part = reqwest::multipart::Part::bytes(format!("{tag} file bytes").into_bytes())
        .file_name("private.txt");
    let (_, b) = call(
        as_user(
            Method::POST,
            format!("/p1/companies/{company}/conversations/{conversation}/messages/attachments"),
        )
        .multipart(reqwest::multipart::Form::new().part("file", part)),
    )
    .await;
    let attachment = b["data"]["external_id"].as_i64().expect("attachment");
    let (_, b) = call(
        as_user(
            Method::POST,
            format!("/p1/companies/{company}/conversations/{conversation}/messages"),
        )
        .json(&json!({"message": text, "attachments_ids": [attachment]})),
    )
    .await;
    let job = b["data"]["id"].as_i64().expect("job");
    let (_, b) = call(as_user(
        Method::GET,
        format!("/p1/companies/{company}/conversations/{conversation}/messages"),
    ))
    .await;
    let message = b["data"]["messages"][0]["external_id"]
        .as_i64()
        .expect("message");
    srv.settle_deliveries(company, conversation).await;
    let (_, b) = call(as_user(Method::GET, format!("/p1/companies/{company}"))).await;
    let secret = b["data"]["company"]["webhook_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let (_, b) = call(as_user(
        Method::GET,
        format!("/p1/companies/{company}/webhook_deliveries"),
    ))
    .await;
    let delivery = b["data"]["webhook_deliveries"][0]["id"]
        .as_i64()
        .expect("delivery");
    Tenant {
        token: token.to_owned(),
        user_id,
        company,
        channel,
        conversation,
        attachment,
        job,
        message,
        delivery,
        secrets: vec![
            name,
            text,
            note,
            format!("{tag} file bytes"),
            secret,
            "79991112233".into(),
            "79990001111".into(),
        ],
    }
}

/// What the tenant can read of itself: compared before and after the other's attempts.
async fn snapshot(srv: &TestServer, t: &Tenant) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        format!("/p1/companies/{}", t.company),
        format!("/p1/companies/{}/channels", t.company),
        format!("/p1/companies/{}/conversations", t.company),
        format!(
            "/p1/companies/{}/conversations/{}/messages",
            t.company, t.conversation
        ),
        format!(
            "/p1/companies/{}/channels/{}/jobs/{}",
            t.company, t.channel, t.job
        ),
        format!("/p1/companies/{}/members", t.company),
    ] {
        out.push(call(srv.req_as(&t.token, Method::GET, &path)).await.1);
    }
    // The delivery log grows by itself as events go out; its ids and events must not.
    let (_, log) = call(srv.req_as(
        &t.token,
        Method::GET,
        &format!("/p1/companies/{}/webhook_deliveries?per=100", t.company),
    ))
    .await;
    out.push(json!(
        log["data"]["webhook_deliveries"]
            .as_array()
            .expect("log")
            .iter()
            .map(|d| (d["id"].clone(), d["event"].clone()))
            .collect::<Vec<_>>()
    ));
    out
}

fn fill(template: &str, company: i64, other: &Tenant) -> String {
    template
        .replace("{company_id}", &company.to_string())
        .replace("{channel_id}", &other.channel.to_string())
        .replace("{conversation_id}", &other.conversation.to_string())
        .replace("{job_id}", &other.job.to_string())
        .replace("{attachment_id}", &other.attachment.to_string())
        .replace("{delivery_id}", &other.delivery.to_string())
        .replace("{user_id}", &other.user_id.to_string())
}

#[tokio::test]
async fn no_tenant_reaches_another() {
    let srv = TestServer::start_with(|c| c.allow_private_urls = true).await;
    let rx = Receiver::start().await;
    let (bob, bob_token) = srv.new_user("bob").await;
    let a = tenant(&srv, (srv.user_id, &srv.token), "Alpha", &rx).await;
    let b = tenant(&srv, (bob, &bob_token), "Bravo", &rx).await;
    let before = snapshot(&srv, &a).await;
    // A body that would change A's things if a route let B through.
    let hostile = json!({
        "name": "pwned", "note": "pwned", "message": "pwned", "text": "pwned", "enabled": false,
        "assignee_id": 1, "provider": "viber", "phone": "79000000000", "token": "pwned",
        "sender_external_id": "79991112233", "event": "disabled", "reachable": false,
        "message_id": a.message, "file_url": "http://127.0.0.1:1/x", "hidden": true,
        "user_id": b.user_id, "role": "admin",
    });
    let mut tried = 0;
    for (method, template) in TENANT_ROUTES {
        // B with A's company (and A's ids); B's own company with A's ids.
        let mut paths = vec![fill(template, a.company, &a)];
        if template.matches('{').count() > 1 {
            paths.push(fill(template, b.company, &a));
        }
        for path in paths {
            for with_query_token in [false, true] {
                let method = Method::from_bytes(method.as_bytes()).expect("method");
                let request = if with_query_token {
                    srv.http.request(
                        method.clone(),
                        srv.url(&format!("{path}?private_api_token={}", b.token)),
                    )
                } else {
                    srv.req_as(&b.token, method.clone(), &path)
                };
                let response = request.json(&hostile).send().await.expect("send");
                let status = response.status().as_u16();
                let body = response.text().await.expect("body");
                tried += 1;
                assert!(
                    status == 404 || status == 403,
                    "{method} {path}: {status} {body}"
                );
                for secret in &a.secrets {
                    assert!(
                        !body.contains(secret.as_str()),
                        "{method} {path} leaks {secret:?}: {body}"
                    );
                }
                for id in [a.conversation, a.attachment, a.job, a.message] {
                    assert!(
                        !body.contains(&format!(":{id}")),
                        "{method} {path} names an id: {body}"
                    );
                }
            }
        }
    }
    assert!(tried >= 2 * TENANT_ROUTES.len());
    assert_eq!(snapshot(&srv, &a).await, before, "A's data changed");
    assert!(
        rx.received()
            .iter()
            .all(|r| !r.body.windows(5).any(|w| w == b"pwned")),
        "a hostile write produced an event"
    );
}

#[test]
fn all_routes_are_covered() {
    // Every documented route that names a company is in the matrix, and nothing else is.
    let mut documented: Vec<(String, String)> = confab_server::http::openapi::documented_routes()
        .into_iter()
        .filter(|(_, path)| path.contains("{company_id}"))
        .map(|(method, path)| (method.to_string(), path))
        .collect();
    documented.sort();
    let mut matrix: Vec<(String, String)> = TENANT_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    matrix.sort();
    assert_eq!(
        matrix, documented,
        "the isolation matrix and the served routes differ"
    );
}
