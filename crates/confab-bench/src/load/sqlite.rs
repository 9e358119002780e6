//! The bulk writer for SQLite: prepared INSERTs on one private connection, committed in
//! large transactions.

use std::path::Path;

use anyhow::Context as _;
use rusqlite::{Connection, params};

use super::{Plan, Progress};

/// Rows per transaction: large enough that commits cost nothing, small enough that the
/// dirty page set stays modest.
const ROWS_PER_TRANSACTION: u64 = 100_000;

/// Writes the plan's conversations and messages into the migrated database at `db`, then
/// leaves it as the server expects it: WAL mode, statistics gathered, WAL empty, file
/// synced.
///
/// # Errors
/// When the database cannot be opened or written.
pub(super) fn load(db: &Path, plan: &Plan) -> anyhow::Result<()> {
    let conn = Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    // Only this connection is open, so nothing else can see the relaxed settings: no WAL
    // (every page would otherwise be written twice, to the WAL then to the file), no fsync
    // per commit, and foreign keys unchecked (the plan's channel ids are the real ones).
    // A rollback journal in memory still lets a failed transaction roll back.
    conn.execute_batch(
        "PRAGMA journal_mode = MEMORY;
         PRAGMA synchronous = OFF;
         PRAGMA foreign_keys = OFF;
         PRAGMA cache_size = -131072;",
    )?;
    write_rows(&conn, plan)?;

    eprintln!("load: gathering statistics and checkpointing");
    // `analysis_limit` samples each index instead of reading all of it; the planner only
    // needs rough sizes here, and a full ANALYZE would read gigabytes.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA analysis_limit = 1000;
         ANALYZE;
         PRAGMA wal_checkpoint(TRUNCATE);",
    )?;
    drop(conn);
    // With `synchronous = OFF` the rows may still be dirty in the page cache; flushing
    // them now keeps the kernel's write-back out of the benchmark that follows.
    std::fs::File::open(db)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("syncing {}", db.display()))?;
    Ok(())
}

/// Inserts every row in key order and sets the id sequences to the last ids used.
fn write_rows(conn: &Connection, plan: &Plan) -> anyhow::Result<()> {
    let mut conversation = conn.prepare(
        "INSERT INTO conversations
           (company_id, id, channel_id, channel_type, sender_external_id, name, meta,
            last_message_at, last_income_message_at, created_at, activity_at, awaiting_reply,
            assignee_id)
         VALUES (?1, ?2, ?3, 'whatsapp', ?4, ?5, '{}', ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut message = conn.prepare(
        "INSERT INTO messages
           (conversation_id, id, company_id, channel_id, income, body, ack, send_to_crm,
            created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)",
    )?;
    let mut progress = Progress::new(plan.total_rows());
    let mut in_transaction = 0;
    let (mut last_conversation, mut last_message) = (0, 0);
    conn.execute_batch("BEGIN")?;
    let mut rows = plan.rows();
    while let Some(c) = rows.next_conversation() {
        conversation.execute(params![
            c.company_id,
            c.id,
            c.channel_id,
            c.sender_external_id,
            c.name,
            c.last_message_at,
            c.last_income_message_at,
            c.created_at,
            c.activity_at,
            c.awaiting_reply,
            c.assignee_id,
        ])?;
        last_conversation = c.id;
        let mut count = 1;
        for m in c.messages() {
            message.execute(params![
                c.id,
                m.id,
                c.company_id,
                c.channel_id,
                m.income,
                m.body,
                m.ack,
                m.created_at,
            ])?;
            last_message = m.id;
            count += 1;
        }
        progress.add(count);
        in_transaction += count;
        if in_transaction >= ROWS_PER_TRANSACTION {
            conn.execute_batch("COMMIT; BEGIN")?;
            in_transaction = 0;
        }
    }
    // The store allocates the next ids from here, so they continue without a clash.
    for (name, last_id) in [
        ("conversations", last_conversation),
        ("messages", last_message),
    ] {
        let updated = conn.execute(
            "UPDATE sequences SET last_id = ?1 WHERE name = ?2",
            params![last_id, name],
        )?;
        anyhow::ensure!(updated == 1, "the schema has no {name} sequence");
    }
    conn.execute_batch("COMMIT")?;
    progress.report("load: rows written");
    Ok(())
}
