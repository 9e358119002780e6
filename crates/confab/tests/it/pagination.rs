//! Keyset pagination: walks over more than 100 items in both directions, and the tokens.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

/// Walks a list to the end; returns every id in order and how many pages it took.
async fn walk(srv: &TestServer, path: &str, key: &str, query: &str) -> (Vec<i64>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut from: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &from {
            Some(token) => format!("{path}{sep}{query}&from={token}"),
            None => format!("{path}{sep}{query}"),
        };
        let (status, body) = srv.get(&url).await;
        assert_eq!(status, 200, "{url}: {body}");
        pages += 1;
        for item in body["data"][key].as_array().expect("items") {
            ids.push(item["external_id"].as_i64().expect("id"));
        }
        match &body["data"]["next_page"] {
            Value::String(token) => from = Some(token.clone()),
            Value::Null => break,
            other => panic!("next_page is {other}"),
        }
        assert!(pages < 1000, "walk does not end");
    }
    (ids, pages)
}

async fn company_with_conversations(srv: &TestServer, n: usize) -> (i64, Vec<i64>) {
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "whatsapp").await;
    let path = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    let mut ids = Vec::new();
    for i in 0..n {
        let sender = format!("7925{i:07}");
        let (s, b) = srv
            .form(Method::POST, &path, &[("sender_external_id", &sender)])
            .await;
        assert_eq!(s, 200, "{b}");
        ids.push(b["data"]["conversation_id"].as_i64().expect("id"));
    }
    (company, ids)
}

#[tokio::test]
async fn conversations_walk_both_directions() {
    let srv = TestServer::start().await;
    let (company, ids) = company_with_conversations(&srv, 123).await;
    let path = format!("/p1/companies/{company}/conversations");

    let (asc, pages) = walk(&srv, &path, "conversations", "per=10").await;
    assert_eq!(asc, ids);
    assert_eq!(pages, 13);

    let (desc, _) = walk(&srv, &path, "conversations", "per=7&sort_direction=desc").await;
    let mut reversed = ids.clone();
    reversed.reverse();
    assert_eq!(desc, reversed);

    // Default page is 50; per=100 is allowed; an exact fit ends with next_page null.
    let (_, body) = srv.get(&path).await;
    assert_eq!(
        body["data"]["conversations"].as_array().map(Vec::len),
        Some(50)
    );
    assert!(body["data"]["next_page"].is_string());
    let (_, body) = srv.get(&format!("{path}?per=100")).await;
    assert_eq!(
        body["data"]["conversations"].as_array().map(Vec::len),
        Some(100)
    );
    let (all, pages) = walk(&srv, &path, "conversations", "per=41").await;
    assert_eq!((all.len(), pages), (123, 3));
}

#[tokio::test]
async fn tokens_are_scoped_and_bad_ones_give_the_first_page() {
    let srv = TestServer::start().await;
    let (company, ids) = company_with_conversations(&srv, 5).await;
    let other = srv.company("Other").await;
    srv.channel(other, "whatsapp").await;
    srv.conversation(other, "79000000000").await;
    let path = format!("/p1/companies/{company}/conversations");
    let (_, body) = srv.get(&format!("{path}?per=2")).await;
    let token = body["data"]["next_page"]
        .as_str()
        .expect("token")
        .to_owned();
    assert!(token.len() <= 255);

    let first_page = json!([ids[0], ids[1]]);
    let page_ids = |b: &Value| {
        json!(
            b["data"]["conversations"]
                .as_array()
                .expect("list")
                .iter()
                .map(|c| c["external_id"].clone())
                .collect::<Vec<_>>()
        )
    };
    for bad in ["", "garbage", "%%%", "bm90IGEgdG9rZW4"] {
        let (s, b) = srv.get(&format!("{path}?per=2&from={bad}")).await;
        assert_eq!(s, 200, "{bad}");
        assert_eq!(page_ids(&b), first_page, "{bad}");
    }
    // A token of another company's list, or of the other direction, is not valid here.
    let (_, b) = srv
        .get(&format!(
            "/p1/companies/{other}/conversations?per=2&from={token}"
        ))
        .await;
    assert_eq!(b["data"]["conversations"].as_array().map(Vec::len), Some(1));
    let (_, b) = srv
        .get(&format!("{path}?per=2&sort_direction=desc&from={token}"))
        .await;
    assert_eq!(page_ids(&b), json!([ids[4], ids[3]]));
    // The aliases of the SDKs.
    let (_, b) = srv.get(&format!("{path}?per=2&from_={token}")).await;
    assert_eq!(page_ids(&b), json!([ids[2], ids[3]]));
    let (_, b) = srv.get(&format!("{path}?per=2&sort=desc")).await;
    assert_eq!(page_ids(&b), json!([ids[4], ids[3]]));
    // from over 255 characters is refused.
    let (s, b) = srv.get(&format!("{path}?from={}", "a".repeat(256))).await;
    assert_param_error(s, &b, 400, "from");
}

