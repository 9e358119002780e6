//! The company-scoped rows a request path names (`{channel_id}`, `{conversation_id}`),
//! read once here for every resource that acts on them; a row of another company is the
//! same 404 as no row at all.

use confab_store::{Channel, Conversation};

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::params::Params;
use crate::AppState;

/// The live channel `{channel_id}` of the scoped company, or a 404.
pub async fn scoped_channel(
    state: &AppState,
    scope: &CompanyScope,
    params: &Params,
) -> ApiResult<Channel> {
    let channel_id = params.path_id("channel_id", "channel")?;
    state
        .app
        .store
        .get_channel(scope.id(), channel_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("channel".to_owned()))
}

/// The conversation `{conversation_id}` of the scoped company, or a 404.
pub async fn scoped_conversation(
    state: &AppState,
    scope: &CompanyScope,
    params: &Params,
) -> ApiResult<Conversation> {
    let id = params.path_id("conversation_id", "conversation")?;
    state
        .app
        .store
        .get_conversation(scope.id(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound("conversation".to_owned()))
}
