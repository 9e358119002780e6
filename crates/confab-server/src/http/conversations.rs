//! `/p1/companies/CID/conversations`: the seed's Conversations API.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, put};
use confab_store::{Conversation, ConversationOrder};
use confab_wire::limits::{MAX_NOTE_CHARS, MAX_TEXT_CHARS, MAX_USERNAME_CHARS};
use confab_wire::requests::{Assignment, BitrixOpenlinesBlock, ConversationNote, NewConversation};
use confab_wire::{self as wire, ConversationData, ConversationRef, ExternalId, Provider, Status};

use super::auth::{CompanyScope, ListRequest, ScopedConversation};
use super::conversation_filters::ListShape;
use super::error::{ApiError, ApiResult};
use super::inputs::{phone_param, provider_param};
use super::paging::Page;
use super::params::Params;
use super::reply;
use super::schemas::{
    CompanyPath, ConversationListQuery, ConversationPath, ConversationsMetaQuery, OkEnvelope,
    PageQuery, UpdatedStatus,
};
use super::scope::scoped_conversation;
use crate::AppState;
use crate::domain::contact::normalize_username;
use crate::render;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    let base = "/p1/companies/{company_id}/conversations";
    Router::new()
        .route(base, get(list).post(create))
        .route(&format!("{base}/meta"), get(meta))
        .route(&format!("{base}/{{conversation_id}}"), get(show))
        .route(&format!("{base}/{{conversation_id}}/note"), put(note))
        .route(&format!("{base}/{{conversation_id}}/assign"), put(assign))
        .route(
            &format!("{base}/{{conversation_id}}/toggle_bitrix_block_openlines"),
            put(toggle_bitrix),
        )
}

fn conversation_reply(c: &Conversation) -> Response {
    reply::ok(ConversationData {
        conversation: render::conversation(c.clone()),
    })
}

/// The company's conversations, a page at a time: all of them by id (the Pact list), or
/// filtered, searched and by last activity.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/conversations",
    tag = "conversations",
    operation_id = "list_conversations",
    params(CompanyPath, PageQuery, ConversationListQuery),
    responses((status = 200, description = "One page of conversations", body = OkEnvelope<wire::ConversationList>)),
)]
async fn list(State(state): State<AppState>, request: ListRequest) -> ApiResult<Response> {
    let (scope, params) = request.params(&state).await?;
    let company_id = scope.company_id();
    // A parameter error is answered after the caller's check, as on every company route.
    let shape_and_page = ListShape::from_params(&params).and_then(|shape| {
        let newest_first = shape.order == ConversationOrder::LastMessage;
        let page = Page::from_params_or(&params, shape.token_scope(company_id), newest_first)?;
        Ok((shape, page))
    });
    let (shape, page) = match shape_and_page {
        Ok(found) => found,
        Err(e) => {
            scope.resolve(&state).await?;
            return Err(e);
        }
    };
    let (rows, next_page) = if shape.is_plain() {
        // The Pact list keeps its own query, the most frequent list, tuned on its own:
        // checked and read in one store read.
        let (_scope, rows) = scope.list_conversations(&state, page.request()).await?;
        page.finish(rows, |c| c.id)
    } else {
        let scope = scope.resolve(&state).await?;
        let order = shape.order;
        let query = page.conversation_query(shape.filter, order);
        let rows = state
            .app
            .store
            .find_conversations(scope.id(), query)
            .await?;
        page.finish_keyed(rows, |c| match order {
            ConversationOrder::Id => vec![c.id],
            ConversationOrder::LastMessage => vec![c.activity_at_ms(), c.id],
        })
    };
    static PAGE_SIZE: reply::BodySize = reply::BodySize::new();
    Ok(reply::ok_page(
        wire::ConversationList {
            conversations: rows.into_iter().map(render::conversation).collect(),
            next_page,
        },
        &PAGE_SIZE,
    ))
}

/// How many conversations each inbox tab holds: assigned to the caller, to nobody, all,
/// and awaiting a reply; on one channel with `channel_id`.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/conversations/meta",
    tag = "conversations",
    operation_id = "conversations_meta",
    params(CompanyPath, ConversationsMetaQuery),
    responses((status = 200, description = "The counts", body = OkEnvelope<wire::ConversationsMeta>)),
)]
async fn meta(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let channel_id = params.optional_i64("channel_id")?;
    let counts = state
        .app
        .store
        .count_conversations(scope.id(), scope.user.id, channel_id)
        .await?;
    Ok(reply::ok(wire::ConversationsMeta {
        mine: counts.mine,
        unassigned: counts.unassigned,
        all: counts.all,
        awaiting_reply: counts.awaiting_reply,
    }))
}

/// One conversation.
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}",
    tag = "conversations",
    operation_id = "get_conversation",
    params(ConversationPath),
    responses((status = 200, description = "The conversation", body = OkEnvelope<ConversationData>)),
)]
async fn show(scoped: ScopedConversation, _query: Params) -> ApiResult<Response> {
    Ok(conversation_reply(&scoped.conversation))
}

