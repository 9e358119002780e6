//! WhatsApp Business templates: syncing a channel's templates from its messenger, seeding
//! them in the sandbox, and writing first with one.
//!
//! A business may only start a conversation (or resume one after 24 hours without a
//! customer message) with a template Meta approved; the send carries the template's name,
//! language and parameters with its job, and the message's text is the rendered body.

use std::sync::Arc;

use confab_store::templates::{self, APPROVED};
use confab_store::{
    Channel, Contact, NewTemplate, OutgoingText, Posted, Provider, TemplateSend, TemplateSync,
    WabaTemplate,
};
use serde_json::Value;

use super::App;
use super::error::{AppError, AppResult};

/// Where the templates of a real (non-sandbox) whatsapp_business channel come from: the
/// items of Meta's `GET /<waba_id>/message_templates` answer (every page), as listed.
#[async_trait::async_trait]
pub trait TemplateSource: Send + Sync {
    /// The channel's templates, or why they cannot be fetched now (for people).
    async fn fetch_templates(&self, channel: &Channel) -> Result<Vec<Value>, String>;
}

/// The template source a server runs with (`None` until a WhatsApp Business connector
/// provides one).
pub type SharedTemplateSource = Option<Arc<dyn TemplateSource>>;

/// Why a sync did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The templates cannot be fetched now (no source, or the messenger failed).
    #[error("{0}")]
    Unavailable(String),
    /// The store refused (the channel is gone, the database is down).
    #[error(transparent)]
    App(#[from] AppError),
}

/// A template send asked for by a client: `template[id]`, `template[language_code]` and
/// the parameters in placeholder order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRequest {
    /// The template's `waba_id`, or its numeric id as text.
    pub key: String,
    /// The language asked for.
    pub language: String,
    /// The parameters, in placeholder order.
    pub parameters: Vec<String>,
}

/// The template a request names, or which of its parameters is wrong and why.
pub fn choose<'a>(
    found: &'a [WabaTemplate],
    request: &TemplateRequest,
) -> AppResult<&'a WabaTemplate> {
    if found.is_empty() {
        return Err(AppError::invalid(
            "template[id]",
            format!(
                "no template {:?} on this channel: give a waba_id or an id from GET \
                 /p1/companies/COMPANY_ID/waba_templates",
                request.key
            ),
        ));
    }
    let Some(template) = found
        .iter()
        .find(|t| t.language.eq_ignore_ascii_case(&request.language))
    else {
        let languages: Vec<&str> = found.iter().map(|t| t.language.as_str()).collect();
        return Err(AppError::invalid(
            "template[language_code]",
            format!(
                "template {:?} has no {:?} version; its languages: {}",
                request.key,
                request.language,
                languages.join(", ")
            ),
        ));
    };
    if !template.is_approved() {
        return Err(AppError::invalid(
            "template[id]",
            format!(
                "template {:?} ({}) is {}: only {APPROVED} templates can be sent",
                template.waba_id, template.language, template.status
            ),
        ));
    }
    let outside = confab_store::templates::variables_outside_body(&template.components);
    if !outside.is_empty() {
        return Err(AppError::invalid(
            "template[id]",
            format!(
                "template {:?} has variables in its {}: confab sends body parameters only,                  so WhatsApp would refuse it",
                template.waba_id,
                outside.join(" and ")
            ),
        ));
    }
    let given = request.parameters.len();
    if i64::try_from(given).ok() != Some(template.substitutions_count) {
        return Err(AppError::invalid(
            "template[parameters]",
            format!(
                "template {:?} takes {} parameter(s), {given} given",
                template.waba_id, template.substitutions_count
            ),
        ));
    }
    Ok(template)
}

impl App {
    /// Syncs a whatsapp_business channel's templates from `source`: the channel's live
    /// templates become what the messenger lists. A sandbox channel has nothing to fetch
    /// (its templates are seeded) and is left as it is.
    ///
    /// # Errors
    /// [`SyncError::Unavailable`] when there is no source or it fails; nothing changes.
    pub async fn sync_templates(
        &self,
        source: Option<&dyn TemplateSource>,
        channel: &Channel,
    ) -> Result<TemplateSync, SyncError> {
        if channel.provider != Provider::WhatsappBusiness || channel.connector == "sandbox" {
            return Ok(TemplateSync::default());
        }
        let Some(source) = source else {
            return Err(SyncError::Unavailable(format!(
                "the templates of channel {} cannot be fetched: this confab has no WhatsApp \
                 Business connector to fetch them with",
                channel.id
            )));
        };
        let items = source.fetch_templates(channel).await.map_err(|why| {
            SyncError::Unavailable(format!(
                "the templates of channel {} cannot be fetched from the messenger: {why}",
                channel.id
            ))
        })?;
        let mut set: Vec<NewTemplate> = Vec::with_capacity(items.len());
        let mut unreadable = 0_usize;
        for item in &items {
            match templates::from_meta(item) {
                Ok(t) => set.push(t),
                Err(why) => {
                    unreadable += 1;
                    tracing::debug!(channel = channel.id, %why, "a template item skipped");
                }
            }
        }
        if unreadable > 0 {
            tracing::warn!(
                channel = channel.id,
                unreadable,
                "template items without a name or language were skipped"
            );
        }
        let synced = self
            .store
            .replace_templates(channel.company_id, channel.id, set, self.now_ms())
            .await
            .map_err(AppError::from)?;
        Ok(synced)
    }

