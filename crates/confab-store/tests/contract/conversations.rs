//! Conversations: `list_conversations` paging, `get_conversation`, `start_conversation`
//! and `receive_message` (find or create by contact, the `created` flag, a known
//! contact's new name, incoming attachments bound to their message), and the
//! operators' fields (`set_note`, `set_assignee`, `set_bitrix_block_openlines`).

use confab_store::{Attachment, Conversation, Job, JobState, Message, NewIncoming};

use crate::backend::Backend;
use crate::fixtures::{
    T0, ack_delivered, ack_preparing, check_id_paging, contact, conversation, everything, ids,
    inbound, incoming, message, new_attachment, new_channel, outbound, telegram, tenant, text,
    whatsapp,
};

contract!(
    start_conversation_finds_or_creates,
    receive_message_finds_or_creates_and_renames,
    incoming_attachments_are_bound_to_their_message,
    conversations_page_by_id_both_ways,
    note_assignee_and_bitrix_flag,
);

async fn start_conversation_finds_or_creates(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let posted = s
        .start_conversation(
            t.channel.clone(),
            contact("79250000001", None),
            text("Hello"),
            T0,
        )
        .await
        .expect("start");
    assert!(posted.created);
    let want = Conversation {
        id: posted.conversation.id,
        company_id: t.company.id,
        channel_id: t.channel.id,
        channel_type: whatsapp(),
        sender_external_id: "79250000001".to_owned(),
        // With no name given, the contact is named by its id.
        name: "79250000001".to_owned(),
        avatar: None,
        meta: serde_json::Map::new(),
        note: None,
        assignee_id: None,
        bitrix_block_openlines: false,
        last_message_at_ms: Some(T0),
        last_income_message_at_ms: None,
        created_at_ms: T0,
    };
    assert_eq!(posted.conversation, want);
    assert_eq!(conversation(s, t.company.id, want.id).await, want);
    let job = posted.job.clone().expect("an outgoing message has a job");
    assert_eq!(
        job,
        Job {
            id: job.id,
            company_id: t.company.id,
            channel_id: t.channel.id,
            channel_type: whatsapp(),
            conversation_id: want.id,
            message_id: posted.message_id,
            state: JobState::TryingDeliver,
            reason: None,
            attempts: 0,
            created_at_ms: T0,
            executed_at_ms: None,
        }
    );
    assert_eq!(
        s.get_job(t.company.id, t.channel.id, job.id)
            .await
            .expect("get job"),
        Some(job.clone())
    );
    assert_eq!(
        message(s, t.company.id, want.id, posted.message_id).await,
        Message {
            id: posted.message_id,
            conversation_id: want.id,
            channel_id: t.channel.id,
            income: false,
            body: "Hello".to_owned(),
            ack: ack_preparing(),
            send_to_crm: true,
            created_at_ms: T0,
            job_id: Some(job.id),
            external_public_id: None,
            interactive: None,
            attachments: Vec::new(),
        }
    );

    // The same contact again: the same conversation, a new message and job; a name
    // now given replaces the placeholder.
    let again = s
        .start_conversation(
            t.channel.clone(),
            contact("79250000001", Some("Ivan")),
            text("Still there?"),
            T0 + 100,
        )
        .await
        .expect("start again");
    assert!(!again.created);
    let want = Conversation {
        name: "Ivan".to_owned(),
        last_message_at_ms: Some(T0 + 100),
        ..want
    };
    assert_eq!(again.conversation, want);
    assert!(again.message_id > posted.message_id);
    let job2 = again.job.expect("a job");
    assert!(job2.id > job.id);
    assert_eq!(job2.message_id, again.message_id);
    assert_eq!(
        s.list_conversations(t.company.id, everything())
            .await
            .expect("list"),
        vec![want.clone()]
    );

    // Another contact: another conversation, named as given; `send_to_crm` is kept.
    let other = s
        .start_conversation(
            t.channel.clone(),
            contact("79250000002", Some("Petr")),
            confab_store::OutgoingText {
                send_to_crm: false,
                ..text("Hi Petr")
            },
            T0 + 200,
        )
        .await
        .expect("start another");
    assert!(other.created);
    assert!(other.conversation.id > want.id);
    assert_eq!(other.conversation.name, "Petr");
    assert!(
        !message(s, t.company.id, other.conversation.id, other.message_id)
            .await
            .send_to_crm
    );
    assert_eq!(
        s.list_conversations(t.company.id, everything())
            .await
            .expect("list")
            .len(),
        2
    );
}

