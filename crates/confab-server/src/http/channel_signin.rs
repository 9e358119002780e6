//! Signing a channel's messenger account in: `request_code` and `confirm` (answers
//! without the envelope, as Pact's), and the sandbox's side of it: the code its
//! simulated messenger sent, and the account's two-factor password.
//!
//! `telegram_personal` and legacy `instagram` channels sign in this way. Only the sandbox
//! emulates the messengers; without `--sandbox` these calls are refused with a 400 saying
//! real sign-in is not supported yet.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use confab_store::{Channel, SignInStep};
use confab_wire::Provider;
use confab_wire::signin::{
    CodeConfirmation, CodeRequest, CodeSent, SandboxCode, SandboxPassword, SandboxPasswordRequest,
    SignInNext, SignInOption, SignInResult,
};
use serde_json::{Map, Value};

use super::auth::CompanyScope;
use super::error::{ApiError, ApiResult};
use super::inputs::provider_param;
use super::params::Params;
use super::reply;
use super::schemas::{ChannelPath, OkEnvelope};
use super::scope::scoped_channel;
use crate::AppState;
use crate::app::Confirmation;
use crate::domain::signin::{self as rules, Blocked};
use crate::domain::time::unix_seconds;

/// The connector of simulated channels.
const SANDBOX: &str = "sandbox";
/// The longest password accepted.
const MAX_PASSWORD_CHARS: usize = confab_wire::limits::MAX_SIGNIN_PASSWORD_CHARS;
/// The longest `confirmation_type` / `challenge_type` value read.
const MAX_KIND_CHARS: usize = 32;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    let channel = "/p1/companies/{company_id}/channels/{channel_id}";
    Router::new()
        .route(&format!("{channel}/request_code"), post(request_code))
        .route(&format!("{channel}/confirm"), post(confirm))
        .route(&format!("{channel}/sandbox/code"), get(sandbox_code))
        .route(
            &format!("{channel}/sandbox/password"),
            post(sandbox_password),
        )
}

/// Whether a channel created with these settings signs its account in before it works:
/// in the sandbox, a telegram_personal channel given a `phone` or `via_qr_code`, an
/// instagram one given a `login`. (Without them the sandbox connects it at once, as
/// before: the sandbox needs no credentials.)
pub fn needs_signin(provider: Provider, settings: &Map<String, Value>) -> bool {
    match provider {
        Provider::TelegramPersonal => {
            settings.contains_key("phone")
                || settings.get("via_qr_code").and_then(Value::as_bool) == Some(true)
        }
        Provider::Instagram => settings.contains_key("login"),
        _ => false,
    }
}

/// After a sandbox channel was created: a channel that signs in waits for it, and one
/// created `via_qr_code` announces the QR code to scan (`qr_code` webhook); the sandbox
/// "scans" it on `POST .../sandbox/events event=authorized`.
pub async fn after_create(
    state: &AppState,
    channel: &Channel,
    settings: &Map<String, Value>,
) -> ApiResult<()> {
    if !needs_signin(channel.provider, settings) {
        return Ok(());
    }
    state.app.await_signin(channel).await?;
    if settings.get("via_qr_code").and_then(Value::as_bool) == Some(true) {
        // The sandbox's QR code is a placeholder image: there is nothing real to scan.
        let image = base64::engine::general_purpose::STANDARD.encode(super::MISSING_AVATAR_PNG);
        state
            .app
            .announce_qr_code(channel.company_id, channel.id, image)
            .await?;
    }
    Ok(())
}

