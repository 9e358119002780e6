//! The Graph API client's template listing (the templates sync builds on it): every page
//! of a WABA's `message_templates` is followed through `paging.next`, Meta's objects kept
//! as they are; a wrong token is Meta's 190.

use confab_server::connectors::whatsapp::api::{Failure, GraphApi};
use serde_json::json;

use super::*;

#[tokio::test]
async fn every_page_of_templates_is_followed() {
    let fake = fake().await;
    // More than the client's page of 100: it must follow `paging.next` twice.
    let templates: Vec<Value> = (0..250)
        .map(|i| {
            json!({"name": format!("order_update_{i}"), "language": "en_US", "status": "APPROVED",
                   "category": "UTILITY", "id": format!("5940000{i:03}"),
                   "components": [{"type": "BODY", "text": "Hello {{1}}, order {{2}} is ready"}]})
        })
        .collect();
    fake.seed_templates(WABA, templates.clone());
    // Meta's pages: a small limit makes several.
    let page: Value = reqwest::Client::new()
        .get(format!(
            "{}/{WABA}/message_templates?limit=3",
            fake.base_url()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(3));
    assert!(page["paging"]["cursors"]["after"].is_string());
    assert!(page["paging"]["next"].is_string(), "{page}");

    let api = GraphApi::new(&url::Url::parse(&fake.base_url()).expect("url")).expect("client");
    let got = api.templates(TOKEN, WABA).await.expect("templates");
    assert_eq!(got, templates);
    match api.templates("EAAGwrong", WABA).await {
        Err(Failure::Api {
            code: Some(190),
            status: 401,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}
