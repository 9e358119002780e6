//! The sandbox endpoints: inbound (text and file), read, contacts, events; 403 without
//! `--sandbox`.

use confab_client::{ChannelEvent, Inbound, ListParams, NewMessage, Upload};

use crate::harness::{CONTACT, TestServer};

#[tokio::test]
async fn inbound_read_contacts_and_events() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let sandbox = srv.client.sandbox(company);

    let got = sandbox
        .inbound(channel, &Inbound::new(CONTACT).name("Ivan").message("Hi!"))
        .await
        .expect("inbound");
    assert_eq!(got.conversation_id, conversation);
    let fresh = sandbox
        .inbound(channel, &Inbound::new("79250000002").message("Hello?"))
        .await
        .expect("new contact");
    assert_eq!(fresh.conversation_id, conversation + 1);
    assert_eq!(fresh.message_id, got.message_id + 1);

    // A customer sends a file.
    let with_file = sandbox
        .inbound_with_file(
            channel,
            &Inbound::new(CONTACT).message("photo"),
            Upload::reader(&b"not really a jpeg"[..], "cat.jpg").length(17),
        )
        .await
        .expect("inbound with file");
    let page = srv
        .client
        .messages(company, conversation)
        .list(&ListParams::new().descending().per(1))
        .await
        .expect("list");
    let newest = &page.items[0];
    assert_eq!(newest.external_id, with_file.message_id);
    assert!(newest.income);
    assert_eq!(newest.message, "photo");
    assert_eq!(newest.attachments.len(), 1);
    assert_eq!(newest.attachments[0].file_name, "cat.jpg");
    assert_eq!(newest.attachments[0].mime_type, "image/jpeg");
    assert_eq!(newest.attachments[0].size, 17);
    let mut bytes = Vec::new();
    srv.client
        .download(&newest.attachments[0].attachment_url, &mut bytes)
        .await
        .expect("download");
    assert_eq!(bytes, b"not really a jpeg");

    // The customer reads a delivered message: ack 3.
    let job = srv
        .client
        .messages(company, conversation)
        .send(&NewMessage::text("Seen?"))
        .await
        .expect("send");
    let sent = srv
        .client
        .wait_for_job(&job)
        .await
        .expect("wait")
        .message_id
        .expect("sent");
    let read = sandbox.read(conversation, sent).await.expect("read");
    assert_eq!((read.external_id, read.ack), (sent, 3));
    let err = sandbox
        .read(conversation, got.message_id)
        .await
        .expect_err("incoming messages are not read by the contact");
    assert_eq!(err.status(), Some(400));
    assert!(err.parameter("message_id").is_some(), "{err:?}");

    let contact = sandbox
        .set_contact_reachable(channel, CONTACT, false)
        .await
        .expect("contacts");
    assert_eq!(
        contact,
        confab_client::SandboxContact {
            channel_id: channel,
            sender_external_id: CONTACT.to_owned(),
            reachable: false,
        }
    );

    let states: Vec<(String, String)> = {
        let mut states = Vec::new();
        for event in [
            ChannelEvent::PhoneOffline,
            ChannelEvent::PhoneOnline,
            ChannelEvent::Disabled,
            ChannelEvent::QrCode,
        ] {
            let applied = sandbox.event(channel, event).await.expect("event");
            assert_eq!(applied.channel_id, channel);
            states.push((applied.event, applied.state));
        }
        states
    };
    let expected = [
        ("phone_offline", "phone_offline"),
        ("phone_online", "enabled"),
        ("disabled", "disabled"),
        ("qr_code", "disabled"),
    ]
    .map(|(e, s)| (e.to_owned(), s.to_owned()));
    assert_eq!(states, expected.to_vec());

    let err = sandbox
        .inbound(channel, &Inbound::new("  "))
        .await
        .expect_err("blank sender");
    assert_eq!(
        err.parameter("sender_external_id").map(|e| e.code.as_str()),
        Some("invalid")
    );
}

#[tokio::test]
async fn sandbox_endpoints_are_forbidden_without_sandbox() {
    let srv = TestServer::start_with(|c| c.sandbox = false).await;
    let company = srv
        .client
        .companies()
        .create(&confab_client::NewCompany::new("Acme"))
        .await
        .expect("company");
    let err = srv
        .client
        .sandbox(company)
        .event(1, ChannelEvent::Authorized)
        .await
        .expect_err("no sandbox");
    match err {
        confab_client::Error::Api {
            status, message, ..
        } => {
            assert_eq!(status, 403);
            assert_eq!(
                message,
                "sandbox endpoints are served only when confab serve runs with --sandbox"
            );
        }
        other => panic!("{other:?}"),
    }
}
