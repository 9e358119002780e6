//! Outgoing messages and their delivery jobs: enqueue in the sender's transaction, claim
//! with `FOR UPDATE SKIP LOCKED` and a lease, finish once.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::columns::typed;
use super::conversations;
use super::events;
use super::messages;
use crate::{
    Channel, Claimed, Job, Message, NewOutgoing, Outcome, QueueStats, StoreError, StoreResult,
    rules,
};

/// The columns [`job_from_row`] reads, over `jobs j JOIN channels c`. A macro so every
/// statement stays one `&'static str`.
macro_rules! job_columns {
    () => {
        "j.id, j.company_id, j.channel_id, c.provider, j.conversation_id, j.message_id, \
         j.state, j.reason, j.attempts, j.created_at, j.executed_at"
    };
}

fn job_from_row(r: &PgRow) -> sqlx::Result<Job> {
    Ok(Job {
        id: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        channel_id: r.try_get("channel_id")?,
        channel_type: typed(r, "provider")?,
        conversation_id: r.try_get("conversation_id")?,
        message_id: r.try_get("message_id")?,
        state: typed(r, "state")?,
        reason: r.try_get("reason")?,
        attempts: i64::from(r.try_get::<i32, _>("attempts")?),
        created_at_ms: r.try_get("created_at")?,
        executed_at_ms: r.try_get("executed_at")?,
    })
}

/// A job of the company's channel.
pub(super) async fn get_job(
    conn: &mut PgConnection,
    company_id: i64,
    channel_id: i64,
    job_id: i64,
) -> StoreResult<Option<Job>> {
    Ok(sqlx::query(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs j JOIN channels c ON c.id = j.channel_id
         WHERE j.company_id = $1 AND j.channel_id = $2 AND j.id = $3"
    ))
    .bind(company_id)
    .bind(channel_id)
    .bind(job_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| job_from_row(&r))
    .transpose()?)
}

async fn job_by_id(conn: &mut PgConnection, job_id: i64) -> StoreResult<Job> {
    sqlx::query(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs j JOIN channels c ON c.id = j.channel_id WHERE j.id = $1"
    ))
    .bind(job_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| job_from_row(&r))
    .transpose()?
    .ok_or(StoreError::NotFound("job"))
}

/// Creates the delivery job of a stored outgoing message. Runs inside the caller's
/// transaction, so a message is never stored without its job.
pub(super) async fn enqueue(
    conn: &mut PgConnection,
    channel: &Channel,
    conversation_id: i64,
    message_id: i64,
    now_ms: i64,
) -> StoreResult<Job> {
    let job_id: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (company_id, channel_id, conversation_id, message_id, run_after, created_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING id",
    )
    .bind(channel.company_id)
    .bind(channel.id)
    .bind(conversation_id)
    .bind(message_id)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE messages SET job_id = $1 WHERE conversation_id = $2 AND id = $3")
        .bind(job_id)
        .bind(conversation_id)
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    job_by_id(conn, job_id).await
}

