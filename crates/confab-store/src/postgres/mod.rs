//! The PostgreSQL backend (sqlx): a connection pool shared by every request, so several
//! confab nodes can serve one database. Queue claims use `FOR UPDATE SKIP LOCKED`, so a
//! job or webhook event is taken by one node at a time.

use std::sync::Arc;

use serde_json::{Map, Value};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::{Notify, watch};

use crate::{
    Accepted, Ack, Attachment, Attempt, Channel, ChannelState, Claimed, ClaimedEvent, Company,
    CompanyPatch, Contact, Conversation, DueReceipt, Job, Message, MessagePageRequest,
    NewAttachment, NewChannel, NewCompany, NewIncoming, NewOutgoing, OutboxEvent, Outcome,
    OutgoingText, PageRequest, Posted, Provider, Receipt, Store, StoreError, StoreResult,
    TokenHash, User, rules,
};
use crate::{
    ClaimedUpdate, CursorAdvance, IntakeStats, NewUpdate, PollLease, SignIn, UpdateOutcome,
};
use crate::{NewTemplate, TemplateSync, WabaTemplate};

mod attachments;
mod channels;
mod columns;
mod companies;
mod conversation_query;
mod conversations;
mod delivery;
mod due_receipts;
mod events;
mod health;
mod idempotency_keys;
mod intake;
mod members;
mod messages;
mod outbox;
mod paging;
mod poll_lease;
mod send_batch;
mod sessions;
mod signins;
mod single_write;
mod templates;
mod users;

use messages::NewMessage;

/// The schema migrations, embedded in the binary; applied under sqlx's advisory lock, so
/// nodes starting together apply each one once.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

