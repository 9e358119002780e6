//! `Idempotency-Key` on the p1 writes (POST, PUT, DELETE): a retried write is answered from
//! its first execution and never carried out (sent, announced) twice.
//!
//! A request with the header claims its key (scoped to the caller) before it runs; the
//! store marks the key written in the transaction of the request's first write (see
//! `confab_store::idempotency`), and the answer is stored before it leaves the server.
//! Retries with the same key and request get the stored answer with
//! `Idempotent-Replayed: true` and never reach a handler; the same key with another
//! request is a 422, and a retry while the first still runs a 409 with `Retry-After`.
//! Client errors (4xx) are stored like successes; a 5xx that wrote nothing frees the key,
//! so it can be retried.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use confab_store::idempotency::within;
use confab_store::{IdempotencyClaim, KeyClaim, NewIdempotencyKey, StoredAnswer};
use futures_util::{StreamExt, TryStreamExt};

use super::auth::Caller;
use super::error::ApiError;
use super::params::min_rate;
use crate::AppState;

pub mod fingerprint;

/// The request header naming the key.
pub const KEY_HEADER: &str = "idempotency-key";
/// The answer header of a replay.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// The error code of a key used again for another request (422).
pub const REUSED: &str = "idempotency_key_reused";
/// The error code of a key whose first request still runs (409 with `Retry-After`).
pub const IN_FLIGHT: &str = "idempotency_key_in_flight";
/// The error code of a key whose request was carried out but whose answer was lost (409).
pub const ANSWER_LOST: &str = "idempotency_answer_lost";

/// How much longer than the request may run a claim is held: the request's own timeout
/// ends it before the lease does, so a live request is never taken over.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// The wait suggested to a retry that came while its first request still runs: most
/// requests are answered within it.
const RETRY_AFTER_SECS: &str = "1";

/// The middleware: passes through reads and requests without the header; keys the rest.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(KEY_HEADER) else {
        return next.run(req).await;
    };
    let key = match parse_key(raw) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let (mut parts, body) = req.into_parts();
    // Keys are scoped to the caller. Without one the route answers its 401 as usual:
    // there is no one to keep the key for.
    let Ok(Caller(user)) = Caller::from_request_parts(&mut parts, &state).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let multipart = is_multipart(&parts);
    let bytes = match read_body(&state, body, body_limit(&state, multipart), multipart).await {
        Ok(bytes) => bytes,
        Err(e) => return e.into_response(),
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let fingerprint = fingerprint::of(&parts.method, &parts.uri, content_type, &bytes).await;
    let claim = IdempotencyClaim {
        user_id: user.id,
        key,
        holder: fingerprint::hex(&rand::random::<[u8; 16]>()),
    };
    let now = state.app.now_ms();
    let lease = lease_for(&state, multipart);
    let new = NewIdempotencyKey {
        claim: claim.clone(),
        fingerprint,
        lease_until: now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX)),
    };
    match state.app.store.claim_idempotency_key(new, now).await {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(KeyClaim::Claimed) => {}
        Ok(KeyClaim::Reused) => return reused(),
        Ok(KeyClaim::Answered(answer)) => return replay(answer),
        Ok(KeyClaim::InFlight { .. }) => return in_flight(),
        Ok(KeyClaim::Written { lease_until, .. }) if lease_until > now => return in_flight(),
        Ok(KeyClaim::Written { holder, .. }) => return answer_lost(&state, claim, holder).await,
    }
    let response = within(
        claim.clone(),
        next.run(Request::from_parts(parts, Body::from(bytes))),
    )
    .await;
    settle(&state, claim, response).await
}

/// The key from the header: 1 to 255 printable ASCII characters, or a 400 naming it.
fn parse_key(raw: &HeaderValue) -> Result<String, ApiError> {
    let bad = |why: &str| ApiError::invalid("Idempotency-Key", why);
    let bytes = raw.as_bytes();
    if bytes.is_empty() {
        return Err(bad("must not be empty"));
    }
    if bytes.len() > MAX_KEY_LEN {
        return Err(bad("must be at most 255 characters"));
    }
    if !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Err(bad("must be printable ASCII characters only"));
    }
    // Printable ASCII is UTF-8: this never fails.
    String::from_utf8(bytes.to_vec()).map_err(|_| bad("must be printable ASCII characters only"))
}

