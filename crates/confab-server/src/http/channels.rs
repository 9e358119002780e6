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
use crate::connectors::whatsapp;
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
        .route(
            "/p1/companies/{company_id}/channels/{channel_id}/user_exists",
            get(user_exists),
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
    responses((status = 200, description = "The new channel's id (a WhatsApp Business channel also answers its webhook_url and verify_token)", body = CreatedEnvelope<wire::CreatedChannel>)),
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
    let verify_token = if connector == whatsapp::NAME {
        Some(connect_whatsapp(&state, &params, &mut settings).await?)
    } else {
        None
    };
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
    let mut webhook_url = None;
    if connector == whatsapp::NAME {
        webhook_url = state.connectors.whatsapp.webhook_url(channel.id);
        if webhook_url.is_none() {
            state
                .app
                .store
                .set_channel_error(channel.id, Some(NO_PUBLIC_URL.to_owned()))
                .await?;
        }
    }
    state.app.channels_wakeup.wake();
    crate::template_sync::on_channel_created(
        state.app.clone(),
        state.template_source.clone(),
        channel.clone(),
    );
    Ok(reply::envelope(
        Status::Created,
        wire::CreatedChannel {
            external_id: channel.id,
            webhook_url,
            verify_token,
        },
    ))
}

/// The health of a WhatsApp channel on a server Meta cannot reach.
const NO_PUBLIC_URL: &str = "confab has no --public-url: WhatsApp cannot deliver incoming \
     messages or receipts to this channel; restart confab serve with --public-url and set \
     the webhook in Meta's app settings";

/// Checks a WhatsApp Business (Cloud API) channel's parameters and credentials with Meta
/// and adds what the channel keeps to `settings`; answers the generated verify token.
async fn connect_whatsapp(
    state: &AppState,
    params: &Params,
    settings: &mut Map<String, Value>,
) -> ApiResult<String> {
    if params.optional_str("dialog360_channel_id")?.is_some() {
        return Err(ApiError::invalid(
            "dialog360_channel_id",
            "360dialog is not supported yet; connect the number through Meta's Cloud API \
             (hosting_type=cloud with token, phone_number_id, waba_id and app_secret)",
        ));
    }
    match params.optional_str("hosting_type")?.as_deref() {
        Some("cloud") => {}
        Some("onpremise") => {
            return Err(ApiError::invalid(
                "hosting_type",
                "onpremise is not supported yet; use cloud (Meta's Cloud API)",
            ));
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "hosting_type",
                "must be cloud or onpremise",
            ));
        }
        None => {
            return Err(ApiError::missing("hosting_type").with_detail("is required: cloud"));
        }
    }
    let required = |name: &'static str, what: &str| {
        settings
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| ApiError::missing(name).with_detail(format!("is required: {what}")))
    };
    let token = required(
        "token",
        "a system-user access token of the WhatsApp Business app",
    )?;
    let number = required("phone_number_id", "the number's id in WhatsApp Manager")?;
    let waba = required("waba_id", "the WhatsApp Business Account id")?;
    // Both go into Graph API paths: Meta's ids are digits, anything else is refused here.
    for (name, id) in [("phone_number_id", &number), ("waba_id", &waba)] {
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid(name, "must be Meta's numeric id"));
        }
    }
    required(
        "app_secret",
        "the Meta app's secret, which signs its webhooks",
    )?;
    let checked = state
        .connectors
        .whatsapp
        .connect(&token, &number)
        .await
        .map_err(whatsapp_refusal)?;
    settings.extend(checked);
    let verify_token = crate::domain::token::webhook_secret()
        .trim_start_matches("whsec_")
        .replace(['+', '/', '='], "");
    settings.insert("verify_token".to_owned(), Value::from(verify_token.clone()));
    Ok(verify_token)
}

fn whatsapp_refusal(e: whatsapp::ConnectError) -> ApiError {
    match e {
        whatsapp::ConnectError::Refused(param, why) => {
            ApiError::invalid(param, format!("WhatsApp refused it: {why}"))
        }
        whatsapp::ConnectError::Unreachable(why) => ApiError::Unavailable(format!(
            "WhatsApp could not be reached to check the channel: {why}"
        )),
    }
}

/// Whether a phone has a WhatsApp account. The sandbox answers from the contacts it
/// knows; Meta's Cloud API has no such check, so a Cloud channel answers `exists: null`
/// with the reason rather than guess.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/channels/{channel_id}/user_exists",
    tag = "channels",
    operation_id = "user_exists",
    params(ChannelPath, ("phone" = String, Query, description = "Digits, e.g. 79250000001")),
    responses((status = 200, description = "Whether the phone has an account (null: cannot be known)", body = wire::UserExists)),
)]
async fn user_exists(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let channel = scoped_channel(&state, &scope, &params).await?;
    if !matches!(
        channel.provider,
        confab_wire::Provider::Whatsapp | confab_wire::Provider::WhatsappBusiness
    ) {
        return Err(ApiError::invalid(
            "channel_id",
            format!(
                "is a {} channel; user_exists is for WhatsApp channels",
                channel.provider
            ),
        ));
    }
    let phone = params.optional_str_max("phone", 32)?.ok_or_else(|| {
        ApiError::missing("phone").with_detail("is required: digits, e.g. 79250000001")
    })?;
    let digits = phone.trim_start_matches('+');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            "phone",
            "must be digits, e.g. 79250000001",
        ));
    }
    let answer = if channel.connector == whatsapp::NAME {
        wire::UserExists {
            status: Status::Ok,
            exists: None,
            reason: Some(
                "WhatsApp's Cloud API offers no check whether a phone has an account; \
                 a message to a phone without one fails with code 131026"
                    .to_owned(),
            ),
        }
    } else {
        let known = state
            .app
            .store
            .contact_known(channel.id, digits.to_owned())
            .await?;
        wire::UserExists {
            status: Status::Ok,
            exists: Some(known),
            reason: None,
        }
    };
    Ok(reply::json(&answer))
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
            // A blank credential would replace a working one with nothing (and a blank
            // app secret would sign anyone's webhooks).
            if v.trim().is_empty() {
                return Err(ApiError::invalid(key, "must not be blank"));
            }
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
    let rewhatsapp = channel.connector == whatsapp::NAME;
    if rewhatsapp && let Some(token) = patch.get("token").and_then(Value::as_str) {
        let token = token.to_owned();
        let number = whatsapp::phone_number_id(&channel.settings).unwrap_or_default();
        let checked = state
            .connectors
            .whatsapp
            .connect(&token, &number)
            .await
            .map_err(|e| match e {
                // The number is the channel's: a refusal now is the new token's.
                whatsapp::ConnectError::Refused(_, why) => {
                    ApiError::invalid("token", format!("WhatsApp refused it: {why}"))
                }
                other => whatsapp_refusal(other),
            })?;
        patch.extend(checked);
    }
    let reconnect = reconnect || (rewhatsapp && patch.contains_key("token"));
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
        // The new token works: the channel the old one broke is back (a WhatsApp channel
        // keeps saying so when Meta cannot reach this server).
        let health = (rewhatsapp && state.connectors.whatsapp.webhook_url(channel.id).is_none())
            .then(|| NO_PUBLIC_URL.to_owned());
        state
            .app
            .store
            .set_channel_error(channel.id, health)
            .await?;
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
