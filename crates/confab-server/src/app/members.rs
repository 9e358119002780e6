//! The members of a company and their roles.

use confab_store::{Member, Role};

use super::App;
use super::error::AppResult;

impl App {
    /// Makes an existing user a member of the company with `role`.
    pub async fn add_member(&self, company_id: i64, user_id: i64, role: Role) -> AppResult<Member> {
        Ok(self
            .store
            .add_member(company_id, user_id, role, self.now_ms())
            .await?)
    }

    /// Changes a member's role (the company keeps at least one admin).
    pub async fn set_member_role(
        &self,
        company_id: i64,
        user_id: i64,
        role: Role,
    ) -> AppResult<Member> {
        Ok(self
            .store
            .set_member_role(company_id, user_id, role)
            .await?)
    }

    /// Removes a member: their conversations become unassigned (and are announced), and
    /// their token no longer reaches the company.
    pub async fn remove_member(&self, company_id: i64, user_id: i64) -> AppResult<Member> {
        let removed = self
            .store
            .remove_member(company_id, user_id, self.now_ms())
            .await?;
        self.webhook_wakeup.wake();
        Ok(removed)
    }
}