fn is_multipart(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// The most body bytes read into memory for the fingerprint: what the route itself would
/// accept (an upload and its text fields, or a plain body).
fn body_limit(state: &AppState, multipart: bool) -> u64 {
    let config = &state.config;
    if multipart {
        config
            .max_attachment_size
            .saturating_add(config.max_body_size)
    } else {
        config.max_body_size
    }
}

/// How long a claim is held: past the request's own timeout.
fn lease_for(state: &AppState, multipart: bool) -> Duration {
    let timeout = if multipart {
        state.config.upload_timeout
    } else {
        state.config.request_timeout
    };
    timeout.saturating_add(LEASE_MARGIN)
}

/// The whole body, at most `limit` bytes; an upload is held to `--upload-min-rate` as the
/// parameter reader would hold it, so a keyed upload cannot trickle for longer.
async fn read_body(
    state: &AppState,
    body: Body,
    limit: u64,
    multipart: bool,
) -> Result<Bytes, ApiError> {
    let too_large =
        || ApiError::PayloadTooLarge(format!("the request body is larger than {limit} bytes"));
    let stream = TryStreamExt::map_err(body.into_data_stream(), std::io::Error::other);
    let mut stream: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = std::io::Result<Bytes>> + Send>,
    > = if multipart {
        Box::pin(min_rate::MinRate::new(
            stream,
            state.config.upload_min_rate,
            state.config.upload_rate_window,
        ))
    } else {
        Box::pin(stream)
    };
    let mut buffer = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| match min_rate::too_slow(&e) {
            Some(slow) => ApiError::BadRequest(slow.to_string()),
            None => ApiError::BadRequest(format!("the request body could not be read: {e}")),
        })?;
        if (buffer.len() as u64).saturating_add(chunk.len() as u64) > limit {
            return Err(too_large());
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

/// After the route: stores the answer (a 5xx only when the request wrote), then sends it.
async fn settle(state: &AppState, claim: IdempotencyClaim, response: Response) -> Response {
    let store = &state.app.store;
    let (parts, body) = response.into_parts();
    if parts.status.is_server_error() {
        match store.release_idempotency_key(claim.clone()).await {
            // Nothing was written: a retry runs the request again.
            Ok(true) => return Response::from_parts(parts, body),
            // The write committed before the failure: running it again would do it twice,
            // so this answer is what retries get.
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not release an idempotency key");
                return Response::from_parts(parts, body);
            }
        }
    }
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            // Not stored: the key stays claimed until its lease ends, then answers as lost
            // (if it wrote) or is run again (if it did not).
            tracing::warn!(error = %e, "could not read an answer to store for its idempotency key");
            return ApiError::Internal(format!("reading the answer: {e}")).into_response();
        }
    };
    let answer = StoredAnswer {
        status: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: bytes.to_vec(),
    };
    if let Err(e) = store.answer_idempotency_key(claim, answer).await {
        // The answer still goes out; a retry after the lease finds the key written and
        // gets the "answer lost" 409 instead of running the request again.
        tracing::warn!(error = %e, "could not store the answer of an idempotency key");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The stored answer, as it was, marked as a replay.
fn replay(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    if let Some(value) = answer
        .content_type
        .and_then(|t| HeaderValue::from_str(&t).ok())
    {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

fn reused() -> Response {
    let mut response = ApiError::invalid_with(
        "Idempotency-Key",
        REUSED,
        "was used before for a different request (method, path or parameters); use a new \
         key for a new request",
    )
    .into_response();
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

fn in_flight() -> Response {
    let mut response = ApiError::invalid_with(
        "Idempotency-Key",
        IN_FLIGHT,
        "a request with this key is still being processed; try again after Retry-After \
         seconds to get its answer",
    )
    .into_response();
    *response.status_mut() = StatusCode::CONFLICT;
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    response
}

/// The key's request wrote (its transaction committed) but its node stopped before the
/// answer was stored, so no answer was ever sent. Running it again would write twice, and
/// an "in flight" 409 would be wrong forever; so a minimal answer that says what is known
/// (carried out, answer lost) is stored under the key and replayed from now on. It is a
/// 409 without `Retry-After`: final, and clearly not a success whose body could be read.
async fn answer_lost(state: &AppState, claim: IdempotencyClaim, holder: String) -> Response {
    let mut lost = ApiError::invalid_with(
        "Idempotency-Key",
        ANSWER_LOST,
        "the request with this key was carried out, but the server stopped before it \
         answered, so its answer cannot be replayed; do not send it again: read the result \
         (e.g. list the conversation's messages)",
    )
    .into_response();
    *lost.status_mut() = StatusCode::CONFLICT;
    let writer = IdempotencyClaim { holder, ..claim };
    let stored = settle(state, writer, lost).await;
    let (mut parts, body) = stored.into_parts();
    parts
        .headers
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    Response::from_parts(parts, body)
}
