//! Which role each company route needs. Agents read and work conversations; admins also
//! manage the company, its webhooks, channels, sandbox and members.
//!
//! One table, checked by the company-scoped extractors on every request, so no handler
//! can forget it: a route missing here needs `admin`, and the integration suite fails
//! when a documented route has no expectation in its own role table.

use axum::http::Method;
use confab_store::Role;

/// The routes an agent may call; every other company route needs an admin.
const AGENT_ROUTES: &[(&str, &str)] = &[
    ("GET", "/p1/companies/{company_id}/channels"),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/user_exists",
    ),
    (
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/jobs/{job_id}",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/channels/{channel_id}/conversations",
    ),
    ("GET", "/p1/companies/{company_id}/conversations"),
    ("POST", "/p1/companies/{company_id}/conversations"),
    ("GET", "/p1/companies/{company_id}/conversations/meta"),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/{conversation_id}",
    ),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/message",
    ),
    (
        "POST",
        "/p1/companies/{company_id}/conversations/{conversation_id}/messages/attachments",
    ),
    (
        "GET",
        "/p1/companies/{company_id}/conversations/{conversation_id}/attachments/{attachment_id}",
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/conversations/{conversation_id}/note",
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/conversations/{conversation_id}/assign",
    ),
    (
        "PUT",
        "/p1/companies/{company_id}/conversations/{conversation_id}/toggle_bitrix_block_openlines",
    ),
    ("GET", "/p1/companies/{company_id}/waba_templates"),
    ("GET", "/p1/companies/{company_id}/events"),
    ("GET", "/p1/companies/{company_id}/members"),
];

/// The role `method` on route template `route` needs.
pub fn needed(method: &Method, route: &str) -> Role {
    let agent = AGENT_ROUTES
        .iter()
        .any(|(m, r)| *r == route && method.as_str() == *m);
    if agent { Role::Agent } else { Role::Admin }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_routes_need_an_admin() {
        assert_eq!(
            needed(&Method::GET, "/p1/companies/{company_id}/new_thing"),
            Role::Admin
        );
        assert_eq!(
            needed(&Method::DELETE, "/p1/companies/{company_id}/members"),
            Role::Admin
        );
        assert_eq!(
            needed(&Method::GET, "/p1/companies/{company_id}/members"),
            Role::Agent
        );
    }
}
