//! Tenancy: every company-scoped method, called with one company's id and another
//! company's channel, conversation, message, job, attachment or event ids, finds nothing
//! and changes nothing, for either company. (The worker methods `claim_jobs`,
//! `renew_lease`, `finish_job`, `claim_webhook_events` and `record_webhook_attempt` are
//! not company-scoped, and `start_conversation` / `receive_message` take the channel
//! itself, company included.)

use confab_store::{
    Attachment, Channel, Company, CompanyPatch, Conversation, Job, Message, NewIncoming,
    OutboxEvent,
};
use serde_json::json;

use crate::backend::Backend;
use crate::fixtures::{
    FIELD_ATTACHMENTS, T0, Tenant, ack_read, assert_invalid, assert_not_found, contact, events_of,
    everything, inbound, labels_of, messages_of, new_attachment, object, outgoing,
    state_unavailable, tenant, token, whatsapp,
};

contract!(another_companys_ids_find_nothing_and_change_nothing);

/// What one company has, to compare before and after.
#[derive(Debug, PartialEq)]
struct Holdings {
    company: Option<Company>,
    channels: Vec<Channel>,
    conversations: Vec<Conversation>,
    messages: Vec<Message>,
    job: Option<Job>,
    attachment: Option<Attachment>,
    events: Vec<OutboxEvent>,
}

/// One company's data, and the ids the other company will try.
struct Side {
    t: Tenant,
    conversation: i64,
    incoming: i64,
    outgoing: i64,
    job: i64,
    unsent: i64,
    received_file: i64,
}

async fn side(s: &Backend, n: u8) -> Side {
    let t = tenant(s, n, true).await;
    let posted = s
        .receive_message(
            t.channel.clone(),
            contact("100", Some("Ivan")),
            NewIncoming {
                body: "hi".to_owned(),
                attachments: vec![new_attachment(0, "in.png")],
                source: None,
            },
            T0,
        )
        .await
        .expect("receive");
    let conversation = posted.conversation.id;
    let received_file = s
        .get_message(t.company.id, conversation, posted.message_id)
        .await
        .expect("get")
        .expect("the message")
        .attachments[0]
        .id;
    let job = s
        .send_message(
            t.company.id,
            outgoing(conversation, "hello", Vec::new()),
            T0 + 1,
        )
        .await
        .expect("send");
    let unsent = s
        .create_attachment(
            t.company.id,
            new_attachment(conversation, "out.png"),
            T0 + 2,
        )
        .await
        .expect("upload")
        .id;
    Side {
        conversation,
        incoming: posted.message_id,
        outgoing: job.message_id,
        job: job.id,
        unsent,
        received_file,
        t,
    }
}

async fn holdings(s: &Backend, x: &Side) -> Holdings {
    let company_id = x.t.company.id;
    Holdings {
        company: s
            .member_company(x.t.user.id, company_id)
            .await
            .expect("company"),
        channels: s
            .list_channels(company_id, everything())
            .await
            .expect("channels"),
        conversations: s
            .list_conversations(company_id, everything())
            .await
            .expect("conversations"),
        messages: messages_of(s, company_id, x.conversation).await,
        job: s
            .get_job(company_id, x.t.channel.id, x.job)
            .await
            .expect("job"),
        attachment: s
            .get_attachment(company_id, x.unsent)
            .await
            .expect("attachment"),
        events: events_of(s, company_id).await,
    }
}

