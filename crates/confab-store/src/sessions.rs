//! Browser sessions of operators who logged in with a name and password. The session id
//! itself lives only in the browser's cookie; the store keeps its SHA-256, so a copy of the
//! database cannot be turned into a logged-in browser.

use crate::{TokenHash, User};

/// A session about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the session id the browser holds.
    pub id_hash: TokenHash,
    /// Whose session it is.
    pub user_id: i64,
    /// When it began, unix milliseconds.
    pub created_at: i64,
    /// When it stops being accepted, unix milliseconds.
    pub expires_at: i64,
}

/// A live session, as found by its id's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose session it is.
    pub user: User,
    /// When it began, unix milliseconds.
    pub created_at: i64,
    /// When it stops being accepted, unix milliseconds.
    pub expires_at: i64,
}

/// A user who can log in: who they are and their password hash (a PHC string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginUser {
    /// The user.
    pub user: User,
    /// Their password's argon2id hash, as a PHC string.
    pub password_hash: String,
}
