//! Who is calling, and which company they may act on: the one place tenancy is checked.

use axum::extract::{FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::http::header;
use axum::http::request::Parts;
use confab_store::{Company, Conversation, PageRequest, Role, TokenHash, User};

use super::error::ApiError;
use super::params::Params;
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
    check_needed_role(needed_role(parts), company)
}

/// The role the request's route needs.
fn needed_role(parts: &Parts) -> Role {
    // Without a matched route (never expected here) the table has nothing to say: fall
    // back to its default, admin, rather than let the request through.
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    super::roles::needed(&parts.method, route)
}

/// [`check_role`] with the route's role looked up already.
fn check_needed_role(needed: Role, company: &Company) -> Result<(), ApiError> {
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

/// The caller and company of a list request whose check can wait for the list's own read,
/// so the store answers both at once (on PostgreSQL, one statement instead of two).
#[derive(Debug, Clone)]
pub enum ListScope {
    /// Checked already, as [`CompanyScope`] checks (a request off the common path).
    Checked(CompanyScope),
    /// Not checked yet: a token and a well-formed company id, with the role the route
    /// needs. Only [`ListScope::resolve`] or [`ListScope::list_conversations`] lets the
    /// request see anything of the company.
    Deferred {
        /// The presented token's hash.
        token_hash: TokenHash,
        /// The company id of the path.
        company_id: i64,
        /// The role the route needs.
        needed: Role,
    },
}

impl ListScope {
    /// The company id the request names (the checked company's, once checked).
    pub fn company_id(&self) -> i64 {
        match self {
            ListScope::Checked(scope) => scope.id(),
            ListScope::Deferred { company_id, .. } => *company_id,
        }
    }

    /// The check on its own, answering as [`CompanyScope`] does (401, 404 company, 403).
    pub async fn resolve(self, state: &AppState) -> Result<CompanyScope, ApiError> {
        match self {
            ListScope::Checked(scope) => Ok(scope),
            ListScope::Deferred {
                token_hash,
                company_id,
                needed,
            } => {
                let (user, company) = state
                    .app
                    .store
                    .authorize(token_hash, company_id)
                    .await?
                    .ok_or(ApiError::Unauthorized)?;
                let company = company.ok_or_else(|| ApiError::NotFound("company".to_owned()))?;
                check_needed_role(needed, &company)?;
                Ok(CompanyScope { user, company })
            }
        }
    }

    /// The check and one page of the company's conversations by id, in one store read
    /// when the check was deferred; the same answers as [`ListScope::resolve`] followed by
    /// `list_conversations`.
    pub async fn list_conversations(
        self,
        state: &AppState,
        page: PageRequest,
    ) -> Result<(CompanyScope, Vec<Conversation>), ApiError> {
        match self {
            ListScope::Checked(scope) => {
                let rows = state.app.store.list_conversations(scope.id(), page).await?;
                Ok((scope, rows))
            }
            ListScope::Deferred {
                token_hash,
                company_id,
                needed,
            } => {
                let (user, found) = state
                    .app
                    .store
                    .authorize_list(token_hash, company_id, page)
                    .await?
                    .ok_or(ApiError::Unauthorized)?;
                let (company, rows) =
                    found.ok_or_else(|| ApiError::NotFound("company".to_owned()))?;
                // A member without the role gets the 403 and nothing of the page.
                check_needed_role(needed, &company)?;
                Ok((CompanyScope { user, company }, rows))
            }
        }
    }
}

/// A company-addressed list request: its [`ListScope`] and its parameters. The handler
/// reports a parameter error only after the check, so a request answers 401, 404 or 403
/// before 400, as the routes that take [`CompanyScope`] do.
#[derive(Debug)]
pub struct ListRequest {
    /// Who asks, for which company.
    pub scope: ListScope,
    /// The parameters, or why they could not be read.
    pub params: Result<Params, ApiError>,
}

impl ListRequest {
    /// The parameters; on an error, the check's own answer if it fails.
    pub async fn params(self, state: &AppState) -> Result<(ListScope, Params), ApiError> {
        match self.params {
            Ok(params) => Ok((self.scope, params)),
            Err(e) => {
                self.scope.resolve(state).await?;
                Err(e)
            }
        }
    }
}

impl FromRequest<AppState> for ListRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        // The check waits only when reading the parameters first costs nothing: with a
        // body (a multipart one is spooled to disk) the caller is checked first, as
        // everywhere else. The same test of emptiness as the parameter extractor's.
        let empty_body = http_body::Body::size_hint(&body).exact() == Some(0)
            || parts
                .headers
                .get(header::CONTENT_LENGTH)
                .is_some_and(|v| v.as_bytes() == b"0");
        let company_id = path_id(&mut parts, state, "company_id").await;
        let token = presented_token(&parts).filter(|t| !t.is_empty());
        let scope = match (
            empty_body,
            company_id,
            token,
            parts.extensions.get::<Caller>(),
        ) {
            (true, Some(company_id), Some(token), None) => ListScope::Deferred {
                token_hash: token::hash(&token),
                company_id,
                needed: needed_role(&parts),
            },
            _ => ListScope::Checked(CompanyScope::from_request_parts(&mut parts, state).await?),
        };
        let params = Params::from_request(Request::from_parts(parts, body), state).await;
        Ok(ListRequest { scope, params })
    }
}
