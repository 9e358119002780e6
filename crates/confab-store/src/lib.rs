//! The confab database behind one narrow, domain-level async [`Store`] trait.
//!
//! The HTTP layer never writes SQL and the store never knows about HTTP: handlers call
//! these methods with already validated values. Every method that touches company data
//! takes the company id, so a query can never reach another tenant's rows by accident.
//! Time comes in as a parameter (`now_ms`, unix milliseconds) so tests can pin it.

use std::path::Path;
use std::sync::Arc;

mod codec;
pub mod idempotency;
mod intake_rows;
mod postgres;
pub mod sessions;
mod signin;
mod sqlite;

pub use confab_domain::conversation_query::*;
pub use confab_domain::intake::*;
pub use confab_domain::model::*;
pub use confab_domain::rules;
pub use confab_domain::templates;
pub use confab_domain::templates::{NewTemplate, TemplateSend, TemplateSync, WabaTemplate};
pub use idempotency::{IdempotencyClaim, KeyClaim, NewIdempotencyKey, StoredAnswer};
pub use postgres::PgStore;
pub use sessions::{LoginUser, NewSession, Session};
pub use signin::{SignIn, SignInStep};

/// Creates `dir` (and its missing parents) readable by this user only (0700): a data dir
/// holds message bodies and channel credentials. An existing dir is left as it is.
///
/// # Errors
/// When it cannot be created.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}
pub use sqlite::SqliteStore;

/// What can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule of the domain would be broken; `what` names the rule's field.
    #[error("{what} already exists")]
    Conflict {
        /// The field whose value must be unique (`provider` for channels).
        what: &'static str,
    },
    /// A row the call depends on does not exist (or belongs to another company).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A value breaks a rule only the database can check (an attachment already sent).
    #[error("{field}: {reason}")]
    Invalid {
        /// The domain field whose value breaks it (`attachment`, `conversation`).
        field: &'static str,
        /// What is wrong, for people.
        reason: String,
    },
    /// The change would break a rule about the company as a whole (its last admin), or
    /// its caller no longer holds the lease it acts under (a poll lease, an update);
    /// `reason` says which, for people.
    #[error("{reason}")]
    Refused {
        /// What the change was refused for (`role`, `user_id`, `poll_lease`, `update`).
        what: &'static str,
        /// Why, for people.
        reason: String,
    },
    /// The database failed; the underlying error is kept as the source.
    #[error("database error: {0}")]
    Database(#[source] BoxError),
}

/// Any error a backend's driver reports, kept whole for logs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl StoreError {
    /// A database failure described in words (no driver error behind it).
    pub fn database(what: impl Into<String>) -> Self {
        StoreError::Database(what.into().into())
    }
}

/// Why the database cannot take a change right now, when it is the machine's fault rather
/// than the request's: callers answer these with "try again later" instead of a bare 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// The disk (or the database's tablespace) is full.
    StorageFull,
    /// The database cannot be reached (down, restarting, no free connection in time).
    Unavailable,
}

impl StoreError {
    /// What kind of outage this error is, if it is one.
    pub fn trouble(&self) -> Option<Trouble> {
        match self {
            StoreError::Database(cause) => trouble_of(&**cause),
            _ => None,
        }
    }
}

/// Walks an error's chain for a full disk or an unreachable database.
pub fn trouble_of(error: &(dyn std::error::Error + 'static)) -> Option<Trouble> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(sqlite) = e.downcast_ref::<rusqlite::Error>()
            && let rusqlite::Error::SqliteFailure(code, _) = sqlite
        {
            match code.code {
                rusqlite::ErrorCode::DiskFull => return Some(Trouble::StorageFull),
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    return Some(Trouble::Unavailable);
                }
                _ => {}
            }
        }
        if let Some(pg) = e.downcast_ref::<sqlx::Error>() {
            match pg {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_) => return Some(Trouble::Unavailable),
                sqlx::Error::Database(db) => {
                    let code = db.code().unwrap_or_default();
                    // 53100 disk_full, 53200 out_of_memory's neighbour 53xxx: resources.
                    if code == "53100" {
                        return Some(Trouble::StorageFull);
                    }
                    // 08 connection exceptions, 57P01-57P03 shutdown and start-up.
                    if code.starts_with("08") || code.starts_with("57P") {
                        return Some(Trouble::Unavailable);
                    }
                }
                _ => {}
            }
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::StorageFull
        {
            return Some(Trouble::StorageFull);
        }
        current = e.source();
    }
    // SQLite's writer thread reports a failed commit as text.
    let text = error.to_string();
    if text.contains("database or disk is full") || text.contains("No space left on device") {
        return Some(Trouble::StorageFull);
    }
    None
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

