//! The number's message templates, read from its WhatsApp Business Account
//! (`GET /<waba_id>/message_templates`, every page) for the template sync.

use confab_store::Channel;
use serde_json::Value;

use super::WhatsApp;
use super::api::Failure;
use crate::app::TemplateSource;

#[async_trait::async_trait]
impl TemplateSource for WhatsApp {
    async fn fetch_templates(&self, channel: &Channel) -> Result<Vec<Value>, String> {
        let token = self.token(&channel.settings)?;
        let waba_id = channel
            .settings
            .get("waba_id")
            .and_then(Value::as_str)
            .ok_or_else(|| "the channel has no waba_id".to_owned())?;
        self.api()
            .templates(&token, waba_id)
            .await
            .map_err(|failure| match failure {
                Failure::Api {
                    status, message, ..
                } => {
                    format!("WhatsApp answered {status} listing the templates: {message}")
                }
                Failure::Transport(why) => format!("WhatsApp could not be reached: {why}"),
            })
    }
}
