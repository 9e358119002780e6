//! `POST .../conversations/ID/messages/attachments`: upload a file or fetch a `file_url`.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use confab_wire::requests::UploadUrl;
use confab_wire::{AttachmentUploaded, ExternalId};

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::inputs::incoming_file;
use super::params::Params;
use super::reply;
use super::schemas::{ConversationPath, OkEnvelope};
use super::scope::scoped_conversation;
use crate::AppState;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages/attachments",
        post(upload),
    )
}

// The multipart body stays a server-side type: its `file` part is bytes, not a serde field
// (by URL, the body is `confab_wire::requests::UploadUrl`).
/// The parameters of an upload: a `file` part (multipart) or a `file_url`, not both.
#[derive(utoipa::ToSchema)]
pub struct UploadParams {
    /// The file (multipart/form-data only).
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream", required = false)]
    pub file: Vec<u8>,
    /// An http(s) URL to fetch the file from (public addresses only, unless
    /// `--allow-private-urls`).
    #[schema(max_length = 2048, required = false)]
    pub file_url: String,
}

/// Uploads a file to the conversation, to send later in `attachments_ids`.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}/messages/attachments",
    tag = "messages",
    operation_id = "upload_attachment",
    params(ConversationPath),
    request_body(content(
        (UploadParams = "multipart/form-data"),
        (UploadUrl = "application/x-www-form-urlencoded"),
        (UploadUrl = "application/json"),
    )),
    responses((status = 200, description = "The attachment's id", body = OkEnvelope<AttachmentUploaded>)),
)]
async fn upload(
    State(state): State<AppState>,
    scope: CompanyScope,
    mut params: Params,
) -> ApiResult<Response> {
    let conversation = scoped_conversation(&state, &scope, &params).await?;
    let source = incoming_file(&mut params)?.ok_or_else(|| {
        ApiError::missing("file")
            .with_detail("is required: upload a file (multipart) or give file_url")
    })?;
    let stored = state
        .app
        .upload_attachment(scope.id(), conversation.id, source)
        .await?;
    Ok(reply::ok(AttachmentUploaded {
        external_id: stored.id,
        conversation: ExternalId {
            external_id: conversation.id,
        },
    }))
}
