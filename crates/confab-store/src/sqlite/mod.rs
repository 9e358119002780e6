//! The embedded SQLite backend (rusqlite): one writer connection on a thread of its own
//! that commits concurrent writes together (`group_commit`), and a pool of readers that
//! answer point and page reads right on the calling task.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, Transaction};
use serde_json::{Map, Value};

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
mod group_commit;
mod health;
mod idempotency_keys;
mod intake;
mod members;
mod messages;
mod migrate;
mod outbox;
mod paging;
mod poll_lease;
mod pool;
mod sessions;
mod signins;
mod templates;
mod users;

use messages::NewMessage;

/// Creates an empty database file readable by this user only (0600) when there is none,
/// so SQLite (which gives its WAL and shared-memory files the database file's mode)
/// never makes them readable by others.
fn create_private_file(path: &Path) -> StoreResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::database(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// The SQLite store of one data dir (`confab.db` inside it).
#[derive(Clone)]
pub struct SqliteStore {
    writer: group_commit::Writer,
    readers: pool::ReaderPool,
    /// Bumped after a write that recorded events commits.
    events: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl SqliteStore {
    /// The database file's name inside the data dir.
    pub const FILE_NAME: &'static str = "confab.db";

    /// Opens (creating and migrating when needed) the database in `data_dir`.
    ///
    /// # Errors
    /// When the directory or database cannot be created, opened or migrated.
    pub fn open(data_dir: &Path) -> StoreResult<Self> {
        crate::create_private_dir(data_dir).map_err(|e| {
            StoreError::database(format!(
                "cannot create data dir {}: {e}",
                data_dir.display()
            ))
        })?;
        let path: PathBuf = data_dir.join(Self::FILE_NAME);
        create_private_file(&path)?;
        let mut writer = pool::open_connection(&path)?;
        migrate::run(&mut writer)?;
        let events = std::sync::Arc::new(tokio::sync::watch::Sender::new(0_u64));
        let signal = events.clone();
        Ok(Self {
            writer: group_commit::Writer::start(writer, move || {
                signal.send_modify(|n| *n = n.wrapping_add(1));
            })?,
            readers: pool::ReaderPool::new(path),
            events,
        })
    }

    /// Runs `f` on a reader connection right here on the calling task. A point or page
    /// read of pages the OS has cached (the readers map the file) takes microseconds,
    /// less than a round trip through the blocking pool (DESIGN.md measured 63 % against
    /// 34 % of the ceiling). With no await inside, a request that goes away cannot strand
    /// the connection.
    async fn read<R, F>(&self, f: F) -> StoreResult<R>
    where
        F: FnOnce(&Connection) -> StoreResult<R>,
    {
        let conn = self.readers.get()?;
        f(&conn)
    }

    /// Runs `f` on a reader connection on the blocking pool: for reads whose size has no
    /// bound (a whole conversation, counts over whole tables), which must not hold up the
    /// other requests of this worker thread.
    async fn read_blocking<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let readers = self.readers.clone();
        // The connection is taken and returned inside the closure: if the request future
        // is dropped (client gone), the blocking task still finishes and gives it back.
        tokio::task::spawn_blocking(move || {
            let conn = readers.get()?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::database(format!("store task failed: {e}")))?
    }

    /// Runs `f` in the writer's next group transaction (`BEGIN IMMEDIATE`); answers once
    /// the group is committed to disk. This is the one entry point of a request's writes:
    /// when the request holds an idempotency key, the key is marked written in the same
    /// savepoint as `f`, so the write and its record commit (or roll back) together.
    async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<R> + Send + 'static,
    {
        // Read here, on the request's task: the closure runs on the writer thread, where
        // the task-local key is not visible.
        match crate::idempotency::current() {
            None => self.writer.write(f).await,
            Some(claim) => {
                self.writer
                    .write(move |tx| {
                        idempotency_keys::mark_written(tx, &claim)?;
                        f(tx)
                    })
                    .await
            }
        }
    }

    /// A write that is not the request's own (the idempotency key's bookkeeping), which
    /// must not mark the key written.
    async fn write_unmarked<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<R> + Send + 'static,
    {
        self.writer.write(f).await
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn create_user(
        &self,
        name: String,
        token_hash: TokenHash,
        now_ms: i64,
    ) -> StoreResult<User> {
        self.write(move |tx| users::create(tx, &name, &token_hash, now_ms))
            .await
    }

    async fn user_by_token_hash(&self, token_hash: TokenHash) -> StoreResult<Option<User>> {
        self.read(move |c| users::by_token_hash(c, &token_hash))
            .await
    }

    async fn replace_token(
        &self,
        user_id: i64,
        token_hash: TokenHash,
    ) -> StoreResult<Option<User>> {
        self.write(move |tx| {
            let user = users::replace_token(tx, user_id, &token_hash)?;
            // A rotated token is how an operator is locked out: their browser sessions
            // end with it.
            if user.is_some() {
                sessions::revoke(tx, user_id)?;
            }
            Ok(user)
        })
        .await
    }

    async fn set_password(&self, user_id: i64, password_hash: String) -> StoreResult<Option<User>> {
        self.write(move |tx| sessions::set_password(tx, user_id, &password_hash))
            .await
    }

    async fn login_user(&self, name: String) -> StoreResult<Option<crate::LoginUser>> {
        self.read(move |c| sessions::login_user(c, &name)).await
    }

    async fn create_session(&self, session: crate::NewSession) -> StoreResult<()> {
        self.write(move |tx| sessions::create(tx, &session)).await
    }

    async fn session(
        &self,
        id_hash: TokenHash,
        now_ms: i64,
    ) -> StoreResult<Option<crate::Session>> {
        self.read(move |c| sessions::find(c, &id_hash, now_ms))
            .await
    }

    async fn delete_session(&self, id_hash: TokenHash) -> StoreResult<bool> {
        self.write(move |tx| sessions::delete(tx, &id_hash)).await
    }

    async fn revoke_sessions(&self, user_id: i64) -> StoreResult<u64> {
        self.write(move |tx| sessions::revoke(tx, user_id)).await
    }

    async fn prune_sessions(&self, now_ms: i64, limit: u32) -> StoreResult<u64> {
        self.write_unmarked(move |tx| sessions::prune(tx, now_ms, limit))
            .await
    }

    async fn create_company(
        &self,
        creator: i64,
        company: NewCompany,
        now_ms: i64,
    ) -> StoreResult<Company> {
        self.write(move |tx| companies::create(tx, creator, &company, now_ms))
            .await
    }

    async fn list_companies(&self, user_id: i64, page: PageRequest) -> StoreResult<Vec<Company>> {
        self.read(move |c| companies::list_for_member(c, user_id, page))
            .await
    }

    async fn member_company(&self, user_id: i64, company_id: i64) -> StoreResult<Option<Company>> {
        self.read(move |c| companies::for_member(c, user_id, company_id))
            .await
    }

    async fn authorize(
        &self,
        token_hash: TokenHash,
        company_id: i64,
    ) -> StoreResult<Option<(User, Option<Company>)>> {
        self.read(move |c| users::authorize(c, &token_hash, company_id))
            .await
    }

    async fn authorize_conversation(
        &self,
        token_hash: TokenHash,
        company_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<(User, Option<(Company, Option<Conversation>)>)>> {
        self.read(move |c| {
            // One read transaction for both statements: each statement on its own would
            // take and drop the WAL read lock, a process-wide mutex and `fcntl` calls.
            pool::in_snapshot(c, |c| {
                users::authorize_then(c, &token_hash, company_id, |c, company_id| {
                    conversations::get(c, company_id, conversation_id)
                })
            })
        })
        .await
    }

    async fn authorize_list(
        &self,
        token_hash: TokenHash,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Option<(User, Option<(Company, Vec<Conversation>)>)>> {
        self.read(move |c| {
            // One snapshot for both statements, as in `authorize_conversation`.
            pool::in_snapshot(c, |c| {
                users::authorize_then(c, &token_hash, company_id, |c, company_id| {
                    conversations::list(c, company_id, page)
                })
            })
        })
        .await
    }

    async fn is_member(&self, company_id: i64, user_id: i64) -> StoreResult<bool> {
        self.read(move |c| users::is_member(c, company_id, user_id))
            .await
    }

    async fn update_company(&self, company_id: i64, patch: CompanyPatch) -> StoreResult<()> {
        self.write(move |tx| companies::update(tx, company_id, &patch))
            .await
    }

    async fn list_members(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<crate::Member>> {
        self.read(move |c| members::list(c, company_id, page)).await
    }

    async fn add_member(
        &self,
        company_id: i64,
        user_id: i64,
        role: crate::Role,
        now_ms: i64,
    ) -> StoreResult<crate::Member> {
        self.write(move |tx| members::add(tx, company_id, user_id, role, now_ms))
            .await
    }

    async fn set_member_role(
        &self,
        company_id: i64,
        user_id: i64,
        role: crate::Role,
    ) -> StoreResult<crate::Member> {
        self.write(move |tx| members::set_role(tx, company_id, user_id, role))
            .await
    }

    async fn remove_member(
        &self,
        company_id: i64,
        user_id: i64,
        now_ms: i64,
    ) -> StoreResult<crate::Member> {
        self.write(move |tx| members::remove(tx, company_id, user_id, now_ms))
            .await
    }

    async fn list_users(&self) -> StoreResult<Vec<crate::UserSummary>> {
        self.read_blocking(members::list_users).await
    }

    async fn create_channel(
        &self,
        company_id: i64,
        channel: NewChannel,
        now_ms: i64,
    ) -> StoreResult<Channel> {
        self.write(move |tx| channels::create(tx, company_id, &channel, now_ms))
            .await
    }

    async fn list_channels(&self, company_id: i64, page: PageRequest) -> StoreResult<Vec<Channel>> {
        self.read(move |c| channels::list(c, company_id, page))
            .await
    }

    async fn get_channel(&self, company_id: i64, channel_id: i64) -> StoreResult<Option<Channel>> {
        self.read(move |c| channels::get(c, company_id, channel_id))
            .await
    }

    async fn channel_by_provider(
        &self,
        company_id: i64,
        provider: Provider,
    ) -> StoreResult<Option<Channel>> {
        self.read(move |c| channels::by_provider(c, company_id, provider))
            .await
    }

    async fn update_channel_settings(
        &self,
        company_id: i64,
        channel_id: i64,
        settings: Map<String, Value>,
    ) -> StoreResult<bool> {
        self.write(move |tx| channels::merge_settings(tx, company_id, channel_id, settings))
            .await
    }

    async fn delete_channel(
        &self,
        company_id: i64,
        channel_id: i64,
        now_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| channels::soft_delete(tx, company_id, channel_id, now_ms))
            .await
    }

    async fn list_conversations(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<Conversation>> {
        self.read(move |c| conversations::list(c, company_id, page))
            .await
    }

    async fn find_conversations(
        &self,
        company_id: i64,
        query: crate::ConversationQuery,
    ) -> StoreResult<Vec<Conversation>> {
        if query.filter.search.is_some() {
            // A search may read many index rows: off the async worker.
            self.read_blocking(move |c| conversation_query::list(c, company_id, &query))
                .await
        } else {
            self.read(move |c| conversation_query::list(c, company_id, &query))
                .await
        }
    }

    async fn count_conversations(
        &self,
        company_id: i64,
        user_id: i64,
        channel_id: Option<i64>,
    ) -> StoreResult<crate::ConversationCounts> {
        self.read(move |c| conversation_query::counts(c, company_id, user_id, channel_id))
            .await
    }

    async fn get_conversation(
        &self,
        company_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<Conversation>> {
        self.read(move |c| conversations::get(c, company_id, conversation_id))
            .await
    }

    async fn start_conversation(
        &self,
        channel: Channel,
        contact: Contact,
        text: OutgoingText,
        now_ms: i64,
    ) -> StoreResult<Posted> {
        self.write(move |tx| {
            let (conversation, found) =
                conversations::find_or_create(tx, &channel, &contact, now_ms)?;
            let events = rules::on_conversation_found(found, &conversation);
            events::record(
                tx,
                channel.company_id,
                Some(conversation.id),
                &events,
                now_ms,
            )?;
            let message = NewMessage {
                income: false,
                body: &text.body,
                ack: rules::OUTGOING_ACK,
                send_to_crm: text.send_to_crm,
                interactive: None,
                external_public_id: None,
            };
            let message_id = messages::insert(tx, &conversation, &message, now_ms)?;
            let job = delivery::enqueue(tx, &channel, conversation.id, message_id, now_ms)?;
            if let Some(send) = &text.template {
                templates::attach_to_job(tx, job.id, send)?;
            }
            let conversation = conversations::get(tx, channel.company_id, conversation.id)?
                .ok_or(StoreError::NotFound("conversation"))?;
            Ok(Posted {
                conversation,
                created: found == rules::Found::Created,
                message_id,
                job: Some(job),
            })
        })
        .await
    }

    async fn receive_message(
        &self,
        channel: Channel,
        contact: Contact,
        incoming: NewIncoming,
        now_ms: i64,
    ) -> StoreResult<Posted> {
        self.write(move |tx| {
            // Checked before anything is written: a worker that lost the update makes
            // nothing (and the savepoint would undo it anyway).
            if let Some(source) = &incoming.source {
                intake::check_held(tx, source)?;
            }
            let (conversation, found) =
                conversations::find_or_create(tx, &channel, &contact, now_ms)?;
            let mut events = rules::on_conversation_found(found, &conversation);
            let message = NewMessage {
                income: true,
                body: &incoming.body,
                ack: rules::INBOUND_ACK,
                send_to_crm: true,
                interactive: None,
                external_public_id: incoming.source.as_ref().map(|s| s.external_id.as_str()),
            };
            let message_id = messages::insert(tx, &conversation, &message, now_ms)?;
            attachments::create_incoming(
                tx,
                channel.company_id,
                conversation.id,
                message_id,
                &incoming.attachments,
                now_ms,
            )?;
            if let Some(source) = &incoming.source {
                intake::became_message(tx, source, conversation.id, message_id, now_ms)?;
            }
            let conversation = conversations::get(tx, channel.company_id, conversation.id)?
                .ok_or(StoreError::NotFound("conversation"))?;
            let message = messages::get(tx, channel.company_id, conversation.id, message_id)?
                .ok_or(StoreError::NotFound("message"))?;
            events.extend(rules::on_inbound(&conversation, &message));
            events::record(
                tx,
                channel.company_id,
                Some(conversation.id),
                &events,
                now_ms,
            )?;
            Ok(Posted {
                conversation,
                created: found == rules::Found::Created,
                message_id,
                job: None,
            })
        })
        .await
    }

    async fn set_note(
        &self,
        company_id: i64,
        conversation_id: i64,
        note: String,
    ) -> StoreResult<bool> {
        self.write(move |tx| conversations::set_note(tx, company_id, conversation_id, &note))
            .await
    }

    async fn set_assignee(
        &self,
        company_id: i64,
        conversation_id: i64,
        assignee_id: Option<i64>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| {
            conversations::set_assignee(tx, company_id, conversation_id, assignee_id, now_ms)
        })
        .await
    }

    async fn set_bitrix_block_openlines(
        &self,
        company_id: i64,
        conversation_id: i64,
        enabled: Option<bool>,
    ) -> StoreResult<Option<Conversation>> {
        self.write(move |tx| conversations::set_bitrix(tx, company_id, conversation_id, enabled))
            .await
    }

    async fn list_messages(
        &self,
        company_id: i64,
        conversation_id: i64,
        page: MessagePageRequest,
    ) -> StoreResult<Vec<Message>> {
        // The messages and their attachments from one snapshot, taking the WAL read lock
        // once instead of once per statement.
        self.read(move |c| {
            pool::in_snapshot(c, |c| messages::list(c, company_id, conversation_id, page))
        })
        .await
    }

    async fn last_messages(
        &self,
        company_id: i64,
        conversation_ids: Vec<i64>,
    ) -> StoreResult<Vec<Option<Message>>> {
        // One read transaction for all of them: the snapshot the contract promises, and
        // one WAL read lock instead of two per conversation.
        self.read(move |c| {
            pool::in_snapshot(c, |c| messages::last_of(c, company_id, &conversation_ids))
        })
        .await
    }

    async fn get_message(
        &self,
        company_id: i64,
        conversation_id: i64,
        message_id: i64,
    ) -> StoreResult<Option<Message>> {
        self.read(move |c| messages::get(c, company_id, conversation_id, message_id))
            .await
    }

    async fn send_message(
        &self,
        company_id: i64,
        message: NewOutgoing,
        now_ms: i64,
    ) -> StoreResult<Job> {
        self.write(move |tx| delivery::send(tx, company_id, &message, now_ms))
            .await
    }

    async fn advance_ack(
        &self,
        company_id: i64,
        conversation_id: i64,
        message_id: i64,
        ack: Ack,
        now_ms: i64,
    ) -> StoreResult<Option<(Message, bool)>> {
        self.write(move |tx| {
            messages::advance_ack(tx, company_id, conversation_id, message_id, ack, now_ms)
        })
        .await
    }

    async fn apply_receipt(
        &self,
        channel_id: i64,
        external_public_id: String,
        receipt: Receipt,
        now_ms: i64,
    ) -> StoreResult<Option<(Message, bool)>> {
        self.write(move |tx| {
            messages::apply_receipt(tx, channel_id, &external_public_id, &receipt, now_ms)
        })
        .await
    }

    async fn contact_known(
        &self,
        channel_id: i64,
        sender_external_id: String,
    ) -> StoreResult<bool> {
        self.read(move |c| messages::contact_known(c, channel_id, &sender_external_id))
            .await
    }

    async fn get_job(
        &self,
        company_id: i64,
        channel_id: i64,
        job_id: i64,
    ) -> StoreResult<Option<Job>> {
        self.read(move |c| delivery::get_job(c, company_id, channel_id, job_id))
            .await
    }

    async fn claim_jobs(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>> {
        self.write(move |tx| delivery::claim(tx, now_ms, lease_until, limit))
            .await
    }

    async fn renew_lease(
        &self,
        job_id: i64,
        lease_until: i64,
        new_lease_until: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| delivery::renew(tx, job_id, lease_until, new_lease_until))
            .await
    }

    async fn defer_job(&self, job_id: i64, lease_until: i64, run_after: i64) -> StoreResult<bool> {
        self.write(move |tx| delivery::defer(tx, job_id, lease_until, run_after))
            .await
    }

    async fn finish_job(
        &self,
        job_id: i64,
        lease_until: i64,
        outcome: Outcome,
        now_ms: i64,
    ) -> StoreResult<Option<(Job, Message)>> {
        self.write(move |tx| delivery::finish(tx, job_id, lease_until, &outcome, now_ms))
            .await
    }

    async fn claim_due_receipts(
        &self,
        sent_before_ms: i64,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<DueReceipt>> {
        self.write(move |tx| due_receipts::claim(tx, sent_before_ms, now_ms, lease_until, limit))
            .await
    }

    async fn complete_due_receipt(&self, receipt_id: i64, lease_until: i64) -> StoreResult<bool> {
        self.write(move |tx| due_receipts::complete(tx, receipt_id, lease_until))
            .await
    }

    async fn set_contact_reachable(
        &self,
        channel_id: i64,
        sender_external_id: String,
        reachable: bool,
    ) -> StoreResult<()> {
        self.write(move |tx| {
            channels::set_contact_reachable(tx, channel_id, &sender_external_id, reachable)
        })
        .await
    }

    async fn set_channel_state(
        &self,
        company_id: i64,
        channel_id: i64,
        event: String,
        state: ChannelState,
        now_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| health::set_state(tx, company_id, channel_id, &event, state, now_ms))
            .await
    }

    async fn signin(&self, company_id: i64, channel_id: i64) -> StoreResult<Option<SignIn>> {
        self.read(move |c| signins::get(c, company_id, channel_id))
            .await
    }

    async fn save_signin(
        &self,
        company_id: i64,
        channel_id: i64,
        signin: SignIn,
        state: Option<ChannelState>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| signins::save(tx, company_id, channel_id, &signin, state, now_ms))
            .await
    }

    async fn count_signin_attempt(
        &self,
        company_id: i64,
        channel_id: i64,
        now_ms: i64,
    ) -> StoreResult<Option<u32>> {
        self.write(move |tx| signins::count_attempt(tx, company_id, channel_id, now_ms))
            .await
    }

    async fn complete_signin(
        &self,
        company_id: i64,
        channel_id: i64,
        now_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| signins::complete(tx, company_id, channel_id, now_ms))
            .await
    }

    async fn channel_by_id(&self, channel_id: i64) -> StoreResult<Option<(Channel, bool)>> {
        self.read(move |c| channels::any_state(c, channel_id)).await
    }

    async fn connector_channels(
        &self,
        connector: &str,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<Channel>> {
        self.read(move |c| channels::of_connector(c, connector, after_id, limit))
            .await
    }

    async fn lease_poll(
        &self,
        channel_id: i64,
        holder: &str,
        now_ms: i64,
        lease_until: i64,
    ) -> StoreResult<Option<PollLease>> {
        let holder = holder.to_owned();
        self.write(move |tx| poll_lease::take(tx, channel_id, &holder, now_ms, lease_until))
            .await
    }

    async fn release_poll(&self, channel_id: i64, holder: &str) -> StoreResult<()> {
        let holder = holder.to_owned();
        self.write(move |tx| poll_lease::release(tx, channel_id, &holder))
            .await
    }

    async fn accept_updates(
        &self,
        channel_id: i64,
        updates: Vec<NewUpdate>,
        cursor: Option<CursorAdvance>,
        now_ms: i64,
    ) -> StoreResult<Accepted> {
        self.write(move |tx| intake::accept(tx, channel_id, &updates, cursor.as_ref(), now_ms))
            .await
    }

    async fn claim_updates(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedUpdate>> {
        self.write(move |tx| intake::claim(tx, now_ms, lease_until, limit))
            .await
    }

    async fn finish_update(
        &self,
        update_id: i64,
        lease_until: i64,
        outcome: UpdateOutcome,
        now_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| intake::finish(tx, update_id, lease_until, &outcome, now_ms))
            .await
    }

    async fn attach_update_files(
        &self,
        update_id: i64,
        lease_until: i64,
        files: Vec<NewAttachment>,
        pending: Option<String>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| {
            intake::attach_files(
                tx,
                update_id,
                lease_until,
                &files,
                pending.as_deref(),
                now_ms,
            )
        })
        .await
    }

    async fn set_channel_error(&self, channel_id: i64, error: Option<String>) -> StoreResult<()> {
        self.write(move |tx| channels::set_error(tx, channel_id, error.as_deref()))
            .await
    }

    async fn break_channel(
        &self,
        channel_id: i64,
        reason: String,
        now_ms: i64,
    ) -> StoreResult<Option<u64>> {
        self.write(move |tx| health::break_channel(tx, channel_id, &reason, now_ms))
            .await
    }

    async fn all_channels(&self, after_id: i64, limit: u32) -> StoreResult<Vec<Channel>> {
        self.read(move |c| channels::all(c, after_id, limit)).await
    }

    async fn replace_channel_settings(
        &self,
        channel_id: i64,
        settings: Map<String, Value>,
    ) -> StoreResult<()> {
        self.write(move |tx| channels::replace_settings(tx, channel_id, &settings))
            .await
    }

    async fn intake_stats(&self, now_ms: i64) -> StoreResult<IntakeStats> {
        self.read_blocking(move |c| intake::stats(c, now_ms)).await
    }

    async fn read_events(
        &self,
        company_id: i64,
        query: crate::EventQuery,
    ) -> StoreResult<crate::EventBatch> {
        self.read(move |c| events::read(c, company_id, &query))
            .await
    }

    async fn sequence_events(&self) -> StoreResult<u64> {
        Ok(0)
    }

    fn event_signal(&self) -> tokio::sync::watch::Receiver<u64> {
        self.events.subscribe()
    }

    async fn prune_events(&self, before_ms: i64, limit: u32) -> StoreResult<u64> {
        self.write(move |tx| events::prune(tx, before_ms, limit))
            .await
    }

    async fn claim_idempotency_key(
        &self,
        key: crate::NewIdempotencyKey,
        now_ms: i64,
    ) -> StoreResult<crate::KeyClaim> {
        self.write_unmarked(move |tx| idempotency_keys::claim(tx, &key, now_ms))
            .await
    }

    async fn answer_idempotency_key(
        &self,
        claim: crate::IdempotencyClaim,
        answer: crate::StoredAnswer,
    ) -> StoreResult<bool> {
        self.write_unmarked(move |tx| idempotency_keys::answer(tx, &claim, &answer))
            .await
    }

    async fn release_idempotency_key(&self, claim: crate::IdempotencyClaim) -> StoreResult<bool> {
        self.write_unmarked(move |tx| idempotency_keys::release(tx, &claim))
            .await
    }

    async fn prune_idempotency_keys(&self, before_ms: i64, limit: u32) -> StoreResult<u64> {
        self.write_unmarked(move |tx| idempotency_keys::prune(tx, before_ms, limit))
            .await
    }

    async fn queue_stats(&self, now_ms: i64) -> StoreResult<crate::QueueStats> {
        // Counted before this call takes a reader of its own.
        let idle = i64::try_from(self.readers.idle()).unwrap_or(i64::MAX);
        self.read_blocking(move |c| {
            let (jobs_pending, oldest): (i64, Option<i64>) = c.query_row(
                "SELECT COUNT(*), MIN(created_at) FROM jobs WHERE state = 'trying_deliver'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let (pending, failed): (i64, i64) = c.query_row(
                "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'failed'), 0)
                 FROM webhook_deliveries",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(crate::QueueStats {
                jobs_pending,
                oldest_job_age_ms: oldest.map_or(0, |t| (now_ms - t).max(0)),
                webhook_events_pending: pending,
                webhook_events_failed: failed,
                db_connections_idle: idle,
            })
        })
        .await
    }

    async fn announce(&self, company_id: i64, event: crate::Event, now_ms: i64) -> StoreResult<()> {
        self.write(move |tx| {
            events::record(tx, company_id, None, std::slice::from_ref(&event), now_ms)
        })
        .await
    }

    async fn claim_webhook_events(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedEvent>> {
        self.write(move |tx| outbox::claim(tx, now_ms, lease_until, limit))
            .await
    }

    async fn record_webhook_attempt(
        &self,
        event_id: i64,
        lease_until: i64,
        attempt: Attempt,
        now_ms: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| outbox::record_attempt(tx, event_id, lease_until, &attempt, now_ms))
            .await
    }

    async fn list_webhook_events(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<OutboxEvent>> {
        self.read(move |c| outbox::list(c, company_id, page)).await
    }

    async fn resend_webhook_event(
        &self,
        company_id: i64,
        event_id: i64,
        now_ms: i64,
    ) -> StoreResult<Option<OutboxEvent>> {
        self.write(move |tx| outbox::resend(tx, company_id, event_id, now_ms))
            .await
    }

    async fn replace_templates(
        &self,
        company_id: i64,
        channel_id: i64,
        templates: Vec<NewTemplate>,
        now_ms: i64,
    ) -> StoreResult<TemplateSync> {
        self.write(move |tx| templates::replace(tx, company_id, channel_id, &templates, now_ms))
            .await
    }

    async fn seed_template(
        &self,
        company_id: i64,
        channel_id: i64,
        template: NewTemplate,
        now_ms: i64,
    ) -> StoreResult<WabaTemplate> {
        self.write(move |tx| templates::seed(tx, company_id, channel_id, &template, now_ms))
            .await
    }

    async fn list_templates(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<WabaTemplate>> {
        self.read(move |c| templates::list(c, company_id, page))
            .await
    }

    async fn list_member_templates(
        &self,
        user_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<WabaTemplate>> {
        self.read(move |c| templates::list_for_member(c, user_id, page))
            .await
    }

    async fn find_templates(
        &self,
        company_id: i64,
        channel_id: i64,
        key: String,
    ) -> StoreResult<Vec<WabaTemplate>> {
        self.read(move |c| templates::find(c, company_id, channel_id, &key))
            .await
    }

    async fn create_attachment(
        &self,
        company_id: i64,
        attachment: NewAttachment,
        now_ms: i64,
    ) -> StoreResult<Attachment> {
        self.write(move |tx| attachments::create(tx, company_id, &attachment, None, now_ms))
            .await
    }

    async fn get_attachment(
        &self,
        company_id: i64,
        attachment_id: i64,
    ) -> StoreResult<Option<Attachment>> {
        self.read(move |c| attachments::get(c, company_id, attachment_id))
            .await
    }
}
