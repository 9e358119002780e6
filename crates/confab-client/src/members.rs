//! `/p1/companies/CID/members`: a company's members and their roles (confab only): list,
//! add, change a role, remove.

use confab_wire::requests::{MemberRole, NewMember};
use confab_wire::{Member, MemberData, MemberList, Role};
use reqwest::Method;

use crate::Client;
use crate::error::Result;
use crate::pagination::{ItemStream, ListParams, Page};

/// A company's members: made by [`Client::members`].
///
/// Every member may list them; adding, re-roling and removing are for the company's
/// admins (an agent gets a 403).
#[derive(Debug, Clone)]
pub struct Members {
    client: Client,
    company_id: i64,
}

impl Client {
    /// The members of company `company_id` and their roles (confab only).
    ///
    /// ```no_run
    /// use confab_client::{ListParams, Role};
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let members = client.members(1);
    /// // user 7 exists (`confab user create` made it); they join as an agent
    /// members.add(7, Role::Agent).await?;
    /// members.set_role(7, Role::Admin).await?;
    /// for member in members.stream(ListParams::new()).collect_all().await? {
    ///     println!("{} {} {}", member.user_id, member.name, member.role);
    /// }
    ///
    /// // a company keeps at least one admin: removing or demoting the last one is a 409
    /// match members.remove(1).await {
    ///     Ok(removed) => println!("removed {}", removed.name),
    ///     Err(e) if e.status() == Some(409) => println!("user 1 is the last admin"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn members(&self, company_id: i64) -> Members {
        Members {
            client: self.clone(),
            company_id,
        }
    }
}

impl Members {
    fn path(&self) -> String {
        format!("companies/{}/members", self.company_id)
    }

    fn member_path(&self, user_id: i64) -> String {
        format!("{}/{user_id}", self.path())
    }

    /// One page of the company's members, by user id, with their roles.
    ///
    /// # Errors
    /// See [`crate::Error`]; a 404 for a company the caller is not a member of.
    pub async fn list(&self, params: &ListParams) -> Result<Page<Member>> {
        self.client.page::<MemberList>(&self.path(), params).await
    }

    /// Every member of the company.
    pub fn stream(&self, params: ListParams) -> ItemStream<Member> {
        self.client.items::<MemberList>(self.path(), params)
    }

    /// Adds user `user_id` (an existing confab user) to the company with `role`; returns
    /// the new member. Never retried.
    ///
    /// # Errors
    /// A 403 for an agent; a 404 naming `user` for an unknown user; a 400 with code
    /// `conflict` naming `user_id` when they are a member already.
    pub async fn add(&self, user_id: i64, role: Role) -> Result<Member> {
        let body = NewMember { user_id, role };
        let request = self.client.request(Method::POST, &self.path())?.json(&body);
        let data: MemberData = self.client.data(request).await?;
        Ok(data.member)
    }

    /// Gives member `user_id` the role `role`; returns the member as they are now.
    ///
    /// # Errors
    /// A 403 for an agent; a 404 for a user who is not a member; a 409 when it would
    /// demote the company's last admin.
    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<Member> {
        let body = MemberRole { role };
        let request = self
            .client
            .request(Method::PUT, &self.member_path(user_id))?
            .json(&body);
        let data: MemberData = self.client.data(request).await?;
        Ok(data.member)
    }

    /// Removes member `user_id` from the company (their conversations are unassigned);
    /// returns the member as they were.
    ///
    /// # Errors
    /// A 403 for an agent; a 404 for a user who is not a member; a 409 for the company's
    /// last admin.
    pub async fn remove(&self, user_id: i64) -> Result<Member> {
        let request = self
            .client
            .request(Method::DELETE, &self.member_path(user_id))?;
        let data: MemberData = self.client.data(request).await?;
        Ok(data.member)
    }
}