async fn another_companys_ids_find_nothing_and_change_nothing(s: &Backend) {
    let a = side(s, 1).await;
    let b = side(s, 2).await;
    let before_a = holdings(s, &a).await;
    let before_b = holdings(s, &b).await;
    assert!(before_b.company.is_some() && before_b.job.is_some());
    assert_eq!(
        labels_of(s, b.t.company.id).await,
        ["conversation.new", "message.new"]
    );
    let me = a.t.company.id;

    // Membership and authorization.
    assert_eq!(
        s.member_company(a.t.user.id, b.t.company.id)
            .await
            .expect("member"),
        None
    );
    assert!(
        !s.is_member(b.t.company.id, a.t.user.id)
            .await
            .expect("is_member")
    );
    assert_eq!(
        s.list_companies(a.t.user.id, everything())
            .await
            .expect("list"),
        vec![a.t.company.clone()]
    );
    assert_eq!(
        s.authorize(token(1), b.t.company.id)
            .await
            .expect("authorize"),
        Some((a.t.user.clone(), None))
    );
    assert_eq!(
        s.authorize_conversation(token(1), b.t.company.id, b.conversation)
            .await
            .expect("authorize"),
        Some((a.t.user.clone(), None))
    );
    assert_eq!(
        s.authorize_conversation(token(1), me, b.conversation)
            .await
            .expect("authorize"),
        Some((a.t.user.clone(), Some((a.t.company.clone(), None))))
    );

    // Channels.
    assert_eq!(s.get_channel(me, b.t.channel.id).await.expect("get"), None);
    assert_eq!(
        s.channel_by_provider(me, whatsapp())
            .await
            .expect("by provider"),
        Some(a.t.channel.clone()),
        "its own channel of the provider, not the other's"
    );
    assert!(
        !s.update_channel_settings(me, b.t.channel.id, object(json!({"token": "stolen"})))
            .await
            .expect("merge")
    );
    assert!(
        !s.set_channel_state(
            me,
            b.t.channel.id,
            "disabled".to_owned(),
            state_unavailable(),
            T0 + 10
        )
        .await
        .expect("state")
    );
    assert!(
        !s.delete_channel(me, b.t.channel.id, T0 + 10)
            .await
            .expect("delete")
    );

    // Conversations.
    assert_eq!(
        s.get_conversation(me, b.conversation).await.expect("get"),
        None
    );
    assert!(
        !s.set_note(me, b.conversation, "mine now".to_owned())
            .await
            .expect("note")
    );
    assert!(
        !s.set_assignee(me, b.conversation, Some(a.t.user.id), T0)
            .await
            .expect("assign")
    );
    assert_eq!(
        s.set_bitrix_block_openlines(me, b.conversation, None)
            .await
            .expect("bitrix"),
        None
    );

    // Messages.
    assert!(
        s.list_messages(
            me,
            b.conversation,
            crate::fixtures::message_page(None, false, 100)
        )
        .await
        .expect("list")
        .is_empty()
    );
    for (conversation, message) in [
        (b.conversation, b.incoming),
        (b.conversation, b.outgoing),
        (a.conversation, b.incoming),
    ] {
        assert_eq!(
            s.get_message(me, conversation, message).await.expect("get"),
            None
        );
        assert_eq!(
            s.advance_ack(me, conversation, message, ack_read(), T0 + 10)
                .await
                .expect("advance"),
            None
        );
    }
    assert_not_found(
        s.send_message(me, outgoing(b.conversation, "hijack", Vec::new()), T0 + 10)
            .await,
        "conversation",
    );
    for attachment in [b.unsent, b.received_file] {
        assert_invalid(
            s.send_message(
                me,
                outgoing(a.conversation, "theirs", vec![attachment]),
                T0 + 10,
            )
            .await,
            FIELD_ATTACHMENTS,
        );
    }

    // Jobs, attachments, events.
    assert_eq!(
        s.get_job(me, b.t.channel.id, b.job).await.expect("job"),
        None
    );
    assert_eq!(
        s.get_job(me, a.t.channel.id, b.job).await.expect("job"),
        None
    );
    assert_eq!(s.get_attachment(me, b.unsent).await.expect("get"), None);
    assert_eq!(
        s.get_attachment(me, b.received_file).await.expect("get"),
        None
    );
    let b_event = before_b.events[0].id;
    assert!(
        events_of(s, me).await.iter().all(|e| e.company_id == me),
        "only its own events are listed"
    );
    assert_eq!(
        s.resend_webhook_event(me, b_event, T0 + 10)
            .await
            .expect("resend"),
        None
    );

    // Nothing changed on either side.
    assert_eq!(holdings(s, &b).await, before_b);
    assert_eq!(holdings(s, &a).await, before_a);

    // Changes to the first company's own rows leave the other's alone.
    s.update_company(
        me,
        CompanyPatch {
            name: Some("renamed".to_owned()),
            webhook_url: Some(None),
            ..CompanyPatch::default()
        },
    )
    .await
    .expect("update");
    s.announce(
        me,
        confab_store::Event::QrCode {
            channel_id: a.t.channel.id,
            image_base64: "qr".to_owned(),
        },
        T0 + 20,
    )
    .await
    .expect("announce");
    inbound(s, &a.t, "100", "again", T0 + 20).await;
    // An upload naming the other company's conversation is not checked against it by
    // either backend today (the HTTP layer reads the conversation first). Whether it is
    // refused or stored, the other company neither sees the upload nor can send it.
    if let Ok(stray) = s
        .create_attachment(me, new_attachment(b.conversation, "stray.png"), T0 + 30)
        .await
    {
        assert_eq!(
            s.get_attachment(b.t.company.id, stray.id)
                .await
                .expect("get"),
            None
        );
        assert_invalid(
            s.send_message(
                b.t.company.id,
                outgoing(b.conversation, "stray", vec![stray.id]),
                T0 + 31,
            )
            .await,
            FIELD_ATTACHMENTS,
        );
    }
    assert_eq!(holdings(s, &b).await, before_b);
}
