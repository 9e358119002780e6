//! An async Rust client of the Pact.im Private API v1 (`/p1`), for
//! confab servers and the hosted Pact API alike.
//!
//! - Typed calls for every endpoint confab serves, over the same
//!   [`confab_wire`] types the server renders and documents (answers and request bodies
//!   alike), so client and server cannot drift.
//! - One [`Error`] type: the server's error body decoded ([`Error::Api`], with the
//!   offending parameters), or [`Error::Transport`], [`Error::Decode`].
//! - Lists page by page ([`Page`]) or as a [`futures_util::Stream`] that follows
//!   `next_page` to the end ([`ItemStream`]).
//! - Idempotent calls (GET, PUT, DELETE) retried on 429/502/503 and connection errors,
//!   with exponential backoff, honouring `Retry-After`; POST calls never, so nothing is
//!   sent twice.
//! - Attachments streamed both ways, with upload progress.
//! - A company's events as they happen ([`Client::events`]): a stream that reconnects
//!   and resumes by itself, or long polling ([`Client::poll_events`]).
//!
//! # Example
//!
//! Against a confab started with `confab serve --sandbox` (the token comes from
//! `confab user create --name me`):
//!
//! ```no_run
//! use confab_client::{
//!     ChannelSettings, Client, Inbound, ListParams, NewCompany, NewConversation, NewMessage,
//!     Provider, Upload,
//! };
//!
//! # async fn run() -> Result<(), confab_client::Error> {
//! let client = Client::new("http://127.0.0.1:8080", "TOKEN")?;
//! // or the hosted API: Client::pact("TOKEN")?
//!
//! let company = client.companies().create(&NewCompany::new("Acme")).await?;
//! let channel = client
//!     .channels(company)
//!     .create(Provider::Whatsapp, ChannelSettings::new())
//!     .await?;
//! let conversation = client
//!     .conversations(company)
//!     .create(&NewConversation::whatsapp("79250000001", "Hello"))
//!     .await?
//!     .external_id;
//!
//! // The customer answers (sandbox only).
//! client
//!     .sandbox(company)
//!     .inbound(channel, &Inbound::new("79250000001").message("Hi!"))
//!     .await?;
//!
//! // Reply with a file, and wait until it is delivered.
//! let file = client
//!     .attachments(company, conversation)
//!     .upload(Upload::path("README.md"))
//!     .await?;
//! let job = client
//!     .messages(company, conversation)
//!     .send(&NewMessage::text("Here you are").attachment(file))
//!     .await?;
//! let job = client.wait_for_job(&job).await?;
//! assert!(job.is_delivered());
//!
//! let messages = client
//!     .messages(company, conversation)
//!     .stream(ListParams::new().per(100))
//!     .collect_all()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Errors name what was wrong:
//!
//! ```no_run
//! # async fn run(client: confab_client::Client) {
//! use confab_client::{Error, ListParams};
//!
//! match client.companies().list(&ListParams::new().per(500)).await {
//!     Err(Error::Api { status: 400, errors, .. }) => assert_eq!(errors[0].parameter, "per"),
//!     other => panic!("{other:?}"),
//! }
//! # }
//! ```

#![warn(missing_docs)]

mod attachments;
mod channels;
mod client;
mod companies;
mod conversations;
mod error;
mod events;
mod jobs;
mod members;
mod messages;
mod pagination;
mod retry;
mod sandbox;
mod upload;
mod webhook_deliveries;

pub use attachments::Attachments;
pub use channels::{ChannelSettings, Channels};
pub use client::{Client, ClientBuilder, DEFAULT_TIMEOUT, PACT_URL, TOKEN_HEADER};
pub use companies::Companies;
pub use conversations::{ConversationFilters, Conversations};
pub use error::{Error, Result};
pub use events::{Event, EventBatch, EventOptions, EventStream, StreamEvent};
pub use jobs::Jobs;
pub use members::Members;
pub use messages::Messages;
pub use pagination::{ItemStream, ListParams, Page, SortDirection};
pub use retry::{MAX_RETRY_AFTER, RetryPolicy};
pub use sandbox::Sandbox;
pub use upload::{Progress, Upload};
pub use webhook_deliveries::WebhookDeliveries;

/// The wire types of the API, shared with the confab server: the answers, the request
/// bodies ([`wire::requests`]) and the parameters' size limits ([`wire::limits`]).
pub use confab_wire as wire;
/// The request bodies the calls take (the rest are in [`wire::requests`]).
pub use confab_wire::requests::{
    ChannelCredentials, ChannelEvent, CompanyUpdate, Inbound, Interactive, NewChannel, NewCompany,
    NewConversation, NewMessage,
};
pub use confab_wire::{
    Channel, Company, CompanyDetails, Conversation, ErrorDetail, Job, JobDetails, Member, Message,
    MessageAttachment, Provider, Role, SandboxContact, SandboxEvent, SandboxInbound,
    WebhookDelivery,
};