/// The result of every store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Opens the default embedded store: a SQLite database in `data_dir`, created and
/// migrated when needed.
///
/// # Errors
/// When the directory cannot be created or the database cannot be opened or migrated.
pub fn open_data_dir(data_dir: &Path) -> StoreResult<Arc<dyn Store>> {
    match SqliteStore::open(data_dir) {
        Ok(store) => Ok(Arc::new(store)),
        Err(e) if disk_is_full(data_dir) => Err(StoreError::database(format!(
            "disk full: the file system of {} has no space left, so the database cannot \
             be opened ({e}); free some space and start again",
            data_dir.display()
        ))),
        Err(e) => Err(e),
    }
}

/// Whether the file system holding `dir` has (almost) no space left for this user. SQLite
/// reports a full disk at start-up as a "disk I/O error"; this says what it is.
pub fn disk_is_full(dir: &Path) -> bool {
    let probe = if dir.exists() {
        dir
    } else {
        dir.parent().unwrap_or(dir)
    };
    rustix::fs::statvfs(probe)
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize) < 64 * 1024)
        .unwrap_or(false)
}

/// Opens the store a server is configured with: PostgreSQL when `database_url` is given
/// (`postgres://` or `postgresql://`, with up to `max_connections` pooled connections),
/// otherwise the embedded SQLite database in `data_dir`.
///
/// # Errors
/// When the URL names another kind of database, or the database cannot be reached,
/// opened or migrated.
pub async fn open(
    database_url: Option<&str>,
    data_dir: &Path,
    max_connections: u32,
) -> StoreResult<Arc<dyn Store>> {
    match database_url {
        None => {
            let data_dir = data_dir.to_owned();
            tokio::task::spawn_blocking(move || open_data_dir(&data_dir))
                .await
                .map_err(|e| StoreError::database(format!("opening the store failed: {e}")))?
        }
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgStore::connect(url, max_connections).await?))
        }
        Some(url) => {
            let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
            Err(StoreError::database(format!(
                "--database-url: unsupported scheme {scheme:?}; use postgres://user:password@host/database, \
                 or leave it unset for the embedded SQLite database"
            )))
        }
    }
}

