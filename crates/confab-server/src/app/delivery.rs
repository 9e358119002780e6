//! Finishing a delivery: what the delivery worker records after a connector's attempt.

use confab_store::{Job, Message, Outcome};

use super::App;
use super::error::AppResult;

impl App {
    /// Records the outcome of a claimed job's delivery attempt, if its lease
    /// (`lease_until`) is still held. `None` when another worker has taken the job over.
    pub async fn finish_delivery(
        &self,
        job_id: i64,
        lease_until: i64,
        outcome: Outcome,
    ) -> AppResult<Option<(Job, Message)>> {
        let finished = self
            .store
            .finish_job(job_id, lease_until, outcome, self.now_ms())
            .await?;
        if finished.is_some() {
            self.webhook_wakeup.wake();
        }
        Ok(finished)
    }
}