/// The store on a PostgreSQL database, shared by any number of confab nodes.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Bumped whenever new events may be readable.
    events: Arc<watch::Sender<u64>>,
    /// Poked after a commit that recorded events, for the sequencer.
    sequencer: Arc<Notify>,
    /// The sequencer and listener of this node, stopped with the last handle.
    _background: Arc<events::Background>,
    /// Group commit of this node's sends.
    sends: Arc<send_batch::SendBatcher>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) with up to
    /// `max_connections` connections (and one more, held to listen for other nodes'
    /// events), and migrates the schema when needed.
    ///
    /// # Errors
    /// When the URL is malformed, the database cannot be reached or a migration fails.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::database(format!("database URL: {e}")))?;
        // A request waits at most this long for a connection: during an outage it is
        // answered 503 within seconds instead of hanging for sqlx's default 30 s.
        let pool = PgPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_secs(2))
            .max_connections(max_connections.max(1))
            .connect_with(options.clone())
            .await?;
        // The listener holds its connection for as long as it listens: one of its own, so
        // it never takes one the requests' pool was sized for.
        let listening = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options);
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::database(format!("migrating the schema: {e}")))?;
        let events = Arc::new(watch::Sender::new(0_u64));
        let sequencer = Arc::new(Notify::new());
        let background =
            events::Background::start(pool.clone(), listening, sequencer.clone(), events.clone());
        let sends = Arc::new(send_batch::SendBatcher::start(pool.clone()));
        Ok(Self {
            pool,
            events,
            sequencer,
            _background: Arc::new(background),
            sends,
        })
    }

    /// Commits a transaction that recorded events, and wakes the sequencer to give them ids.
    async fn commit_events(&self, tx: Transaction<'static, Postgres>) -> StoreResult<()> {
        tx.commit().await?;
        self.sequencer.notify_one();
        Ok(())
    }

    /// A pooled connection for reads.
    async fn conn(&self) -> StoreResult<PoolConnection<Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    /// A transaction; it commits only when told to and rolls back when dropped, so a
    /// request that goes away mid-write leaves nothing half done. This is the one entry
    /// point of a request's writes: when the request holds an idempotency key, the key is
    /// marked written first thing in the transaction, so the write and its record commit
    /// (or roll back) together, and the key's row lock orders it against a takeover.
    async fn begin(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        if let Some(claim) = crate::idempotency::current() {
            idempotency_keys::mark_written(&mut tx, &claim).await?;
        }
        Ok(tx)
    }

    /// Where a write that is one atomic statement runs: autocommit on a pooled
    /// connection, or, when the request holds an idempotency key, a transaction that
    /// marks the key written first (as [`Self::begin`]).
    async fn single_write(&self) -> StoreResult<single_write::SingleWrite> {
        Ok(if crate::idempotency::current().is_some() {
            single_write::SingleWrite::Marked(self.begin().await?)
        } else {
            single_write::SingleWrite::Autocommit(self.conn().await?)
        })
    }

    /// A transaction that is not the request's own write (the idempotency key's
    /// bookkeeping), which must not mark the key written.
    async fn begin_unmarked(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn create_user(
        &self,
        name: String,
        token_hash: TokenHash,
        now_ms: i64,
    ) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let out = users::create(&mut tx, &name, &token_hash, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn user_by_token_hash(&self, token_hash: TokenHash) -> StoreResult<Option<User>> {
        let mut c = self.conn().await?;
        users::by_token_hash(&mut c, &token_hash).await
    }

    async fn replace_token(
        &self,
        user_id: i64,
        token_hash: TokenHash,
    ) -> StoreResult<Option<User>> {
        let mut tx = self.begin().await?;
        let out = users::replace_token(&mut tx, user_id, &token_hash).await?;
        // A rotated token is how an operator is locked out: their browser sessions end
        // with it.
        if out.is_some() {
            sessions::revoke(&mut tx, user_id).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn set_password(&self, user_id: i64, password_hash: String) -> StoreResult<Option<User>> {
        let mut tx = self.begin().await?;
        let out = sessions::set_password(&mut tx, user_id, &password_hash).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn login_user(&self, name: String) -> StoreResult<Option<crate::LoginUser>> {
        let mut c = self.conn().await?;
        sessions::login_user(&mut c, &name).await
    }

    async fn create_session(&self, session: crate::NewSession) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sessions::create(&mut tx, &session).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(
        &self,
        id_hash: TokenHash,
        now_ms: i64,
    ) -> StoreResult<Option<crate::Session>> {
        let mut c = self.conn().await?;
        sessions::find(&mut c, &id_hash, now_ms).await
    }

    async fn delete_session(&self, id_hash: TokenHash) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = sessions::delete(&mut tx, &id_hash).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn revoke_sessions(&self, user_id: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let out = sessions::revoke(&mut tx, user_id).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn prune_sessions(&self, now_ms: i64, limit: u32) -> StoreResult<u64> {
        let mut tx = self.begin_unmarked().await?;
        let out = sessions::prune(&mut tx, now_ms, limit).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn create_company(
        &self,
        creator: i64,
        company: NewCompany,
        now_ms: i64,
    ) -> StoreResult<Company> {
        let mut tx = self.begin().await?;
        let out = companies::create(&mut tx, creator, &company, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn list_companies(&self, user_id: i64, page: PageRequest) -> StoreResult<Vec<Company>> {
        let mut c = self.conn().await?;
        companies::list_for_member(&mut c, user_id, page).await
    }

    async fn member_company(&self, user_id: i64, company_id: i64) -> StoreResult<Option<Company>> {
        let mut c = self.conn().await?;
        companies::for_member(&mut c, user_id, company_id).await
    }

    async fn authorize(
        &self,
        token_hash: TokenHash,
        company_id: i64,
    ) -> StoreResult<Option<(User, Option<Company>)>> {
        let mut c = self.conn().await?;
        users::authorize(&mut c, &token_hash, company_id).await
    }

    async fn authorize_conversation(
        &self,
        token_hash: TokenHash,
        company_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<(User, Option<(Company, Option<Conversation>)>)>> {
        let mut c = self.conn().await?;
        users::authorize_conversation(&mut c, &token_hash, company_id, conversation_id).await
    }

    async fn authorize_list(
        &self,
        token_hash: TokenHash,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Option<(User, Option<(Company, Vec<Conversation>)>)>> {
        let mut c = self.conn().await?;
        users::authorize_list(&mut c, &token_hash, company_id, page).await
    }

    async fn is_member(&self, company_id: i64, user_id: i64) -> StoreResult<bool> {
        let mut c = self.conn().await?;
        users::is_member(&mut c, company_id, user_id).await
    }

    async fn update_company(&self, company_id: i64, patch: CompanyPatch) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let out = companies::update(&mut tx, company_id, &patch).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn list_members(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<crate::Member>> {
        let mut c = self.conn().await?;
        members::list(&mut c, company_id, page).await
    }

    async fn add_member(
        &self,
        company_id: i64,
        user_id: i64,
        role: crate::Role,
        now_ms: i64,
    ) -> StoreResult<crate::Member> {
        let mut tx = self.begin().await?;
        let out = members::add(&mut tx, company_id, user_id, role, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn set_member_role(
        &self,
        company_id: i64,
        user_id: i64,
        role: crate::Role,
    ) -> StoreResult<crate::Member> {
        let mut tx = self.begin().await?;
        let out = members::set_role(&mut tx, company_id, user_id, role).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn remove_member(
        &self,
        company_id: i64,
        user_id: i64,
        now_ms: i64,
    ) -> StoreResult<crate::Member> {
        let mut tx = self.begin().await?;
        let out = members::remove(&mut tx, company_id, user_id, now_ms).await?;
        self.commit_events(tx).await?;
        Ok(out)
    }

    async fn list_users(&self) -> StoreResult<Vec<crate::UserSummary>> {
        let mut c = self.conn().await?;
        members::list_users(&mut c).await
    }

    async fn create_channel(
        &self,
        company_id: i64,
        channel: NewChannel,
        now_ms: i64,
    ) -> StoreResult<Channel> {
        let mut tx = self.begin().await?;
        let out = channels::create(&mut tx, company_id, &channel, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn list_channels(&self, company_id: i64, page: PageRequest) -> StoreResult<Vec<Channel>> {
        let mut c = self.conn().await?;
        channels::list(&mut c, company_id, page).await
    }

    async fn get_channel(&self, company_id: i64, channel_id: i64) -> StoreResult<Option<Channel>> {
        let mut c = self.conn().await?;
        channels::get(&mut c, company_id, channel_id).await
    }

    async fn channel_by_provider(
        &self,
        company_id: i64,
        provider: Provider,
    ) -> StoreResult<Option<Channel>> {
        let mut c = self.conn().await?;
        channels::by_provider(&mut c, company_id, provider).await
    }

    async fn update_channel_settings(
        &self,
        company_id: i64,
        channel_id: i64,
        settings: Map<String, Value>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = channels::merge_settings(&mut tx, company_id, channel_id, settings).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn delete_channel(
        &self,
        company_id: i64,
        channel_id: i64,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = channels::soft_delete(&mut tx, company_id, channel_id, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn list_conversations(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<Conversation>> {
        let mut c = self.conn().await?;
        conversations::list(&mut c, company_id, page).await
    }

    async fn find_conversations(
        &self,
        company_id: i64,
        query: crate::ConversationQuery,
    ) -> StoreResult<Vec<Conversation>> {
        let mut c = self.conn().await?;
        conversation_query::list(&mut c, company_id, &query).await
    }

    async fn count_conversations(
        &self,
        company_id: i64,
        user_id: i64,
        channel_id: Option<i64>,
    ) -> StoreResult<crate::ConversationCounts> {
        let mut c = self.conn().await?;
        conversation_query::counts(&mut c, company_id, user_id, channel_id).await
    }

    async fn get_conversation(
        &self,
        company_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<Conversation>> {
        let mut c = self.conn().await?;
        conversations::get(&mut c, company_id, conversation_id).await
    }

    async fn start_conversation(
        &self,
        channel: Channel,
        contact: Contact,
        text: OutgoingText,
        now_ms: i64,
    ) -> StoreResult<Posted> {
        let mut tx = self.begin().await?;
        let (conversation, found) =
            conversations::find_or_create(&mut tx, &channel, &contact, now_ms).await?;
        let events = rules::on_conversation_found(found, &conversation);
        events::record(
            &mut tx,
            channel.company_id,
            Some(conversation.id),
            &events,
            now_ms,
        )
        .await?;
        let message = NewMessage {
            income: false,
            body: &text.body,
            ack: rules::OUTGOING_ACK,
            send_to_crm: text.send_to_crm,
            interactive: None,
            external_public_id: None,
        };
        let message_id = messages::insert(&mut tx, &conversation, &message, now_ms).await?;
        let job = delivery::enqueue(&mut tx, &channel, conversation.id, message_id, now_ms).await?;
        if let Some(send) = &text.template {
            templates::attach_to_job(&mut tx, job.id, send).await?;
        }
        let conversation = conversations::get(&mut tx, channel.company_id, conversation.id)
            .await?
            .ok_or(StoreError::NotFound("conversation"))?;
        self.commit_events(tx).await?;
        Ok(Posted {
            conversation,
            created: found == rules::Found::Created,
            message_id,
            job: Some(job),
        })
    }

    async fn receive_message(
        &self,
        channel: Channel,
        contact: Contact,
        incoming: NewIncoming,
        now_ms: i64,
    ) -> StoreResult<Posted> {
        let mut tx = self.begin().await?;
        // Checked (and the update locked) before anything is written: a worker that lost
        // the update makes nothing.
        if let Some(source) = &incoming.source {
            intake::check_held(&mut tx, source).await?;
        }
        let (conversation, found) =
            conversations::find_or_create(&mut tx, &channel, &contact, now_ms).await?;
        let mut events = rules::on_conversation_found(found, &conversation);
        let message = NewMessage {
            income: true,
            body: &incoming.body,
            ack: rules::INBOUND_ACK,
            send_to_crm: true,
            interactive: None,
            external_public_id: incoming.source.as_ref().map(|s| s.external_id.as_str()),
        };
        let message_id = messages::insert(&mut tx, &conversation, &message, now_ms).await?;
        attachments::create_incoming(
            &mut tx,
            channel.company_id,
            conversation.id,
            message_id,
            &incoming.attachments,
            now_ms,
        )
        .await?;
        if let Some(source) = &incoming.source {
            intake::became_message(&mut tx, source, conversation.id, message_id, now_ms).await?;
        }
        let conversation = conversations::get(&mut tx, channel.company_id, conversation.id)
            .await?
            .ok_or(StoreError::NotFound("conversation"))?;
        let message = messages::get(&mut tx, channel.company_id, conversation.id, message_id)
            .await?
            .ok_or(StoreError::NotFound("message"))?;
        events.extend(rules::on_inbound(&conversation, &message));
        events::record(
            &mut tx,
            channel.company_id,
            Some(conversation.id),
            &events,
            now_ms,
        )
        .await?;
        self.commit_events(tx).await?;
        Ok(Posted {
            conversation,
            created: found == rules::Found::Created,
            message_id,
            job: None,
        })
    }

    async fn set_note(
        &self,
        company_id: i64,
        conversation_id: i64,
        note: String,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = conversations::set_note(&mut tx, company_id, conversation_id, &note).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn set_assignee(
        &self,
        company_id: i64,
        conversation_id: i64,
        assignee_id: Option<i64>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out =
            conversations::set_assignee(&mut tx, company_id, conversation_id, assignee_id, now_ms)
                .await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn set_bitrix_block_openlines(
        &self,
        company_id: i64,
        conversation_id: i64,
        enabled: Option<bool>,
    ) -> StoreResult<Option<Conversation>> {
        let mut tx = self.begin().await?;
        let out = conversations::set_bitrix(&mut tx, company_id, conversation_id, enabled).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn list_messages(
        &self,
        company_id: i64,
        conversation_id: i64,
        page: MessagePageRequest,
    ) -> StoreResult<Vec<Message>> {
        let mut c = self.conn().await?;
        messages::list(&mut c, company_id, conversation_id, page).await
    }

    async fn last_messages(
        &self,
        company_id: i64,
        conversation_ids: Vec<i64>,
    ) -> StoreResult<Vec<Option<Message>>> {
        let mut c = self.conn().await?;
        messages::last_of(&mut c, company_id, &conversation_ids).await
    }

    async fn get_message(
        &self,
        company_id: i64,
        conversation_id: i64,
        message_id: i64,
    ) -> StoreResult<Option<Message>> {
        let mut c = self.conn().await?;
        messages::get(&mut c, company_id, conversation_id, message_id).await
    }

    async fn send_message(
        &self,
        company_id: i64,
        message: NewOutgoing,
        now_ms: i64,
    ) -> StoreResult<Job> {
        if crate::idempotency::current().is_none() {
            return self.sends.send(company_id, message, now_ms).await;
        }
        // The key must be marked in the send's own transaction, so it is not batched.
        let mut write = self.single_write().await?;
        let out = delivery::send(&mut write, company_id, &message, now_ms).await?;
        write.finish().await?;
        Ok(out)
    }

    async fn advance_ack(
        &self,
        company_id: i64,
        conversation_id: i64,
        message_id: i64,
        ack: Ack,
        now_ms: i64,
    ) -> StoreResult<Option<(Message, bool)>> {
        let mut tx = self.begin().await?;
        let out = messages::advance_ack(
            &mut tx,
            company_id,
            conversation_id,
            message_id,
            ack,
            now_ms,
        )
        .await?;
        self.commit_events(tx).await?;
        Ok(out)
    }

    async fn apply_receipt(
        &self,
        channel_id: i64,
        external_public_id: String,
        receipt: Receipt,
        now_ms: i64,
    ) -> StoreResult<Option<(Message, bool)>> {
        let mut tx = self.begin().await?;
        let out =
            messages::apply_receipt(&mut tx, channel_id, &external_public_id, &receipt, now_ms)
                .await?;
        self.commit_events(tx).await?;
        Ok(out)
    }

    async fn contact_known(
        &self,
        channel_id: i64,
        sender_external_id: String,
    ) -> StoreResult<bool> {
        let mut c = self.conn().await?;
        messages::contact_known(&mut c, channel_id, &sender_external_id).await
    }

    async fn get_job(
        &self,
        company_id: i64,
        channel_id: i64,
        job_id: i64,
    ) -> StoreResult<Option<Job>> {
        let mut c = self.conn().await?;
        delivery::get_job(&mut c, company_id, channel_id, job_id).await
    }

    async fn claim_jobs(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>> {
        let mut tx = self.begin().await?;
        let out = delivery::claim(&mut tx, now_ms, lease_until, limit).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn renew_lease(
        &self,
        job_id: i64,
        lease_until: i64,
        new_lease_until: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = delivery::renew(&mut tx, job_id, lease_until, new_lease_until).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn defer_job(&self, job_id: i64, lease_until: i64, run_after: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = delivery::defer(&mut tx, job_id, lease_until, run_after).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn finish_job(
        &self,
        job_id: i64,
        lease_until: i64,
        outcome: Outcome,
        now_ms: i64,
    ) -> StoreResult<Option<(Job, Message)>> {
        let mut tx = self.begin().await?;
        let out = delivery::finish(&mut tx, job_id, lease_until, &outcome, now_ms).await?;
        self.commit_events(tx).await?;
        Ok(out)
    }

    async fn claim_due_receipts(
        &self,
        sent_before_ms: i64,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<DueReceipt>> {
        let mut tx = self.begin().await?;
        let out = due_receipts::claim(&mut tx, sent_before_ms, now_ms, lease_until, limit).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn complete_due_receipt(&self, receipt_id: i64, lease_until: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = due_receipts::complete(&mut tx, receipt_id, lease_until).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn set_contact_reachable(
        &self,
        channel_id: i64,
        sender_external_id: String,
        reachable: bool,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let out =
            channels::set_contact_reachable(&mut tx, channel_id, &sender_external_id, reachable)
                .await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn set_channel_state(
        &self,
        company_id: i64,
        channel_id: i64,
        event: String,
        state: ChannelState,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if !health::set_state(&mut tx, company_id, channel_id, &event, state, now_ms).await? {
            return Ok(false);
        }
        self.commit_events(tx).await?;
        Ok(true)
    }

    async fn signin(&self, company_id: i64, channel_id: i64) -> StoreResult<Option<SignIn>> {
        let mut c = self.conn().await?;
        signins::get(&mut c, company_id, channel_id).await
    }

    async fn save_signin(
        &self,
        company_id: i64,
        channel_id: i64,
        signin: SignIn,
        state: Option<ChannelState>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = signins::save(&mut tx, company_id, channel_id, &signin, state, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn count_signin_attempt(
        &self,
        company_id: i64,
        channel_id: i64,
        now_ms: i64,
    ) -> StoreResult<Option<u32>> {
        let mut tx = self.begin().await?;
        let out = signins::count_attempt(&mut tx, company_id, channel_id, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn complete_signin(
        &self,
        company_id: i64,
        channel_id: i64,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if !signins::complete(&mut tx, company_id, channel_id, now_ms).await? {
            return Ok(false);
        }
        self.commit_events(tx).await?;
        Ok(true)
    }

    async fn channel_by_id(&self, channel_id: i64) -> StoreResult<Option<(Channel, bool)>> {
        let mut c = self.conn().await?;
        channels::any_state(&mut c, channel_id).await
    }

    async fn connector_channels(
        &self,
        connector: &str,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<Channel>> {
        let mut c = self.conn().await?;
        channels::of_connector(&mut c, connector, after_id, limit).await
    }

    async fn lease_poll(
        &self,
        channel_id: i64,
        holder: &str,
        now_ms: i64,
        lease_until: i64,
    ) -> StoreResult<Option<PollLease>> {
        let mut tx = self.begin().await?;
        let out = poll_lease::take(&mut tx, channel_id, holder, now_ms, lease_until).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn release_poll(&self, channel_id: i64, holder: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        poll_lease::release(&mut tx, channel_id, holder).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn accept_updates(
        &self,
        channel_id: i64,
        updates: Vec<NewUpdate>,
        cursor: Option<CursorAdvance>,
        now_ms: i64,
    ) -> StoreResult<Accepted> {
        let mut tx = self.begin().await?;
        let out = intake::accept(&mut tx, channel_id, &updates, cursor.as_ref(), now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn claim_updates(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedUpdate>> {
        let mut tx = self.begin().await?;
        let out = intake::claim(&mut tx, now_ms, lease_until, limit).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn finish_update(
        &self,
        update_id: i64,
        lease_until: i64,
        outcome: UpdateOutcome,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = intake::finish(&mut tx, update_id, lease_until, &outcome, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn attach_update_files(
        &self,
        update_id: i64,
        lease_until: i64,
        files: Vec<NewAttachment>,
        pending: Option<String>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = intake::attach_files(
            &mut tx,
            update_id,
            lease_until,
            &files,
            pending.as_deref(),
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn set_channel_error(&self, channel_id: i64, error: Option<String>) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        channels::set_error(&mut tx, channel_id, error.as_deref()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn break_channel(
        &self,
        channel_id: i64,
        reason: String,
        now_ms: i64,
    ) -> StoreResult<Option<u64>> {
        let mut tx = self.begin().await?;
        let Some(ended) = health::break_channel(&mut tx, channel_id, &reason, now_ms).await? else {
            return Ok(None);
        };
        self.commit_events(tx).await?;
        Ok(Some(ended))
    }

    async fn all_channels(&self, after_id: i64, limit: u32) -> StoreResult<Vec<Channel>> {
        let mut c = self.conn().await?;
        channels::all(&mut c, after_id, limit).await
    }

    async fn replace_channel_settings(
        &self,
        channel_id: i64,
        settings: Map<String, Value>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        channels::replace_settings(&mut tx, channel_id, &settings).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn intake_stats(&self, now_ms: i64) -> StoreResult<IntakeStats> {
        let mut c = self.conn().await?;
        intake::stats(&mut c, now_ms).await
    }

    async fn read_events(
        &self,
        company_id: i64,
        query: crate::EventQuery,
    ) -> StoreResult<crate::EventBatch> {
        let mut c = self.conn().await?;
        events::read(&mut c, company_id, &query).await
    }

    async fn sequence_events(&self) -> StoreResult<u64> {
        let given = events::sequence_all(&self.pool, true).await?.unwrap_or(0);
        if given > 0 {
            self.events.send_modify(|n| *n = n.wrapping_add(1));
        }
        Ok(given)
    }

    fn event_signal(&self) -> tokio::sync::watch::Receiver<u64> {
        self.events.subscribe()
    }

    async fn prune_events(&self, before_ms: i64, limit: u32) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let out = events::prune(&mut tx, before_ms, limit).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn claim_idempotency_key(
        &self,
        key: crate::NewIdempotencyKey,
        now_ms: i64,
    ) -> StoreResult<crate::KeyClaim> {
        let mut tx = self.begin_unmarked().await?;
        let out = idempotency_keys::claim(&mut tx, &key, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn answer_idempotency_key(
        &self,
        claim: crate::IdempotencyClaim,
        answer: crate::StoredAnswer,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_unmarked().await?;
        let out = idempotency_keys::answer(&mut tx, &claim, &answer).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn release_idempotency_key(&self, claim: crate::IdempotencyClaim) -> StoreResult<bool> {
        let mut tx = self.begin_unmarked().await?;
        let out = idempotency_keys::release(&mut tx, &claim).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn prune_idempotency_keys(&self, before_ms: i64, limit: u32) -> StoreResult<u64> {
        let mut tx = self.begin_unmarked().await?;
        let out = idempotency_keys::prune(&mut tx, before_ms, limit).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn queue_stats(&self, now_ms: i64) -> StoreResult<crate::QueueStats> {
        let mut c = self.conn().await?;
        let mut stats = delivery::queue_stats(&mut c, now_ms).await?;
        stats.db_connections_idle = i64::try_from(self.pool.num_idle()).unwrap_or(i64::MAX);
        Ok(stats)
    }

    async fn announce(&self, company_id: i64, event: crate::Event, now_ms: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let out = events::record(
            &mut tx,
            company_id,
            None,
            std::slice::from_ref(&event),
            now_ms,
        )
        .await?;
        self.commit_events(tx).await?;
        Ok(out)
    }

    async fn claim_webhook_events(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedEvent>> {
        let mut tx = self.begin().await?;
        let out = outbox::claim(&mut tx, now_ms, lease_until, limit).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn record_webhook_attempt(
        &self,
        event_id: i64,
        lease_until: i64,
        attempt: Attempt,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let out = outbox::record_attempt(&mut tx, event_id, lease_until, &attempt, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn list_webhook_events(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<OutboxEvent>> {
        let mut c = self.conn().await?;
        outbox::list(&mut c, company_id, page).await
    }

    async fn resend_webhook_event(
        &self,
        company_id: i64,
        event_id: i64,
        now_ms: i64,
    ) -> StoreResult<Option<OutboxEvent>> {
        let mut tx = self.begin().await?;
        let Some(seq) = outbox::resend(&mut tx, company_id, event_id, now_ms).await? else {
            return Ok(None);
        };
        tx.commit().await?;
        // The answer names the copy's delivery, which exists once the copy has its id.
        self.sequence_events().await?;
        let mut c = self.conn().await?;
        let id = events::id_of(&mut c, seq)
            .await?
            .ok_or_else(|| StoreError::database("a re-sent event was not sequenced"))?;
        outbox::by_id(&mut c, id).await.map(Some)
    }

    async fn replace_templates(
        &self,
        company_id: i64,
        channel_id: i64,
        templates: Vec<NewTemplate>,
        now_ms: i64,
    ) -> StoreResult<TemplateSync> {
        let mut tx = self.begin().await?;
        let out = templates::replace(&mut tx, company_id, channel_id, &templates, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn seed_template(
        &self,
        company_id: i64,
        channel_id: i64,
        template: NewTemplate,
        now_ms: i64,
    ) -> StoreResult<WabaTemplate> {
        let mut tx = self.begin().await?;
        let out = templates::seed(&mut tx, company_id, channel_id, &template, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn list_templates(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<WabaTemplate>> {
        let mut c = self.conn().await?;
        templates::list(&mut c, company_id, page).await
    }

    async fn list_member_templates(
        &self,
        user_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<WabaTemplate>> {
        let mut c = self.conn().await?;
        templates::list_for_member(&mut c, user_id, page).await
    }

    async fn find_templates(
        &self,
        company_id: i64,
        channel_id: i64,
        key: String,
    ) -> StoreResult<Vec<WabaTemplate>> {
        let mut c = self.conn().await?;
        templates::find(&mut c, company_id, channel_id, &key).await
    }

    async fn create_attachment(
        &self,
        company_id: i64,
        attachment: NewAttachment,
        now_ms: i64,
    ) -> StoreResult<Attachment> {
        let mut tx = self.begin().await?;
        let out = attachments::create(&mut tx, company_id, &attachment, None, now_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn get_attachment(
        &self,
        company_id: i64,
        attachment_id: i64,
    ) -> StoreResult<Option<Attachment>> {
        let mut c = self.conn().await?;
        attachments::get(&mut c, company_id, attachment_id).await
    }
}