/// Who the new conversation is with, by the provider's rules.
fn contact_for(provider: Provider, params: &Params) -> ApiResult<String> {
    match provider {
        Provider::Whatsapp => phone_param(params)?.ok_or_else(|| ApiError::missing("phone")),
        Provider::TelegramPersonal => {
            let phone = phone_param(params)?;
            let username = params
                .optional_str_max("username", MAX_USERNAME_CHARS)?
                .filter(|u| !u.is_empty())
                .map(|u| normalize_username(&u).map_err(|why| ApiError::invalid("username", why)))
                .transpose()?;
            match (phone, username) {
                (Some(phone), None) => Ok(phone),
                (None, Some(username)) => Ok(username),
                (Some(_), Some(_)) => Err(ApiError::invalid(
                    "username",
                    "give either phone or username, not both",
                )),
                (None, None) => Err(ApiError::missing("phone")
                    .with_detail("is required: give either phone or username")),
            }
        }
        Provider::WhatsappBusiness => Err(ApiError::invalid(
            "provider",
            "whatsapp_business conversations start with a template: use \
             POST /p1/companies/COMPANY_ID/channels/CHANNEL_ID/conversations with template[id], \
             template[language_code] and template[parameters]",
        )),
        Provider::Telegram => Err(ApiError::invalid(
            "provider",
            "a Telegram bot cannot write first: the customer must write to the bot, then \
             replies go through POST .../conversations/ID/messages (to start conversations, \
             use whatsapp or telegram_personal)",
        )),
        other => Err(ApiError::invalid(
            "provider",
            format!(
                "conversations cannot be created for {other}; use whatsapp or telegram_personal"
            ),
        )),
    }
}

/// Starts a conversation with a customer and queues the first message.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/conversations",
    tag = "conversations",
    operation_id = "create_conversation",
    params(CompanyPath),
    request_body(content(
        (NewConversation = "application/x-www-form-urlencoded"),
        (NewConversation = "application/json"),
    )),
    responses((status = 200, description = "The conversation (found or created)", body = OkEnvelope<ConversationData>)),
)]
async fn create(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let provider = provider_param(&params)?;
    let sender = contact_for(provider, &params)?;
    let text = params.required_text("text", MAX_TEXT_CHARS)?;
    let send_to_crm = params.optional_bool("send_to_crm")?.unwrap_or(true);
    let channel = state
        .app
        .store
        .channel_by_provider(scope.id(), provider)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "provider",
                format!("the company has no {provider} channel; create one first"),
            )
        })?;
    let posted = state
        .app
        .start_conversation(channel, sender, text, send_to_crm)
        .await?;
    Ok(conversation_reply(&posted.conversation))
}

/// Sets the conversation's note.
#[utoipa::path(
    put,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}/note",
    tag = "conversations",
    operation_id = "set_conversation_note",
    params(ConversationPath),
    request_body(content(
        (ConversationNote = "application/x-www-form-urlencoded"),
        (ConversationNote = "application/json"),
    )),
    responses((status = 200, description = "Set", body = UpdatedStatus)),
)]
async fn note(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let conversation = scoped_conversation(&state, &scope, &params).await?;
    let note = params.required_str_max("note", MAX_NOTE_CHARS)?;
    state
        .app
        .set_note(scope.id(), conversation.id, note)
        .await?;
    Ok(reply::status_only(Status::Updated))
}

/// Assigns the conversation to a member of the company, or unassigns it.
#[utoipa::path(
    put,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}/assign",
    tag = "conversations",
    operation_id = "assign_conversation",
    params(ConversationPath),
    request_body(content(
        (Assignment = "application/x-www-form-urlencoded"),
        (Assignment = "application/json"),
    )),
    responses((status = 200, description = "The conversation's id", body = OkEnvelope<ConversationRef>)),
)]
async fn assign(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let conversation = scoped_conversation(&state, &scope, &params).await?;
    let assignee = params.optional_i64("assignee_id")?;
    state
        .app
        .assign(scope.id(), conversation.id, assignee)
        .await?;
    Ok(reply::ok(ConversationRef {
        conversation: ExternalId {
            external_id: conversation.id,
        },
    }))
}

/// Blocks or unblocks Bitrix24 open lines for the conversation.
#[utoipa::path(
    put,
    path = "/p1/companies/{company_id}/conversations/{conversation_id}/toggle_bitrix_block_openlines",
    tag = "conversations",
    operation_id = "toggle_bitrix_block_openlines",
    params(ConversationPath),
    request_body(content(
        (BitrixOpenlinesBlock = "application/x-www-form-urlencoded"),
        (BitrixOpenlinesBlock = "application/json"),
    )),
    responses((status = 200, description = "The conversation", body = OkEnvelope<ConversationData>)),
)]
async fn toggle_bitrix(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let conversation = scoped_conversation(&state, &scope, &params).await?;
    let enabled = params.optional_bool("enabled")?;
    let updated = state
        .app
        .toggle_bitrix_block_openlines(scope.id(), conversation.id, enabled)
        .await?;
    Ok(conversation_reply(&updated))
}
