//! Conversations: start, read, list, note, assign, toggle.

use confab_client::{ListParams, NewConversation};

use crate::harness::{CONTACT, TestServer};

#[tokio::test]
async fn start_read_note_assign_toggle() {
    let srv = TestServer::start().await;
    let (company, channel, conversation) = srv.fixture().await;
    let conversations = srv.client.conversations(company);

    let got = conversations.get(conversation).await.expect("get");
    assert_eq!(got.external_id, conversation);
    assert_eq!(got.channel_id, channel);
    assert_eq!(got.channel_type, "whatsapp");
    assert_eq!(got.sender_external_id, CONTACT);
    assert_eq!(got.name, CONTACT);
    assert_eq!(got.note, None);
    assert_eq!(got.assignee_id, None);
    assert!(!got.bitrix_block_openlines);

    let second = conversations
        .create(&NewConversation::whatsapp("+79250000002", "Hi").send_to_crm(false))
        .await
        .expect("second");
    assert_eq!(second.sender_external_id, "79250000002");
    let listed: Vec<i64> = conversations
        .list(&ListParams::new())
        .await
        .expect("list")
        .items
        .iter()
        .map(|c| c.external_id)
        .collect();
    assert_eq!(listed, vec![conversation, second.external_id]);

    conversations
        .set_note(conversation, "VIP customer")
        .await
        .expect("note");
    conversations
        .assign(conversation, Some(srv.user_id))
        .await
        .expect("assign");
    let got = conversations.get(conversation).await.expect("get");
    assert_eq!(got.note.as_deref(), Some("VIP customer"));
    assert_eq!(got.assignee_id, Some(srv.user_id));

    conversations
        .assign(conversation, None)
        .await
        .expect("unassign");
    assert_eq!(
        conversations
            .get(conversation)
            .await
            .expect("get")
            .assignee_id,
        None
    );
    let err = conversations
        .assign(conversation, Some(9999))
        .await
        .expect_err("not a member");
    assert_eq!(err.status(), Some(400));
    assert!(err.parameter("assignee_id").is_some(), "{err:?}");

    let on = conversations
        .toggle_bitrix_block_openlines(conversation, Some(true))
        .await
        .expect("on");
    assert!(on.bitrix_block_openlines);
    let again = conversations
        .toggle_bitrix_block_openlines(conversation, Some(true))
        .await
        .expect("still on");
    assert!(again.bitrix_block_openlines);
    let flipped = conversations
        .toggle_bitrix_block_openlines(conversation, None)
        .await
        .expect("flip");
    assert!(!flipped.bitrix_block_openlines);
}

#[tokio::test]
async fn telegram_by_username_needs_its_channel() {
    let srv = TestServer::start().await;
    let (company, _, _) = srv.fixture().await;
    let err = srv
        .client
        .conversations(company)
        .create(&NewConversation::telegram_username("ivan_p", "Hi"))
        .await
        .expect_err("no telegram_personal channel");
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.parameter("provider").map(|e| e.code.as_str()),
        Some("invalid")
    );
    let err = srv
        .client
        .conversations(company)
        .get(999)
        .await
        .expect_err("unknown");
    assert!(err.is_not_found());
}