/// The channel `{channel_id}`, checked to sign in with `provider` (which must be its
/// own) on a simulated messenger.
async fn signing_channel(
    state: &AppState,
    scope: &CompanyScope,
    params: &Params,
) -> ApiResult<Channel> {
    let channel = scoped_channel(state, scope, params).await?;
    let provider = provider_param(params)?;
    if provider != channel.provider {
        return Err(ApiError::invalid(
            "provider",
            format!("is {provider}, but this is a {} channel", channel.provider),
        ));
    }
    if !matches!(provider, Provider::TelegramPersonal | Provider::Instagram) {
        return Err(ApiError::invalid(
            "provider",
            format!(
                "{provider} channels do not sign in with a code; only telegram_personal and instagram do"
            ),
        ));
    }
    if !state.config.sandbox || channel.connector != SANDBOX {
        return Err(ApiError::invalid(
            "provider",
            format!(
                "real {provider} sign-in is not supported yet; start confab serve with \
                 --sandbox to simulate it"
            ),
        ));
    }
    Ok(channel)
}

/// Sends a sign-in code to the channel's account. telegram_personal answers the code's
/// shape; instagram (`challenge_variant`, or `challenge_type=two_factor` for the second
/// factor) answers `{"result":"ok"}`. In the sandbox, `GET .../sandbox/code` shows it.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}/request_code",
    tag = "channels",
    operation_id = "request_code",
    params(ChannelPath),
    request_body(content(
        (CodeRequest = "application/x-www-form-urlencoded"),
        (CodeRequest = "application/json"),
    )),
    responses((status = 200, description = "telegram_personal: the code's shape; instagram: \
        `{\"result\":\"ok\"}` (no envelope)", body = CodeSent)),
)]
async fn request_code(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let channel = signing_channel(&state, &scope, &params).await?;
    if channel.provider == Provider::Instagram {
        let step = match params.optional_str_max("challenge_type", MAX_KIND_CHARS)? {
            Some(kind) if kind == "two_factor" => SignInStep::Password,
            Some(_) => {
                return Err(ApiError::invalid(
                    "challenge_type",
                    "must be two_factor (or absent, with challenge_variant)",
                ));
            }
            None => {
                match params.optional_i64("challenge_variant")? {
                    Some(v) if v >= 0 => {}
                    Some(_) => {
                        return Err(ApiError::invalid(
                            "challenge_variant",
                            "must be a value of the challenge's details (0 or more)",
                        ));
                    }
                    None => {
                        return Err(ApiError::missing("challenge_variant").with_detail(
                            "is required: where the code goes (a value of the challenge's \
                             details), or give challenge_type=two_factor",
                        ));
                    }
                }
                SignInStep::Code
            }
        };
        state.app.send_signin_code(&channel, step).await?;
        return Ok(reply::json(&SignInResult {
            result: "ok".to_owned(),
            state: None,
            data: None,
        }));
    }
    let session_id = state
        .app
        .send_signin_code(&channel, SignInStep::Code)
        .await?;
    Ok(reply::json(&CodeSent {
        code_length: rules::CODE_LENGTH,
        code_type: "app".to_owned(),
        expires_in: rules::CODE_TTL_SECS,
        next_type: "app".to_owned(),
        session_id,
        status: "ok".to_owned(),
    }))
}

/// A code parameter: digits as a string, or a JSON number (its leading zeros restored).
fn code_param(params: &Params, name: &str) -> ApiResult<String> {
    let given = match params.raw(name) {
        Some(Value::Number(n)) => format!("{n:0>width$}", width = rules::CODE_LENGTH as usize),
        _ => params
            .optional_str_max(name, 64)?
            .ok_or_else(|| ApiError::missing(name).with_detail("is required: the code sent"))?,
    };
    let given = given.trim().to_owned();
    if !rules::well_formed(&given) {
        return Err(ApiError::invalid(
            name,
            format!(
                "must be the {} digits sent to the account",
                rules::CODE_LENGTH
            ),
        ));
    }
    Ok(given)
}

