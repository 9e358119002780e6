//! `/p1/companies/CID/webhook_deliveries`: the webhook delivery log, and re-sending an
//! event (confab extensions).

use confab_wire::{WebhookDelivery, WebhookDeliveryData, WebhookDeliveryList};
use reqwest::Method;

use crate::Client;
use crate::error::Result;
use crate::pagination::{ItemStream, ListParams, Page};

/// A company's webhook delivery log: made by [`Client::webhook_deliveries`].
#[derive(Debug, Clone)]
pub struct WebhookDeliveries {
    client: Client,
    company_id: i64,
}

impl Client {
    /// The webhook delivery log of company `company_id` (confab only).
    ///
    /// ```no_run
    /// use confab_client::ListParams;
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let log = client.webhook_deliveries(1);
    /// for failed in log.list(&ListParams::new().descending()).await?.items {
    ///     if failed.state == "failed" {
    ///         log.resend(failed.id).await?;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn webhook_deliveries(&self, company_id: i64) -> WebhookDeliveries {
        WebhookDeliveries {
            client: self.clone(),
            company_id,
        }
    }
}

impl WebhookDeliveries {
    fn path(&self) -> String {
        format!("companies/{}/webhook_deliveries", self.company_id)
    }

    /// One page of the log, by id: event, state (`pending`, `delivered`, `failed`),
    /// attempts, last status and error.
    ///
    /// # Errors
    /// See [`crate::Error`].
    pub async fn list(&self, params: &ListParams) -> Result<Page<WebhookDelivery>> {
        self.client
            .page::<WebhookDeliveryList>(&self.path(), params)
            .await
    }

    /// The whole log.
    pub fn stream(&self, params: ListParams) -> ItemStream<WebhookDelivery> {
        self.client
            .items::<WebhookDeliveryList>(self.path(), params)
    }

    /// Queues event `delivery_id` again, at the end of the company's queue; returns the new
    /// delivery (`pending`).
    ///
    /// # Errors
    /// A 404 for an unknown delivery.
    pub async fn resend(&self, delivery_id: i64) -> Result<WebhookDelivery> {
        let path = format!("{}/{delivery_id}/resend", self.path());
        let request = self.client.request(Method::POST, &path)?;
        let data: WebhookDeliveryData = self.client.data(request).await?;
        Ok(data.webhook_delivery)
    }
}
