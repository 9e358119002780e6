//! The browser session of a request: its cookie, looked up by the id's hash.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use confab_store::{StoreResult, TokenHash, User};
use rand::RngCore;

use super::{cookies, csrf};
use crate::AppState;
use crate::domain::token;

/// The logged-in operator of a request.
#[derive(Debug, Clone)]
pub struct BrowserSession {
    /// Who is logged in.
    pub user: User,
    /// The stored hash of the session id (what logout deletes).
    pub id_hash: TokenHash,
    /// The token the session's state-changing requests must carry.
    pub csrf_token: String,
}

/// A new session id: 256 random bits, base64url. Only the browser keeps it.
pub fn new_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a session id: its SHA-256, as for API tokens.
pub fn hash_id(id: &str) -> TokenHash {
    token::hash(id)
}

/// What the request's session cookie says.
#[derive(Debug)]
pub enum Found {
    /// No session cookie.
    None,
    /// A cookie whose session is unknown, expired, logged out or revoked.
    Stale,
    /// A live session.
    Live(BrowserSession),
}

/// The request's session, looked up by the hash of its cookie's id at the server's time.
///
/// # Errors
/// When the store cannot be read.
pub async fn find(state: &AppState, headers: &HeaderMap) -> StoreResult<Found> {
    let Some(id) = cookies::get(headers, cookies::SESSION).filter(|id| !id.is_empty()) else {
        return Ok(Found::None);
    };
    let id_hash = hash_id(id);
    let now = state.app.now_ms();
    Ok(match state.app.store.session(id_hash, now).await? {
        Some(session) => Found::Live(BrowserSession {
            user: session.user,
            id_hash,
            csrf_token: csrf::session_token(id),
        }),
        None => Found::Stale,
    })
}
