//! The bulk writer for PostgreSQL: `COPY ... FROM STDIN` in text format, one table at a
//! time, each in the transaction that truncated it so the rows are written frozen.

use std::io::Write as _;

use anyhow::Context as _;
use sqlx::{Connection as _, PgConnection};

use super::{Plan, Progress};

/// Bytes of COPY text gathered before they are sent: big enough that the per-send cost
/// vanishes, small enough to keep memory flat.
const CHUNK_BYTES: usize = 1 << 20;

/// Empties the database: drops the `public` schema with everything in it (tables,
/// sequences, sqlx's migration record) and recreates it, so the store's migrations run
/// on a clean database.
///
/// # Errors
/// When the database cannot be reached or the schema cannot be dropped.
pub(super) async fn reset(url: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    sqlx::raw_sql("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        .execute(&mut conn)
        .await
        .context("emptying the database")?;
    conn.close().await?;
    Ok(())
}

/// Copies the plan's conversations and messages into the migrated database at `url`,
/// moves the id sequences past them and gathers statistics.
///
/// # Errors
/// When the database cannot be reached or written.
pub(super) async fn load(url: &str, plan: &Plan) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    // Waiting for the WAL flush at each commit buys nothing for a load that is redone
    // from scratch when it fails.
    sqlx::raw_sql("SET synchronous_commit = off")
        .execute(&mut conn)
        .await?;
    let mut progress = Progress::new(plan.total_rows());
    copy_conversations(&mut conn, plan, &mut progress).await?;
    copy_messages(&mut conn, plan, &mut progress).await?;
    progress.report("load: rows written");

    // The store takes its next ids from these sequences, so they continue without a clash.
    let conversations = plan.spec.conversations.cast_signed();
    let messages = plan.spec.messages.cast_signed();
    if conversations > 0 {
        sqlx::query("SELECT setval('conversations_id_seq', $1)")
            .bind(conversations)
            .execute(&mut conn)
            .await?;
    }
    if messages > 0 {
        sqlx::query("SELECT setval('messages_id_seq', $1)")
            .bind(messages)
            .execute(&mut conn)
            .await?;
    }
    eprintln!("load: gathering statistics and checkpointing");
    sqlx::raw_sql("ANALYZE")
        .execute(&mut conn)
        .await
        .context("analysing the tables")?;
    // Writing the loaded pages out now keeps a checkpoint (gigabytes of writes) from
    // landing in the benchmark that follows. It needs superuser or pg_checkpoint, which
    // a bench database's owner may lack; the load is still good without it.
    if let Err(e) = sqlx::raw_sql("CHECKPOINT").execute(&mut conn).await {
        eprintln!("load: CHECKPOINT failed ({e}); the server may checkpoint during the run");
    }
    conn.close().await?;
    Ok(())
}

/// One `COPY` into `table`, fed by `fill`, which appends rows to the buffer and returns
/// how many it added, or `None` when it has no more.
async fn copy_table(
    conn: &mut PgConnection,
    table: &'static str,
    copy: &'static str,
    mut fill: impl FnMut(&mut Vec<u8>) -> anyhow::Result<Option<u64>>,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    let mut tx = conn.begin().await?;
    // Truncating in the COPY's own transaction allows FREEZE: the rows are written
    // already frozen and all-visible, so the first reads (and autovacuum) do not rewrite
    // every page to set hint bits.
    sqlx::query(sqlx::AssertSqlSafe(format!("TRUNCATE {table}")))
        .execute(&mut *tx)
        .await?;
    let mut sink = tx
        .copy_in_raw(copy)
        .await
        .with_context(|| format!("starting the COPY into {table}"))?;
    let mut buf = Vec::with_capacity(CHUNK_BYTES + 64 * 1024);
    let mut done = false;
    while !done {
        buf.clear();
        while buf.len() < CHUNK_BYTES {
            match fill(&mut buf)? {
                Some(rows) => progress.add(rows),
                None => {
                    done = true;
                    break;
                }
            }
        }
        if !buf.is_empty() {
            sink.send(buf.as_slice())
                .await
                .with_context(|| format!("copying into {table}"))?;
        }
    }
    sink.finish()
        .await
        .with_context(|| format!("finishing the COPY into {table}"))?;
    tx.commit().await?;
    Ok(())
}

/// Copies every conversation row.
async fn copy_conversations(
    conn: &mut PgConnection,
    plan: &Plan,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    let mut rows = plan.rows();
    copy_table(
        conn,
        "conversations",
        "COPY conversations (company_id, id, channel_id, channel_type, sender_external_id, \
         name, meta, last_message_at, last_income_message_at, created_at, activity_at, \
         awaiting_reply, assignee_id) \
         FROM STDIN WITH (FREEZE)",
        |buf| {
            let Some(c) = rows.next_conversation() else {
                return Ok(None);
            };
            // The generated text holds no tab, newline or backslash, so it goes in as is.
            write!(
                buf,
                "{}\t{}\t{}\twhatsapp\t{}\t{}\t{{}}\t",
                c.company_id, c.id, c.channel_id, c.sender_external_id, c.name
            )?;
            write_optional(buf, c.last_message_at)?;
            buf.push(b'\t');
            write_optional(buf, c.last_income_message_at)?;
            write!(
                buf,
                "\t{}\t{}\t{}\t",
                c.created_at,
                c.activity_at,
                if c.awaiting_reply { 't' } else { 'f' }
            )?;
            write_optional(buf, c.assignee_id)?;
            buf.push(b'\n');
            Ok(Some(1))
        },
        progress,
    )
    .await
}

/// Copies every message row.
async fn copy_messages(
    conn: &mut PgConnection,
    plan: &Plan,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    let mut rows = plan.rows();
    copy_table(
        conn,
        "messages",
        "COPY messages (conversation_id, id, company_id, channel_id, income, body, ack, \
         send_to_crm, created_at) FROM STDIN WITH (FREEZE)",
        |buf| {
            let Some(c) = rows.next_conversation() else {
                return Ok(None);
            };
            let mut count = 0;
            for m in c.messages() {
                writeln!(
                    buf,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\tt\t{}",
                    c.id,
                    m.id,
                    c.company_id,
                    c.channel_id,
                    if m.income { 't' } else { 'f' },
                    m.body,
                    m.ack,
                    m.created_at
                )?;
                count += 1;
            }
            Ok(Some(count))
        },
        progress,
    )
    .await
}

/// A nullable number in COPY text: `\N` for NULL.
fn write_optional(buf: &mut Vec<u8>, value: Option<i64>) -> std::io::Result<()> {
    match value {
        Some(v) => write!(buf, "{v}"),
        None => buf.write_all(b"\\N"),
    }
}
