//! Teams: roles on every company route (a table of route × role, which must cover every
//! documented route, so a new route without a rule fails here), the members API, and what
//! removing a member does at once (their token, their open stream, their assignments).

use std::time::Duration;

use confab_store::Role;
use reqwest::Method;
use serde_json::Value;

use crate::harness::*;

/// Every company route and the role it needs. Agents read and work conversations; the
/// rest (company settings, webhooks, channels, the sandbox, managing members) is admin.
const ROLES: &[(&str, &str, Role)] = &[
    ("GET", "/p1/companies/{company_id}", Role::Admin),
    ("PUT", "/p1/companies/{company_id}", Role::Admin),
    (
        "POST",
        "/p1/companies/{company_id}/webhook_secret/rotate",
        Role::Admin,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/webhook_deliveries",
        Role::Admin,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/webhook_deliveries/{delivery_id}/resend",
        Role::Admin,
    ),
    ("GET", "/p1/companies/{company_id}/channels", Role::Agent),
    ("POST", "/p1/companies/{company_id}/channels", Role::Admin),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}",
        Role::Admin,
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/channels/{channel_id}",
        Role::Admin,
    ),
    (
        "DELETE",
        "/p1/companies/{company_id}/channels/{channel_id}",
        Role::Admin,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/jobs/{job_id}",
        Role::Agent,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/user_exists",
        Role::Agent,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/conversations",
        Role::Agent,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/inbound",
        Role::Admin,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/contacts",
        Role::Admin,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/events",
        Role::Admin,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/waba_templates",
        Role::Admin,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/waba_templates",
        Role::Agent,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/waba_templates/sync",
        Role::Admin,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/conversations",
        Role::Agent,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/meta",
        Role::Agent,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations",
        Role::Agent,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/{conversation_id}",
        Role::Agent,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages",
        Role::Agent,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages",
        Role::Agent,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/message",
        Role::Agent,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages/attachments",
        Role::Agent,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/{conversation_id}/attachments/{attachment_id}",
        Role::Agent,
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/conversations/{conversation_id}/note",
        Role::Agent,
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/conversations/{conversation_id}/assign",
        Role::Agent,
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/conversations/{conversation_id}/toggle_bitrix_block_openlines",
        Role::Agent,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/sandbox/read",
        Role::Admin,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/request_code",
        Role::Admin,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/confirm",
        Role::Admin,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
        Role::Admin,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
        Role::Admin,
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/channels/{channel_id}/enable_page_instagram",
        Role::Admin,
    ),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/code",
        Role::Admin,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/sandbox/password",
        Role::Admin,
    ),
    (
        "POST",
        "/p1/companies/{company_id}/service_messages",
        Role::Admin,
    ),
    ("GET", "/p1/companies/{company_id}/events", Role::Agent),
    ("GET", "/p1/companies/{company_id}/members", Role::Agent),
    ("POST", "/p1/companies/{company_id}/members", Role::Admin),
    (
        "PUT",
        "/p1/companies/{company_id}/members/{user_id}",
        Role::Admin,
    ),
    (
        "DELETE",
        "/p1/companies/{company_id}/members/{user_id}",
        Role::Admin,
    ),
];

#[test]
fn the_role_table_covers_every_documented_company_route() {
    let mut documented: Vec<(String, String)> = confab_server::http::openapi::documented_routes()
        .into_iter()
        .filter(|(_, path)| path.contains("{company_id}"))
        .map(|(method, path)| (method.to_string(), path))
        .collect();
    documented.sort();
    let mut table: Vec<(String, String)> = ROLES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    table.sort();
    assert_eq!(
        table, documented,
        "a company route without a role rule here"
    );
}

/// A company with a conversation, a sent message (its job), an attachment, a webhook
/// delivery, an agent and a second agent to aim member routes at.
struct Team {
    company: i64,
    channel: i64,
    conversation: i64,
    job: i64,
    attachment: i64,
    agent: (i64, String),
    colleague: (i64, String),
}

