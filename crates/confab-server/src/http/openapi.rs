//! The OpenAPI 3.1 document of every route confab serves, at `GET /openapi.json`.
//!
//! It is generated from the code, so it cannot drift from it: each handler carries its
//! `#[utoipa::path]` annotation, the wire types derive `ToSchema` (confab-wire's `openapi`
//! feature), and [`ApiDoc`] lists the handlers. What every operation shares (the token
//! security schemes and the error answers) is added once, by `Shared`.

use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{Components, ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

use super::{
    attachments, channel_signin, channels, companies, conversations, events, health, hooks,
    instagram_pages, jobs, members, messages, sandbox, service_messages, waba_templates,
    webhook_deliveries, whatsapp_hooks, write_first,
};
use crate::AppState;

/// The path of the document.
pub const PATH: &str = "/openapi.json";

/// The routes of the document itself.
pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(serve))
}

/// This document: every route confab serves, its parameters, bodies and answers.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    operation_id = "openapi_document",
    security(()),
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Object)),
)]
async fn serve() -> Response {
    static JSON: OnceLock<Vec<u8>> = OnceLock::new();
    let bytes = JSON.get_or_init(|| {
        // The document is built from static annotations; it always serialises.
        serde_json::to_vec(&document()).unwrap_or_default()
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::reply::JSON_UTF8),
        )],
        bytes.clone(),
    )
        .into_response()
}

/// The whole document, with the shared parts added.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// Every `(method, path)` the document describes, paths as routed (`/p1/companies/{company_id}`).
pub fn documented_routes() -> Vec<(Method, String)> {
    let doc = document();
    let mut routes = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
            (Method::HEAD, &item.head),
            (Method::OPTIONS, &item.options),
            (Method::TRACE, &item.trace),
        ];
        for (method, operation) in methods {
            if operation.is_some() {
                routes.push((method, path.clone()));
            }
        }
    }
    routes
}

/// The document: every handler of every resource.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "confab",
        description = "A self-hosted conversations server speaking the Pact.im Private API v1 \
            (`/p1`). Parameters arrive as query string, form, JSON or multipart alike (the body \
            wins over the query); Rails brackets (`attachments_ids[]=1`) are understood and \
            booleans are `true/false/1/0`. Paths may carry a trailing or doubled `/`. Every \
            `/p1` answer is an envelope: `{\"status\":\"ok\"|\"created\"|\"updated\"|\"deleted\",\
            \"data\":{...}}` with HTTP 200, or `{\"status\":\"error\",\"message\":...,\"errors\":\
            [{\"parameter\",\"code\",\"detail\"}]}` with the HTTP code of the Pact error table \
            (405 for a known path with another method).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        companies::list,
        companies::create,
        companies::show,
        companies::update,
        companies::rotate_secret,
        channels::list,
        channels::create,
        channels::update,
        channels::delete,
        conversations::list,
        conversations::meta,
        conversations::create,
        conversations::show,
        conversations::note,
        conversations::assign,
        conversations::toggle_bitrix,
        attachments::upload,
        messages::list,
        messages::send,
        messages::send_singular,
        messages::download,
        jobs::show,
        write_first::write_first,
        write_first::write_first_on_channel,
        sandbox::inbound,
        sandbox::contact,
        sandbox::event,
        sandbox::read,
        sandbox::seed_template,
        waba_templates::list,
        waba_templates::list_all,
        waba_templates::sync,
        webhook_deliveries::list,
        webhook_deliveries::resend,
        events::list,
        members::list,
        members::add,
        members::set_role,
        members::remove,
        channel_signin::request_code,
        channel_signin::confirm,
        channel_signin::sandbox_code,
        channel_signin::sandbox_password,
        instagram_pages::enable_get,
        instagram_pages::enable_post,
        instagram_pages::enable_put,
        service_messages::send,
        hooks::telegram_update,
        whatsapp_hooks::verify,
        whatsapp_hooks::event,
        channels::user_exists,
        health::healthz,
        health::readyz,
        health::metrics,
        super::missing_avatar,
        serve,
    ),
    components(schemas(confab_wire::ErrorBody, confab_wire::ErrorDetail)),
    modifiers(&Shared),
    security(("api_token" = []), ("api_token_query" = [])),
    tags(
        (name = "companies", description = "The caller's companies"),
        (name = "channels", description = "Messenger channels of a company"),
        (name = "conversations", description = "Conversations with customers"),
        (name = "messages", description = "Messages, sending and attachments"),
        (name = "jobs", description = "Delivery jobs of outgoing messages"),
        (name = "templates", description = "WhatsApp Business message templates (writing first on whatsapp_business needs an approved one)"),
        (name = "sandbox", description = "The simulated messengers (`--sandbox` only; 403 otherwise)"),
        (name = "webhooks", description = "The webhook delivery log and signing secret"),
        (name = "members", description = "A company's team and their roles (agents read; admins manage)"),
        (name = "events", description = "The event log (the webhooks' events) as a stream or long poll"),
        (name = "hooks", description = "Where messengers post what customers send (with `--public-url`; authenticated the messenger's way, no token)"),
        (name = "operations", description = "Health, readiness, metrics and this document (no token)"),
    ),
)]
pub struct ApiDoc;

