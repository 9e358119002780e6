//! Who is calling, and which company they may act on: the one place tenancy is checked.

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams};
use axum::http::request::Parts;
use confab_store::{Company, Conversation, User};

use super::error::ApiError;
use crate::AppState;
use crate::domain::token;

/// The header Pact clients send their API token in.
pub const TOKEN_HEADER: &str = "x-private-api-token";
/// The query parameter accepted when the header is absent.
pub const TOKEN_QUERY: &str = "private_api_token";

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub User);

/// The token of a request: the header if present (even when wrong), else the query parameter.
fn presented_token(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(TOKEN_HEADER) {
        return value.to_str().ok().map(|s| s.trim().to_owned());
    }
    let query = parts.uri.query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == TOKEN_QUERY)
        .map(|(_, v)| v.trim().to_owned())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let token = presented_token(parts)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let user = state
            .app
            .store
            .user_by_token_hash(token::hash(&token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let caller = Caller(user);
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// A company the caller is a member of, from the `{company_id}` path segment. Anything else
/// (another tenant's company, an unknown or non-numeric id) is a 404 that says no more.
#[derive(Debug, Clone)]
pub struct CompanyScope {
    /// The caller.
    pub user: User,
    /// The company, as stored.
    pub company: Company,
}

impl CompanyScope {
    /// The company id.
    pub fn id(&self) -> i64 {
        self.company.id
    }
}

/// The positive id in path segment `name`, if the route has one and it is well formed.
async fn path_id(parts: &mut Parts, state: &AppState, name: &str) -> Option<i64> {
    RawPathParams::from_request_parts(parts, state)
        .await
        .ok()
        .and_then(|path| {
            path.iter()
                .find(|(k, _)| *k == name)
                .and_then(|(_, v)| v.parse::<i64>().ok())
        })
        .filter(|id| *id > 0)
}

/// Refuses a member whose role is not enough for the route (see [`super::roles`]). Runs
/// after the membership check, so a non-member still gets the 404 that names nothing.
fn check_role(parts: &Parts, company: &Company) -> Result<(), ApiError> {
    // Without a matched route (never expected here) the table has nothing to say: fall
    // back to its default, admin, rather than let the request through.
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    let needed = super::roles::needed(&parts.method, route);
    if company.member_role.allows(needed) {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "this needs the {needed} role in the company; you are {}",
        company.member_role
    )))
}

impl FromRequestParts<AppState> for CompanyScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let not_found = || ApiError::NotFound("company".to_owned());
        let company_id = path_id(parts, state, "company_id").await;
        let token = presented_token(parts).filter(|t| !t.is_empty());
        // The common case, caller and membership in one store read.
        if let (Some(company_id), Some(token), None) =
            (company_id, &token, parts.extensions.get::<Caller>())
        {
            let (user, company) = state
                .app
                .store
                .authorize(token::hash(token), company_id)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            parts.extensions.insert(Caller(user.clone()));
            let company = company.ok_or_else(not_found)?;
            check_role(parts, &company)?;
            return Ok(CompanyScope { user, company });
        }
        let Caller(user) = Caller::from_request_parts(parts, state).await?;
        let company_id = company_id.ok_or_else(not_found)?;
        let company = state
            .app
            .store
            .member_company(user.id, company_id)
            .await?
            .ok_or_else(not_found)?;
        check_role(parts, &company)?;
        Ok(CompanyScope { user, company })
    }
}

/// A company scope and its conversation `{conversation_id}`, read together: the details
/// request, the most frequent read, takes one store snapshot instead of two. Answers as
/// `CompanyScope` followed by a lookup of the conversation would (401, 404 company, 404
/// conversation).
#[derive(Debug, Clone)]
pub struct ScopedConversation {
    /// The caller and the company.
    pub scope: CompanyScope,
    /// The conversation, as stored.
    pub conversation: Conversation,
}

impl FromRequestParts<AppState> for ScopedConversation {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let no_conversation = || ApiError::NotFound("conversation".to_owned());
        let company_id = path_id(parts, state, "company_id").await;
        let conversation_id = path_id(parts, state, "conversation_id").await;
        let token = presented_token(parts).filter(|t| !t.is_empty());
        if let (Some(company_id), Some(conversation_id), Some(token), None) = (
            company_id,
            conversation_id,
            &token,
            parts.extensions.get::<Caller>(),
        ) {
            let (user, found) = state
                .app
                .store
                .authorize_conversation(token::hash(token), company_id, conversation_id)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            parts.extensions.insert(Caller(user.clone()));
            let (company, conversation) =
                found.ok_or_else(|| ApiError::NotFound("company".to_owned()))?;
            check_role(parts, &company)?;
            return Ok(ScopedConversation {
                scope: CompanyScope { user, company },
                conversation: conversation.ok_or_else(no_conversation)?,
            });
        }
        // Anything unusual (no token, a malformed id) takes the general path.
        let scope = CompanyScope::from_request_parts(parts, state).await?;
        let conversation_id = conversation_id.ok_or_else(no_conversation)?;
        let conversation = state
            .app
            .store
            .get_conversation(scope.id(), conversation_id)
            .await?
            .ok_or_else(no_conversation)?;
        Ok(ScopedConversation {
            scope,
            conversation,
        })
    }
}