/// The database, as the domain sees it. One implementation per backend.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    // ---- users ----

    /// Creates a user whose API token hashes to `token_hash`.
    async fn create_user(
        &self,
        name: String,
        token_hash: TokenHash,
        now_ms: i64,
    ) -> StoreResult<User>;

    /// The user whose API token hashes to `token_hash`, if any.
    async fn user_by_token_hash(&self, token_hash: TokenHash) -> StoreResult<Option<User>>;

    /// Replaces user `user_id`'s token (the old one stops working at once) and ends the
    /// user's browser sessions in the same transaction; `None` when there is no such user.
    async fn replace_token(&self, user_id: i64, token_hash: TokenHash)
    -> StoreResult<Option<User>>;

    // ---- passwords and browser sessions (see [`sessions`]) ----

    /// Gives user `user_id` the password hashing to `password_hash` (an argon2id PHC
    /// string) and ends the user's browser sessions, in one transaction; `None` when there
    /// is no such user. [`StoreError::Conflict`] (`name`) when another user of the same
    /// name can log in already: logins name their user.
    async fn set_password(&self, user_id: i64, password_hash: String) -> StoreResult<Option<User>>;

    /// The user named `name` who has a password, with its hash.
    async fn login_user(&self, name: String) -> StoreResult<Option<LoginUser>>;

    /// Stores a new browser session.
    async fn create_session(&self, session: NewSession) -> StoreResult<()>;

    /// The session whose id hashes to `id_hash`, unless it expired at or before `now_ms`.
    async fn session(&self, id_hash: TokenHash, now_ms: i64) -> StoreResult<Option<Session>>;

    /// Ends the session whose id hashes to `id_hash` (logout); false when there was none.
    async fn delete_session(&self, id_hash: TokenHash) -> StoreResult<bool>;

    /// Ends every session of user `user_id`; answers how many there were.
    async fn revoke_sessions(&self, user_id: i64) -> StoreResult<u64>;

    /// Deletes up to `limit` sessions that expired at or before `now_ms`; answers how many.
    async fn prune_sessions(&self, now_ms: i64, limit: u32) -> StoreResult<u64>;

    // ---- companies ----

    /// Creates a company with `creator` as its first member.
    async fn create_company(
        &self,
        creator: i64,
        company: NewCompany,
        now_ms: i64,
    ) -> StoreResult<Company>;

    /// One page of the companies `user_id` is a member of, by id.
    async fn list_companies(&self, user_id: i64, page: PageRequest) -> StoreResult<Vec<Company>>;

    /// The company, if `user_id` is a member of it. This is the one tenancy check.
    async fn member_company(&self, user_id: i64, company_id: i64) -> StoreResult<Option<Company>>;

    /// The user whose API token hashes to `token_hash` (`None`: no such user), with
    /// company `company_id` if they are a member of it: the check behind every
    /// company-addressed request, which a backend may answer in one query.
    async fn authorize(
        &self,
        token_hash: TokenHash,
        company_id: i64,
    ) -> StoreResult<Option<(User, Option<Company>)>> {
        let Some(user) = self.user_by_token_hash(token_hash).await? else {
            return Ok(None);
        };
        let company = self.member_company(user.id, company_id).await?;
        Ok(Some((user, company)))
    }

    /// `authorize`, and when the caller is a member, the company's conversation
    /// `conversation_id` too: the details request, the most frequent read, which a
    /// backend may answer from one snapshot instead of two.
    async fn authorize_conversation(
        &self,
        token_hash: TokenHash,
        company_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<(User, Option<(Company, Option<Conversation>)>)>> {
        let Some((user, company)) = self.authorize(token_hash, company_id).await? else {
            return Ok(None);
        };
        let Some(company) = company else {
            return Ok(Some((user, None)));
        };
        let conversation = self.get_conversation(company.id, conversation_id).await?;
        Ok(Some((user, Some((company, conversation)))))
    }

    /// `authorize`, and when the caller is a member, one page of the company's
    /// conversations by id, exactly as `list_conversations` reads it: the Pact list page,
    /// which a backend may answer from one snapshot (on PostgreSQL, one statement)
    /// instead of two. A non-member gets no company and so no rows.
    async fn authorize_list(
        &self,
        token_hash: TokenHash,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Option<(User, Option<(Company, Vec<Conversation>)>)>> {
        let Some((user, company)) = self.authorize(token_hash, company_id).await? else {
            return Ok(None);
        };
        let Some(company) = company else {
            return Ok(Some((user, None)));
        };
        let rows = self.list_conversations(company.id, page).await?;
        Ok(Some((user, Some((company, rows)))))
    }

    /// Whether `user_id` is a member of `company_id`.
    async fn is_member(&self, company_id: i64, user_id: i64) -> StoreResult<bool>;

    /// Changes the fields present in `patch`.
    async fn update_company(&self, company_id: i64, patch: CompanyPatch) -> StoreResult<()>;

    // ---- members ----

    /// One page of the company's members, by user id.
    async fn list_members(&self, company_id: i64, page: PageRequest) -> StoreResult<Vec<Member>>;

    /// Makes user `user_id` a member with `role`; [`StoreError::NotFound`] (`user`) when
    /// there is no such user, [`StoreError::Conflict`] (`user_id`) when they already are.
    async fn add_member(
        &self,
        company_id: i64,
        user_id: i64,
        role: Role,
        now_ms: i64,
    ) -> StoreResult<Member>;

    /// Changes a member's role; [`StoreError::NotFound`] (`member`) for a non-member,
    /// [`StoreError::Refused`] when it would leave the company without an admin.
    async fn set_member_role(
        &self,
        company_id: i64,
        user_id: i64,
        role: Role,
    ) -> StoreResult<Member>;

    /// Removes a member (as they were): their conversations become unassigned, each with a
    /// `conversation.update` event. [`StoreError::NotFound`] (`member`) for a non-member,
    /// [`StoreError::Refused`] for the company's last admin.
    async fn remove_member(
        &self,
        company_id: i64,
        user_id: i64,
        now_ms: i64,
    ) -> StoreResult<Member>;

    /// Every user, with the companies they are a member of (for operators' tools).
    async fn list_users(&self) -> StoreResult<Vec<UserSummary>>;

    // ---- channels ----

    /// Creates a channel; [`StoreError::Conflict`] (`provider`) when the company already
    /// has a live channel of that provider.
    async fn create_channel(
        &self,
        company_id: i64,
        channel: NewChannel,
        now_ms: i64,
    ) -> StoreResult<Channel>;

    /// One page of the company's live channels, by id.
    async fn list_channels(&self, company_id: i64, page: PageRequest) -> StoreResult<Vec<Channel>>;

    /// A live channel of the company.
    async fn get_channel(&self, company_id: i64, channel_id: i64) -> StoreResult<Option<Channel>>;

    /// The company's live channel of `provider`.
    async fn channel_by_provider(
        &self,
        company_id: i64,
        provider: Provider,
    ) -> StoreResult<Option<Channel>>;

    /// Merges `settings` into the live channel's settings; false when there is no such channel.
    async fn update_channel_settings(
        &self,
        company_id: i64,
        channel_id: i64,
        settings: serde_json::Map<String, serde_json::Value>,
    ) -> StoreResult<bool>;

    /// Disables (soft-deletes) a live channel; false when there is no such channel.
    async fn delete_channel(
        &self,
        company_id: i64,
        channel_id: i64,
        now_ms: i64,
    ) -> StoreResult<bool>;

    // ---- conversations ----

    /// One page of the company's conversations, by id.
    async fn list_conversations(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<Conversation>>;

    /// One page of the company's conversations that pass `query`'s filters (all of them:
    /// AND), in its order. Search matches words as prefixes in the contact's name and id
    /// and in the messages' text, case-insensitively in any script; a phone search also
    /// matches its digits anywhere in the contact's id.
    async fn find_conversations(
        &self,
        company_id: i64,
        query: ConversationQuery,
    ) -> StoreResult<Vec<Conversation>>;

    /// How many of the company's conversations (on `channel_id` when given) each inbox
    /// tab holds; `mine` counts those assigned to `user_id`. Kept as tallies by every write
    /// to a conversation, so the cost does not grow with the company.
    async fn count_conversations(
        &self,
        company_id: i64,
        user_id: i64,
        channel_id: Option<i64>,
    ) -> StoreResult<ConversationCounts>;

    /// One conversation of the company.
    async fn get_conversation(
        &self,
        company_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<Conversation>>;

    /// Finds or creates the conversation with `contact` on `channel` and stores `text` in
    /// it as an outgoing message with its delivery job, in one transaction.
    async fn start_conversation(
        &self,
        channel: Channel,
        contact: Contact,
        text: OutgoingText,
        now_ms: i64,
    ) -> StoreResult<Posted>;

    /// Finds or creates the conversation with `contact` on `channel` and stores `message` as
    /// an incoming message, in one transaction. A known contact's name is updated when given.
    ///
    /// With `message.source` (a real connector's update), the same transaction first
    /// checks that the update is still pending under the source's lease, else
    /// [`StoreError::Refused`] (`update`) and nothing is written; the message gets the
    /// messenger's id as its `external_public_id`, and the update becomes done, or (files
    /// still `pending`) stays pending with the message, unleased and due at once.
    async fn receive_message(
        &self,
        channel: Channel,
        contact: Contact,
        message: NewIncoming,
        now_ms: i64,
    ) -> StoreResult<Posted>;

    /// Sets the note; false when there is no such conversation.
    async fn set_note(
        &self,
        company_id: i64,
        conversation_id: i64,
        note: String,
    ) -> StoreResult<bool>;

    /// Sets or clears the assignee and records `conversation.assign` (a log-only event), in
    /// one transaction; false when there is no such conversation.
    async fn set_assignee(
        &self,
        company_id: i64,
        conversation_id: i64,
        assignee_id: Option<i64>,
        now_ms: i64,
    ) -> StoreResult<bool>;

    /// Sets the Bitrix open-lines flag to `enabled`, or flips it when `None`.
    async fn set_bitrix_block_openlines(
        &self,
        company_id: i64,
        conversation_id: i64,
        enabled: Option<bool>,
    ) -> StoreResult<Option<Conversation>>;

    // ---- messages ----

    /// One page of a conversation's messages, by (created_at, id).
    async fn list_messages(
        &self,
        company_id: i64,
        conversation_id: i64,
        page: MessagePageRequest,
    ) -> StoreResult<Vec<Message>>;

    /// The last message (by (created_at, id), with its attachments) of each of the
    /// company's conversations `conversation_ids`, in that order: `None` for one without
    /// messages or not of the company. The inbox's list rows, in one read rather than one
    /// per row.
    async fn last_messages(
        &self,
        company_id: i64,
        conversation_ids: Vec<i64>,
    ) -> StoreResult<Vec<Option<Message>>>;

    /// One message of a conversation.
    async fn get_message(
        &self,
        company_id: i64,
        conversation_id: i64,
        message_id: i64,
    ) -> StoreResult<Option<Message>>;

    /// Stores an outgoing message, binds its attachments and creates its delivery job, in
    /// one transaction.
    async fn send_message(
        &self,
        company_id: i64,
        message: NewOutgoing,
        now_ms: i64,
    ) -> StoreResult<Job>;

    /// Moves a message's ack forward to `ack` (never back). `None` when there is no such
    /// message; otherwise the message and whether it changed.
    async fn advance_ack(
        &self,
        company_id: i64,
        conversation_id: i64,
        message_id: i64,
        ack: Ack,
        now_ms: i64,
    ) -> StoreResult<Option<(Message, bool)>>;

    /// Applies a messenger's receipt to the outgoing message of channel `channel_id` it
    /// knows as `external_public_id` (see [`rules::receipt_moves`]): the ack moves and is
    /// announced; a failure also ends the message's job not delivered with its reason. One
    /// transaction. `None` when the channel has no such outgoing message (yet); otherwise
    /// the message as it is now and whether it changed.
    async fn apply_receipt(
        &self,
        channel_id: i64,
        external_public_id: String,
        receipt: Receipt,
        now_ms: i64,
    ) -> StoreResult<Option<(Message, bool)>>;

    /// Whether channel `channel_id` has a conversation with contact `sender_external_id`
    /// (the sandbox's answer to "does this user exist").
    async fn contact_known(&self, channel_id: i64, sender_external_id: String)
    -> StoreResult<bool>;

    // ---- delivery jobs ----

    /// One job of a channel of the company.
    async fn get_job(
        &self,
        company_id: i64,
        channel_id: i64,
        job_id: i64,
    ) -> StoreResult<Option<Job>>;

    /// Claims up to `limit` due jobs until `lease_until` (unix ms).
    async fn claim_jobs(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>>;

    /// Extends a claimed job's lease from `lease_until` to `new_lease_until` while its
    /// delivery runs; false when the lease is no longer held.
    async fn renew_lease(
        &self,
        job_id: i64,
        lease_until: i64,
        new_lease_until: i64,
    ) -> StoreResult<bool>;

    /// Hands a claimed job back untried, due again at `run_after` (so claims move on to
    /// other jobs meanwhile): its lease is released and the claim does not count as an
    /// attempt. False when the lease is no longer held.
    async fn defer_job(&self, job_id: i64, lease_until: i64, run_after: i64) -> StoreResult<bool>;

    /// Records a claimed job's outcome if its lease is still held; `None` when it is not.
    async fn finish_job(
        &self,
        job_id: i64,
        lease_until: i64,
        outcome: Outcome,
        now_ms: i64,
    ) -> StoreResult<Option<(Job, Message)>>;

    // ---- due receipts ----

    /// Claims up to `limit` due receipts (see [`rules::due_receipt_after_send`]) until
    /// `lease_until`: those of sends recorded at or before `sent_before_ms` that are not
    /// leased at `now_ms`, oldest first. Each is held by one claimer at a time.
    async fn claim_due_receipts(
        &self,
        sent_before_ms: i64,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<DueReceipt>>;

    /// Removes a claimed due receipt once it has been applied, if its lease is still held;
    /// false when it is not.
    async fn complete_due_receipt(&self, receipt_id: i64, lease_until: i64) -> StoreResult<bool>;

    // ---- sandbox ----

    /// Marks a contact of a channel reachable or not for sandbox deliveries.
    async fn set_contact_reachable(
        &self,
        channel_id: i64,
        sender_external_id: String,
        reachable: bool,
    ) -> StoreResult<()>;

    /// Sets a live channel's connection state after system event `event`, announcing it;
    /// false when there is no such channel.
    async fn set_channel_state(
        &self,
        company_id: i64,
        channel_id: i64,
        event: String,
        state: ChannelState,
        now_ms: i64,
    ) -> StoreResult<bool>;

    // ---- channel sign-in ----

    /// The sign-in state of a live channel of the company (`None`: no such channel; a
    /// channel that never started a sign-in has the default state).
    async fn signin(&self, company_id: i64, channel_id: i64) -> StoreResult<Option<SignIn>>;

    /// Replaces the sign-in state of a live channel of the company and, when `state` is
    /// given, sets the channel's state without announcing it (a sign-in beginning is not
    /// a system event). False when there is no such channel.
    async fn save_signin(
        &self,
        company_id: i64,
        channel_id: i64,
        signin: SignIn,
        state: Option<ChannelState>,
        now_ms: i64,
    ) -> StoreResult<bool>;

    /// Counts one wrong code or password against a live channel's sign-in, atomically
    /// (concurrent guesses each count); the attempts after it, `None` when there is no
    /// such channel or no sign-in under way.
    async fn count_signin_attempt(
        &self,
        company_id: i64,
        channel_id: i64,
        now_ms: i64,
    ) -> StoreResult<Option<u32>>;

    /// The messenger authorised the channel's account: in one transaction the sign-in
    /// ends (code and attempts cleared, the password kept), the channel becomes
    /// `enabled` and the `system` event `authorized` is announced. False when there is
    /// no such channel.
    async fn complete_signin(
        &self,
        company_id: i64,
        channel_id: i64,
        now_ms: i64,
    ) -> StoreResult<bool>;

    // ---- real connectors ----

    /// A channel by id whichever company owns it, and whether it has been deleted (for
    /// inbound hooks, which carry no API token).
    async fn channel_by_id(&self, channel_id: i64) -> StoreResult<Option<(Channel, bool)>>;

    /// One page (by id, after `after_id`) of the live channels of every company delivered
    /// by connector `connector` (for pollers and start-up checks).
    async fn connector_channels(
        &self,
        connector: &str,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<Channel>>;

    /// Takes or renews the poll lease of a live channel for `holder` until `lease_until`:
    /// granted when it is free, expired (`<= now_ms`) or already `holder`'s. `None` when
    /// another holder has it or the channel is gone.
    async fn lease_poll(
        &self,
        channel_id: i64,
        holder: &str,
        now_ms: i64,
        lease_until: i64,
    ) -> StoreResult<Option<PollLease>>;

    /// Gives up `holder`'s poll lease of a channel (the cursor stays).
    async fn release_poll(&self, channel_id: i64, holder: &str) -> StoreResult<()>;

    /// Stores raw updates of a channel for processing, dropping those whose key the
    /// channel already has, and (for a poller) moves the cursor, in one transaction. With
    /// `cursor` given and its holder no longer holding the poll lease, nothing is stored:
    /// [`StoreError::Refused`] (`poll_lease`). Sets the channel's `last_inbound_at` when
    /// `updates` is not empty. [`StoreError::NotFound`] (`channel`) for an unknown channel.
    async fn accept_updates(
        &self,
        channel_id: i64,
        updates: Vec<NewUpdate>,
        cursor: Option<CursorAdvance>,
        now_ms: i64,
    ) -> StoreResult<Accepted>;

    /// Claims up to `limit` due stored updates until `lease_until`: pending, due
    /// (`due_at <= now_ms`) and not leased, earliest due first (then oldest), answered in
    /// id order. Each update is held by one claimer at a time; claiming does not count an
    /// attempt (a [`UpdateOutcome::Retry`] does).
    async fn claim_updates(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedUpdate>>;

    /// Ends (or postpones) a claimed update that did not become a message, if its lease is
    /// still held; false when it is not.
    async fn finish_update(
        &self,
        update_id: i64,
        lease_until: i64,
        outcome: UpdateOutcome,
        now_ms: i64,
    ) -> StoreResult<bool>;

    /// Binds files fetched for a claimed update to the message made from it, if its lease
    /// is still held (false otherwise): `pending` is what remains to fetch (`None`: the
    /// update is done). One transaction.
    async fn attach_update_files(
        &self,
        update_id: i64,
        lease_until: i64,
        files: Vec<NewAttachment>,
        pending: Option<String>,
        now_ms: i64,
    ) -> StoreResult<bool>;

    /// Records the connector's last problem with a channel's messenger (`None` clears it);
    /// [`StoreError::NotFound`] (`channel`) when there is no such channel.
    async fn set_channel_error(&self, channel_id: i64, error: Option<String>) -> StoreResult<()>;

    /// The messenger revoked a live channel's credentials: in one transaction the channel
    /// becomes `disabled` with `reason` as its last error, a `system` event `disabled`
    /// tells the company, and every queued job of the channel that no worker holds a lease
    /// of ends not delivered with `reason` (each with its events, as a failed delivery; a
    /// held job is left to its worker). Answers how many jobs ended;
    /// `None` when there is no such live channel.
    async fn break_channel(
        &self,
        channel_id: i64,
        reason: String,
        now_ms: i64,
    ) -> StoreResult<Option<u64>>;

    /// One page (by id, after `after_id`) of every channel, deleted ones too (for
    /// re-encrypting settings).
    async fn all_channels(&self, after_id: i64, limit: u32) -> StoreResult<Vec<Channel>>;

    /// Replaces a channel's settings as a whole (deleted channels too), announcing nothing;
    /// [`StoreError::NotFound`] (`channel`) when there is no such channel.
    async fn replace_channel_settings(
        &self,
        channel_id: i64,
        settings: serde_json::Map<String, serde_json::Value>,
    ) -> StoreResult<()>;

    /// Figures of the inbound pipeline.
    async fn intake_stats(&self, now_ms: i64) -> StoreResult<IntakeStats>;

    // ---- operations ----

    /// Queue figures; also proves the database answers.
    async fn queue_stats(&self, now_ms: i64) -> StoreResult<QueueStats>;

    // ---- webhooks ----

    /// Records an event that no other change carries (a QR code to scan).
    async fn announce(&self, company_id: i64, event: Event, now_ms: i64) -> StoreResult<()>;

    /// Claims the oldest pending event of up to `limit` companies, until `lease_until`.
    async fn claim_webhook_events(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedEvent>>;

    /// Records a delivery attempt if the lease is still held; false when it is not.
    async fn record_webhook_attempt(
        &self,
        event_id: i64,
        lease_until: i64,
        attempt: Attempt,
        now_ms: i64,
    ) -> StoreResult<bool>;

    /// One page of the company's webhook events with their delivery records, by id.
    async fn list_webhook_events(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<OutboxEvent>>;

    /// Queues a copy of one of the company's events for delivery; `None` if there is none.
    async fn resend_webhook_event(
        &self,
        company_id: i64,
        event_id: i64,
        now_ms: i64,
    ) -> StoreResult<Option<OutboxEvent>>;

    // ---- event log ----

    /// Reads the company's event log after `query.after`, oldest first (see [`EventBatch`]).
    /// A reader that keeps passing `next_after` back sees every event exactly once, in id
    /// order, even on a database where transactions commit out of order.
    async fn read_events(&self, company_id: i64, query: EventQuery) -> StoreResult<EventBatch>;

    /// Makes every event committed so far readable, and answers how many became so. On a
    /// backend that orders events after commit (PostgreSQL) this is the step that gives
    /// them their ids; it also runs by itself in the background, so callers need it only
    /// to read their own events at once. Elsewhere it does nothing.
    async fn sequence_events(&self) -> StoreResult<u64>;

    /// A signal that changes whenever new events may have become readable (on this node or,
    /// with PostgreSQL, on any node). It only wakes readers, who then read the log: a
    /// missed or spurious change costs a read, never an event.
    fn event_signal(&self) -> tokio::sync::watch::Receiver<u64>;

    /// Deletes up to `limit` of the oldest events created before `before_ms`, with their
    /// webhook delivery records, and remembers for each company how far its log is gone
    /// (so an older cursor is known to be expired). Answers how many were deleted.
    async fn prune_events(&self, before_ms: i64, limit: u32) -> StoreResult<u64>;

    // ---- Idempotency keys (see [`idempotency`]) ----

    /// Claims `key` for a request about to run, or says why not: used with another
    /// fingerprint, answered already, running under an unexpired lease, or written.
    /// An unwritten claim whose lease ended before `now_ms` is taken over.
    async fn claim_idempotency_key(
        &self,
        key: NewIdempotencyKey,
        now_ms: i64,
    ) -> StoreResult<KeyClaim>;

    /// Stores the answer of `claim`'s request, replayed from now on. Answers false (and
    /// stores nothing) when the key is no longer held by `claim` or has an answer already.
    async fn answer_idempotency_key(
        &self,
        claim: IdempotencyClaim,
        answer: StoredAnswer,
    ) -> StoreResult<bool>;

    /// Gives up `claim` when its request wrote nothing, so a retry runs it again. Answers
    /// false when the request did write (the key then stays, to be answered).
    async fn release_idempotency_key(&self, claim: IdempotencyClaim) -> StoreResult<bool>;

    /// Deletes up to `limit` keys created before `before_ms`; answers how many.
    async fn prune_idempotency_keys(&self, before_ms: i64, limit: u32) -> StoreResult<u64>;

    // ---- WhatsApp Business templates ----

    /// Makes `templates` (a sync's answer from Meta) the live templates of the company's
    /// channel, in one transaction: each is inserted or updated by (waba_id, language),
    /// keeping its id (a template that comes back gets its old id); the channel's other
    /// templates are marked removed, so they are no longer listed or sendable.
    /// [`StoreError::NotFound`] (`channel`) when the company has no such live channel.
    async fn replace_templates(
        &self,
        company_id: i64,
        channel_id: i64,
        templates: Vec<NewTemplate>,
        now_ms: i64,
    ) -> StoreResult<TemplateSync>;

    /// Inserts or updates one template of the company's channel by (waba_id, language),
    /// leaving its other templates alone (sandbox seeding). [`StoreError::NotFound`]
    /// (`channel`) when the company has no such live channel.
    async fn seed_template(
        &self,
        company_id: i64,
        channel_id: i64,
        template: NewTemplate,
        now_ms: i64,
    ) -> StoreResult<WabaTemplate>;

    /// One page of the company's templates (not removed, of live channels), by id.
    async fn list_templates(
        &self,
        company_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<WabaTemplate>>;

    /// One page of the templates (not removed, of live channels) of every company
    /// `user_id` is a member of, by id.
    async fn list_member_templates(
        &self,
        user_id: i64,
        page: PageRequest,
    ) -> StoreResult<Vec<WabaTemplate>>;

    /// The live templates of the company's channel that a send naming `key` means: those
    /// whose `waba_id` is `key` (one per language), or else the one whose id is `key` read
    /// as a number. Empty when there is none.
    async fn find_templates(
        &self,
        company_id: i64,
        channel_id: i64,
        key: String,
    ) -> StoreResult<Vec<WabaTemplate>>;

    // ---- attachments ----

    /// Records an uploaded attachment of a conversation.
    async fn create_attachment(
        &self,
        company_id: i64,
        attachment: NewAttachment,
        now_ms: i64,
    ) -> StoreResult<Attachment>;

    /// One attachment of the company.
    async fn get_attachment(
        &self,
        company_id: i64,
        attachment_id: i64,
    ) -> StoreResult<Option<Attachment>>;
}