/// The error answers: (status, component name, description).
const ERRORS: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "A parameter is missing or invalid (`errors` names it), or the body cannot be read",
    ),
    ("401", "Unauthorized", "No API token, or one no user has"),
    (
        "406",
        "NotAcceptable",
        "The `Accept` header admits no JSON (`text/html` alone, `application/json;q=0`)",
    ),
    (
        "403",
        "Forbidden",
        "The caller's role in the company is not enough (an agent on an admin route; the \
         message names the role needed), or a sandbox endpoint without `--sandbox`",
    ),
    (
        "404",
        "NotFound",
        "No such route, or the company or resource does not exist for this caller",
    ),
    (
        "405",
        "MethodNotAllowed",
        "The path exists, but not for this method",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body (`--max-body-size`) or the attachment (`--max-attachment-size`) is too large",
    ),
    (
        "409",
        "IdempotencyInFlight",
        "With `Idempotency-Key`: the key's first request is still being processed (answered \
         with `Retry-After`; retry then to get its answer, code `idempotency_key_in_flight`), \
         or it was carried out but its answer was lost in a crash (no `Retry-After`, code \
         `idempotency_answer_lost`: do not send it again). A route may document its own 409",
    ),
    (
        "422",
        "IdempotencyKeyReused",
        "The `Idempotency-Key` was used before for a different request (method, path or \
         parameters); code `idempotency_key_reused`",
    ),
    (
        "429",
        "TooManyRequests",
        "The token made more requests than `--rate-limit` allows; `Retry-After` says when to retry",
    ),
    (
        "503",
        "Unavailable",
        "Too many requests at once, or the request took longer than `--request-timeout`; \
         `Retry-After` says when to retry",
    ),
];

/// The errors every `/p1` operation may answer.
const P1_ERRORS: &[&str] = &["400", "401", "404", "406", "413", "429", "503"];

/// Adds what all operations share: the security schemes and the error answers.
struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Components::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Private-Api-Token",
                "The user's API token (`confab user create` prints it)",
            ))),
        );
        components.add_security_scheme(
            "api_token_query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "private_api_token",
                "The same token as a query parameter, read only when the header is absent",
            ))),
        );
        for (status, name, description) in ERRORS {
            let mut response = ResponseBuilder::new().description(*description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            );
            if matches!(*status, "409" | "429" | "503") {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                        .description(Some("Seconds to wait"))
                        .build(),
                );
            }
            if *status == "401" {
                response = response.header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                        .description(Some("`X-Private-Api-Token`"))
                        .build(),
                );
            }
            components
                .responses
                .insert((*name).to_owned(), RefOr::T(response.build()));
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let sandbox = operation
                    .tags
                    .as_ref()
                    .is_some_and(|tags| tags.iter().any(|t| t == "sandbox"));
                let errors: &[&str] = if path.starts_with("/p1/") {
                    P1_ERRORS
                } else {
                    &["503"]
                };
                for status in errors {
                    add_error(operation, status);
                }
                if sandbox || path.starts_with("/p1/companies/{company_id}") {
                    add_error(operation, "403");
                }
            }
            if path.starts_with("/p1/") {
                let writes = [
                    &mut item.post,
                    &mut item.put,
                    &mut item.delete,
                    &mut item.patch,
                ];
                for operation in writes.into_iter().flatten() {
                    document_idempotency(operation);
                }
            }
        }
    }
}

