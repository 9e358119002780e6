//! Two `confab serve` processes on one PostgreSQL database polling one bot: the bot is
//! polled by one node at a time, every message arrives once, and when the polling node is
//! killed the other takes over. Needs PostgreSQL, so ignored by a plain `cargo test`;
//! `scripts/test` runs it on its cluster.

use reqwest::Method;
use sqlx::Connection;

use super::*;
use crate::backend;
use crate::harness::process::{Serve, create_user, serve_with};

const CHAT: i64 = 7171;
/// The key both nodes share (the channel's token is sealed with it).
const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

async fn node(dir: &std::path::Path, shared: &[(&'static str, String)], api: &str) -> Serve {
    serve_with(
        dir,
        shared.to_vec(),
        &[
            "--telegram-api-url",
            api,
            "--secret-key",
            KEY,
            "--job-lease",
            "4s",
        ],
    )
    .await
}

/// Messages of the conversation with `CHAT`, read through `base`.
async fn texts(http: &reqwest::Client, base: &str, token: &str, company: i64) -> Vec<String> {
    let (_, list) = call(
        http.get(format!("{base}{}", list_path(company)))
            .header("X-Private-Api-Token", token),
    )
    .await;
    let Some(id) = list["data"]["conversations"]
        .as_array()
        .and_then(|l| l.first())
        .and_then(|c| c["external_id"].as_i64())
    else {
        return Vec::new();
    };
    let (_, messages) = call(
        http.get(format!("{base}{}?per=100", messages_path(company, id)))
            .header("X-Private-Api-Token", token),
    )
    .await;
    messages["data"]["messages"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|m| m["message"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/test runs it on its cluster"]
async fn two_nodes_poll_one_bot_once_and_take_over_from_a_dead_one() {
    assert!(
        backend::postgres_admin_url().is_some(),
        "needs CONFAB_TEST_DATABASE_URL; run it with scripts/test"
    );
    let fake = FakeTelegram::start().await.expect("fake");
    fake.add_bot(TOKEN, 123_456, "confab_test_bot");
    let dir = tempfile::tempdir().expect("dir");
    let first = dir.path().join("node0");
    let shared = backend::env_for(&first).await;
    let token = create_user(&first, "alice").await;
    let mut nodes = vec![
        node(&first, &shared, fake.base_url()).await,
        node(&dir.path().join("node1"), &shared, fake.base_url()).await,
    ];
    let http = reqwest::Client::new();
    let post = |base: &str, path: &str, form: &[(&str, &str)]| {
        http.request(Method::POST, format!("{base}{path}"))
            .header("X-Private-Api-Token", &token)
            .form(form)
    };
    let (status, body) = call(post(&nodes[0].base, "/p1/companies", &[("name", "Shop")])).await;
    assert_eq!(status, 200, "{body}");
    let company = body["data"]["external_id"].as_i64().expect("company");
    let (status, body) = call(post(
        &nodes[1].base,
        &format!("/p1/companies/{company}/channels"),
        &[("provider", "telegram"), ("token", TOKEN)],
    ))
    .await;
    assert_eq!(status, 200, "{body}");

    let customer = Customer::new(CHAT, "Ann");
    let mut sent = Vec::new();
    for i in 0..20 {
        let text = format!("m{i}");
        fake.customer_sends(TOKEN, &customer, Content::text(&text))
            .expect("send");
        sent.push(text);
    }
    let base = nodes[0].base.clone();
    let got = eventually("20 messages arrive", || async {
        let got = texts(&http, &base, &token, company).await;
        (got.len() >= 20).then_some(got)
    })
    .await;
    assert_eq!(got, sent, "each once, in order");
    assert_eq!(
        fake.max_concurrent_get_updates(TOKEN),
        1,
        "one poller at a time"
    );
    assert_eq!(fake.get_updates_conflicts(TOKEN), 0);

    // Kill the node that polls: the other takes over once the lease runs out.
    let url = backend::location_for(&first)
        .await
        .database_url
        .expect("a database");
    let mut db = sqlx::PgConnection::connect(&url).await.expect("connect");
    let holder: Option<String> = sqlx::query_scalar("SELECT poll_holder FROM channels")
        .fetch_one(&mut db)
        .await
        .expect("holder");
    let holder = holder.expect("a node holds the poll lease");
    let dirs = [first.clone(), dir.path().join("node1")];
    let polling = dirs
        .iter()
        .position(|d| std::fs::read_to_string(d.join("node.id")).ok().as_deref() == Some(&holder))
        .expect("the holder is one of the nodes");
    let polls_before = fake.calls(TOKEN, "getUpdates");
    nodes[polling].child.start_kill().ok();
    let _ = nodes[polling].child.wait().await;
    let survivor = nodes[1 - polling].base.clone();
    for i in 20..25 {
        let text = format!("m{i}");
        fake.customer_sends(TOKEN, &customer, Content::text(&text))
            .expect("send");
        sent.push(text);
    }
    let got = eventually("the survivor receives the rest", || async {
        let got = texts(&http, &survivor, &token, company).await;
        (got.len() >= 25).then_some(got)
    })
    .await;
    assert_eq!(got, sent, "nothing lost or repeated across the takeover");
    assert!(fake.calls(TOKEN, "getUpdates") > polls_before);
    for node in &mut nodes {
        node.child.start_kill().ok();
    }
}
