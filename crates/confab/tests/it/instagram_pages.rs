//! `enable_page_instagram`: GET, POST and PUT, `page_id` and `sync_period` validated,
//! only on instagram_business channels.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn a_page_is_enabled_by_any_method() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "instagram_business").await;
    let path = format!("/p1/companies/{company}/channels/{channel}/enable_page_instagram");
    let (s, b) = srv
        .get(&format!("{path}?page_id=919&sync_period=week"))
        .await;
    assert_eq!(
        (s, &b),
        (
            200,
            &json!({"status": "ok", "data": {"external_id": channel}})
        )
    );
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("page_id", "920"), ("sync_period", "all")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = srv
        .json(
            Method::PUT,
            &path,
            json!({"page_id": 921, "sync_period": "day"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let stored = srv
        .store()
        .await
        .get_channel(company, channel)
        .await
        .expect("get")
        .expect("channel");
    assert_eq!(stored.settings["page_id"], 921);
    assert_eq!(stored.settings["sync_period"], "day");
}

#[tokio::test]
async fn bad_pages_and_periods_name_their_parameter() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let channel = srv.channel(company, "instagram_business").await;
    let path = format!("/p1/companies/{company}/channels/{channel}/enable_page_instagram");
    for (form, param) in [
        (vec![("sync_period", "week")], "page_id"),
        (vec![("page_id", "abc"), ("sync_period", "week")], "page_id"),
        (vec![("page_id", "0"), ("sync_period", "week")], "page_id"),
        (vec![("page_id", "1.5"), ("sync_period", "week")], "page_id"),
        (vec![("page_id", "919")], "sync_period"),
        (
            vec![("page_id", "919"), ("sync_period", "year")],
            "sync_period",
        ),
    ] {
        let (s, b) = srv.form(Method::POST, &path, &form).await;
        assert_param_error(s, &b, 400, param);
    }
    let stored = srv
        .store()
        .await
        .get_channel(company, channel)
        .await
        .expect("get")
        .expect("channel");
    assert!(stored.settings.get("page_id").is_none(), "nothing changed");

    let whatsapp = srv.channel(company, "whatsapp").await;
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{whatsapp}/enable_page_instagram"),
            &[("page_id", "919"), ("sync_period", "week")],
        )
        .await;
    assert_param_error(s, &b, 400, "channel_id");
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{company}/channels/999/enable_page_instagram"),
            &[("page_id", "919"), ("sync_period", "week")],
        )
        .await;
    assert_client_error(s, &b, 404);
}
