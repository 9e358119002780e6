//! PostgreSQL only: transactions commit in any order, and the log must neither skip an
//! event committed late with an earlier insertion, nor make one company's writers wait for
//! each other. The late transaction here is held open on a connection of the test's own.

use std::time::Duration;

use confab_store::{Event, EventQuery};
use sqlx::Connection;

use crate::fixtures::{T0, inbound, tenant};

fn after(after: i64) -> EventQuery {
    EventQuery {
        after: Some(after),
        limit: 100,
        ..EventQuery::default()
    }
}

#[tokio::test]
async fn a_late_commit_is_read_after_the_cursor_not_skipped() {
    let Some(s) = crate::backend::postgres().await else {
        eprintln!("skipped: CONFAB_TEST_DATABASE_URL is not set");
        return;
    };
    let url = s
        .database_url
        .clone()
        .expect("a PostgreSQL backend has a URL");
    let t = tenant(&s, 1, true).await;
    let cid = t.company.id;

    // A writer inserts an event of the company first, and commits last.
    let mut late = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::query("BEGIN")
        .execute(&mut late)
        .await
        .expect("begin");
    let qr = Event::QrCode {
        channel_id: t.channel.id,
        image_base64: "late".to_owned(),
    };
    sqlx::query(
        "INSERT INTO events (company_id, event, snapshot, deliver, created_at)
         VALUES ($1, $2, $3, TRUE, $4)",
    )
    .bind(cid)
    .bind(qr.label())
    .bind(serde_json::to_string(&qr).expect("snapshot"))
    .bind(T0)
    .execute(&mut late)
    .await
    .expect("insert the late event");

    // Meanwhile the company's other writes go through without waiting for it.
    tokio::time::timeout(Duration::from_secs(10), async {
        inbound(&s, &t, "600", "early", T0 + 1).await;
        inbound(&s, &t, "600", "early again", T0 + 2).await;
    })
    .await
    .expect("writes of the same company do not wait for an open transaction");
    s.sequence_events().await.expect("sequence");
    let first = s.read_events(cid, after(0)).await.expect("read");
    let labels: Vec<&str> = first.events.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["conversation.new", "message.new", "message.new"]);
    let cursor = first.next_after;

    // The late one commits: it is read after the cursor, not lost behind it.
    sqlx::query("COMMIT")
        .execute(&mut late)
        .await
        .expect("commit");
    s.sequence_events().await.expect("sequence");
    let next = s.read_events(cid, after(cursor)).await.expect("read");
    assert_eq!(next.events.len(), 1, "{next:?}");
    assert_eq!(next.events[0].event, qr);
    assert!(next.events[0].id > cursor);
    // Webhooks deliver it, in the same order.
    let delivered: Vec<i64> = crate::fixtures::events_of(&s, cid)
        .await
        .iter()
        .map(|e| e.id)
        .collect();
    let mut logged: Vec<i64> = first.events.iter().map(|e| e.id).collect();
    logged.push(next.events[0].id);
    assert_eq!(delivered, logged);
}

#[tokio::test]
async fn events_get_ids_by_themselves_and_in_insertion_order() {
    let Some(s) = crate::backend::postgres().await else {
        eprintln!("skipped: CONFAB_TEST_DATABASE_URL is not set");
        return;
    };
    let t = tenant(&s, 1, false).await;
    // Concurrent writers of one company; no explicit sequencing: the background does it.
    let writes = (0..20).map(|n| {
        let s = &s;
        let t = &t;
        async move { inbound(s, t, &format!("c{n}"), "hi", T0 + n).await }
    });
    futures_util::future::join_all(writes).await;
    let mut got = Vec::new();
    for _ in 0..100 {
        got = s
            .read_events(t.company.id, after(0))
            .await
            .expect("read")
            .events;
        if got.len() == 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        got.len(),
        40,
        "every event became readable without being asked"
    );
    let ids: Vec<i64> = got.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
}