async fn receive_message_finds_or_creates_and_renames(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let first = s
        .receive_message(
            t.channel.clone(),
            contact("200", Some("Ivan")),
            incoming("Hi"),
            T0,
        )
        .await
        .expect("receive");
    assert!(first.created);
    assert_eq!(first.job, None, "incoming messages have no job");
    let want = Conversation {
        id: first.conversation.id,
        company_id: t.company.id,
        channel_id: t.channel.id,
        channel_type: whatsapp(),
        sender_external_id: "200".to_owned(),
        name: "Ivan".to_owned(),
        avatar: None,
        meta: serde_json::Map::new(),
        note: None,
        assignee_id: None,
        bitrix_block_openlines: false,
        last_message_at_ms: Some(T0),
        last_income_message_at_ms: Some(T0),
        created_at_ms: T0,
    };
    assert_eq!(first.conversation, want);
    assert_eq!(
        message(s, t.company.id, want.id, first.message_id).await,
        Message {
            id: first.message_id,
            conversation_id: want.id,
            channel_id: t.channel.id,
            income: true,
            body: "Hi".to_owned(),
            ack: ack_delivered(),
            send_to_crm: true,
            created_at_ms: T0,
            job_id: None,
            external_public_id: None,
            interactive: None,
            attachments: Vec::new(),
        }
    );

    // No name: the known one stays.
    let second = s
        .receive_message(
            t.channel.clone(),
            contact("200", None),
            incoming("Anyone?"),
            T0 + 10,
        )
        .await
        .expect("receive");
    assert!(!second.created);
    assert!(second.message_id > first.message_id);
    let want = Conversation {
        last_message_at_ms: Some(T0 + 10),
        last_income_message_at_ms: Some(T0 + 10),
        ..want
    };
    assert_eq!(second.conversation, want);

    // A new name replaces it.
    let third = s
        .receive_message(
            t.channel.clone(),
            contact("200", Some("Ivan P.")),
            incoming("It's me"),
            T0 + 20,
        )
        .await
        .expect("receive");
    assert!(!third.created);
    let want = Conversation {
        name: "Ivan P.".to_owned(),
        last_message_at_ms: Some(T0 + 20),
        last_income_message_at_ms: Some(T0 + 20),
        ..want
    };
    assert_eq!(third.conversation, want);
    assert_eq!(conversation(s, t.company.id, want.id).await, want);

    // An outgoing message moves the last-message time only.
    outbound(s, &t, want.id, "Hello Ivan", T0 + 30).await;
    let want = Conversation {
        last_message_at_ms: Some(T0 + 30),
        ..want
    };
    assert_eq!(conversation(s, t.company.id, want.id).await, want);

    // The same contact id on another channel is another conversation.
    let telegram_channel = s
        .create_channel(t.company.id, new_channel(telegram()), T0)
        .await
        .expect("create");
    let elsewhere = s
        .receive_message(
            telegram_channel.clone(),
            contact("200", None),
            incoming("Hi from Telegram"),
            T0 + 40,
        )
        .await
        .expect("receive");
    assert!(elsewhere.created);
    assert_ne!(elsewhere.conversation.id, want.id);
    assert_eq!(elsewhere.conversation.channel_id, telegram_channel.id);
    assert_eq!(elsewhere.conversation.channel_type, telegram());
    assert_eq!(elsewhere.conversation.name, "200");
    assert_eq!(conversation(s, t.company.id, want.id).await, want);
}

