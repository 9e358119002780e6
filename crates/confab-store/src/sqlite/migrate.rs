//! Forward-only schema migrations, tracked in `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

use crate::{StoreError, StoreResult};

/// The migrations in order; the database's `user_version` counts how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_delivery.sql"),
    include_str!("../../migrations/sqlite/0003_webhooks.sql"),
    include_str!("../../migrations/sqlite/0004_attachments_by_message.sql"),
    include_str!("../../migrations/sqlite/0005_event_log.sql"),
    include_str!("../../migrations/sqlite/0006_member_roles.sql"),
    include_str!("../../migrations/sqlite/0007_intake.sql"),
    include_str!("../../migrations/sqlite/0008_due_receipts.sql"),
    include_str!("../../migrations/sqlite/0009_messages_by_external_id.sql"),
    include_str!("../../migrations/sqlite/0010_waba_templates.sql"),
    include_str!("../../migrations/sqlite/0011_channel_signins.sql"),
    include_str!("../../migrations/sqlite/0012_idempotency_keys.sql"),
    include_str!("../../migrations/sqlite/0013_conversation_search.sql"),
    include_str!("../../migrations/sqlite/0014_sessions.sql"),
    include_str!("../../migrations/sqlite/0015_conversation_tallies.sql"),
];

/// Applies every migration the database has not seen yet, each in its own transaction.
///
/// The version is read inside the write transaction, so two processes opening a fresh data
/// dir at once (`confab serve` and `confab user create`) cannot both apply one migration.
pub(super) fn run(conn: &mut Connection) -> StoreResult<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let applied: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let applied = usize::try_from(applied).unwrap_or(usize::MAX);
        if applied > MIGRATIONS.len() {
            return Err(StoreError::database(format!(
                "the database has schema version {applied}, newer than this confab knows \
                 ({}); use a newer confab",
                MIGRATIONS.len()
            )));
        }
        let Some(sql) = MIGRATIONS.get(applied) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(applied + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;

    /// A database made before the search migration: its conversations get their activity
    /// time, whether they await a reply, and their contact and messages in the search
    /// tables.
    #[test]
    fn the_search_migration_backfills_existing_rows() -> StoreResult<()> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::database(e.to_string()))?;
        let mut conn = Connection::open(dir.path().join("old.db"))?;
        // 0001 to 0012: the search migration is the 13th, whatever comes after it.
        let before = 12;
        for sql in MIGRATIONS.iter().take(before) {
            conn.execute_batch(sql)?;
        }
        conn.pragma_update(None, "user_version", before as i64)?;
        conn.execute_batch(
            "INSERT INTO companies (id, name, created_at) VALUES (1, 'Acme', 0);
             INSERT INTO channels (id, company_id, provider, connector, created_at)
                 VALUES (1, 1, 'whatsapp', 'sandbox', 0);",
        )?;
        // (id, name, last message income, its time): waits, answered, no message yet.
        for (id, name, last) in [
            (1, "Иван", Some((true, 300))),
            (2, "Jane", Some((false, 200))),
            (3, "Bob", None),
        ] {
            conn.execute(
                "INSERT INTO conversations (company_id, id, channel_id, channel_type,
                   sender_external_id, name, last_message_at, created_at)
                 VALUES (1, ?1, 1, 'whatsapp', ?2, ?3, ?4, 100)",
                params![id, format!("7925000000{id}"), name, last.map(|(_, at)| at)],
            )?;
            if let Some((income, at)) = last {
                conn.execute(
                    "INSERT INTO messages (conversation_id, id, company_id, channel_id, income,
                       body, ack, created_at)
                     VALUES (?1, ?2, 1, 1, ?3, 'earlier', 0, ?4 - 50),
                            (?1, ?2 + 1, 1, 1, ?3, 'Привет мир', 0, ?4)",
                    params![id, id * 10, income, at],
                )?;
            }
        }
        run(&mut conn)?;
        let rows: Vec<(i64, i64, bool)> = conn
            .prepare("SELECT id, activity_at, awaiting_reply FROM conversations ORDER BY id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        assert_eq!(rows, [(1, 300, true), (2, 200, false), (3, 100, false)]);
        let texts: Vec<i64> = conn
            .prepare(
                "SELECT DISTINCT conversation_id FROM message_search
                 WHERE message_search MATCH '\"привет\"*' ORDER BY 1",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        assert_eq!(texts, [1, 2]);
        let contact: i64 = conn.query_row(
            "SELECT rowid FROM contact_search WHERE contact_search MATCH '\"иван\"*'",
            [],
            |r| r.get(0),
        )?;
        assert_eq!(contact, 1);
        // The tallies of the tab counts (migration 0015) start from the rows already there:
        // (channel, assignee or 0, awaiting, conversations).
        let tallies: Vec<(i64, i64, bool, i64)> = conn
            .prepare(
                "SELECT channel_id, assignee_id, awaiting_reply, conversations
                 FROM conversation_tallies WHERE company_id = 1 ORDER BY 1, 2, 3",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        assert_eq!(tallies, [(1, 0, false, 2), (1, 0, true, 1)]);
        Ok(())
    }
}
