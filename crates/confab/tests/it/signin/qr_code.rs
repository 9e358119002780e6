//! telegram_personal by QR code: `via_qr_code=true` announces the code to scan, the
//! sandbox "scans" it (`event=authorized`), the channel is enabled.

use base64::Engine;
use serde_json::json;

use super::*;

#[tokio::test]
async fn a_qr_channel_announces_its_code_then_is_authorized_when_scanned() {
    for sdk in Sdk::BOTH {
        let srv = server().await;
        let rx = Receiver::start().await;
        let company = hooked_company(&srv, &rx).await;
        let channel = create_channel(
            &srv,
            sdk,
            company,
            json!({"provider": "telegram_personal", "via_qr_code": true}),
        )
        .await;
        let events = rx.wait_delivered(1).await;
        assert_eq!(kinds(&events), ["qr_code.new"], "{sdk:?}");
        assert_eq!(events[0]["channel_id"], channel);
        assert_eq!(events[0]["company_id"], company);
        let png = base64::engine::general_purpose::STANDARD
            .decode(events[0]["data"].as_str().expect("base64"))
            .expect("base64 without a prefix");
        assert!(png.starts_with(b"\x89PNG"), "a PNG image");
        assert_eq!(
            channel_state(&srv, company, channel).await,
            "pending_authorization"
        );

        let (s, b) = post(
            &srv,
            sdk,
            &action(company, channel, "sandbox/events"),
            json!({"event": "authorized"}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["data"]["state"], "enabled");
        let events = rx.wait_delivered(2).await;
        assert_eq!(
            kinds(&events),
            ["qr_code.new", "system.authorized"],
            "in order"
        );
        assert_eq!(channel_state(&srv, company, channel).await, "enabled");
        assert_no_more_than(&rx, 2).await;

        // The live event log says the same, in the same order.
        let (s, b) = srv
            .get(&format!("/p1/companies/{company}/events?after=0&limit=100"))
            .await;
        assert_eq!(s, 200, "{b}");
        let logged: Vec<(String, String)> = b["data"]["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                let label = e["event"].as_str().unwrap_or("?").to_owned();
                let message = e["data"]["data"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                (label, message)
            })
            .collect();
        assert_eq!(
            logged,
            [
                ("qr_code.new".to_owned(), String::new()),
                ("system".to_owned(), "authorized".to_owned()),
            ]
        );
    }
}

#[tokio::test]
async fn a_channel_created_without_sign_in_details_is_enabled_at_once() {
    // The sandbox needs no credentials: telegram_personal without phone or QR, instagram
    // without login, connect as before.
    let srv = server().await;
    let company = srv.company("Acme").await;
    for provider in ["telegram_personal", "instagram"] {
        let channel = create_channel(&srv, Sdk::Php, company, json!({"provider": provider})).await;
        assert_eq!(
            channel_state(&srv, company, channel).await,
            "enabled",
            "{provider}"
        );
    }
    let other = srv.company("Other").await;
    let channel = create_channel(
        &srv,
        Sdk::Php,
        other,
        json!({"provider": "telegram_personal", "via_qr_code": false}),
    )
    .await;
    assert_eq!(channel_state(&srv, other, channel).await, "enabled");
}