    /// Syncs the templates of the company's whatsapp_business channel, if it has one.
    ///
    /// # Errors
    /// As [`App::sync_templates`].
    pub async fn sync_company_templates(
        &self,
        source: Option<&dyn TemplateSource>,
        company_id: i64,
    ) -> Result<TemplateSync, SyncError> {
        let channel = self
            .store
            .channel_by_provider(company_id, Provider::WhatsappBusiness)
            .await
            .map_err(AppError::from)?;
        match channel {
            Some(channel) => self.sync_templates(source, &channel).await,
            None => Ok(TemplateSync::default()),
        }
    }

    /// Stores a template of a sandbox whatsapp_business channel, as if Meta had it.
    pub async fn seed_template(
        &self,
        channel: &Channel,
        template: NewTemplate,
    ) -> AppResult<WabaTemplate> {
        if channel.provider != Provider::WhatsappBusiness {
            return Err(AppError::invalid(
                "channel_id",
                format!(
                    "templates belong to whatsapp_business channels; this is a {} channel",
                    channel.provider
                ),
            ));
        }
        Ok(self
            .store
            .seed_template(channel.company_id, channel.id, template, self.now_ms())
            .await?)
    }

    /// Writes first to `phone` on a whatsapp_business channel with the approved template
    /// `request` names: the message's text is its rendered body, and its job carries the
    /// template send for the connector.
    pub async fn write_first_with_template(
        &self,
        channel: Channel,
        phone: String,
        request: TemplateRequest,
        send_to_crm: bool,
    ) -> AppResult<Posted> {
        let found = self
            .store
            .find_templates(channel.company_id, channel.id, request.key.clone())
            .await?;
        let template = choose(&found, &request)?;
        let send = TemplateSend {
            name: template.waba_id.clone(),
            language: template.language.clone(),
            placeholders: templates::placeholders(&template.body),
            parameters: request.parameters.clone(),
        };
        let text = OutgoingText {
            body: templates::render(&template.body, &request.parameters),
            send_to_crm,
            template: Some(send),
        };
        let contact = Contact {
            sender_external_id: phone,
            name: None,
        };
        let posted = self
            .store
            .start_conversation(channel, contact, text, self.now_ms())
            .await?;
        self.delivery_wakeup.wake();
        self.webhook_wakeup.wake();
        Ok(posted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(language: &str, status: &str, count: i64) -> WabaTemplate {
        WabaTemplate {
            id: 7,
            company_id: 1,
            channel_id: 2,
            waba_id: "welcome".into(),
            name: "welcome".into(),
            language: language.into(),
            status: status.into(),
            body: String::new(),
            substitutions_count: count,
            components: json!([]),
            position: 7,
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    fn request(language: &str, parameters: &[&str]) -> TemplateRequest {
        TemplateRequest {
            key: "welcome".into(),
            language: language.into(),
            parameters: parameters.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn refused_field(result: AppResult<&WabaTemplate>) -> Option<&'static str> {
        match result {
            Err(AppError::Invalid { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn the_language_status_and_count_decide() {
        let found = [template("en", "APPROVED", 1), template("ru", "PENDING", 1)];
        assert!(choose(&found, &request("en", &["a"])).is_ok());
        assert!(choose(&found, &request("EN", &["a"])).is_ok());
        assert_eq!(
            refused_field(choose(&[], &request("en", &[]))),
            Some("template[id]")
        );
        assert_eq!(
            refused_field(choose(&found, &request("de", &["a"]))),
            Some("template[language_code]")
        );
        assert_eq!(
            refused_field(choose(&found, &request("ru", &["a"]))),
            Some("template[id]")
        );
        assert_eq!(
            refused_field(choose(&found, &request("en", &[]))),
            Some("template[parameters]")
        );
        assert_eq!(
            refused_field(choose(&found, &request("en", &["a", "b"]))),
            Some("template[parameters]")
        );
    }
}