async fn add_member(srv: &TestServer, company: i64, user_id: i64, role: &str) -> Value {
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/members"),
            &[("user_id", &user_id.to_string()), ("role", role)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

async fn team(srv: &TestServer) -> Team {
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let (conversation, _) = srv.inbound(company, channel, "79990000001", "Hi").await;
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations/{conversation}/messages"),
            &[("message", "Hello")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let job = b["data"]["job_id"]
        .as_i64()
        .or_else(|| b["data"]["job"]["external_id"].as_i64())
        .unwrap_or(1);
    let attachment = srv.upload(company, conversation, "a.txt", b"hello").await;
    let agent = srv.new_user("agent").await;
    let colleague = srv.new_user("colleague").await;
    add_member(srv, company, agent.0, "agent").await;
    add_member(srv, company, colleague.0, "agent").await;
    Team {
        company,
        channel,
        conversation,
        job,
        attachment,
        agent,
        colleague,
    }
}

fn fill(route: &str, t: &Team) -> String {
    route
        .replace("{company_id}", &t.company.to_string())
        .replace("{channel_id}", &t.channel.to_string())
        .replace("{conversation_id}", &t.conversation.to_string())
        .replace("{job_id}", &t.job.to_string())
        .replace("{attachment_id}", &t.attachment.to_string())
        .replace("{delivery_id}", "1")
        .replace("{user_id}", &t.colleague.0.to_string())
}

async fn call_as(
    srv: &TestServer,
    token: &str,
    method: &str,
    path: &str,
    t: &Team,
) -> (u16, Value) {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let colleague = t.colleague.0.to_string();
    let agent = t.agent.0.to_string();
    let form = [
        ("message", "hi"),
        ("text", "hi"),
        ("note", "n"),
        ("phone", "79990000002"),
        ("provider", "whatsapp"),
        ("sender_external_id", "79990000003"),
        ("role", "agent"),
        ("user_id", colleague.as_str()),
        ("assignee_id", agent.as_str()),
    ];
    let request = if method == Method::GET || method == Method::DELETE {
        srv.req_as(token, method, path)
    } else {
        srv.req_as(token, method, path).form(&form)
    };
    call(request).await
}

#[tokio::test]
async fn agents_work_conversations_and_only_admins_manage() {
    let srv = TestServer::start().await;
    let t = team(&srv).await;
    for (method, route, role) in ROLES {
        let path = fill(route, &t);
        let (s, b) = call_as(&srv, &t.agent.1, method, &path, &t).await;
        match role {
            Role::Admin => {
                assert_eq!(s, 403, "agent: {method} {route}: {b}");
                let text = b.to_string();
                assert!(text.contains("admin"), "the 403 names the role: {text}");
            }
            Role::Agent => assert!(
                ![401, 403, 404].contains(&s),
                "agent: {method} {route}: {s} {b}"
            ),
        }
    }
    // The admin may call everything (deletes last: they remove what others use).
    let (deletes, others): (Vec<_>, Vec<_>) = ROLES.iter().partition(|(m, _, _)| *m == "DELETE");
    for (method, route, _) in others.into_iter().chain(deletes) {
        let path = fill(route, &t);
        let (s, b) = call_as(&srv, &srv.token, method, &path, &t).await;
        assert!(![401, 403].contains(&s), "admin: {method} {route}: {s} {b}");
    }
}

#[tokio::test]
async fn members_are_listed_rerolled_and_the_last_admin_stays() {
    let srv = TestServer::start().await;
    let t = team(&srv).await;
    let members = format!("/p1/companies/{}/members", t.company);
    let (s, b) = srv.get(&members).await;
    assert_eq!(s, 200, "{b}");
    let listed: Vec<(i64, String)> = b["data"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["user_id"].as_i64().expect("id"),
                m["role"].as_str().expect("role").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (srv.user_id, "admin".to_owned()),
            (t.agent.0, "agent".to_owned()),
            (t.colleague.0, "agent".to_owned())
        ]
    );
    assert!(
        !b.to_string().contains(&t.agent.1),
        "no token is ever listed"
    );
    // An agent sees the team too (the assignee picker needs it).
    let (s, _) = call(srv.req_as(&t.agent.1, Method::GET, &members)).await;
    assert_eq!(s, 200);
    // Bad input names the parameter; a second add is a conflict.
    for (form, name) in [
        (vec![("role", "agent")], "user_id"),
        (vec![("user_id", "abc"), ("role", "agent")], "user_id"),
        (vec![("user_id", "1")], "role"),
        (vec![("user_id", "1"), ("role", "owner")], "role"),
    ] {
        let (s, b) = srv.form(Method::POST, &members, &form).await;
        assert_eq!(s, 400, "{form:?}: {b}");
        assert!(b.to_string().contains(name), "{form:?} names {name}: {b}");
    }
    let agent_id = t.agent.0.to_string();
    let (s, b) = srv
        .form(
            Method::POST,
            &members,
            &[("user_id", &agent_id), ("role", "admin")],
        )
        .await;
    assert_eq!(s, 400, "{b}");
    let (s, _) = srv
        .form(
            Method::POST,
            &members,
            &[("user_id", "9999"), ("role", "agent")],
        )
        .await;
    assert_eq!(s, 404);
    // The creator cannot leave or step down while the only admin.
    let me = format!("{members}/{}", srv.user_id);
    let (s, b) = srv.form(Method::PUT, &me, &[("role", "agent")]).await;
    assert_eq!(s, 409, "{b}");
    assert!(b.to_string().contains("last admin"), "{b}");
    let (s, _) = call(srv.req(Method::DELETE, &me)).await;
    assert_eq!(s, 409);
    // Promoted, the agent may manage; then the creator may step down.
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("{members}/{}", t.agent.0),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(
        (s, b["data"]["member"]["role"].as_str()),
        (200, Some("admin"))
    );
    let (s, _) = call(srv.req_as(
        &t.agent.1,
        Method::GET,
        &format!("/p1/companies/{}", t.company),
    ))
    .await;
    assert_eq!(s, 200, "a promoted agent manages the company");
    let (s, _) = srv.form(Method::PUT, &me, &[("role", "agent")]).await;
    assert_eq!(s, 200);
    let (s, _) = srv.get(&format!("/p1/companies/{}", t.company)).await;
    assert_eq!(s, 403, "the creator is an agent now");
}

#[tokio::test]
async fn a_removed_member_loses_the_company_at_once() {
    let srv = TestServer::start().await;
    let t = team(&srv).await;
    let conversation = format!(
        "/p1/companies/{}/conversations/{}",
        t.company, t.conversation
    );
    // Two members see the same conversations, and each other's assignments.
    let agent_id = t.agent.0.to_string();
    let (s, b) = call(
        srv.req_as(
            &t.colleague.1,
            Method::PUT,
            &format!("{conversation}/assign"),
        )
        .form(&[("assignee_id", agent_id.as_str())]),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(srv.req_as(&t.agent.1, Method::GET, &conversation)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["data"]["conversation"]["assignee_id"].as_i64(),
        Some(t.agent.0),
        "{b}"
    );
    // Assigning to someone outside the company is refused, naming the parameter.
    let (outsider, _) = srv.new_user("outsider").await;
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("{conversation}/assign"),
            &[("assignee_id", &outsider.to_string())],
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(b.to_string().contains("assignee_id"), "{b}");

    // The agent follows the company's events when they are removed.
    let events = format!("/p1/companies/{}/events", t.company);
    let mut stream = SseStream::open(srv.req_as(&t.agent.1, Method::GET, &events))
        .await
        .expect("the agent's stream");
    let (s, b) = call(srv.req(
        Method::DELETE,
        &format!("/p1/companies/{}/members/{}", t.company, t.agent.0),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["member"]["user_id"].as_i64(), Some(t.agent.0));
    // At once: their token no longer reaches the company (the same 404 as a stranger's).
    let (s, _) = call(srv.req_as(&t.agent.1, Method::GET, &conversation)).await;
    assert_eq!(s, 404);
    // Their conversation is unassigned, and announced.
    let (_, b) = srv.get(&conversation).await;
    assert_eq!(b["data"]["conversation"]["assignee_id"], Value::Null, "{b}");
    // Their open stream ends (it checks membership every 10 s).
    assert!(
        stream.ends_within(Duration::from_secs(20)).await,
        "the removed member's stream ended"
    );
}
