//! `GET /c/{company_id}/files/{attachment_id}`: an attachment's bytes for the inbox
//! (thumbnails, file chips), authenticated by the session cookie, served exactly as the
//! API serves downloads (so an uploaded page or SVG never runs in the inbox's origin).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::ui::operator::{Operator, not_found};

/// Serves the attachment.
pub async fn download(
    State(state): State<AppState>,
    op: Operator,
    Path((_, attachment_id)): Path<(i64, i64)>,
) -> Response {
    let attachment = match state
        .app
        .store
        .get_attachment(op.company_id(), attachment_id)
        .await
    {
        Ok(Some(a)) => a,
        Ok(None) => return not_found("file"),
        Err(e) => return crate::ui::answers::store_failed(&e),
    };
    match crate::http::messages::attachment_response(&state, &attachment).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}
