//! The list's filters (`assignee_id`, `channel_id`, `awaiting_reply`), search (`q`),
//! `order=last_message` with its paging both ways, and `GET .../conversations/meta`.

use std::sync::Arc;
use std::time::Duration;

use confab_server::clock::ManualClock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

/// `GET .../conversations` with `query` (percent-encoded).
async fn list(srv: &TestServer, company: i64, query: &[(&str, &str)]) -> (u16, Value) {
    call(srv.req(Method::GET, &list_path(company)).query(query)).await
}

/// The ids of a list that must be a 200.
async fn found(srv: &TestServer, company: i64, query: &[(&str, &str)]) -> Vec<i64> {
    let (s, b) = list(srv, company, query).await;
    assert_eq!(s, 200, "{query:?}: {b}");
    ids(&b)
}

/// `data` of `GET .../conversations/meta` with `query`, which must be a 200.
async fn meta(srv: &TestServer, company: i64, query: &[(&str, &str)]) -> Value {
    let path = format!("{}/meta", list_path(company));
    let (s, b) = call(srv.req(Method::GET, &path).query(query)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "ok", "{b}");
    b["data"].clone()
}

/// A customer writes through the sandbox with a contact name; returns the conversation.
async fn writes(
    srv: &TestServer,
    company: i64,
    channel: i64,
    who: (&str, &str),
    text: &str,
) -> i64 {
    let (status, body) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
            &[
                ("sender_external_id", who.0),
                ("name", who.1),
                ("message", text),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["conversation_id"]
        .as_i64()
        .expect("conversation_id")
}

async fn reply(srv: &TestServer, company: i64, conversation: i64, text: &str) {
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/conversations/{conversation}/messages"),
            &[("message", text)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn assign(srv: &TestServer, company: i64, conversation: i64, user: i64) {
    let (s, b) = srv
        .form(
            Method::PUT,
            &format!("/p1/companies/{company}/conversations/{conversation}/assign"),
            &[("assignee_id", user.to_string().as_str())],
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

/// A company with two channels and three customers, a second tick apart:
/// Ivan (Cyrillic, waits, assigned to the caller), Jane (answered, unassigned) and, on the
/// telegram channel, Bob (waits, assigned to another member).
struct Inbox {
    srv: TestServer,
    clock: ManualClock,
    company: i64,
    whatsapp: i64,
    telegram: i64,
    ivan: i64,
    jane: i64,
    bob: i64,
    other_user: i64,
    other_token: String,
}

async fn inbox() -> Inbox {
    let clock = ManualClock::new();
    let srv = TestServer::start_with_clock(|_| {}, Arc::new(clock.clone())).await;
    let company = srv.company("Acme").await;
    let whatsapp = srv.channel(company, "whatsapp").await;
    let telegram = srv.channel(company, "telegram").await;
    let tick = || clock.advance(Duration::from_secs(1));
    let ivan = writes(
        &srv,
        company,
        whatsapp,
        ("79260000001", "Иван Петров"),
        "Привет! Когда доставка?",
    )
    .await;
    tick();
    let jane = writes(
        &srv,
        company,
        whatsapp,
        ("79260000002", "Jane Doe"),
        "Hello, where is my ORDER?",
    )
    .await;
    tick();
    let bob = writes(
        &srv,
        company,
        telegram,
        ("5550001", "Bob"),
        "AND( \"x\" NEAR",
    )
    .await;
    tick();
    reply(&srv, company, jane, "Ваш заказ в пути").await;
    let (other_user, other_token) = srv.new_user("Olga").await;
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/members"),
            &[
                ("user_id", other_user.to_string().as_str()),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assign(&srv, company, ivan, srv.user_id).await;
    assign(&srv, company, bob, other_user).await;
    Inbox {
        srv,
        clock,
        company,
        whatsapp,
        telegram,
        ivan,
        jane,
        bob,
        other_user,
        other_token,
    }
}

#[tokio::test]
async fn filters_each_and_together() {
    let t = inbox().await;
    let (srv, c) = (&t.srv, t.company);
    let me = srv.user_id.to_string();
    let other = t.other_user.to_string();
    let whatsapp = t.whatsapp.to_string();
    let telegram = t.telegram.to_string();
    assert_eq!(found(srv, c, &[]).await, [t.ivan, t.jane, t.bob]);
    assert_eq!(found(srv, c, &[("assignee_id", &me)]).await, [t.ivan]);
    assert_eq!(found(srv, c, &[("assignee_id", &other)]).await, [t.bob]);
    assert_eq!(found(srv, c, &[("assignee_id", "none")]).await, [t.jane]);
    assert_eq!(found(srv, c, &[("assignee_id", "NONE")]).await, [t.jane]);
    assert_eq!(found(srv, c, &[("channel_id", &telegram)]).await, [t.bob]);
    assert_eq!(
        found(srv, c, &[("channel_id", &whatsapp)]).await,
        [t.ivan, t.jane]
    );
    assert_eq!(
        found(srv, c, &[("awaiting_reply", "true")]).await,
        [t.ivan, t.bob]
    );
    assert_eq!(
        found(srv, c, &[("awaiting_reply", "1")]).await,
        [t.ivan, t.bob]
    );
    // false is no filter, not its opposite.
    assert_eq!(
        found(srv, c, &[("awaiting_reply", "false")]).await,
        [t.ivan, t.jane, t.bob]
    );
    // AND.
    let together = [
        ("assignee_id", me.as_str()),
        ("channel_id", whatsapp.as_str()),
        ("awaiting_reply", "true"),
        ("q", "привет"),
    ];
    assert_eq!(found(srv, c, &together).await, [t.ivan]);
    assert!(
        found(
            srv,
            c,
            &[("assignee_id", "none"), ("awaiting_reply", "true")]
        )
        .await
        .is_empty()
    );
    // Well-formed ids that match nothing are an empty list, whoever they belong to.
    assert!(found(srv, c, &[("assignee_id", "999999")]).await.is_empty());
    assert!(found(srv, c, &[("channel_id", "999999")]).await.is_empty());
    // Filters come in a JSON body too, as every parameter does.
    let (s, b) = srv
        .json(
            Method::GET,
            &list_path(c),
            json!({"assignee_id": srv.user_id, "awaiting_reply": true}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), [t.ivan]);
}

#[tokio::test]
async fn search_by_contact_and_text() {
    let t = inbox().await;
    let (srv, c) = (&t.srv, t.company);
    for (q, want) in [
        ("привет", vec![t.ivan]),
        ("ПРИВЕТ", vec![t.ivan]),
        ("Привет", vec![t.ivan]),
        ("доставк", vec![t.ivan]),
        ("иван", vec![t.ivan]),
        ("петров", vec![t.ivan]),
        ("order", vec![t.jane]),
        ("Hello ORDER", vec![t.jane]),
        ("заказ", vec![t.jane]),
        ("jane", vec![t.jane]),
        ("7926", vec![t.ivan, t.jane]),
        ("+7 926 000-00-02", vec![t.jane]),
        ("0000001", vec![t.ivan]),
        ("bob", vec![t.bob]),
        ("AND(", vec![t.bob]),
        ("\"x\" NEAR", vec![t.bob]),
        ("nothing-like-this", vec![]),
        ("", vec![t.ivan, t.jane, t.bob]),
    ] {
        assert_eq!(found(srv, c, &[("q", q)]).await, want, "q={q}");
    }
    for bad in ["\"", "(*)", "  :  "] {
        let (s, b) = list(srv, c, &[("q", bad)]).await;
        assert_param_error(s, &b, 400, "q");
    }
    let long = "a".repeat(256);
    let (s, b) = list(srv, c, &[("q", &long)]).await;
    assert_param_error(s, &b, 400, "q");
    // Another company finds nothing of this one.
    let elsewhere = srv.company("Other").await;
    assert!(found(srv, elsewhere, &[("q", "привет")]).await.is_empty());
}

#[tokio::test]
async fn last_message_order_pages_both_ways() {
    let t = inbox().await;
    let (srv, c) = (&t.srv, t.company);
    // Jane's reply was the last activity; then Ivan writes again and leads.
    assert_eq!(
        found(srv, c, &[("order", "last_message")]).await,
        [t.jane, t.bob, t.ivan]
    );
    t.clock.advance(Duration::from_secs(1));
    writes(
        srv,
        c,
        t.whatsapp,
        ("79260000001", "Иван Петров"),
        "Ещё вопрос",
    )
    .await;
    let newest_first = vec![t.ivan, t.jane, t.bob];
    let oldest_first: Vec<i64> = newest_first.iter().rev().copied().collect();
    assert_eq!(
        found(srv, c, &[("order", "last_message")]).await,
        newest_first
    );
    let (_, explicit) = list(
        srv,
        c,
        &[("order", "last_message"), ("sort_direction", "desc")],
    )
    .await;
    assert_eq!(ids(&explicit), newest_first);
    for (direction, want) in [("desc", &newest_first), ("asc", &oldest_first)] {
        let mut seen = Vec::new();
        let mut from: Option<String> = None;
        loop {
            let mut query = vec![
                ("order", "last_message"),
                ("per", "1"),
                ("sort_direction", direction),
            ];
            if let Some(token) = &from {
                query.push(("from", token));
            }
            let (s, b) = list(srv, c, &query).await;
            assert_eq!(s, 200, "{b}");
            seen.extend(ids(&b));
            match b["data"]["next_page"].as_str() {
                Some(token) => from = Some(token.to_owned()),
                None => break,
            }
            assert!(seen.len() <= 3, "{seen:?}");
        }
        assert_eq!(&seen, want, "{direction}");
    }
    // Paging under a filter: the same token continues the same list.
    let (_, first) = list(
        srv,
        c,
        &[
            ("order", "last_message"),
            ("awaiting_reply", "true"),
            ("per", "1"),
        ],
    )
    .await;
    assert_eq!(ids(&first), [t.ivan]);
    let token = first["data"]["next_page"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, second) = list(
        srv,
        c,
        &[
            ("order", "last_message"),
            ("awaiting_reply", "true"),
            ("per", "1"),
            ("from", &token),
        ],
    )
    .await;
    assert_eq!(ids(&second), [t.bob]);
    assert_eq!(second["data"]["next_page"], Value::Null);
    // A token of one list is not valid for another (another order, another filter, the
    // plain list): that list's first page, by the Pact rule for tokens that are not valid.
    for other in [
        vec![("per", "1"), ("from", token.as_str())],
        vec![
            ("order", "last_message"),
            ("per", "1"),
            ("from", token.as_str()),
        ],
        vec![
            ("awaiting_reply", "true"),
            ("per", "1"),
            ("from", token.as_str()),
        ],
    ] {
        let (_, b) = list(srv, c, &other).await;
        let (_, fresh) = list(srv, c, &other[..other.len() - 1]).await;
        assert_eq!(ids(&b), ids(&fresh), "{other:?}");
    }
}

#[tokio::test]
async fn malformed_filters_name_their_parameter() {
    let t = inbox().await;
    let (srv, c) = (&t.srv, t.company);
    for (name, bad) in [
        ("assignee_id", "abc"),
        ("assignee_id", "1.5"),
        ("assignee_id", "me"),
        ("channel_id", "abc"),
        ("channel_id", "1e3"),
        ("awaiting_reply", "maybe"),
        ("order", "foo"),
        ("order", "last_message_at"),
    ] {
        let (s, b) = list(srv, c, &[(name, bad)]).await;
        assert_param_error(s, &b, 400, name);
    }
    let path = format!("{}/meta", list_path(c));
    let (s, b) = call(srv.req(Method::GET, &path).query(&[("channel_id", "x")])).await;
    assert_param_error(s, &b, 400, "channel_id");
}

#[tokio::test]
async fn meta_counts_each_tab() {
    let t = inbox().await;
    let (srv, c) = (&t.srv, t.company);
    assert_eq!(
        meta(srv, c, &[]).await,
        json!({"mine": 1, "unassigned": 1, "all": 3, "awaiting_reply": 2})
    );
    let telegram = t.telegram.to_string();
    assert_eq!(
        meta(srv, c, &[("channel_id", &telegram)]).await,
        json!({"mine": 0, "unassigned": 0, "all": 1, "awaiting_reply": 1})
    );
    // "mine" is the caller's.
    let path = format!("{}/meta", list_path(c));
    let (s, b) = call(srv.req_as(&t.other_token, Method::GET, &path)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["data"],
        json!({"mine": 1, "unassigned": 1, "all": 3, "awaiting_reply": 2})
    );
    reply(srv, c, t.ivan, "Отвечаю").await;
    assert_eq!(
        meta(srv, c, &[]).await,
        json!({"mine": 1, "unassigned": 1, "all": 3, "awaiting_reply": 1})
    );
    let empty = srv.company("Empty").await;
    assert_eq!(
        meta(srv, empty, &[]).await,
        json!({"mine": 0, "unassigned": 0, "all": 0, "awaiting_reply": 0})
    );
}
