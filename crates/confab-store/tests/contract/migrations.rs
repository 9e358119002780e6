//! PostgreSQL migrations that rewrite existing rows, checked on a database made before
//! them (the SQLite ones are checked beside `sqlite/migrate.rs`).

use std::path::Path;

use confab_store::{
    ConversationFilter, ConversationOrder, ConversationQuery, PgStore, SearchTerms, Store,
};
use sqlx::Connection;
use sqlx::migrate::Migrator;

use crate::backend::empty_postgres_database;

/// The first migration of the conversation search.
const SEARCH_VERSION: i64 = 11;

#[tokio::test]
async fn the_search_migration_backfills_existing_rows_on_postgres() {
    let Some(url) = empty_postgres_database().await else {
        eprintln!("skipped: CONFAB_TEST_DATABASE_URL is not set");
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut before = Migrator::new(dir).await.expect("read the migrations");
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < SEARCH_VERSION)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    before.run(&mut conn).await.expect("the earlier migrations");
    sqlx::raw_sql(
        "INSERT INTO companies (id, name, created_at) VALUES (1, 'Acme', 0);
         INSERT INTO channels (id, company_id, provider, connector, created_at)
             VALUES (1, 1, 'whatsapp', 'sandbox', 0);
         INSERT INTO conversations (company_id, id, channel_id, channel_type,
             sender_external_id, name, last_message_at, created_at)
         VALUES (1, 1, 1, 'whatsapp', '79250000001', 'Иван', 300, 100),
                (1, 2, 1, 'whatsapp', '79250000002', 'Jane', 200, 100),
                (1, 3, 1, 'whatsapp', '79250000003', 'Bob', NULL, 100);
         INSERT INTO messages (conversation_id, id, company_id, channel_id, income, body, ack,
             created_at)
         VALUES (1, 10, 1, 1, FALSE, 'earlier', 0, 250), (1, 11, 1, 1, TRUE, 'Привет мир', 0, 300),
                (2, 20, 1, 1, TRUE, 'earlier', 0, 150), (2, 21, 1, 1, FALSE, 'Привет', 0, 200);",
    )
    .execute(&mut conn)
    .await
    .expect("rows of the old schema");
    conn.close().await.ok();

    let store = PgStore::connect(&url, 2).await.expect("migrate the rest");
    let list = |filter: ConversationFilter| ConversationQuery {
        filter,
        order: ConversationOrder::LastMessage,
        after: None,
        descending: true,
        limit: 10,
    };
    let ids = |rows: Vec<confab_store::Conversation>| rows.iter().map(|c| c.id).collect::<Vec<_>>();
    let all = store
        .find_conversations(1, list(ConversationFilter::default()))
        .await
        .expect("list");
    assert_eq!(ids(all), [1, 2, 3]);
    let waiting = ConversationFilter {
        awaiting_reply: true,
        ..ConversationFilter::default()
    };
    assert_eq!(
        ids(store
            .find_conversations(1, list(waiting))
            .await
            .expect("list")),
        [1]
    );
    let search = |q: &str| ConversationFilter {
        search: SearchTerms::parse(q),
        ..ConversationFilter::default()
    };
    let found = store
        .find_conversations(1, list(search("привет")))
        .await
        .expect("list");
    assert_eq!(ids(found), [1, 2]);
    let found = store
        .find_conversations(1, list(search("иван")))
        .await
        .expect("list");
    assert_eq!(ids(found), [1]);
    // The tallies of the tab counts start from the rows already there (none assigned).
    let counts = store.count_conversations(1, 7, None).await.expect("counts");
    assert_eq!(
        counts,
        confab_store::ConversationCounts {
            mine: 0,
            unassigned: 3,
            all: 3,
            awaiting_reply: 1,
        }
    );
}
