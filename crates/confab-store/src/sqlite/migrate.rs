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
    // 0013 is taken by another branch; at the merge it goes before this one.
    include_str!("../../migrations/sqlite/0014_sessions.sql"),
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
