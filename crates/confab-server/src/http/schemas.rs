//! The shapes the API documentation names that are not wire types: the status words and
//! envelopes of the answers, a binary body, and the path and paging parameters. Handlers
//! name them in their `utoipa::path` attributes; `openapi.rs` assembles the document.

use serde::Serialize;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat};
use utoipa::openapi::{RefOr, Type};
use utoipa::{IntoParams, ToSchema};

/// The status word `ok`.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OkWord {
    /// Reads and most writes.
    Ok,
}

/// The status word `created`.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CreatedWord {
    /// A company or channel was created.
    Created,
}

/// The status word `updated`.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdatedWord {
    /// A company, channel or note was changed.
    Updated,
}

/// The status word `deleted`.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeletedWord {
    /// A channel was disabled.
    Deleted,
}

/// `{"status":"ok","data":{...}}`.
#[derive(ToSchema)]
pub struct OkEnvelope<T> {
    /// Always `ok`.
    pub status: OkWord,
    /// The answer.
    pub data: T,
}

/// `{"status":"created","data":{...}}`.
#[derive(ToSchema)]
pub struct CreatedEnvelope<T> {
    /// Always `created`.
    pub status: CreatedWord,
    /// The answer.
    pub data: T,
}

/// `{"status":"updated","data":{...}}`.
#[derive(ToSchema)]
pub struct UpdatedEnvelope<T> {
    /// Always `updated`.
    pub status: UpdatedWord,
    /// The answer.
    pub data: T,
}

/// `{"status":"updated"}`: a change with nothing to answer.
#[derive(ToSchema)]
pub struct UpdatedStatus {
    /// Always `updated`.
    pub status: UpdatedWord,
}

/// `{"status":"deleted"}`.
#[derive(ToSchema)]
pub struct DeletedStatus {
    /// Always `deleted`.
    pub status: DeletedWord,
}

/// Bytes of any type: a download.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The file's bytes"))
            .into()
    }
}

impl ToSchema for Binary {}

/// The order of a list.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortDirection {
    /// Oldest (lowest id) first.
    Asc,
    /// Newest first.
    Desc,
}

/// The paging parameters every list takes.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_page` token of the page before (alias `from_`). A token that is not valid
    /// for this list gives the first page.
    #[param(max_length = 255)]
    pub from: Option<String>,
    /// Items per page, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub per: Option<i64>,
    /// `asc` or `desc` by id (alias `sort`; default `asc`).
    #[param(inline)]
    pub sort_direction: Option<SortDirection>,
}

/// The order of the conversation list.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationListOrder {
    /// By id (the default); `sort_direction` defaults to `asc`.
    Id,
    /// By the last message (or the creation, before any), then id; `sort_direction`
    /// defaults to `desc`: newest activity first.
    LastMessage,
}

/// The filters and order of the conversation list; all given filters must hold.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationListQuery {
    /// Only conversations assigned to this user id, or to nobody with `none`.
    #[param(max_length = 32, example = "none")]
    pub assignee_id: Option<String>,
    /// Only conversations on this channel (a channel of another company matches none).
    pub channel_id: Option<i64>,
    /// `true`: only conversations whose last message is incoming (the customer waits).
    pub awaiting_reply: Option<bool>,
    /// Words matched as prefixes in the contact's name, phone or username and in the
    /// messages' text, case-insensitively (any script); a phone number also matches its
    /// digits anywhere. Must contain a letter or a digit.
    #[param(max_length = 255)]
    pub q: Option<String>,
    /// `id` (default) or `last_message`. A `next_page` token is valid only for the
    /// order and filters it was made with; with others it gives the first page.
    #[param(inline)]
    pub order: Option<ConversationListOrder>,
}

/// The filter of the conversation counts.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationsMetaQuery {
    /// Count only conversations on this channel.
    pub channel_id: Option<i64>,
}

/// `{company_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CompanyPath {
    /// A company the caller is a member of (any other id is a 404).
    #[param(minimum = 1, example = 1)]
    pub company_id: i64,
}

/// `{company_id}` and `{channel_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ChannelPath {
    /// A company the caller is a member of (any other id is a 404).
    #[param(minimum = 1, example = 1)]
    pub company_id: i64,
    /// A live channel of the company.
    #[param(minimum = 1, example = 1)]
    pub channel_id: i64,
}

/// `{company_id}`, `{channel_id}` and `{job_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct JobPath {
    /// A company the caller is a member of (any other id is a 404).
    #[param(minimum = 1, example = 1)]
    pub company_id: i64,
    /// The channel that delivers (live or deleted).
    #[param(minimum = 1, example = 1)]
    pub channel_id: i64,
    /// The job.
    #[param(minimum = 1, example = 1)]
    pub job_id: i64,
}

/// `{company_id}` and `{conversation_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConversationPath {
    /// A company the caller is a member of (any other id is a 404).
    #[param(minimum = 1, example = 1)]
    pub company_id: i64,
    /// A conversation of the company.
    #[param(minimum = 1, example = 1)]
    pub conversation_id: i64,
}

/// `{company_id}`, `{conversation_id}` and `{attachment_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AttachmentPath {
    /// A company the caller is a member of (any other id is a 404).
    #[param(minimum = 1, example = 1)]
    pub company_id: i64,
    /// A conversation of the company.
    #[param(minimum = 1, example = 1)]
    pub conversation_id: i64,
    /// An attachment of the conversation.
    #[param(minimum = 1, example = 1)]
    pub attachment_id: i64,
}

/// `{company_id}` and `{delivery_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// A company the caller is a member of (any other id is a 404).
    #[param(minimum = 1, example = 1)]
    pub company_id: i64,
    /// An entry of the company's webhook delivery log.
    #[param(minimum = 1, example = 1)]
    pub delivery_id: i64,
}
