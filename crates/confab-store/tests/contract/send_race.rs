//! PostgreSQL only: two sends from two nodes that overlap in time and name the same
//! attachment (one node commits its own concurrent sends together, so the race is between
//! nodes). A connection of the test's own holds the conversation's row, so both sends are
//! in flight together before either can commit; only one may bind the attachment.

use std::time::Duration;

use confab_store::Store;
use sqlx::Connection;

use crate::fixtures::{
    FIELD_ATTACHMENTS, T0, assert_invalid, inbound, messages_of, new_attachment, outgoing, tenant,
};

/// A connection of the test's own, in a transaction holding the conversation's row until
/// the test commits it.
async fn hold_conversation(url: &str, company_id: i64, conversation_id: i64) -> sqlx::PgConnection {
    let mut holder = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query("BEGIN")
        .execute(&mut holder)
        .await
        .expect("begin");
    sqlx::query("SELECT 1 FROM conversations WHERE company_id = $1 AND id = $2 FOR UPDATE")
        .bind(company_id)
        .bind(conversation_id)
        .execute(&mut holder)
        .await
        .expect("hold the conversation");
    holder
}

#[tokio::test]
async fn overlapping_sends_bind_an_attachment_once() {
    let Some(s) = crate::backend::postgres().await else {
        eprintln!("skipped: CONFAB_TEST_DATABASE_URL is not set");
        return;
    };
    let url = s
        .database_url
        .clone()
        .expect("a PostgreSQL backend has a URL");
    let t = tenant(&s, 1, false).await;
    let c = inbound(&s, &t, "100", "hi", T0).await.conversation.id;
    let file = s
        .create_attachment(t.company.id, new_attachment(c, "one.png"), T0)
        .await
        .expect("upload")
        .id;
    let before = messages_of(&s, t.company.id, c).await.len();

    let other_node = confab_store::PgStore::connect(&url, 2)
        .await
        .expect("a second node");
    let mut holder = hold_conversation(&url, t.company.id, c).await;
    let nodes: [&dyn Store; 2] = [&*s, &other_node];
    let sends = futures_util::future::join_all(nodes.iter().enumerate().map(|(n, node)| {
        node.send_message(
            t.company.id,
            outgoing(c, &format!("overlap {n}"), vec![file]),
            T0 + 1,
        )
    }));
    let release = async {
        // Long enough for both sends to reach the held row.
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::query("COMMIT")
            .execute(&mut holder)
            .await
            .expect("commit");
    };
    let (outcomes, ()) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(sends, release)
    })
    .await
    .expect("the sends finish once the row is free");

    let won: Vec<confab_store::Job> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().cloned())
        .collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    for lost in outcomes.into_iter().filter(Result::is_err) {
        assert_invalid(lost, FIELD_ATTACHMENTS);
    }
    assert_eq!(
        messages_of(&s, t.company.id, c).await.len(),
        before + 1,
        "the refused send stored nothing"
    );
    assert_eq!(
        s.get_attachment(t.company.id, file)
            .await
            .expect("get")
            .and_then(|a| a.message_id),
        Some(won[0].message_id)
    );
}

#[tokio::test]
async fn a_held_conversation_delays_only_its_own_sends() {
    let Some(s) = crate::backend::postgres().await else {
        eprintln!("skipped: CONFAB_TEST_DATABASE_URL is not set");
        return;
    };
    let url = s
        .database_url
        .clone()
        .expect("a PostgreSQL backend has a URL");
    let t = tenant(&s, 1, false).await;
    let held = inbound(&s, &t, "100", "hi", T0).await.conversation.id;
    // Eight more conversations: whichever of a node's lanes the held one's sends take,
    // some of these share it, so their sends are batched with the held one's.
    let mut free = Vec::new();
    for n in 0..8 {
        let phone = format!("{}", 101 + n);
        free.push(inbound(&s, &t, &phone, "hi", T0).await.conversation.id);
    }

    // Another transaction holds one conversation's row for as long as the test says.
    let mut holder = hold_conversation(&url, t.company.id, held).await;

    // Sent together, so sends of one lane are batched with the held one first.
    let to_held = s.send_message(t.company.id, outgoing(held, "waits", Vec::new()), T0 + 1);
    let to_free = futures_util::future::join_all(
        free.iter()
            .map(|c| s.send_message(t.company.id, outgoing(*c, "free", Vec::new()), T0 + 1)),
    );
    tokio::pin!(to_held);
    let freed = tokio::select! {
        freed = tokio::time::timeout(Duration::from_secs(10), to_free) => freed,
        early = &mut to_held => panic!("the send to the held conversation went through: {early:?}"),
    };
    // While the row is still held, the other conversation's sends are all stored.
    for sent in freed.expect("sends to another conversation do not wait for the held row") {
        sent.expect("send");
    }
    for c in &free {
        assert_eq!(messages_of(&s, t.company.id, *c).await.len(), 2);
    }

    sqlx::query("COMMIT")
        .execute(&mut holder)
        .await
        .expect("commit");
    let job = tokio::time::timeout(Duration::from_secs(10), to_held)
        .await
        .expect("the held conversation's send goes through once the row is free")
        .expect("send");
    assert_eq!(job.conversation_id, held);
}
