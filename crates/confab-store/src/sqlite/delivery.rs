//! Outgoing messages and their delivery jobs: enqueue in the sender's transaction, claim
//! with a lease, finish once.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::columns::typed;
use super::conversations;
use super::events;
use super::messages::{self, NewMessage};
use crate::{Channel, Claimed, Job, Message, NewOutgoing, Outcome, StoreError, StoreResult, rules};

const JOB_COLUMNS: &str = "j.id, j.company_id, j.channel_id, c.provider, j.conversation_id, \
     j.message_id, j.state, j.reason, j.attempts, j.created_at, j.executed_at";

fn job_from_row(r: &Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: r.get(0)?,
        company_id: r.get(1)?,
        channel_id: r.get(2)?,
        channel_type: typed(r, 3)?,
        conversation_id: r.get(4)?,
        message_id: r.get(5)?,
        state: typed(r, 6)?,
        reason: r.get(7)?,
        attempts: r.get(8)?,
        created_at_ms: r.get(9)?,
        executed_at_ms: r.get(10)?,
    })
}

pub(super) fn get_job(
    conn: &Connection,
    company_id: i64,
    channel_id: i64,
    job_id: i64,
) -> StoreResult<Option<Job>> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM jobs j JOIN channels c ON c.id = j.channel_id
         WHERE j.company_id = ?1 AND j.channel_id = ?2 AND j.id = ?3"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![company_id, channel_id, job_id], job_from_row)
        .optional()?)
}

fn job_by_id(conn: &Connection, job_id: i64) -> StoreResult<Job> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM jobs j JOIN channels c ON c.id = j.channel_id WHERE j.id = ?1"
    );
    conn.prepare_cached(&sql)?
        .query_row([job_id], job_from_row)
        .optional()?
        .ok_or(StoreError::NotFound("job"))
}

/// Creates the delivery job of a stored outgoing message. Runs inside the caller's write
/// transaction, so a message is never stored without its job.
pub(super) fn enqueue(
    conn: &Connection,
    channel: &Channel,
    conversation_id: i64,
    message_id: i64,
    now_ms: i64,
) -> StoreResult<Job> {
    conn.execute(
        "INSERT INTO jobs (company_id, channel_id, conversation_id, message_id, run_after, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![channel.company_id, channel.id, conversation_id, message_id, now_ms],
    )?;
    let job_id = conn.last_insert_rowid();
    conn.execute(
        "UPDATE messages SET job_id = ?1 WHERE conversation_id = ?2 AND id = ?3",
        params![job_id, conversation_id, message_id],
    )?;
    job_by_id(conn, job_id)
}

/// Stores an outgoing message with its attachments and its job.
pub(super) fn send(
    conn: &Connection,
    company_id: i64,
    out: &NewOutgoing,
    now_ms: i64,
) -> StoreResult<Job> {
    let conversation = conversations::get(conn, company_id, out.conversation_id)?
        .ok_or(StoreError::NotFound("conversation"))?;
    let channel =
        super::channels::get(conn, company_id, conversation.channel_id)?.ok_or_else(|| {
            StoreError::Invalid {
                field: "conversation",
                reason: "its channel has been deleted; messages cannot be sent through it"
                    .to_owned(),
            }
        })?;
    let interactive = out.interactive.as_ref().map(ToString::to_string);
    let message_id = messages::insert(
        conn,
        &conversation,
        &NewMessage {
            income: false,
            body: &out.body,
            ack: rules::OUTGOING_ACK,
            send_to_crm: out.send_to_crm,
            interactive: interactive.as_deref(),
            external_public_id: None,
        },
        now_ms,
    )?;
    for attachment_id in &out.attachment_ids {
        let bound = conn.execute(
            "UPDATE attachments SET message_id = ?1
             WHERE company_id = ?2 AND conversation_id = ?3 AND id = ?4 AND message_id IS NULL",
            params![message_id, company_id, conversation.id, attachment_id],
        )?;
        if bound == 0 {
            // The whole transaction rolls back: no message, no job, no attachment bound.
            return Err(StoreError::Invalid {
                field: "attachment",
                reason: format!(
                    "attachment {attachment_id} is not an unsent attachment of this conversation"
                ),
            });
        }
    }
    enqueue(conn, &channel, conversation.id, message_id, now_ms)
}

