//! `/p1/companies/CID/channels`: list, create, update credentials, delete.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, put};
use confab_store::{ChannelState, NewChannel};
use confab_wire::limits::MAX_SETTING_CHARS;
use confab_wire::{self as wire, ExternalId, Status};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::inputs::provider_param;
use super::paging::Page;
use super::params::Params;
use super::reply;
use super::schemas::{
    ChannelPath, CompanyPath, CreatedEnvelope, DeletedStatus, OkEnvelope, PageQuery,
    UpdatedEnvelope,
};
use super::scope::scoped_channel;
use crate::AppState;
use crate::connectors::telegram::{self, ConnectError};
use crate::domain::channel_settings::{self, BOOL_SETTINGS, STRING_SETTINGS};
use crate::domain::time::unix_seconds;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/p1/companies/{company_id}/channels",
            get(list).post(create),
        )
        .route(
            "/p1/companies/{company_id}/channels/{channel_id}",
            put(update).delete(delete),
        )
}

/// The company's live channels, a page at a time.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/channels",
    tag = "channels",
    operation_id = "list_channels",
    params(CompanyPath, PageQuery),
    responses((status = 200, description = "One page of live channels", body = OkEnvelope<wire::ChannelList>)),
)]
async fn list(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let page = Page::from_params(&params, format!("channels:{}", scope.id()))?;
    let rows = state
        .app
        .store
        .list_channels(scope.id(), page.request())
        .await?;
    let (rows, next_page) = page.finish(rows, |c| c.id);
    Ok(reply::ok(wire::ChannelList {
        channels: rows
            .into_iter()
            .map(|c| wire::Channel {
                external_id: c.id,
                provider: c.provider.as_str().to_owned(),
                state: Some(c.state),
                connector: Some(c.connector),
                last_inbound_at: c.last_inbound_at_ms.map(unix_seconds),
                last_error: c.last_error,
            })
            .collect(),
        next_page,
    }))
}

/// `sync_messages_from`: unix seconds (number or decimal string) or an RFC 3339 time.
fn sync_messages_from(params: &Params, now_ms: i64) -> ApiResult<Option<i64>> {
    const NAME: &str = "sync_messages_from";
    let seconds = match params.optional_i64(NAME) {
        Ok(v) => v,
        Err(e) => {
            let text = params.optional_str(NAME)?.unwrap_or_default();
            match OffsetDateTime::parse(&text, &Rfc3339) {
                Ok(t) => Some(t.unix_timestamp()),
                Err(_) => return Err(e),
            }
        }
    };
    if let Some(from) = seconds {
        channel_settings::check_sync_from(from, unix_seconds(now_ms))
            .map_err(|why| ApiError::invalid(NAME, why))?;
    }
    Ok(seconds)
}

/// The provider settings present in the request, typed; `now_ms` bounds the sync start.
fn settings(params: &Params, now_ms: i64) -> ApiResult<Map<String, Value>> {
    let mut settings = Map::new();
    for name in STRING_SETTINGS {
        if let Some(v) = params.optional_str_max(name, MAX_SETTING_CHARS)? {
            settings.insert((*name).to_owned(), Value::String(v));
        }
    }
    for name in BOOL_SETTINGS {
        if let Some(v) = params.optional_bool(name)? {
            settings.insert((*name).to_owned(), Value::Bool(v));
        }
    }
    if let Some(from) = sync_messages_from(params, now_ms)? {
        settings.insert("sync_messages_from".to_owned(), Value::from(from));
    }
    if let Some(data) = params.raw("data") {
        if !data.is_object() {
            return Err(ApiError::invalid("data", "must be an object"));
        }
        settings.insert("data".to_owned(), data.clone());
    }
    Ok(settings)
}

/// Connects a channel (with `--sandbox`: a simulated one, no credentials needed).
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels",
    tag = "channels",
    operation_id = "create_channel",
    params(CompanyPath),
    request_body(content(
        (wire::requests::NewChannel = "application/x-www-form-urlencoded"),
        (wire::requests::NewChannel = "application/json"),
    )),
    responses((status = 200, description = "The new channel's id", body = CreatedEnvelope<ExternalId>)),
)]
async fn create(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let provider = provider_param(&params)?;
    let mut settings = settings(&params, state.app.now_ms())?;
    let connector = if state.config.sandbox {
        "sandbox"
    } else {
        let Some(connector) = state.connectors.real(provider) else {
            return Err(ApiError::invalid(
                "provider",
                format!(
                    "{provider} has no messenger connector in this confab yet; \
                     start confab serve with --sandbox to simulate it"
                ),
            ));
        };
        connector
    };
    if connector == telegram::NAME {
        let token = settings
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::missing("token")
                    .with_detail("is required: the bot's token from @BotFather")
            })?
            .to_owned();
        settings.extend(check_telegram_token(&state, &token).await?);
    }
    let signs_in =
        connector == "sandbox" && super::channel_signin::needs_signin(provider, &settings);
    let unsealed = signs_in.then(|| settings.clone());
    state.app.secrets.seal_settings(&mut settings);
    let channel = NewChannel {
        provider,
        connector: connector.to_owned(),
        settings,
    };
    let channel = state
        .app
        .store
        .create_channel(scope.id(), channel, state.app.now_ms())
        .await
        .map_err(|e| match e {
            confab_store::StoreError::Conflict { .. } => ApiError::invalid_with(
                "provider",
                "conflict",
                format!("the company already has a {provider} channel (one per provider)"),
            ),
            other => other.into(),
        })?;
    if let Some(settings) = unsealed {
        super::channel_signin::after_create(&state, &channel, &settings).await?;
    }
    state.app.channels_wakeup.wake();
    crate::template_sync::on_channel_created(
        state.app.clone(),
        state.template_source.clone(),
        channel.clone(),
    );
    Ok(reply::envelope(
        Status::Created,
        ExternalId {
            external_id: channel.id,
        },
    ))
}

