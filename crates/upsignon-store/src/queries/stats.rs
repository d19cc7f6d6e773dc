use diesel::prelude::*;

use crate::schema::password_stats;
use crate::{AnyConnection, StoreError};

/// Password-strength counts of a vault or shared vault at one time; the
/// rows of one vault form its history.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = password_stats)]
pub struct StatsRow {
    pub id: String,
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub shared_vault_id: Option<String>,
    pub recorded_at: i64,
    pub nb_accounts: i32,
    pub nb_codes: i32,
    pub nb_strong: i32,
    pub nb_medium: i32,
    pub nb_weak: i32,
    pub nb_duplicated: i32,
    pub nb_without_password: i32,
}

pub fn insert(conn: &mut AnyConnection, row: &StatsRow) -> Result<(), StoreError> {
    diesel::insert_into(password_stats::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The history of a user's personal vault, oldest first.
pub fn for_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<StatsRow>, StoreError> {
    Ok(password_stats::table
        .filter(password_stats::user_id.eq(user_id))
        .order(password_stats::recorded_at.asc())
        .select(StatsRow::as_select())
        .load(conn)?)
}

/// The history of a shared vault, oldest first.
pub fn for_shared_vault(
    conn: &mut AnyConnection,
    shared_vault_id: &str,
) -> Result<Vec<StatsRow>, StoreError> {
    Ok(password_stats::table
        .filter(password_stats::shared_vault_id.eq(shared_vault_id))
        .order(password_stats::recorded_at.asc())
        .select(StatsRow::as_select())
        .load(conn)?)
}

/// Every record of the tenant since `since`, oldest first (personal and
/// shared vaults alike).
pub fn for_tenant(
    conn: &mut AnyConnection,
    tenant_id: &str,
    since: i64,
) -> Result<Vec<StatsRow>, StoreError> {
    Ok(password_stats::table
        .filter(password_stats::tenant_id.eq(tenant_id))
        .filter(password_stats::recorded_at.ge(since))
        .order(password_stats::recorded_at.asc())
        .select(StatsRow::as_select())
        .load(conn)?)
}