/// Stores an outgoing message with its attachments and its job in one statement, so the
/// common send is one round trip (and, outside an idempotent request, needs no
/// transaction: the statement is atomic on its own).
///
/// The attachments are locked first; when one of them is missing, of another
/// conversation or already bound, nothing is written. A sender that waited for a
/// concurrent sender's lock re-checks `message_id IS NULL` on the row's new version
/// (READ COMMITTED), so two messages racing for one attachment cannot both bind it.
pub(super) async fn send(
    conn: &mut PgConnection,
    company_id: i64,
    out: &NewOutgoing,
    now_ms: i64,
) -> StoreResult<Job> {
    let interactive = out.interactive.as_ref().map(ToString::to_string);
    // Every later step reads `ids`, which has a row only when the conversation, its live
    // channel and every attachment were found: a refused send writes nothing.
    let row = sqlx::query(
        "WITH conv AS (
             SELECT channel_id FROM conversations WHERE company_id = $1 AND id = $2
         ), chan AS (
             SELECT ch.id, ch.provider FROM channels ch JOIN conv ON ch.id = conv.channel_id
             WHERE ch.company_id = $1 AND ch.deleted_at IS NULL
         ), att AS MATERIALIZED (
             SELECT id FROM attachments
             WHERE company_id = $1 AND conversation_id = $2 AND id = ANY($3)
               AND message_id IS NULL
             FOR UPDATE
         ), ids AS MATERIALIZED (
             SELECT nextval('messages_id_seq') AS message_id, nextval('jobs_id_seq') AS job_id
             FROM chan WHERE (SELECT count(*) FROM att) = cardinality($3::BIGINT[])
         ), msg AS (
             INSERT INTO messages
               (conversation_id, id, company_id, channel_id, income, body, ack, send_to_crm,
                interactive, created_at, job_id)
             SELECT $2, ids.message_id, $1, chan.id, FALSE, $4, $5, $6, $7, $8, ids.job_id
             FROM ids, chan
         ), touched AS (
             UPDATE conversations
             SET last_message_at = $8, activity_at = $8, awaiting_reply = FALSE
             WHERE company_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM ids)
         ), bound AS (
             UPDATE attachments SET message_id = ids.message_id
             FROM ids WHERE attachments.id IN (SELECT id FROM att)
         ), job AS (
             INSERT INTO jobs (id, company_id, channel_id, conversation_id, message_id,
                               run_after, created_at)
             SELECT ids.job_id, $1, chan.id, $2, ids.message_id, $8, $8 FROM ids, chan
             RETURNING id, company_id, channel_id, conversation_id, message_id, state, reason,
                       attempts, created_at, executed_at
         )
         SELECT EXISTS (SELECT 1 FROM conv) AS has_conversation,
                EXISTS (SELECT 1 FROM chan) AS has_channel,
                ARRAY(SELECT id FROM att) AS unsent,
                chan.provider, job.*
         FROM (SELECT 1) AS one
         LEFT JOIN chan ON TRUE
         LEFT JOIN job ON TRUE",
    )
    .bind(company_id)
    .bind(out.conversation_id)
    .bind(&out.attachment_ids)
    .bind(&out.body)
    .bind(rules::OUTGOING_ACK.as_i32())
    .bind(out.send_to_crm)
    .bind(interactive.as_deref())
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    if !row.try_get::<bool, _>("has_conversation")? {
        return Err(StoreError::NotFound("conversation"));
    }
    if !row.try_get::<bool, _>("has_channel")? {
        return Err(StoreError::Invalid {
            field: "conversation",
            reason: "its channel has been deleted; messages cannot be sent through it".to_owned(),
        });
    }
    if row.try_get::<Option<i64>, _>("id")?.is_none() {
        let unsent: Vec<i64> = row.try_get("unsent")?;
        let mut seen = std::collections::HashSet::new();
        let refused = out
            .attachment_ids
            .iter()
            // A repeated id names the same file twice: the second one cannot be bound.
            .find(|id| !unsent.contains(id) || !seen.insert(**id))
            .map_or(0, |id| *id);
        return Err(StoreError::Invalid {
            field: "attachment",
            reason: format!(
                "attachment {refused} is not an unsent attachment of this conversation"
            ),
        });
    }
    Ok(job_from_row(&row)?)
}

/// Claims up to `limit` due jobs until `lease_until`, with what their delivery needs.
///
/// Exactly one node wins each job: the candidates are locked `FOR UPDATE SKIP LOCKED`, so
/// a job another node is claiming right now is passed over rather than waited for, and a
/// row whose claimer committed while this statement waited for it is re-checked against
/// the conditions on its new version (READ COMMITTED), which its fresh lease now fails.
pub(super) async fn claim(
    conn: &mut PgConnection,
    now_ms: i64,
    lease_until: i64,
    limit: u32,
) -> StoreResult<Vec<Claimed>> {
    // Ordered as the `jobs_pending` index is, (run_after, id), so the scan stops after
    // `limit` due jobs instead of sorting the whole backlog.
    // A MATERIALIZED CTE rather than `WHERE id IN (SELECT ... LIMIT)`: the planner may
    // re-run an IN subquery per outer row, and each run would lock (and lease) a further
    // `limit` jobs.
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "WITH due AS MATERIALIZED (
             SELECT id FROM jobs
             WHERE state = 'trying_deliver' AND run_after <= $2
               AND (lease_until IS NULL OR lease_until <= $2)
             ORDER BY run_after, id LIMIT $3
             FOR UPDATE SKIP LOCKED)
         UPDATE jobs SET lease_until = $1, attempts = attempts + 1
         FROM due WHERE jobs.id = due.id
         RETURNING jobs.id",
    )
    .bind(lease_until)
    .bind(now_ms)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    ids.sort_unstable();
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let job = job_by_id(conn, id).await?;
        let channel = channel_any_state(conn, job.channel_id).await?;
        let conversation = conversations::get(conn, job.company_id, job.conversation_id)
            .await?
            .ok_or(StoreError::NotFound("conversation"))?;
        let message = messages::get(conn, job.company_id, job.conversation_id, job.message_id)
            .await?
            .ok_or(StoreError::NotFound("message"))?;
        let contact_unreachable: bool = sqlx::query_scalar(
            "SELECT unreachable FROM sandbox_contacts
             WHERE channel_id = $1 AND sender_external_id = $2",
        )
        .bind(job.channel_id)
        .bind(&conversation.sender_external_id)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(false);
        let template = super::templates::of_job(conn, job.id).await?;
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
async fn channel_any_state(
    conn: &mut PgConnection,
    channel_id: i64,
) -> StoreResult<(Channel, bool)> {
    super::channels::any_state(conn, channel_id)
        .await?
        .ok_or(StoreError::NotFound("channel"))
}