/// The error of a confirmation that failed, naming `name`.
fn refusal(name: &str, outcome: Confirmation) -> Response {
    let error = match outcome {
        Confirmation::Wrong { left } => ApiError::invalid(
            name,
            format!("is wrong; {left} attempt(s) left before a new code is needed"),
        ),
        Confirmation::Blocked(Blocked::NoCode) => ApiError::invalid_with(
            name,
            "no_code",
            "no code is awaited: request one with request_code first",
        ),
        Confirmation::Blocked(Blocked::Expired) => ApiError::invalid_with(
            name,
            "expired",
            "has expired: request a new one with request_code",
        ),
        Confirmation::Blocked(Blocked::NoPassword) => ApiError::invalid_with(
            "confirmation_type",
            "no_password",
            "no password is awaited: confirm the code first (the account may have none)",
        ),
        Confirmation::Blocked(Blocked::Exhausted) => {
            let mut response = ApiError::invalid_with(
                name,
                "too_many_attempts",
                format!(
                    "was wrong {} times: this sign-in is stopped; request a new code with \
                     request_code",
                    rules::MAX_ATTEMPTS
                ),
            )
            .into_response();
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return response;
        }
        Confirmation::Enabled | Confirmation::SecondStep => {
            ApiError::Internal("a successful confirmation taken for a refusal".to_owned())
        }
    };
    error.into_response()
}

/// Confirms the sign-in. telegram_personal: `confirmation_type=code` with `code`, then
/// (when the account has a two-factor password) `confirmation_type=password` with
/// `password`. instagram: `confirmation_code`, then (two-factor accounts)
/// `confirmation_type=two_factor`, `confirmation_variant` and the second code. Wrong
/// codes are counted: after five the code is void (429) and a new one must be requested.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}/confirm",
    tag = "channels",
    operation_id = "confirm_code",
    params(ChannelPath),
    request_body(content(
        (CodeConfirmation = "application/x-www-form-urlencoded"),
        (CodeConfirmation = "application/json"),
    )),
    responses((status = 200, description = "Signed in, or the next step (no envelope)", body = SignInResult)),
)]
async fn confirm(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let channel = signing_channel(&state, &scope, &params).await?;
    if channel.provider == Provider::Instagram {
        return confirm_instagram(&state, &channel, &params).await;
    }
    let kind = params
        .optional_str_max("confirmation_type", MAX_KIND_CHARS)?
        .ok_or_else(|| {
            ApiError::missing("confirmation_type").with_detail("is required: code or password")
        })?;
    let (name, outcome) = match kind.as_str() {
        "code" => {
            let code = code_param(&params, "code")?;
            let outcome = state
                .app
                .confirm_signin_code(&channel, &code, SignInStep::Code)
                .await?;
            ("code", outcome)
        }
        "password" => {
            let password = params
                .optional_str_max("password", MAX_PASSWORD_CHARS)?
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    ApiError::missing("password")
                        .with_detail("is required: the account's two-factor password")
                })?;
            let outcome = state
                .app
                .confirm_signin_password(&channel, &password)
                .await?;
            ("password", outcome)
        }
        _ => {
            return Err(ApiError::invalid(
                "confirmation_type",
                "must be code or password",
            ));
        }
    };
    Ok(match outcome {
        Confirmation::Enabled => reply::json(&SignInResult {
            result: "ok".to_owned(),
            state: Some("enabled".to_owned()),
            data: None,
        }),
        Confirmation::SecondStep => reply::json(&SignInResult {
            result: "ok".to_owned(),
            state: Some("pending_authorization".to_owned()),
            data: Some(SignInNext {
                two_factor_requires: None,
                password_requires: Some(true),
                details: Vec::new(),
            }),
        }),
        other => refusal(name, other),
    })
}

