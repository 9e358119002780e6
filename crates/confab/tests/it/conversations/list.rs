//! The conversations list: an empty company, the order and items equal to the details,
//! and the paging parameters.

use reqwest::Method;
use serde_json::{Value, json};

use super::id_of;
use crate::harness::*;

#[tokio::test]
async fn list_of_an_empty_company() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let response = srv
        .req(Method::GET, &list_path(company))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"status": "ok", "data": {"conversations": [], "next_page": null}})
    );
}

#[tokio::test]
async fn list_order_and_items_equal_details() {
    let srv = TestServer::start().await;
    let (company, channel, first) = srv.fixture().await;
    let inbound = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    let (s, b) = srv
        .form(
            Method::POST,
            &inbound,
            &[
                ("sender_external_id", "79990000002"),
                ("name", "Bob"),
                ("message", "Hi"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let second = b["data"]["conversation_id"].as_i64().expect("id");
    let third = srv.conversation(company, "79990000003").await;
    assert!(first < second && second < third);

    let (s, asc) = srv.get(&list_path(company)).await;
    assert_eq!(s, 200, "{asc}");
    assert_eq!(ids(&asc), vec![first, second, third]);
    assert_eq!(asc["data"]["next_page"], json!(null));
    let (_, explicit) = srv
        .get(&format!("{}?sort_direction=asc", list_path(company)))
        .await;
    assert_eq!(explicit, asc);
    let (_, desc) = srv
        .get(&format!("{}?sort_direction=desc", list_path(company)))
        .await;
    assert_eq!(ids(&desc), vec![third, second, first]);

    for item in asc["data"]["conversations"].as_array().expect("list") {
        assert_conversation_shape(item);
        let details = srv.conversation_details(company, id_of(item)).await;
        assert_eq!(&details, item);
    }
    let bob = srv.conversation_details(company, second).await;
    assert_eq!(bob["name"], "Bob");
    assert_eq!(bob["sender_external_id"], "79990000002");
    assert_eq!(bob["channel_id"], channel);
    let income = bob["last_income_message_at"].as_i64().expect("int");
    assert!(income >= bob["created_at_timestamp"].as_i64().expect("int"));
    assert_eq!(bob["last_message_at"], income);
    let other = srv.conversation_details(company, third).await;
    assert_eq!(other["last_income_message_at"], 0);
}

#[tokio::test]
async fn list_paging_parameters() {
    let srv = TestServer::start().await;
    let (company, _, first) = srv.fixture().await;
    let second = srv.conversation(company, "79250000002").await;
    let third = srv.conversation(company, "79250000003").await;
    let path = list_path(company);

    let (s, page) = srv.get(&format!("{path}?per=1")).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(ids(&page), vec![first]);
    let token = page["data"]["next_page"]
        .as_str()
        .expect("a next_page token")
        .to_owned();
    let (_, page) = srv.get(&format!("{path}?per=1&from={token}")).await;
    assert_eq!(ids(&page), vec![second]);
    let (_, page) = srv.get(&format!("{path}?per=1&from_={token}")).await;
    assert_eq!(ids(&page), vec![second], "from_ is an alias of from");
    let (_, page) = srv.get(&format!("{path}?per=2&from={token}")).await;
    assert_eq!(ids(&page), vec![second, third]);
    assert_eq!(page["data"]["next_page"], json!(null));
    let (_, page) = srv.get(&format!("{path}?per=100")).await;
    assert_eq!(ids(&page), vec![first, second, third]);
    assert_eq!(page["data"]["next_page"], json!(null));
    let (_, page) = srv.get(&format!("{path}?per=2&sort=desc")).await;
    assert_eq!(ids(&page), vec![third, second], "sort is an alias");
    let (_, page) = srv.get(&format!("{path}?per=2&sort_direction=desc")).await;
    assert_eq!(ids(&page), vec![third, second]);

    for bad in [
        "0",
        "101",
        "abc",
        "1.5",
        "-1",
        "1e2",
        "99999999999999999999",
        "%205",
    ] {
        let (s, b) = srv.get(&format!("{path}?per={bad}")).await;
        assert_param_error(s, &b, 400, "per");
    }
    for bad in ["sideways", "ascending", "1"] {
        let (s, b) = srv.get(&format!("{path}?sort_direction={bad}")).await;
        assert_param_error(s, &b, 400, "sort_direction");
        let (s, b) = srv.get(&format!("{path}?sort={bad}")).await;
        assert_param_error(s, &b, 400, "sort");
    }

    // `from`: at most 255 characters; anything else that is not a token is the first page.
    let long = "a".repeat(256);
    let (s, b) = srv.get(&format!("{path}?from={long}")).await;
    assert_param_error(s, &b, 400, "from");
    let (s, b) = srv.get(&format!("{path}?from_={long}")).await;
    assert_param_error(s, &b, 400, "from_");
    for garbage in ["a".repeat(255), String::new(), "not-a-token%21".to_owned()] {
        let (s, b) = srv.get(&format!("{path}?per=2&from={garbage}")).await;
        assert_eq!(s, 200, "{garbage}: {b}");
        assert_eq!(ids(&b), vec![first, second], "{garbage}");
    }
    // A token of another list (channels) is not valid here either.
    srv.channel(company, "telegram").await;
    let (_, channels) = srv
        .get(&format!("/p1/companies/{company}/channels?per=1"))
        .await;
    let channel_token = channels["data"]["next_page"].as_str().expect("token");
    let (_, b) = srv.get(&format!("{path}?per=2&from={channel_token}")).await;
    assert_eq!(ids(&b), vec![first, second]);
}

/// The list checks the caller and reads the page in one store read, reading its
/// parameters first; the answers stay those of every company route: a bad token is 401
/// and a non-member's is the blind 404 even when a parameter is malformed too, and a
/// member gets the page (or the parameter's 400).
#[tokio::test]
async fn list_checks_the_caller_before_its_parameters() {
    let srv = TestServer::start().await;
    let (company, _, first) = srv.fixture().await;
    let (_, stranger) = srv.new_user("stranger").await;
    let path = list_path(company);
    let not_found = json!({"status": "error", "message": "company not found"});
    for query in ["", "?per=0", "?sort_direction=sideways", "?order=nonsense"] {
        let url = format!("{path}{query}");
        let (s, b) = call(srv.req_as("wrong-token", Method::GET, &url)).await;
        assert_eq!(s, 401, "{query}: {b}");
        let (s, b) = call(srv.req_as(&stranger, Method::GET, &url)).await;
        assert_eq!((s, &b), (404, &not_found), "{query}");
        // Unknown company, and a company id that is no id.
        for other in ["999", "abc"] {
            let url = format!("/p1/companies/{other}/conversations{query}");
            let (s, b) = call(srv.req(Method::GET, &url)).await;
            assert_eq!((s, &b), (404, &not_found), "{other}{query}");
        }
    }
    // A request with a body takes the general check first, with the same answers.
    let (s, b) = call(
        srv.req_as(&stranger, Method::GET, &path)
            .form(&[("per", "1")]),
    )
    .await;
    assert_eq!((s, &b), (404, &not_found));
    let (s, b) = call(srv.req(Method::GET, &path).form(&[("per", "1")])).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![first]);
    // The member.
    let (s, b) = srv.get(&format!("{path}?per=0")).await;
    assert_param_error(s, &b, 400, "per");
    let (s, b) = srv.get(&path).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), vec![first]);
}
