//! `/p1/companies/CID/channels/CHID/jobs/ID`: message delivery jobs, and waiting for one.

use std::time::Duration;

use confab_wire::Job;
use reqwest::Method;

use crate::Client;
use crate::error::Result;

/// The first pause between two looks at a job in [`Jobs::wait`].
const FIRST_POLL: Duration = Duration::from_millis(100);
/// The longest pause between two looks.
const MAX_POLL: Duration = Duration::from_secs(2);

/// A channel's delivery jobs: made by [`Client::jobs`].
#[derive(Debug, Clone)]
pub struct Jobs {
    client: Client,
    company_id: i64,
    channel_id: i64,
}

impl Client {
    /// The delivery jobs of channel `channel_id` of company `company_id`.
    pub fn jobs(&self, company_id: i64, channel_id: i64) -> Jobs {
        Jobs {
            client: self.clone(),
            company_id,
            channel_id,
        }
    }

    /// Polls `job` (as a send answered it) until it is final; see [`Jobs::wait`].
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use confab_client::NewMessage;
    /// # async fn run(client: confab_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let job = client.messages(1, 1).send(&NewMessage::text("Hi")).await?;
    /// let job = tokio::time::timeout(Duration::from_secs(30), client.wait_for_job(&job)).await??;
    /// if job.is_delivered() {
    ///     println!("delivered as message {:?}", job.message_id);
    /// } else {
    ///     println!("not delivered: {:?}", job.details.and_then(|d| d.reason));
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Jobs::get`].
    pub async fn wait_for_job(&self, job: &Job) -> Result<Job> {
        if job.is_final() {
            return Ok(job.clone());
        }
        self.jobs(job.company_id, job.channel.id).wait(job.id).await
    }
}

impl Jobs {
    /// One job: `trying_deliver`, `delivered` (with `message_id`) or `not_delivered`
    /// (with `details.reason`).
    ///
    /// # Errors
    /// A 404 for an unknown job.
    pub async fn get(&self, job_id: i64) -> Result<Job> {
        let path = format!(
            "companies/{}/channels/{}/jobs/{job_id}",
            self.company_id, self.channel_id
        );
        let request = self.client.request(Method::GET, &path)?;
        self.client.data(request).await
    }

    /// Polls the job until it is final (delivered or not) and returns it. The pause between
    /// two looks starts at 100 ms and grows to 2 s. It waits as long as the job takes:
    /// bound it with `tokio::time::timeout`.
    ///
    /// # Errors
    /// The first error of [`Jobs::get`] (after its retries).
    pub async fn wait(&self, job_id: i64) -> Result<Job> {
        let mut pause = FIRST_POLL;
        loop {
            let job = self.get(job_id).await?;
            if job.is_final() {
                return Ok(job);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 3 / 2).min(MAX_POLL);
        }
    }
}
