//! The HTTP side of the fake Graph API: one handler that routes by path as Meta does
//! (`/<version>/<object id>[/<edge>]`), and the media download URLs.

use super::{at, set};
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{GraphError, Media, SentMessage, Shared, VERSION};

/// Where the fake serves media downloads (Meta's CDN path).
const DOWNLOAD_PATH: &str = "/whatsapp_business/attachments/";
/// The largest request body the fake reads.
const MAX_BODY: usize = 120 * 1024 * 1024;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Some(token) = token else {
        return GraphError::bad_token().into_response();
    };
    let path = parts.uri.path().to_owned();
    if path == DOWNLOAD_PATH {
        return download(&shared, &token, param("mid").as_deref().unwrap_or_default());
    }
    let Some(rest) = path.strip_prefix(&format!("/{VERSION}/")) else {
        return GraphError::invalid_parameter("unknown path").into_response();
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return GraphError::invalid_parameter("body too large").into_response();
    };
    match (parts.method, segments.as_slice()) {
        (Method::GET, [id]) => get_object(&shared, &token, id),
        (Method::POST, [id, "messages"]) => send(&shared, &token, id, &body),
        (Method::POST, [id, "media"]) => upload(&shared, &token, id, &content_type, body).await,
        (Method::GET, [id, "message_templates"]) => templates(
            &shared,
            &token,
            id,
            param("limit").and_then(|l| l.parse().ok()).unwrap_or(25),
            param("after"),
        ),
        _ => GraphError::unknown_object(rest).into_response(),
    }
}

/// Checks the bearer of number `id`: `Ok(waba id)`, or Meta's error.
fn number_auth(shared: &Shared, token: &str, id: &str) -> Result<String, GraphError> {
    let state = shared.lock();
    let Some(number) = state.numbers.get(id) else {
        if state.numbers.values().any(|n| n.token == token) {
            return Err(GraphError::unknown_object(id));
        }
        return Err(GraphError::code(190));
    };
    if number.token != token {
        return Err(GraphError::code(190));
    }
    Ok(number.waba_id.clone())
}

fn known_token(shared: &Shared, token: &str) -> bool {
    shared.lock().numbers.values().any(|n| n.token == token)
}

fn get_object(shared: &Shared, token: &str, id: &str) -> Response {
    let media = shared.lock().media.get(id).cloned();
    if let Some(media) = media {
        if !known_token(shared, token) {
            return GraphError::code(190).into_response();
        }
        let url = format!("{}{DOWNLOAD_PATH}?mid={id}&ext=1&hash=ATu", shared.origin());
        let sha = hex(&Sha256::digest(&media.bytes));
        return Json(json!({
            "messaging_product": "whatsapp",
            "url": url,
            "mime_type": media.mime_type,
            "sha256": sha,
            "file_size": media.bytes.len(),
            "id": id,
        }))
        .into_response();
    }
    if let Err(e) = number_auth(shared, token, id) {
        return e.into_response();
    }
    let display = shared
        .lock()
        .numbers
        .get(id)
        .map(|n| n.display.clone())
        .unwrap_or_default();
    Json(json!({
        "verified_name": "Confab Test Shop",
        "code_verification_status": "VERIFIED",
        "display_phone_number": display,
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": id,
    }))
    .into_response()
}

fn download(shared: &Shared, token: &str, media_id: &str) -> Response {
    if !known_token(shared, token) {
        return GraphError::code(190).into_response();
    }
    let mut state = shared.lock();
    if state.fail_downloads > 0 {
        state.fail_downloads -= 1;
        return GraphError::code(2).into_response();
    }
    match state.media.get(media_id) {
        Some(m) => (
            [(header::CONTENT_TYPE, m.mime_type.clone())],
            m.bytes.clone(),
        )
            .into_response(),
        None => (axum::http::StatusCode::NOT_FOUND, "").into_response(),
    }
}

/// Checks a message body as Meta does (the parts the fake models).
fn check_message(
    body: &Value,
    media: &std::collections::HashMap<String, Media>,
    templates: &[Value],
) -> Result<(), GraphError> {
    if at(body, "/messaging_product") != "whatsapp" {
        return Err(GraphError::invalid_parameter(
            "messaging_product is required",
        ));
    }
    if at(body, "/to").as_str().is_none_or(str::is_empty) {
        return Err(GraphError::invalid_parameter("to is required"));
    }
    let kind = at(body, "/type").as_str().unwrap_or("text");
    match kind {
        "text" => {
            if at(body, "/text/body").as_str().is_none_or(str::is_empty) {
                return Err(GraphError::invalid_parameter("text.body is required"));
            }
        }
        "image" | "document" | "audio" | "video" | "sticker" => {
            let object = at(body, &format!("/{kind}"));
            match (at(object, "/id").as_str(), at(object, "/link").as_str()) {
                (Some(id), _) if media.contains_key(id) => {}
                (Some(_), _) => return Err(GraphError::invalid_parameter("media id not found")),
                (None, Some(_)) => {}
                (None, None) => {
                    return Err(GraphError::invalid_parameter(&format!(
                        "{kind}.id or {kind}.link is required"
                    )));
                }
            }
        }
        "template" => check_template(at(body, "/template"), templates)?,
        other => return Err(GraphError::invalid_parameter(&format!("type {other}"))),
    }
    Ok(())
}

