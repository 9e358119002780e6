//! Channels: `create_channel` (one live channel per provider), `list_channels` paging,
//! `get_channel`, `channel_by_provider`, `update_channel_settings` (a merge) and
//! `delete_channel` (frees the provider, hides the channel, keeps its conversations).

use confab_store::Channel;
use serde_json::json;

use crate::backend::Backend;
use crate::fixtures::{
    FIELD_CONVERSATION, T0, assert_invalid, assert_provider_conflict, channel_settings,
    check_id_paging, contact, everything, facebook, ids, inbound, messages_of, new_channel, object,
    outgoing, state_enabled, telegram, tenant, text, viber, whatsapp,
};

contract!(
    a_channel_reads_back_as_created,
    a_second_live_channel_of_a_provider_conflicts,
    channels_page_by_id_both_ways,
    settings_are_merged,
    a_deleted_channel_is_hidden_and_frees_its_provider,
);

async fn a_channel_reads_back_as_created(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let created = s
        .create_channel(t.company.id, new_channel(telegram()), T0 + 7)
        .await
        .expect("create");
    let want = Channel {
        id: created.id,
        company_id: t.company.id,
        provider: telegram(),
        connector: "sandbox".to_owned(),
        settings: channel_settings(),
        created_at_ms: T0 + 7,
        state: state_enabled(),
        last_inbound_at_ms: None,
        last_error: None,
    };
    assert_eq!(created, want);
    assert!(created.id > t.channel.id, "channel ids grow");
    assert_eq!(
        s.get_channel(t.company.id, created.id).await.expect("get"),
        Some(want.clone())
    );
    assert_eq!(
        s.channel_by_provider(t.company.id, telegram())
            .await
            .expect("by provider"),
        Some(want.clone())
    );
    assert_eq!(
        s.channel_by_provider(t.company.id, whatsapp())
            .await
            .expect("by provider"),
        Some(t.channel.clone())
    );
    assert_eq!(
        s.channel_by_provider(t.company.id, viber())
            .await
            .expect("by provider"),
        None
    );
    assert_eq!(s.get_channel(t.company.id, 999).await.expect("get"), None);
    // A company that does not exist has no channels to create.
    assert!(
        s.create_channel(999, new_channel(telegram()), T0)
            .await
            .is_err(),
        "a channel of no company was created"
    );
    assert!(
        s.list_channels(999, everything())
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        s.list_channels(t.company.id, everything())
            .await
            .expect("list"),
        vec![t.channel.clone(), want]
    );
}

async fn a_second_live_channel_of_a_provider_conflicts(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    assert_provider_conflict(
        s.create_channel(a.company.id, new_channel(whatsapp()), T0 + 1)
            .await,
    );
    assert_eq!(
        s.list_channels(a.company.id, everything())
            .await
            .expect("list"),
        vec![a.channel.clone()],
        "the refused channel was stored"
    );
    // Another provider is fine, and so is the same provider in another company (which
    // `tenant` created for b).
    s.create_channel(a.company.id, new_channel(telegram()), T0 + 2)
        .await
        .expect("another provider");
    assert_eq!(
        s.channel_by_provider(b.company.id, whatsapp())
            .await
            .expect("by provider"),
        Some(b.channel.clone())
    );
}

async fn channels_page_by_id_both_ways(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let mut expected = vec![a.channel.id];
    for provider in [telegram(), viber()] {
        // b's channels fall between a's.
        s.create_channel(b.company.id, new_channel(provider), T0)
            .await
            .expect("create");
        let c = s
            .create_channel(a.company.id, new_channel(provider), T0)
            .await
            .expect("create");
        expected.push(c.id);
    }
    // A deleted channel is not listed.
    let gone = s
        .create_channel(a.company.id, new_channel(facebook()), T0)
        .await
        .expect("create");
    assert!(
        s.delete_channel(a.company.id, gone.id, T0 + 1)
            .await
            .expect("delete")
    );
    let company_id = a.company.id;
    check_id_paging("channels", &expected, |p| async move {
        let page = s.list_channels(company_id, p).await.expect("list");
        ids(&page, |c| c.id)
    })
    .await;
}

