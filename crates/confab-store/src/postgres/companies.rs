//! TODO(postgres): port of sqlite/companies.rs.

#![allow(dead_code, unused_variables, unused_imports)]

use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::*;

pub(super) async fn create(
    conn: &mut PgConnection,
    creator: i64,
    new: &NewCompany,
    now_ms: i64,
) -> StoreResult<Company> {
    todo!("postgres")
}

pub(super) async fn list_for_member(
    conn: &mut PgConnection,
    user_id: i64,
    page: PageRequest,
) -> StoreResult<Vec<Company>> {
    todo!("postgres")
}

pub(super) async fn for_member(
    conn: &mut PgConnection,
    user_id: i64,
    company_id: i64,
) -> StoreResult<Option<Company>> {
    todo!("postgres")
}

pub(super) async fn update(
    conn: &mut PgConnection,
    company_id: i64,
    patch: &CompanyPatch,
) -> StoreResult<()> {
    todo!("postgres")
}