/// Updates a channel's credentials; at least one of its provider's must be given.
#[utoipa::path(
    put,
    path = "/p1/companies/{company_id}/channels/{channel_id}",
    tag = "channels",
    operation_id = "update_channel",
    params(ChannelPath),
    request_body(content(
        (wire::requests::ChannelCredentials = "application/x-www-form-urlencoded"),
        (wire::requests::ChannelCredentials = "application/json"),
    )),
    responses((status = 200, description = "The channel's id", body = UpdatedEnvelope<ExternalId>)),
)]
async fn update(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let channel = scoped_channel(&state, &scope, &params).await?;
    let provider = channel.provider;
    let keys = channel_settings::credential_keys(provider);
    let mut patch = Map::new();
    for key in keys {
        if let Some(v) = params.optional_str_max(key, MAX_SETTING_CHARS)? {
            patch.insert((*key).to_owned(), Value::String(v));
        }
    }
    if patch.is_empty() {
        let first = keys.first().copied().unwrap_or("token");
        return Err(ApiError::missing(first).with_detail(format!(
            "is required: a {provider} channel takes {}",
            keys.join(", ")
        )));
    }
    let reconnect = channel.connector == telegram::NAME;
    if reconnect && let Some(token) = patch.get("token").and_then(Value::as_str) {
        let token = token.to_owned();
        let checked = check_telegram_token(&state, &token).await?;
        if checked.get("bot_id") != channel.settings.get("bot_id") {
            return Err(ApiError::invalid(
                "token",
                "is the token of another bot; a channel keeps its bot \
                 (connect another bot as a new channel)",
            ));
        }
        patch.extend(checked);
        // A new token may be registered anew.
        patch.insert("webhook_url".to_owned(), Value::Null);
    }
    state.app.secrets.seal_settings(&mut patch);
    if !state
        .app
        .store
        .update_channel_settings(scope.id(), channel.id, patch)
        .await?
    {
        return Err(ApiError::NotFound("channel".to_owned()));
    }
    if reconnect && channel.state == ChannelState::Disabled {
        // The new token works: the channel the old one broke is back.
        state.app.store.set_channel_error(channel.id, None).await?;
        state
            .app
            .change_channel_state(scope.id(), channel.id, "authorized", ChannelState::Enabled)
            .await?;
    }
    state.app.channels_wakeup.wake();
    Ok(reply::envelope(
        Status::Updated,
        ExternalId {
            external_id: channel.id,
        },
    ))
}

/// Disables a channel: its conversations stay readable, its provider is free again.
#[utoipa::path(
    delete,
    path = "/p1/companies/{company_id}/channels/{channel_id}",
    tag = "channels",
    operation_id = "delete_channel",
    params(ChannelPath),
    responses((status = 200, description = "Disabled", body = DeletedStatus)),
)]
async fn delete(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let channel = scoped_channel(&state, &scope, &params).await?;
    if !state
        .app
        .store
        .delete_channel(scope.id(), channel.id, state.app.now_ms())
        .await?
    {
        return Err(ApiError::NotFound("channel".to_owned()));
    }
    if channel.connector == telegram::NAME {
        state
            .connectors
            .telegram
            .disconnect(&channel.settings)
            .await;
    }
    Ok(reply::status_only(Status::Deleted))
}

/// Checks a bot token with Telegram: the settings it adds, or a 400 naming `token` with
/// Telegram's answer (503 when Telegram cannot be reached).
async fn check_telegram_token(state: &AppState, token: &str) -> ApiResult<Map<String, Value>> {
    state
        .connectors
        .telegram
        .connect(token)
        .await
        .map_err(|e| match e {
            ConnectError::Refused(why) => {
                ApiError::invalid("token", format!("Telegram refused the bot token: {why}"))
            }
            ConnectError::Unreachable(why) => ApiError::Unavailable(format!(
                "Telegram could not be reached to check the token: {why}"
            )),
        })
}
