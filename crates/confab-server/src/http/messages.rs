//! `/p1/companies/CID/conversations/ID/messages`: list and send; attachment downloads.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use confab_wire as wire;
use confab_wire::limits::MAX_TEXT_CHARS;
use confab_wire::requests::NewMessage;

use super::auth::{CompanyScope, ScopedConversation};
use super::error::{ApiError, ApiResult};
use super::paging::Page;
use super::params::Params;
use super::reply;
use super::schemas::{AttachmentPath, Binary, ConversationPath, OkEnvelope, PageQuery};
use super::scope::scoped_conversation;
use crate::AppState;
use crate::app::OutgoingDraft;
use crate::domain::download;
use crate::render;

/// The Content-Security-Policy of every download: a sandboxed document (a unique origin,
/// no script, no forms) that may load nothing.
const DOWNLOAD_CSP: &str = "sandbox; default-src 'none'";

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    let conversation = "/p1/companies/{company_id}/conversations/{conversation_id}";
    Router::new()
        .route(&format!("{conversation}/messages"), get(list).post(send))
        // The docs' interactive example posts to the singular path.
        .route(&format!("{conversation}/message"), post(send_singular))
        .route(
            &format!("{conversation}/attachments/{{attachment_id}}"),
            get(download),
        )
}

/// The conversation's messages, a page at a time, by creation time.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}/messages",
    tag = "messages",
    operation_id = "list_messages",
    params(ConversationPath, PageQuery),
    responses((status = 200, description = "One page of messages, with ack and attachments", body = OkEnvelope<wire::MessageList>)),
)]
async fn list(
    State(state): State<AppState>,
    scoped: ScopedConversation,
    params: Params,
) -> ApiResult<Response> {
    // The caller, the company and the conversation in one store read, as for the details.
    let ScopedConversation {
        scope,
        conversation,
    } = scoped;
    let page = Page::from_params(&params, format!("messages:{}", conversation.id))?;
    let rows = state
        .app
        .store
        .list_messages(scope.id(), conversation.id, page.message_request())
        .await?;
    let (rows, next_page) = page.finish_keyed(rows, |m| vec![m.created_at_ms, m.id]);
    static PAGE_SIZE: reply::BodySize = reply::BodySize::new();
    Ok(reply::ok_page(
        wire::MessageList {
            messages: rows
                .into_iter()
                .map(|m| render::message(scope.id(), &conversation, m))
                .collect(),
            next_page,
        },
        &PAGE_SIZE,
    ))
}

/// Sends a message: stores it with its delivery job and answers the job.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}/messages",
    tag = "messages",
    operation_id = "send_message",
    params(ConversationPath),
    request_body(content(
        (NewMessage = "application/x-www-form-urlencoded"),
        (NewMessage = "application/json"),
    )),
    responses((status = 200, description = "The delivery job (`trying_deliver`)", body = OkEnvelope<wire::Job>)),
)]
async fn send(
    State(state): State<AppState>,
    scoped: ScopedConversation,
    params: Params,
) -> ApiResult<Response> {
    // The caller, the company and the conversation come from one store read.
    let ScopedConversation {
        scope,
        conversation,
    } = scoped;
    let body = params
        .optional_str_max("message", MAX_TEXT_CHARS)?
        .unwrap_or_default();
    let attachment_ids = params
        .optional_i64_list("attachments_ids")?
        .unwrap_or_default();
    let interactive = params.raw("interactive").cloned();
    let send_to_crm = params.optional_bool("send_to_crm")?.unwrap_or(true);
    let draft = OutgoingDraft {
        body,
        attachment_ids,
        interactive,
        send_to_crm,
    };
    let job = state
        .app
        .send_message(scope.id(), &conversation, draft)
        .await?;
    Ok(reply::ok(render::job(&job)))
}

/// [`send`] at the singular path the docs' interactive example posts to.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}/message",
    tag = "messages",
    operation_id = "send_message_singular",
    params(ConversationPath),
    request_body(content(
        (NewMessage = "application/x-www-form-urlencoded"),
        (NewMessage = "application/json"),
    )),
    responses((status = 200, description = "The delivery job (`trying_deliver`)", body = OkEnvelope<wire::Job>)),
)]
async fn send_singular(
    state: State<AppState>,
    scoped: ScopedConversation,
    params: Params,
) -> ApiResult<Response> {
    send(state, scoped, params).await
}

/// Downloads an attachment's bytes.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}/attachments/{attachment_id}",
    tag = "messages",
    operation_id = "download_attachment",
    params(AttachmentPath),
    responses((
        status = 200,
        description = "The bytes. Content-Type is the attachment's MIME type (application/octet-stream for types a browser would run, such as HTML or SVG); Content-Disposition is inline for PNG, JPEG, GIF and WebP images and attachment otherwise, with the file name",
        body = inline(Binary),
        content_type = "*/*",
    )),
)]
async fn download(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let conversation = scoped_conversation(&state, &scope, &params).await?;
    let id = params.path_id("attachment_id", "attachment")?;
    let attachment = state
        .app
        .store
        .get_attachment(scope.id(), id)
        .await?
        .filter(|a| a.conversation_id == conversation.id)
        .ok_or_else(|| ApiError::NotFound("attachment".to_owned()))?;
    attachment_response(&state, &attachment).await
}

/// An attachment's bytes as a download (the API's and the inbox's).
pub async fn attachment_response(
    state: &AppState,
    attachment: &confab_store::Attachment,
) -> ApiResult<Response> {
    let id = attachment.id;
    let stream = state
        .app
        .blobs
        .stream(&attachment.blob_key)
        .await
        .map_err(|e| ApiError::Internal(format!("attachment {id} unreadable: {e}")))?;
    // Nothing uploaded may run in this origin: only safe images are shown in place, the
    // rest is saved; nosniff keeps browsers to the served type, and the sandbox CSP gives a
    // document that is opened anyway a unique origin with no script and no subresources.
    let disposition = download::content_disposition(&attachment.mime_type, &attachment.file_name);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                download::served_type(&attachment.mime_type).to_owned(),
            ),
            (header::CONTENT_LENGTH, attachment.size.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CONTENT_SECURITY_POLICY, DOWNLOAD_CSP.to_owned()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