/// Claims up to `limit` due jobs until `lease_until`, with what their delivery needs.
pub(super) fn claim(
    conn: &Connection,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<Claimed>> {
    // Ordered as the `jobs_pending` index is, (run_after, id), so the scan stops after
    // `limit` due jobs: ordered by id alone, every claim sorted the whole backlog.
    let mut stmt = conn.prepare_cached(
        "UPDATE jobs SET lease_until = ?1, attempts = attempts + 1
         WHERE id IN (
             SELECT id FROM jobs
             WHERE state = 'trying_deliver' AND run_after <= ?2
               AND (lease_until IS NULL OR lease_until <= ?2)
             ORDER BY run_after, id LIMIT ?3)
         RETURNING id",
    )?;
    let ids = super::paging::returned_ids(stmt.query(params![lease_until, now_ms, limit])?)?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let job = job_by_id(conn, id)?;
        let channel = channel_any_state(conn, job.channel_id)?;
        let conversation = conversations::get(conn, job.company_id, job.conversation_id)?
            .ok_or(StoreError::NotFound("conversation"))?;
        let message = messages::get(conn, job.company_id, job.conversation_id, job.message_id)?
            .ok_or(StoreError::NotFound("message"))?;
        let contact_unreachable = conn
            .prepare_cached(
                "SELECT unreachable FROM sandbox_contacts
                 WHERE channel_id = ?1 AND sender_external_id = ?2",
            )?
            .query_row(
                params![job.channel_id, conversation.sender_external_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false);
        let template = super::templates::of_job(conn, job.id)?;
        claimed.push(Claimed {
            job,
            lease_until,
            channel,
            conversation,
            message,
            contact_unreachable,
            template,
        });
    }
    Ok(claimed)
}

/// The channel of a job, deleted or not (a job of a deleted channel fails with a reason).
fn channel_any_state(conn: &Connection, channel_id: i64) -> StoreResult<(Channel, bool)> {
    super::channels::any_state(conn, channel_id)?.ok_or(StoreError::NotFound("channel"))
}

/// Extends the lease of a job still being delivered, if the caller still holds it.
pub(super) fn renew(
    conn: &Connection,
    job_id: i64,
    lease_until: i64,
    new_lease_until: i64,
) -> StoreResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET lease_until = ?1
         WHERE id = ?2 AND state = 'trying_deliver' AND lease_until = ?3",
        params![new_lease_until, job_id, lease_until],
    )?;
    Ok(changed > 0)
}

/// Hands a claimed job back untried (see `Store::defer_job`).
pub(super) fn defer(
    conn: &Connection,
    job_id: i64,
    lease_until: i64,
    run_after: i64,
) -> StoreResult<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET lease_until = NULL, run_after = ?1, attempts = MAX(attempts - 1, 0)
         WHERE id = ?2 AND state = 'trying_deliver' AND lease_until = ?3",
        params![run_after, job_id, lease_until],
    )?;
    Ok(changed > 0)
}

/// Records a job's outcome, if the caller still holds its lease, with what the rules say
/// it causes. Returns the job as it is now and the message, or `None` when the lease was
/// lost (another worker took over).
pub(super) fn finish(
    conn: &Connection,
    job_id: i64,
    lease_until: i64,
    outcome: &Outcome,
    now_ms: i64,
) -> StoreResult<Option<(Job, Message)>> {
    let update = rules::job_after(outcome, now_ms);
    let changed = conn.execute(
        "UPDATE jobs SET state = ?1, reason = ?2, executed_at = ?3, lease_until = NULL,
                run_after = COALESCE(?4, run_after)
         WHERE id = ?5 AND state = 'trying_deliver' AND lease_until = ?6",
        params![
            update.state.as_str(),
            update.reason,
            update.executed_at,
            update.run_after,
            job_id,
            lease_until
        ],
    )?;
    if changed == 0 {
        return Ok(None);
    }
    let job = job_by_id(conn, job_id)?;
    if let Outcome::Sent { external_public_id } = outcome {
        conn.execute(
            "UPDATE messages SET ack = MAX(ack, ?1), external_public_id = ?2
             WHERE conversation_id = ?3 AND id = ?4",
            params![
                rules::SENT_ACK.as_i32(),
                external_public_id,
                job.conversation_id,
                job.message_id
            ],
        )?;
    }
    let message = messages::get(conn, job.company_id, job.conversation_id, job.message_id)?
        .ok_or(StoreError::NotFound("message"))?;
    // Only a sent message is announced with its conversation.
    let conversation = if update.sent {
        conversations::get(conn, job.company_id, job.conversation_id)?
    } else {
        None
    };
    let events = rules::on_delivery(&job, &message, conversation.as_ref(), update.sent);
    events::record(
        conn,
        job.company_id,
        Some(job.conversation_id),
        &events,
        now_ms,
    )?;
    let connector: String = conn
        .prepare_cached("SELECT connector FROM channels WHERE id = ?1")?
        .query_row([job.channel_id], |r| r.get(0))?;
    super::due_receipts::after_send(conn, &job, &connector, update.sent, now_ms)?;
    Ok(Some((job, message)))
}
