//! What an operator changes from the inbox: a reply with files, the assignee, the note.
//! Each needs the session's CSRF token (the `X-CSRF-Token` header htmx sends, or the
//! form field) and a same-origin request, and goes through the same operations as the API.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use confab_wire::limits::{MAX_NOTE_CHARS, MAX_TEXT_CHARS};

use super::conversation::{bubble_of, side_panel};
use super::views;
use crate::AppState;
use crate::app::files::FileSource;
use crate::app::{AppError, OutgoingDraft};
use crate::domain::outgoing::max_attachments;
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::ui::operator::{Operator, not_found};
use crate::ui::{answers, csrf, form::Form};

/// Whether a request carries the session's CSRF token and comes from this site.
fn csrf_ok(state: &AppState, headers: &HeaderMap, op: &Operator, field: Option<&str>) -> bool {
    csrf::same_origin(headers, &state.config)
        && csrf::matches(csrf::presented(headers, field), &op.session.csrf_token)
}

/// A refusal the composer shows above itself: what was wrong, in words.
fn refusal(status: StatusCode, message: &str) -> Response {
    answers::html(status, maud::html! { p.error role="alert" { (message) } })
}

fn app_refusal(error: &AppError) -> Response {
    match error {
        AppError::Missing { .. } | AppError::Invalid { .. } => {
            refusal(StatusCode::BAD_REQUEST, &error.to_string())
        }
        AppError::NotFound(what) => not_found(what),
        AppError::TooLarge(why) => refusal(StatusCode::PAYLOAD_TOO_LARGE, why),
        AppError::StorageFull(why) => refusal(StatusCode::INSUFFICIENT_STORAGE, why),
        AppError::Store(e) => answers::store_failed(e),
        AppError::Internal(why) => {
            tracing::error!(error = %why, "an inbox action failed");
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server could not complete this. Try again in a moment.",
            )
        }
    }
}

/// `POST .../messages` (multipart: `message`, any number of `file` parts): uploads the
/// files, sends the reply (as several messages when the messenger takes fewer files a
/// message), and answers their bubbles (pending until the ticks come in).
pub async fn send(
    State(state): State<AppState>,
    op: Operator,
    headers: HeaderMap,
    Path((_, conversation_id)): Path<(i64, i64)>,
    params: Result<Params, ApiError>,
) -> Response {
    let mut params = match params {
        Ok(p) => p,
        Err(e) => return refusal(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let field = params.optional_str_max(csrf::FIELD, 128).ok().flatten();
    if !csrf_ok(&state, &headers, &op, field.as_deref()) {
        return answers::forbidden();
    }
    let conversation = match state
        .app
        .store
        .get_conversation(op.company_id(), conversation_id)
        .await
    {
        Ok(Some(c)) => c,
        Ok(None) => return not_found("conversation"),
        Err(e) => return answers::store_failed(&e),
    };
    let body = match params.optional_str_max("message", MAX_TEXT_CHARS) {
        Ok(text) => text.unwrap_or_default(),
        Err(e) => return refusal(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let mut attachment_ids = Vec::new();
    // An empty file input still sends a part with no name and no bytes: not a file.
    for file in params
        .take_files("file")
        .into_iter()
        .filter(|f| f.size > 0 || f.file_name.as_deref().is_some_and(|n| !n.is_empty()))
    {
        let source = FileSource::Spooled {
            file_name: file.file_name,
            content_type: file.content_type,
            size: file.size,
            path: file.path,
        };
        match state
            .app
            .upload_attachment(op.company_id(), conversation.id, source)
            .await
        {
            Ok(attachment) => attachment_ids.push(attachment.id),
            Err(e) => return app_refusal(&e),
        }
    }
    // Most messengers take one file a message: more files go as further messages, the
    // text with the first, as a messenger's own app sends them.
    let per_message = max_attachments(conversation.channel_type).max(1);
    let mut drafts: Vec<OutgoingDraft> = attachment_ids
        .chunks(per_message)
        .map(|ids| OutgoingDraft {
            body: String::new(),
            attachment_ids: ids.to_vec(),
            interactive: None,
            send_to_crm: true,
        })
        .collect();
    match drafts.first_mut() {
        Some(first) => first.body = body,
        None => drafts.push(OutgoingDraft {
            body,
            attachment_ids: Vec::new(),
            interactive: None,
            send_to_crm: true,
        }),
    }
    let mut bubbles = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let job = match state
            .app
            .send_message(op.company_id(), &conversation, draft)
            .await
        {
            Ok(job) => job,
            Err(e) => return app_refusal(&e),
        };
        match state
            .app
            .store
            .get_message(op.company_id(), conversation.id, job.message_id)
            .await
        {
            Ok(Some(message)) => bubbles.push(bubble_of(&state, &op, message).await),
            Ok(None) => return not_found("message"),
            Err(e) => return answers::store_failed(&e),
        }
    }
    answers::html(
        StatusCode::OK,
        maud::html! { @for b in &bubbles { (views::bubble(&op, b)) } },
    )
}

/// `POST .../assignee` (`assignee_id`: a member's id, or empty for nobody): answers the
/// side panel as it is now.
pub async fn assign(
    State(state): State<AppState>,
    op: Operator,
    headers: HeaderMap,
    Path((_, conversation_id)): Path<(i64, i64)>,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    if !csrf_ok(&state, &headers, &op, form.get(csrf::FIELD)) {
        return answers::forbidden();
    }
    let assignee = match form.get("assignee_id").map(str::trim).unwrap_or("") {
        "" | "none" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return refusal(
                    StatusCode::BAD_REQUEST,
                    "assignee_id must be a member's id, or empty for nobody",
                );
            }
        },
    };
    if let Err(e) = state
        .app
        .assign(op.company_id(), conversation_id, assignee)
        .await
    {
        return app_refusal(&e);
    }
    side_panel(&state, &op, conversation_id, Some("Assignee saved.")).await
}

/// `POST .../note` (`note`): saves the operators' note; answers the side panel.
pub async fn note(
    State(state): State<AppState>,
    op: Operator,
    headers: HeaderMap,
    Path((_, conversation_id)): Path<(i64, i64)>,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    if !csrf_ok(&state, &headers, &op, form.get(csrf::FIELD)) {
        return answers::forbidden();
    }
    let note = form.get("note").unwrap_or("").to_owned();
    if note.chars().count() > MAX_NOTE_CHARS {
        return refusal(
            StatusCode::BAD_REQUEST,
            &format!("note must be at most {MAX_NOTE_CHARS} characters"),
        );
    }
    if let Err(e) = state
        .app
        .set_note(op.company_id(), conversation_id, note)
        .await
    {
        return app_refusal(&e);
    }
    side_panel(&state, &op, conversation_id, Some("Note saved.")).await
}