/// Documents `Idempotency-Key` on a write: the header, the replay header of its answers,
/// and the 409 and 422 it may cause.
fn document_idempotency(operation: &mut Operation) {
    let key = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "1 to 255 printable ASCII characters, unique per request (a UUID), kept for \
             `--idempotency-ttl` per user. A retry with the same key and request gets the \
             first answer (with `Idempotent-Replayed: true`) and is not carried out again.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(super::idempotency::MAX_KEY_LEN)),
        ))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(key));
    let replayed = HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .description(Some(
            "`true` when this is the stored answer of an earlier request with the same \
             `Idempotency-Key`",
        ))
        .build();
    for response in operation.responses.responses.values_mut() {
        if let RefOr::T(response) = response {
            response
                .headers
                .insert("Idempotent-Replayed".to_owned(), RefOr::T(replayed.clone()));
        }
    }
    add_error(operation, "409");
    add_error(operation, "422");
}

/// Adds the shared error answer for `status` to `operation`, unless it documents its own.
fn add_error(operation: &mut Operation, status: &str) {
    let Some((_, name, _)) = ERRORS.iter().find(|(s, _, _)| *s == status) else {
        return;
    };
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
}

#[cfg(test)]
mod tests {
    use confab_wire::limits::*;
    use serde_json::Value;