async fn settings_are_merged(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let merged = s
        .update_channel_settings(
            a.company.id,
            a.channel.id,
            object(json!({"token": "secret-2", "extra": {"deep": true}})),
        )
        .await
        .expect("merge");
    assert!(merged);
    let want = Channel {
        settings: object(json!({"token": "secret-2", "keep": 1, "extra": {"deep": true}})),
        ..a.channel.clone()
    };
    assert_eq!(
        s.get_channel(a.company.id, a.channel.id)
            .await
            .expect("get"),
        Some(want.clone())
    );
    // An empty merge changes nothing but still finds the channel.
    assert!(
        s.update_channel_settings(a.company.id, a.channel.id, object(json!({})))
            .await
            .expect("merge")
    );
    assert_eq!(
        s.get_channel(a.company.id, a.channel.id)
            .await
            .expect("get"),
        Some(want)
    );
    // No such channel.
    assert!(
        !s.update_channel_settings(a.company.id, 999, object(json!({"x": 1})))
            .await
            .expect("merge")
    );
    // The other company's channel is untouched.
    assert_eq!(
        s.get_channel(b.company.id, b.channel.id)
            .await
            .expect("get"),
        Some(b.channel.clone())
    );
}

async fn a_deleted_channel_is_hidden_and_frees_its_provider(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let posted = s
        .start_conversation(t.channel.clone(), contact("100", None), text("hello"), T0)
        .await
        .expect("start");
    inbound(s, &t, "100", "hi", T0 + 1).await;
    let before = messages_of(s, t.company.id, posted.conversation.id).await;
    let conversation = s
        .get_conversation(t.company.id, posted.conversation.id)
        .await
        .expect("get");

    assert!(
        s.delete_channel(t.company.id, t.channel.id, T0 + 10)
            .await
            .expect("delete")
    );
    // Once only.
    assert!(
        !s.delete_channel(t.company.id, t.channel.id, T0 + 11)
            .await
            .expect("delete again")
    );
    assert!(
        !s.delete_channel(t.company.id, 999, T0 + 11)
            .await
            .expect("delete none")
    );
    assert_eq!(
        s.get_channel(t.company.id, t.channel.id)
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        s.channel_by_provider(t.company.id, whatsapp())
            .await
            .expect("by provider"),
        None
    );
    assert!(
        s.list_channels(t.company.id, everything())
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        !s.update_channel_settings(t.company.id, t.channel.id, object(json!({"x": 1})))
            .await
            .expect("merge")
    );
    // Its conversations and messages stay readable.
    assert_eq!(
        s.get_conversation(t.company.id, posted.conversation.id)
            .await
            .expect("get"),
        conversation
    );
    assert_eq!(
        s.list_conversations(t.company.id, everything())
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        messages_of(s, t.company.id, posted.conversation.id).await,
        before
    );
    // Nothing can be sent through it any more; nothing is stored trying.
    assert_invalid(
        s.send_message(
            t.company.id,
            outgoing(posted.conversation.id, "late", Vec::new()),
            T0 + 12,
        )
        .await,
        FIELD_CONVERSATION,
    );
    assert_eq!(
        messages_of(s, t.company.id, posted.conversation.id).await,
        before
    );

    // The provider is free again: a new channel, with a new id.
    let again = s
        .create_channel(t.company.id, new_channel(whatsapp()), T0 + 20)
        .await
        .expect("create again");
    assert!(again.id > t.channel.id);
    assert_eq!(again.state, state_enabled());
    assert_eq!(
        s.channel_by_provider(t.company.id, whatsapp())
            .await
            .expect("by provider"),
        Some(again.clone())
    );
    assert_eq!(
        s.list_channels(t.company.id, everything())
            .await
            .expect("list"),
        vec![again]
    );
}
