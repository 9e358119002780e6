//! The HTTP side: `/bot<token>/<method>` and `/file/bot<token>/<path>`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ApiError;
use super::messages::MediaKind;
use super::params::Params;
use super::state::Shared;
use super::{send, updates};

/// A success: `{"ok":true,"result":…}`, with a `description` for some methods.
pub(crate) struct Reply {
    result: Value,
    description: Option<&'static str>,
}

impl Reply {
    pub fn new(result: Value) -> Self {
        Self {
            result,
            description: None,
        }
    }

    pub fn with_description(mut self, description: &'static str) -> Self {
        self.description = Some(description);
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut body = json!({ "ok": true, "result": self.result });
        if let (Some(description), Some(map)) = (self.description, body.as_object_mut()) {
            map.insert("description".into(), json!(description));
        }
        Json(body).into_response()
    }
}

/// The router of the fake, every path through one handler.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if let Some(rest) = path.strip_prefix("/file/bot") {
        return match rest.split_once('/') {
            Some((token, file_path)) => send::download(&shared, token, file_path),
            None => ApiError::not_found().into_response(),
        };
    }
    let Some((token, method)) = path
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return ApiError::not_found().into_response();
    };
    let method = method.to_ascii_lowercase();

    let failure = {
        let mut state = shared.lock();
        match state.bot(token) {
            Ok(bot) => {
                *bot.calls.entry(method.clone()).or_default() += 1;
                bot.take_failure(&method)
            }
            Err(error) => return error.into_response(),
        }
    };
    if let Some(failure) = failure {
        match ApiError::from_failure(&failure) {
            Some(error) => return error.into_response(),
            None => {
                if let super::types::Failure::Slow(delay) = failure {
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    let params = match Params::parse(parts.uri.query(), &parts.headers, body).await {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    match call(&shared, token, &method, &params).await {
        Ok(reply) => reply.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn call(
    shared: &Arc<Shared>,
    token: &str,
    method: &str,
    params: &Params,
) -> Result<Reply, ApiError> {
    if let Some(kind) = MediaKind::from_method(method) {
        return send::send_media(shared, token, kind, params);
    }
    match method {
        "getme" => get_me(shared, token),
        "getupdates" => updates::get_updates(shared, token, params).await,
        "setwebhook" => updates::set_webhook(shared, token, params),
        "deletewebhook" => updates::delete_webhook(shared, token, params),
        "getwebhookinfo" => updates::get_webhook_info(shared, token),
        "sendmessage" => send::send_message(shared, token, params),
        "sendchataction" => Ok(Reply::new(json!(true))),
        "getfile" => send::get_file(shared, token, params),
        _ => Err(ApiError::not_found()),
    }
}

fn get_me(shared: &Shared, token: &str) -> Result<Reply, ApiError> {
    let mut state = shared.lock();
    let bot = state.bot(token)?;
    Ok(Reply::new(json!({
        "id": bot.id,
        "is_bot": true,
        "first_name": bot.username,
        "username": bot.username,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
    })))
}