    /// Every `maxLength` of a request body, by (component, property), and the limit it
    /// states. utoipa takes only literals in `max_length`, so this keeps the literals and
    /// [`confab_wire::limits`] from drifting apart.
    const MAX_LENGTHS: &[(&str, &str, usize)] = &[
        ("NewCompanyParams", "name", MAX_COMPANY_NAME_CHARS),
        ("NewCompanyParams", "phone", MAX_COMPANY_PHONE_CHARS),
        ("NewCompanyParams", "description", MAX_DESCRIPTION_CHARS),
        ("NewCompanyParams", "webhook_url", MAX_URL_CHARS),
        ("CompanyPatchParams", "name", MAX_COMPANY_NAME_CHARS),
        ("CompanyPatchParams", "phone", MAX_COMPANY_PHONE_CHARS),
        ("CompanyPatchParams", "description", MAX_DESCRIPTION_CHARS),
        ("CompanyPatchParams", "webhook_url", MAX_URL_CHARS),
        ("NewChannelParams", "token", MAX_SETTING_CHARS),
        ("NewChannelParams", "login", MAX_SETTING_CHARS),
        ("NewChannelParams", "password", MAX_SETTING_CHARS),
        ("NewChannelParams", "phone", MAX_SETTING_CHARS),
        ("NewChannelParams", "hosting_type", MAX_SETTING_CHARS),
        ("NewChannelParams", "subtype", MAX_SETTING_CHARS),
        (
            "NewChannelParams",
            "dialog360_channel_id",
            MAX_SETTING_CHARS,
        ),
        ("NewChannelParams", "dialog360_client_id", MAX_SETTING_CHARS),
        ("NewChannelParams", "account_name", MAX_SETTING_CHARS),
        ("ChannelCredentialsParams", "token", MAX_SETTING_CHARS),
        ("ChannelCredentialsParams", "login", MAX_SETTING_CHARS),
        ("ChannelCredentialsParams", "password", MAX_SETTING_CHARS),
        ("ChannelCredentialsParams", "phone", MAX_SETTING_CHARS),
        (
            "ChannelCredentialsParams",
            "hosting_type",
            MAX_SETTING_CHARS,
        ),
        ("ChannelCredentialsParams", "subtype", MAX_SETTING_CHARS),
        (
            "ChannelCredentialsParams",
            "dialog360_channel_id",
            MAX_SETTING_CHARS,
        ),
        (
            "ChannelCredentialsParams",
            "dialog360_client_id",
            MAX_SETTING_CHARS,
        ),
        (
            "ChannelCredentialsParams",
            "account_name",
            MAX_SETTING_CHARS,
        ),
        ("NewConversationParams", "phone", MAX_PHONE_CHARS),
        ("NewConversationParams", "username", MAX_USERNAME_CHARS),
        ("NewConversationParams", "text", MAX_TEXT_CHARS),
        ("NoteParams", "note", MAX_NOTE_CHARS),
        ("SendParams", "message", MAX_TEXT_CHARS),
        ("WriteFirstParams", "phone", MAX_PHONE_CHARS),
        ("WriteFirstParams", "message", MAX_TEXT_CHARS),
        ("WriteFirstParams", "text", MAX_TEXT_CHARS),
        ("UploadParams", "file_url", MAX_URL_CHARS),
        ("UploadUrlParams", "file_url", MAX_URL_CHARS),
        ("InboundParams", "sender_external_id", MAX_SENDER_ID_CHARS),
        ("InboundParams", "name", MAX_CONTACT_NAME_CHARS),
        ("InboundParams", "message", MAX_TEXT_CHARS),
        ("InboundParams", "file_url", MAX_URL_CHARS),
        (
            "InboundUploadParams",
            "sender_external_id",
            MAX_SENDER_ID_CHARS,
        ),
        ("InboundUploadParams", "name", MAX_CONTACT_NAME_CHARS),
        ("InboundUploadParams", "message", MAX_TEXT_CHARS),
        ("InboundUploadParams", "file_url", MAX_URL_CHARS),
        ("ContactParams", "sender_external_id", MAX_SENDER_ID_CHARS),
        ("SeedTemplateParams", "waba_id", MAX_TEMPLATE_NAME_CHARS),
        ("SeedTemplateParams", "name", MAX_TEMPLATE_NAME_CHARS),
        (
            "SeedTemplateParams",
            "language",
            MAX_TEMPLATE_LANGUAGE_CHARS,
        ),
        ("SeedTemplateParams", "body", MAX_TEMPLATE_BODY_CHARS),
        ("SeedTemplateParams", "status", MAX_TEMPLATE_STATUS_CHARS),
        (
            "SandboxPasswordParams",
            "password",
            MAX_SIGNIN_PASSWORD_CHARS,
        ),
    ];

    fn document() -> Value {
        serde_json::to_value(super::document()).expect("the document serialises")
    }

    #[test]
    fn max_lengths_are_the_wire_limits() {
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for (schema, property, limit) in MAX_LENGTHS {
            assert_eq!(
                schemas[*schema]["properties"][*property]["maxLength"].as_u64(),
                Some(*limit as u64),
                "{schema}.{property}"
            );
        }
        // Every maxLength of the components is in the table, so a new one gets a const.
        for (schema, body) in schemas {
            let properties = body["properties"].as_object().cloned().unwrap_or_default();
            for (property, value) in properties {
                if value.get("maxLength").is_some() {
                    assert!(
                        MAX_LENGTHS
                            .iter()
                            .any(|(s, p, _)| s == schema && *p == property),
                        "{schema}.{property} has a maxLength this test does not know"
                    );
                }
            }
        }
        let buttons = &schemas["InteractiveParams"]["properties"]["buttons"];
        assert_eq!(buttons["maxItems"].as_u64(), Some(MAX_BUTTONS as u64));
        let list = &doc["paths"]["/p1/companies"]["get"]["parameters"];
        let from = list
            .as_array()
            .and_then(|params| params.iter().find(|p| p["name"] == "from"))
            .expect("the from parameter");
        assert_eq!(
            from["schema"]["maxLength"].as_u64(),
            Some(MAX_PAGE_TOKEN_CHARS as u64)
        );
    }
}
