//! Idempotency keys: what the store keeps so that a retried write is answered from its
//! first execution instead of being carried out again.
//!
//! The HTTP layer claims a key before it runs a request, then runs the request inside
//! [`within`]. While that scope is active, the backends' write entry points mark the key
//! `written` in the same transaction as the request's write: the write and the fact that
//! it happened commit together or not at all, so a crash can never leave one without the
//! other. The answer itself is saved afterwards with
//! [`Store::answer_idempotency_key`](crate::Store::answer_idempotency_key).

use std::future::Future;

/// The key a request holds while it runs: whose it is and which claim holds it (a claim
/// taken over after its lease expired has another `holder`, so the old one writes nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The user the key belongs to; keys of different users are independent.
    pub user_id: i64,
    /// The client's `Idempotency-Key`.
    pub key: String,
    /// A random token naming this claim of the key.
    pub holder: String,
}

/// A key to claim for a request about to run.
#[derive(Debug, Clone)]
pub struct NewIdempotencyKey {
    /// Who, which key and which claim.
    pub claim: IdempotencyClaim,
    /// A digest of the request (method, path, parameters); the same key with another
    /// fingerprint is a different request.
    pub fingerprint: String,
    /// Until when the claim is held; after it, an unwritten claim may be taken over.
    pub lease_until: i64,
}

/// The answer stored for a key, replayed as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The answer's `Content-Type`, if it had one.
    pub content_type: Option<String>,
    /// The answer's body.
    pub body: Vec<u8>,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key is this request's now (it was new, or an unwritten claim's lease had run
    /// out): run the request.
    Claimed,
    /// The key was used for a request with another fingerprint.
    Reused,
    /// The request was answered before: replay this.
    Answered(StoredAnswer),
    /// Another claim runs the request and has not written yet; its lease runs until then.
    InFlight {
        /// When the running claim's lease ends (unix ms).
        lease_until: i64,
    },
    /// The request's write committed but its answer is not stored (yet): still running
    /// until `lease_until`, or the node stopped between the commit and the answer.
    Written {
        /// The claim that wrote.
        holder: String,
        /// When that claim's lease ends (unix ms).
        lease_until: i64,
    },
}

tokio::task_local! {
    static CURRENT: IdempotencyClaim;
}

/// Runs `request` with `claim` as its idempotency key: every store write it makes marks the
/// key written in that write's own transaction.
pub async fn within<F: Future>(claim: IdempotencyClaim, request: F) -> F::Output {
    CURRENT.scope(claim, request).await
}

/// The key of the request running on this task, if it has one.
pub(crate) fn current() -> Option<IdempotencyClaim> {
    CURRENT.try_with(Clone::clone).ok()
}

/// The refusal of a write whose claim was taken over (its lease ran out): the write is
/// rolled back, as the claim that took over will carry the request out.
pub(crate) fn claim_lost() -> crate::StoreError {
    crate::StoreError::Refused {
        what: "Idempotency-Key",
        reason: "this request's idempotency key was taken over by a retry after its lease \
                 ran out; nothing was changed"
            .to_owned(),
    }
}
