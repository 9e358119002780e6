//! `POST .../conversations/ID/messages/attachments`: upload a file or fetch a `file_url`.

use std::path::Path;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use confab_store::NewAttachment;
use confab_wire::{AttachmentUploaded, ExternalId};
use rand::RngCore;

use super::auth::CompanyScope;
use super::conversations::scoped_conversation;
use super::error::{ApiError, ApiResult};
use super::openapi::{ConversationPath, OkEnvelope};
use super::params::Params;
use super::reply;
use crate::AppState;
use crate::domain::time::now_ms;
use crate::net::{FetchError, parse_http_url};

const MAX_URL: usize = 2048;
const MAX_FILE_NAME: usize = 255;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages/attachments",
        post(upload),
    )
}

/// The last path component of a client-given name, trimmed and capped; `file` when empty.
fn clean_file_name(raw: Option<&str>) -> String {
    let base = raw
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .map(str::trim)
        .unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME)
        .collect();
    if name.is_empty() || name == "." || name == ".." {
        "file".to_owned()
    } else {
        name
    }
}

/// The MIME type: the one given, else a guess from the name, else `application/octet-stream`.
fn mime_type(given: Option<String>, file_name: &str) -> String {
    // curl labels every part application/octet-stream: that says nothing, a guess says more.
    given
        .filter(|m| m.contains('/') && m.len() <= 255 && m != "application/octet-stream")
        .unwrap_or_else(|| {
            mime_guess::from_path(file_name)
                .first_or_octet_stream()
                .essence_str()
                .to_owned()
        })
}

/// Where a new blob goes: unguessable, grouped by company and conversation.
pub fn blob_key(company_id: i64, group: impl std::fmt::Display) -> String {
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("attachments/{company_id}/{group}/{hex}")
}

/// A file received with a request, spooled to disk.
pub struct Incoming {
    file_name: String,
    mime_type: String,
    size: u64,
    source_url: Option<String>,
    // Keeps the spooled file alive until it has been copied into blob storage.
    path: tempfile::TempPath,
}

async fn from_url(state: &AppState, text: &str) -> ApiResult<Incoming> {
    let url = parse_http_url(text).map_err(|why| ApiError::invalid("file_url", why))?;
    let fetched = state
        .fetcher
        .fetch_to_file(&url, &state.tmp_dir, state.config.max_attachment_size)
        .await
        .map_err(|e| match e {
            FetchError::TooLarge(_) => ApiError::PayloadTooLarge(format!("file_url: {e}")),
            FetchError::Refused(why) => ApiError::invalid(
                "file_url",
                format!("{why}; such targets are allowed only with --allow-private-urls"),
            ),
            FetchError::Failed(why) => {
                ApiError::invalid("file_url", format!("could not be fetched: {why}"))
            }
        })?;
    let segment = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .map(percent_decode);
    let file_name = clean_file_name(segment.as_deref());
    Ok(Incoming {
        mime_type: mime_type(fetched.content_type, &file_name),
        file_name,
        size: fetched.size,
        source_url: Some(url.to_string()),
        path: fetched.path,
    })
}

fn percent_decode(segment: &str) -> String {
    form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The file a request carries: an uploaded `file` part or a `file_url` to fetch (exactly
/// one), or `None` when it carries neither.
pub async fn incoming_file(state: &AppState, params: &mut Params) -> ApiResult<Option<Incoming>> {
    let file = params.take_file("file");
    let url = params
        .optional_str_max("file_url", MAX_URL)?
        .filter(|u| !u.trim().is_empty());
    match (file, url) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "file",
            "give either file or file_url, not both",
        )),
        (None, None) if params.has("file") => Err(ApiError::invalid(
            "file",
            "must be uploaded as a multipart/form-data file part",
        )),
        (None, None) => Ok(None),
        (Some(file), None) => {
            let file_name = clean_file_name(file.file_name.as_deref());
            Ok(Some(Incoming {
                mime_type: mime_type(file.content_type, &file_name),
                file_name,
                size: file.size,
                source_url: None,
                path: file.path,
            }))
        }
        (None, Some(url)) => from_url(state, &url).await.map(Some),
    }
}

/// Copies an incoming file into blob storage under `key`; returns the attachment's fields
/// (for `conversation_id`).
pub async fn store_incoming(
    state: &AppState,
    incoming: Incoming,
    key: String,
    conversation_id: i64,
) -> ApiResult<NewAttachment> {
    store_blob(state, &key, &incoming.path).await?;
    Ok(NewAttachment {
        conversation_id,
        file_name: incoming.file_name,
        mime_type: incoming.mime_type,
        size: i64::try_from(incoming.size).unwrap_or(i64::MAX),
        blob_key: key,
        source_url: incoming.source_url,
    })
}

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

/// The parameters of an upload by URL (form or JSON).
#[derive(utoipa::ToSchema)]
pub struct UploadUrlParams {
    /// An http(s) URL to fetch the file from (public addresses only, unless
    /// `--allow-private-urls`).
    #[schema(min_length = 1, max_length = 2048, pattern = r"\S")]
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
        (UploadUrlParams = "application/x-www-form-urlencoded"),
        (UploadUrlParams = "application/json"),
    )),
    responses((status = 200, description = "The attachment's id", body = OkEnvelope<AttachmentUploaded>)),
)]
async fn upload(
    State(state): State<AppState>,
    scope: CompanyScope,
    mut params: Params,
) -> ApiResult<Response> {
    let conversation = scoped_conversation(&state, &scope, &params).await?;
    let incoming = incoming_file(&state, &mut params).await?.ok_or_else(|| {
        ApiError::missing("file")
            .with_detail("is required: upload a file (multipart) or give file_url")
    })?;
    let key = blob_key(scope.id(), conversation.id);
    let attachment = store_incoming(&state, incoming, key.clone(), conversation.id).await?;
    let stored = match state
        .store
        .create_attachment(scope.id(), attachment, now_ms())
        .await
    {
        Ok(stored) => stored,
        Err(e) => {
            state.blobs.delete(&key).await.ok();
            return Err(e.into());
        }
    };
    Ok(reply::ok(AttachmentUploaded {
        external_id: stored.id,
        conversation: ExternalId {
            external_id: conversation.id,
        },
    }))
}

async fn store_blob(state: &AppState, key: &str, path: &Path) -> ApiResult<()> {
    state
        .blobs
        .put_file(key, path)
        .await
        .map_err(|e| ApiError::Internal(format!("cannot store attachment: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(clean_file_name(Some("C:\\x\\photo.png")), "photo.png");
        assert_eq!(clean_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_file_name(Some("..")), "file");
        assert_eq!(clean_file_name(None), "file");
        assert_eq!(clean_file_name(Some(&"a".repeat(300))).len(), 255);
    }

    #[test]
    fn mime_types() {
        assert_eq!(mime_type(None, "a.png"), "image/png");
        assert_eq!(mime_type(Some("text/plain".into()), "a.png"), "text/plain");
        assert_eq!(mime_type(None, "file"), "application/octet-stream");
        assert_eq!(
            mime_type(Some("application/octet-stream".into()), "a.pdf"),
            "application/pdf"
        );
        assert_eq!(percent_decode("a%20b+c.pdf"), "a b+c.pdf");
    }
}
