//! `/p1/companies`: list, create, update, read one (with its webhook secret), rotate the
//! webhook secret.

use confab_wire::{Company, CompanyData, CompanyDetails, CompanyList, ExternalId, WebhookSecret};
use reqwest::Method;
use serde::Serialize;

use crate::Client;
use crate::error::Result;
use crate::pagination::{ItemStream, ListParams, Page};

/// The fields of a new company; only `name` is required.
///
/// ```
/// let acme = confab_client::NewCompany::new("Acme").phone("+7 925 000-00-01");
/// assert_eq!(acme.name, "Acme");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewCompany {
    /// Display name (at most 255 characters).
    pub name: String,
    /// Company or contact phone, free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the company's webhooks go; the server first POSTs a test request there, and
    /// anything but a 200 fails the create with a 400 naming `webhook_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

impl NewCompany {
    /// A company called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// With a phone.
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// With a description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// With a webhook URL.
    #[must_use]
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }
}

/// A change to a company: only the fields set are sent, and only they change. An empty
/// string clears `phone`, `description` or `webhook_url`.
///
/// ```
/// let change = confab_client::CompanyUpdate::new().name("Acme Ltd").clear_webhook_url();
/// assert_eq!(change.webhook_url.as_deref(), Some(""));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompanyUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new phone (`""` clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A new description (`""` clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A new webhook URL (`""` clears it; a URL is pinged first, as on create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Hide or show the company in Pact's web UI (API lists still show it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
}

impl CompanyUpdate {
    /// A change of nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rename.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Set the phone.
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Remove the phone.
    #[must_use]
    pub fn clear_phone(self) -> Self {
        self.phone("")
    }

    /// Set the description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Remove the description.
    #[must_use]
    pub fn clear_description(self) -> Self {
        self.description("")
    }

    /// Set the webhook URL.
    #[must_use]
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// Stop sending webhooks.
    #[must_use]
    pub fn clear_webhook_url(self) -> Self {
        self.webhook_url("")
    }

    /// Hide (`true`) or show the company.
    #[must_use]
    pub fn hidden(mut self, hidden: bool) -> Self {
        self.hidden = Some(hidden);
        self
    }
}

/// The caller's companies: made by [`Client::companies`].
#[derive(Debug, Clone)]
pub struct Companies {
    client: Client,
}

impl Client {
    /// The caller's companies (`/p1/companies`).
    ///
    /// ```no_run
    /// use confab_client::{CompanyUpdate, NewCompany};
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let id = client.companies().create(&NewCompany::new("Acme")).await?;
    /// client.companies().update(id, &CompanyUpdate::new().description("wholesale")).await?;
    /// let secret = client.companies().get(id).await?.webhook_secret;
    /// # Ok(()) }
    /// ```
    pub fn companies(&self) -> Companies {
        Companies {
            client: self.clone(),
        }
    }
}

impl Companies {
    /// One page of the caller's companies, by id.
    ///
    /// # Errors
    /// See [`crate::Error`]; a bad `per` or sort is a 400 naming it.
    pub async fn list(&self, params: &ListParams) -> Result<Page<Company>> {
        self.client.page::<CompanyList>("companies", params).await
    }

    /// Every company of the caller, page by page (`params` sets page size and order).
    pub fn stream(&self, params: ListParams) -> ItemStream<Company> {
        self.client
            .items::<CompanyList>("companies".to_owned(), params)
    }

    /// Creates a company, with the caller as a member; returns its id.
    ///
    /// # Errors
    /// A 400 naming `name` or `webhook_url` when they are missing or refused.
    pub async fn create(&self, company: &NewCompany) -> Result<i64> {
        let request = self
            .client
            .request(Method::POST, "companies")?
            .json(company);
        let created: ExternalId = self.client.data(request).await?;
        Ok(created.external_id)
    }

    /// Changes the fields set in `update`; returns the company's id.
    ///
    /// # Errors
    /// A 404 for a company the caller is not a member of; a 400 naming a refused field.
    pub async fn update(&self, company_id: i64, update: &CompanyUpdate) -> Result<i64> {
        let request = self
            .client
            .request(Method::PUT, &format!("companies/{company_id}"))?
            .json(update);
        let updated: ExternalId = self.client.data(request).await?;
        Ok(updated.external_id)
    }

    /// One company with its webhook signing secret (a confab extension: the hosted Pact API
    /// has no such route).
    ///
    /// # Errors
    /// A 404 for a company the caller is not a member of.
    pub async fn get(&self, company_id: i64) -> Result<CompanyDetails> {
        let request = self
            .client
            .request(Method::GET, &format!("companies/{company_id}"))?;
        let data: CompanyData = self.client.data(request).await?;
        Ok(data.company)
    }

    /// Replaces the company's webhook signing secret; returns the new one (confab only).
    ///
    /// # Errors
    /// A 404 for a company the caller is not a member of.
    pub async fn rotate_webhook_secret(&self, company_id: i64) -> Result<String> {
        let request = self.client.request(
            Method::POST,
            &format!("companies/{company_id}/webhook_secret/rotate"),
        )?;
        let data: WebhookSecret = self.client.data(request).await?;
        Ok(data.webhook_secret)
    }
}