/// Checks a template send against the number's WABA's templates as Meta does: the name
/// must exist in the language (132001), be approved (132015 paused, 132016 otherwise),
/// and the body parameters must number the body's placeholders (132000).
fn check_template(template: &Value, templates: &[Value]) -> Result<(), GraphError> {
    let Some(name) = at(template, "/name").as_str() else {
        return Err(GraphError::invalid_parameter("template.name is required"));
    };
    let Some(language) = at(template, "/language/code").as_str() else {
        return Err(GraphError::invalid_parameter(
            "template.language.code is required",
        ));
    };
    let Some(found) = templates.iter().find(|t| {
        at(t, "/name").as_str() == Some(name) && at(t, "/language").as_str() == Some(language)
    }) else {
        return Err(GraphError::code(132_001));
    };
    match at(found, "/status").as_str() {
        Some("APPROVED") => {}
        Some("PAUSED") => return Err(GraphError::code(132_015)),
        _ => return Err(GraphError::code(132_016)),
    }
    let body_text = found
        .get("components")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| at(c, "/type") == "BODY"))
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let expected = distinct_placeholders(body_text);
    let given = template
        .get("components")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| at(c, "/type") == "body"))
        .and_then(|c| c.get("parameters"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if given != expected {
        return Err(GraphError::code(132_000));
    }
    Ok(())
}

/// How many distinct `{{...}}` placeholders a template body has.
fn distinct_placeholders(text: &str) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        seen.insert(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    seen.len()
}

fn send(shared: &Shared, token: &str, id: &str, body: &Bytes) -> Response {
    shared.lock().attempts += 1;
    if let Err(e) = number_auth(shared, token, id) {
        return e.into_response();
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return GraphError::invalid_parameter("the body is not JSON").into_response();
    };
    let mut state = shared.lock();
    if let Some(Some(code)) = state.failures.pop_front() {
        return GraphError::code(code).into_response();
    }
    let waba = state.numbers.get(id).map(|n| n.waba_id.clone());
    let templates = waba
        .and_then(|w| state.templates.get(&w).cloned())
        .unwrap_or_default();
    if let Err(e) = check_message(&body, &state.media, &templates) {
        return e.into_response();
    }
    let n = state.next();
    let wamid = format!("wamid.HBgLFAKE{n:012}");
    let to = at(&body, "/to").as_str().unwrap_or_default().to_owned();
    state.sent.push(SentMessage {
        phone_number_id: id.to_owned(),
        body,
        wamid: wamid.clone(),
    });
    let count = state.sent.len() as u64;
    drop(state);
    shared.sent_tx.send_replace(count);
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
        "messages": [{"id": wamid}],
    }))
    .into_response()
}

async fn upload(
    shared: &Shared,
    token: &str,
    id: &str,
    content_type: &str,
    body: Bytes,
) -> Response {
    if let Err(e) = number_auth(shared, token, id) {
        return e.into_response();
    }
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return GraphError::invalid_parameter("a multipart body is required").into_response();
    };
    let stream =
        futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut product = None;
    let mut kind = None;
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return GraphError::invalid_parameter("the multipart body").into_response(),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let mime = field.content_type().map(ToString::to_string);
        let Ok(data) = field.bytes().await else {
            return GraphError::invalid_parameter("the multipart body").into_response();
        };
        match name.as_str() {
            "messaging_product" => product = Some(String::from_utf8_lossy(&data).into_owned()),
            "type" => kind = Some(String::from_utf8_lossy(&data).into_owned()),
            "file" => file = Some((data, file_name, mime)),
            _ => {}
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return GraphError::invalid_parameter("messaging_product is required").into_response();
    }
    let Some((bytes, file_name, mime)) = file else {
        return GraphError::invalid_parameter("file is required").into_response();
    };
    let Some(mime_type) = kind.clone().or(mime) else {
        return GraphError::invalid_parameter("type is required").into_response();
    };
    let mut state = shared.lock();
    let media_id = format!("{}", 800_000_000 + state.next());
    state.media.insert(
        media_id.clone(),
        Media {
            bytes,
            mime_type,
            file_name,
            kind,
        },
    );
    Json(json!({ "id": media_id })).into_response()
}

fn templates(
    shared: &Shared,
    token: &str,
    waba: &str,
    limit: usize,
    after: Option<String>,
) -> Response {
    let state = shared.lock();
    match state.wabas.get(waba) {
        Some(t) if t == token => {}
        Some(_) => return GraphError::code(190).into_response(),
        None => return GraphError::unknown_object(waba).into_response(),
    }
    let all = state.templates.get(waba).cloned().unwrap_or_default();
    drop(state);
    let start = after
        .as_deref()
        .and_then(|a| a.strip_prefix("cursor-"))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let limit = limit.max(1);
    let page: Vec<Value> = all.iter().skip(start).take(limit).cloned().collect();
    let end = start + page.len();
    let mut answer = json!({ "data": page });
    if !page.is_empty() {
        let mut paging = json!({"cursors": {"before": format!("cursor-{start}"), "after": format!("cursor-{end}")}});
        if end < all.len() {
            let next = format!(
                "{}/{VERSION}/{waba}/message_templates?limit={limit}&after=cursor-{end}",
                shared.origin()
            );
            set(&mut paging, "next", json!(next));
        }
        set(&mut answer, "paging", paging);
    }
    Json(answer).into_response()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