#[tokio::test]
async fn items_added_during_a_walk_cause_no_skips_or_repeats() {
    let srv = TestServer::start().await;
    let (company, ids) = company_with_conversations(&srv, 6).await;
    let path = format!("/p1/companies/{company}/conversations");
    let (_, body) = srv.get(&format!("{path}?per=3")).await;
    let token = body["data"]["next_page"]
        .as_str()
        .expect("token")
        .to_owned();
    let channel = srv
        .get(&format!("/p1/companies/{company}/channels"))
        .await
        .1["data"]["channels"][0]["external_id"]
        .as_i64()
        .expect("channel");
    let (_, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound"),
            &[("sender_external_id", "new-one")],
        )
        .await;
    let newest = b["data"]["conversation_id"].as_i64().expect("id");
    let (_, body) = srv.get(&format!("{path}?per=3&from={token}")).await;
    let rest: Vec<i64> = body["data"]["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["external_id"].as_i64())
        .collect();
    assert_eq!(rest, vec![ids[3], ids[4], ids[5]]);
    let next = body["data"]["next_page"]
        .as_str()
        .expect("one more page")
        .to_owned();
    let (_, body) = srv.get(&format!("{path}?per=3&from={next}")).await;
    assert_eq!(body["data"]["conversations"][0]["external_id"], newest);
    assert_eq!(body["data"]["next_page"], json!(null));
}

#[tokio::test]
async fn per_and_sort_validation() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    for list in [
        "/p1/companies".to_owned(),
        format!("/p1/companies/{company}/channels"),
        format!("/p1/companies/{company}/conversations"),
    ] {
        for bad in ["0", "101", "abc", "1.5", "-1", "99999999999999999999", ""] {
            let (s, b) = srv.get(&format!("{list}?per={bad}")).await;
            if bad.is_empty() {
                assert_eq!(s, 200, "{list} per=: {b}");
            } else {
                assert_param_error(s, &b, 400, "per");
            }
        }
        let (s, b) = srv.get(&format!("{list}?sort_direction=sideways")).await;
        assert_param_error(s, &b, 400, "sort_direction");
        for good in [
            "per=1",
            "per=100",
            "sort_direction=asc",
            "sort_direction=desc",
        ] {
            let (s, _) = srv.get(&format!("{list}?{good}")).await;
            assert_eq!(s, 200, "{list}?{good}");
        }
    }
}

#[tokio::test]
async fn companies_and_channels_paginate_too() {
    let srv = TestServer::start().await;
    let mut companies = Vec::new();
    for i in 0..7 {
        companies.push(srv.company(&format!("C{i}")).await);
    }
    let (ids, pages) = walk(&srv, "/p1/companies", "companies", "per=3").await;
    assert_eq!((ids, pages), (companies.clone(), 3));
    let company = companies[0];
    let mut channels = Vec::new();
    for provider in ["whatsapp", "telegram", "viber", "avito", "facebook"] {
        channels.push(srv.channel(company, provider).await);
    }
    let (ids, _) = walk(
        &srv,
        &format!("/p1/companies/{company}/channels"),
        "channels",
        "per=2&sort_direction=desc",
    )
    .await;
    channels.reverse();
    assert_eq!(ids, channels);
}
