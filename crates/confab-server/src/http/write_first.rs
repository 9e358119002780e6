//! `POST /p1/companies/CID/channels/ID/conversations`: write first to a phone number that
//! has never written, queueing the first message as a delivery job.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use confab_wire::Provider;

use super::auth::CompanyScope;
use super::channels::scoped_channel;
use super::conversations::{MAX_TEXT, phone_param, start};
use super::error::{ApiError, ApiResult};
use super::jobs::job_json;
use super::params::Params;
use super::reply;
use crate::AppState;

/// The routes of this resource.
pub fn router() -> Router<AppState> {
    let channel = "/p1/companies/{company_id}/channels/{channel_id}";
    Router::new()
        .route(&format!("{channel}/conversations"), post(write_first))
        // The Python SDK's send_first_whatsapp_message forgets the last segment.
        .route(channel, post(write_first))
}

async fn write_first(
    State(state): State<AppState>,
    scope: CompanyScope,
    params: Params,
) -> ApiResult<Response> {
    let channel = scoped_channel(&state, &scope, &params).await?;
    let phone = phone_param(&params)?.ok_or_else(|| ApiError::missing("phone"))?;
    let provider: Provider = channel
        .provider
        .parse()
        .map_err(|e| ApiError::Internal(format!("stored channel: {e}")))?;
    let text = match provider {
        Provider::Whatsapp => {
            // The docs' table says `message`, their curl example `text`: both are read.
            let name = if params.has("message") {
                "message"
            } else {
                "text"
            };
            params.required_text(name, MAX_TEXT).map_err(|e| {
                e.with_detail("is required: the first message's text (message or text)")
            })?
        }
        Provider::WhatsappBusiness => {
            return Err(ApiError::invalid(
                "template[id]",
                "no WhatsApp Business template is registered in this confab, so none can be \
                 sent; templates come from the WABA provider",
            ));
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "writing first is for whatsapp and whatsapp_business channels; this is a \
                 {other} channel: use POST /p1/companies/COMPANY_ID/conversations"
            )));
        }
    };
    let send_to_crm = params.optional_bool("send_to_crm")?.unwrap_or(true);
    let posted = start(&state, channel, phone, text, send_to_crm).await?;
    let job = posted
        .job
        .ok_or_else(|| ApiError::Internal("an outgoing message without a job".to_owned()))?;
    Ok(reply::ok(job_json(&job)))
}
