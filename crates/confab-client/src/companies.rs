//! `/p1/companies`: list, create, update, read one (with its webhook secret), rotate the
//! webhook secret.

use confab_wire::requests::{CompanyUpdate, NewCompany};
use confab_wire::{Company, CompanyData, CompanyDetails, CompanyList, ExternalId, WebhookSecret};
use reqwest::Method;

use crate::Client;
use crate::error::Result;
use crate::pagination::{ItemStream, ListParams, Page};

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
