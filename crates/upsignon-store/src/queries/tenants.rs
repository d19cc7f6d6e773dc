use diesel::prelude::*;

use crate::schema::tenants;
use crate::{AnyConnection, StoreError};

/// A tenant as stored: one organisation served under `/{slug}/`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants)]
pub struct TenantRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub settings: String,
    pub stopped: bool,
    pub new_url: Option<String>,
    pub created_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &TenantRow) -> Result<(), StoreError> {
    diesel::insert_into(tenants::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_slug(conn: &mut AnyConnection, slug: &str) -> Result<Option<TenantRow>, StoreError> {
    Ok(tenants::table
        .filter(tenants::slug.eq(slug))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(tenants::table.count().get_result(conn)?)
}