/// Extends the lease of a job still being delivered, if the caller still holds it.
pub(super) async fn renew(
    conn: &mut PgConnection,
    job_id: i64,
    lease_until: i64,
    new_lease_until: i64,
) -> StoreResult<bool> {
    let changed = sqlx::query(
        "UPDATE jobs SET lease_until = $1
         WHERE id = $2 AND state = 'trying_deliver' AND lease_until = $3",
    )
    .bind(new_lease_until)
    .bind(job_id)
    .bind(lease_until)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(changed > 0)
}

/// Hands a claimed job back untried (see `Store::defer_job`).
pub(super) async fn defer(
    conn: &mut PgConnection,
    job_id: i64,
    lease_until: i64,
    run_after: i64,
) -> StoreResult<bool> {
    let changed = sqlx::query(
        "UPDATE jobs SET lease_until = NULL, run_after = $1, attempts = GREATEST(attempts - 1, 0)
         WHERE id = $2 AND state = 'trying_deliver' AND lease_until = $3",
    )
    .bind(run_after)
    .bind(job_id)
    .bind(lease_until)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(changed > 0)
}

/// Records a job's outcome, if the caller still holds its lease, with what the rules say
/// it causes. Returns the job as it is now and the message, or `None` when the lease was
/// lost (another worker took over).
pub(super) async fn finish(
    conn: &mut PgConnection,
    job_id: i64,
    lease_until: i64,
    outcome: &Outcome,
    now_ms: i64,
) -> StoreResult<Option<(Job, Message)>> {
    let update = rules::job_after(outcome, now_ms);
    // The lease check runs on the newest row version, so a worker whose lease expired
    // and was taken over by another node cannot finish the job a second time.
    let changed = sqlx::query(
        "UPDATE jobs SET state = $1, reason = $2, executed_at = $3, lease_until = NULL,
                run_after = COALESCE($4, run_after)
         WHERE id = $5 AND state = 'trying_deliver' AND lease_until = $6",
    )
    .bind(update.state.as_str())
    .bind(update.reason)
    .bind(update.executed_at)
    .bind(update.run_after)
    .bind(job_id)
    .bind(lease_until)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(None);
    }
    let job = job_by_id(conn, job_id).await?;
    if let Outcome::Sent { external_public_id } = outcome {
        sqlx::query(
            "UPDATE messages SET ack = GREATEST(ack, $1), external_public_id = $2
             WHERE conversation_id = $3 AND id = $4",
        )
        .bind(rules::SENT_ACK.as_i32())
        .bind(external_public_id)
        .bind(job.conversation_id)
        .bind(job.message_id)
        .execute(&mut *conn)
        .await?;
    }
    let message = messages::get(conn, job.company_id, job.conversation_id, job.message_id)
        .await?
        .ok_or(StoreError::NotFound("message"))?;
    // Only a sent message is announced with its conversation.
    let conversation = if update.sent {
        conversations::get(conn, job.company_id, job.conversation_id).await?
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
    )
    .await?;
    let connector: String = sqlx::query_scalar("SELECT connector FROM channels WHERE id = $1")
        .bind(job.channel_id)
        .fetch_one(&mut *conn)
        .await?;
    super::due_receipts::after_send(conn, &job, &connector, update.sent, now_ms).await?;
    Ok(Some((job, message)))
}

/// Queue figures for `/metrics` (`db_connections_idle` is filled in by the caller).
pub(super) async fn queue_stats(conn: &mut PgConnection, now_ms: i64) -> StoreResult<QueueStats> {
    // One round trip; the pending counts are ranges of the partial indexes.
    let row = sqlx::query(
        "SELECT
             (SELECT COUNT(*) FROM jobs WHERE state = 'trying_deliver') AS jobs_pending,
             (SELECT MIN(created_at) FROM jobs WHERE state = 'trying_deliver') AS oldest,
             (SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending') AS events_pending,
             (SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'failed') AS events_failed",
    )
    .fetch_one(&mut *conn)
    .await?;
    let oldest: Option<i64> = row.try_get("oldest")?;
    Ok(QueueStats {
        jobs_pending: row.try_get("jobs_pending")?,
        oldest_job_age_ms: oldest.map_or(0, |t| (now_ms - t).max(0)),
        webhook_events_pending: row.try_get("events_pending")?,
        webhook_events_failed: row.try_get("events_failed")?,
        db_connections_idle: 0,
    })
}
