//! Messenger connectors: what sends a channel's messages to its messenger and brings what
//! its customers send into confab. A channel's `connector` names its connector: `sandbox`
//! (the simulated messenger, every provider under `--sandbox`) or a real one (`telegram`,
//! `whatsapp_business`).
//! Real connectors store what the messenger sends raw before acknowledging it; the intake
//! worker then processes it as a leased job (see [`intake`]).

use std::sync::Arc;

use confab_store::Channel;
use confab_wire::Provider;

use crate::app::App;
use crate::config::Config;
use crate::delivery::connector::Connector;
use crate::delivery::sandbox::SandboxConnector;

pub mod intake;
pub mod outcome;
pub mod telegram;
pub mod update_outcome;
pub mod whatsapp;

/// The connectors of this node, built once (pacing state lives in them).
pub struct Connectors {
    /// The simulated messenger.
    pub sandbox: Arc<SandboxConnector>,
    /// Telegram bots.
    pub telegram: Arc<telegram::Telegram>,
    /// WhatsApp Business numbers (Cloud API).
    pub whatsapp: Arc<whatsapp::WhatsApp>,
}

impl Connectors {
    /// Builds every connector.
    ///
    /// # Errors
    /// When a connector's HTTP client cannot be built.
    pub fn new(app: Arc<App>, config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            sandbox: Arc::new(SandboxConnector {
                latency: config.sandbox_latency,
            }),
            telegram: Arc::new(telegram::Telegram::new(
                app.clone(),
                &config.telegram_api_url,
                config.public_url.clone(),
                config.job_lease,
            )?),
            whatsapp: Arc::new(whatsapp::WhatsApp::new(
                app,
                &config.whatsapp_api_url,
                config.public_url.clone(),
            )?),
        })
    }

    /// The connector that delivers a channel's messages.
    pub fn for_channel(&self, channel: &Channel) -> Arc<dyn Connector> {
        match channel.connector.as_str() {
            telegram::NAME => self.telegram.clone(),
            whatsapp::NAME => self.whatsapp.clone(),
            _ => self.sandbox.clone(),
        }
    }

    /// The real connector of `provider`, if this confab has one.
    pub fn real(&self, provider: Provider) -> Option<&'static str> {
        match provider {
            Provider::Telegram => Some(telegram::NAME),
            Provider::WhatsappBusiness => Some(whatsapp::NAME),
            _ => None,
        }
    }
}

#[async_trait::async_trait]
impl Connector for telegram::Telegram {
    async fn deliver(&self, job: &confab_store::Claimed) -> confab_store::Outcome {
        self.deliver_job(job).await
    }
}

#[async_trait::async_trait]
impl Connector for whatsapp::WhatsApp {
    async fn deliver(&self, job: &confab_store::Claimed) -> confab_store::Outcome {
        self.deliver_job(job).await
    }
}