async fn incoming_attachments_are_bound_to_their_message(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let hello = inbound(s, &t, "300", "hello", T0).await;
    let existing = hello.conversation;
    // The conversation id in the new attachments is the store's to fill in.
    let files = vec![new_attachment(0, "a.png"), new_attachment(0, "b.pdf")];
    let posted = s
        .receive_message(
            t.channel.clone(),
            contact("300", None),
            NewIncoming {
                body: String::new(),
                attachments: files.clone(),
                source: None,
            },
            T0 + 5,
        )
        .await
        .expect("receive");
    assert_eq!(posted.conversation.id, existing.id);
    let stored = message(s, t.company.id, existing.id, posted.message_id).await;
    assert_eq!(stored.body, "");
    assert_eq!(stored.attachments.len(), 2, "{stored:?}");
    assert!(
        stored.attachments[0].id < stored.attachments[1].id,
        "attachments in upload order"
    );
    for (got, file) in stored.attachments.iter().zip(&files) {
        let want = Attachment {
            id: got.id,
            company_id: t.company.id,
            conversation_id: existing.id,
            message_id: Some(posted.message_id),
            file_name: file.file_name.clone(),
            mime_type: file.mime_type.clone(),
            size: file.size,
            blob_key: file.blob_key.clone(),
            source_url: file.source_url.clone(),
            created_at_ms: T0 + 5,
        };
        assert_eq!(got, &want);
        assert_eq!(
            s.get_attachment(t.company.id, got.id)
                .await
                .expect("get attachment"),
            Some(want)
        );
    }
    // A new conversation's first message can bring files too.
    let fresh = s
        .receive_message(
            t.channel.clone(),
            contact("301", None),
            NewIncoming {
                body: "see this".to_owned(),
                attachments: vec![new_attachment(0, "c.jpg")],
                source: None,
            },
            T0 + 6,
        )
        .await
        .expect("receive");
    assert!(fresh.created);
    let stored = message(s, t.company.id, fresh.conversation.id, fresh.message_id).await;
    assert_eq!(stored.attachments.len(), 1);
    assert_eq!(stored.attachments[0].conversation_id, fresh.conversation.id);
    assert_eq!(stored.attachments[0].message_id, Some(fresh.message_id));
    // Other messages carry none of them.
    let hello = message(s, t.company.id, existing.id, hello.message_id).await;
    assert!(hello.attachments.is_empty());
}

async fn conversations_page_by_id_both_ways(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let mut expected = Vec::new();
    for n in 0..5 {
        // b's conversations fall between a's.
        inbound(s, &b, &format!("b{n}"), "hi", T0).await;
        let posted = inbound(s, &a, &format!("a{n}"), "hi", T0 + n).await;
        expected.push(posted.conversation.id);
    }
    let listed = s
        .list_conversations(a.company.id, everything())
        .await
        .expect("list");
    assert_eq!(ids(&listed, |c| c.id), expected);
    for c in &listed {
        assert_eq!(&conversation(s, a.company.id, c.id).await, c);
    }
    let company_id = a.company.id;
    check_id_paging("conversations", &expected, |p| async move {
        let page = s.list_conversations(company_id, p).await.expect("list");
        ids(&page, |c| c.id)
    })
    .await;
}

async fn note_assignee_and_bitrix_flag(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let c = inbound(s, &t, "400", "hi", T0).await.conversation;
    let company_id = t.company.id;

    assert!(
        s.set_note(company_id, c.id, "VIP customer".to_owned())
            .await
            .expect("note")
    );
    assert!(
        s.set_assignee(company_id, c.id, Some(t.user.id), T0)
            .await
            .expect("assign")
    );
    let want = Conversation {
        note: Some("VIP customer".to_owned()),
        assignee_id: Some(t.user.id),
        ..c.clone()
    };
    assert_eq!(conversation(s, company_id, c.id).await, want);
    assert!(
        s.set_assignee(company_id, c.id, None, T0)
            .await
            .expect("unassign")
    );
    let want = Conversation {
        assignee_id: None,
        ..want
    };
    assert_eq!(conversation(s, company_id, c.id).await, want);

    // `None` flips the flag; `Some` sets it; the conversation comes back as it is now.
    let flag = |enabled| async move {
        s.set_bitrix_block_openlines(company_id, c.id, enabled)
            .await
            .expect("bitrix")
            .expect("the conversation exists")
            .bitrix_block_openlines
    };
    assert!(flag(None).await);
    assert!(flag(Some(true)).await);
    assert!(!flag(None).await);
    assert!(!flag(Some(false)).await);
    assert!(flag(Some(true)).await);
    let want = Conversation {
        bitrix_block_openlines: true,
        ..want
    };
    assert_eq!(
        s.set_bitrix_block_openlines(company_id, c.id, Some(true))
            .await
            .expect("bitrix"),
        Some(want.clone())
    );
    assert_eq!(conversation(s, company_id, c.id).await, want);

    // No such conversation.
    assert!(
        !s.set_note(company_id, 999, "x".to_owned())
            .await
            .expect("note")
    );
    assert!(
        !s.set_assignee(company_id, 999, Some(1), T0)
            .await
            .expect("assign")
    );
    assert_eq!(
        s.set_bitrix_block_openlines(company_id, 999, None)
            .await
            .expect("bitrix"),
        None
    );
    assert_eq!(
        s.get_conversation(company_id, 999).await.expect("get"),
        None
    );
}