/// instagram's confirmation: the challenge code, or with `confirmation_type=two_factor`
/// the second factor's.
async fn confirm_instagram(
    state: &AppState,
    channel: &Channel,
    params: &Params,
) -> ApiResult<Response> {
    let step = match params.optional_str_max("confirmation_type", MAX_KIND_CHARS)? {
        None => SignInStep::Code,
        Some(kind) if kind == "two_factor" => {
            match params.optional_i64("confirmation_variant")? {
                Some(1..=3) => {}
                Some(_) => {
                    return Err(ApiError::invalid(
                        "confirmation_variant",
                        "must be 1 (sms), 2 (recovery_code) or 3 (totp)",
                    ));
                }
                None => {
                    return Err(ApiError::missing("confirmation_variant").with_detail(
                        "is required with confirmation_type=two_factor: 1 (sms), \
                         2 (recovery_code) or 3 (totp)",
                    ));
                }
            }
            SignInStep::Password
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "confirmation_type",
                "must be two_factor (or absent for the challenge code)",
            ));
        }
    };
    let code = code_param(params, "confirmation_code")?;
    let outcome = state.app.confirm_signin_code(channel, &code, step).await?;
    Ok(match outcome {
        Confirmation::Enabled => reply::json(&SignInResult {
            result: "ok".to_owned(),
            state: None,
            data: None,
        }),
        Confirmation::SecondStep => reply::json(&SignInResult {
            result: "ok".to_owned(),
            state: None,
            data: Some(SignInNext {
                two_factor_requires: Some(true),
                password_requires: None,
                details: ["sms", "recovery_code", "totp"]
                    .iter()
                    .zip(1..)
                    .map(|(key, value)| SignInOption {
                        value,
                        key: (*key).to_owned(),
                    })
                    .collect(),
            }),
        }),
        other => refusal("confirmation_code", other),
    })
}

fn require_sandbox(state: &AppState) -> ApiResult<()> {
    if state.config.sandbox {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "sandbox endpoints are served only when confab serve runs with --sandbox".to_owned(),
        ))
    }
}

/// The code the sandbox's simulated messenger last sent to the channel's account (what
/// the account's owner would read in their app).
#[utoipa::path(
    get,
    path = "/p1/companies/{company_id}/channels/{channel_id}/sandbox/code",
    tag = "sandbox",
    operation_id = "sandbox_code",
    params(ChannelPath),
    responses((status = 200, description = "The outstanding code", body = OkEnvelope<SandboxCode>)),
)]
async fn sandbox_code(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let channel = scoped_channel(&state, &scope, &params).await?;
    let code = state.app.outstanding_code(&channel).await?.ok_or_else(|| {
        ApiError::BadRequest(
            "no code has been sent to this channel's account: call request_code first".to_owned(),
        )
    })?;
    Ok(reply::ok(SandboxCode {
        channel_id: channel.id,
        code: code.code,
        expires_at: unix_seconds(code.expires_at_ms),
        attempts: code.attempts,
        max_attempts: rules::MAX_ATTEMPTS,
    }))
}

/// Gives the channel's sandbox account a two-factor password (telegram_personal: asked
/// after the code; instagram: a second code is asked), or removes it (empty `password`).
/// It is stored sealed, never in plain text.
#[utoipa::path(
    post,
    path = "/p1/companies/{company_id}/channels/{channel_id}/sandbox/password",
    tag = "sandbox",
    operation_id = "sandbox_password",
    params(ChannelPath),
    request_body(content(
        (SandboxPasswordRequest = "application/x-www-form-urlencoded"),
        (SandboxPasswordRequest = "application/json"),
    )),
    responses((status = 200, description = "Whether the account has a password now", body = OkEnvelope<SandboxPassword>)),
)]
async fn sandbox_password(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    require_sandbox(&state)?;
    let channel = scoped_channel(&state, &scope, &params).await?;
    let password = params.required_str_max("password", MAX_PASSWORD_CHARS)?;
    let password = (!password.is_empty()).then_some(password);
    state
        .app
        .set_signin_password(&channel, password.as_deref())
        .await?;
    Ok(reply::ok(SandboxPassword {
        channel_id: channel.id,
        two_factor: password.is_some(),
    }))
}
