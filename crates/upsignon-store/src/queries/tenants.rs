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

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<TenantRow>, StoreError> {
    Ok(tenants::table
        .filter(tenants::id.eq(id))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every tenant, by slug.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<TenantRow>, StoreError> {
    Ok(tenants::table
        .order(tenants::slug.asc())
        .select(TenantRow::as_select())
        .load(conn)?)
}

/// Replaces the tenant's policy JSON; the apps read it on their next request.
pub fn set_settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    settings: &str,
) -> Result<(), StoreError> {
    diesel::update(tenants::table.filter(tenants::id.eq(tenant_id)))
        .set(tenants::settings.eq(settings))
        .execute(conn)?;
    Ok(())
}

/// Users, authorised devices and vaults of one tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TenantCounts {
    pub users: i64,
    pub authorized_devices: i64,
    pub pending_devices: i64,
    pub shared_vaults: i64,
}

pub fn counts(conn: &mut AnyConnection, tenant_id: &str) -> Result<TenantCounts, StoreError> {
    use crate::schema::{devices, shared_vaults, users};
    let users = users::table
        .filter(users::tenant_id.eq(tenant_id))
        .count()
        .get_result(conn)?;
    let by_status = |status: &'static str| {
        devices::table
            .filter(devices::tenant_id.eq(tenant_id))
            .filter(devices::status.eq(status))
    };
    let authorized_devices = by_status("AUTHORIZED").count().get_result(conn)?;
    let pending_devices: i64 = by_status("PENDING").count().get_result(conn)?;
    let awaiting_admin: i64 = by_status("PENDING_ADMIN_APPROVAL")
        .count()
        .get_result(conn)?;
    let shared_vaults = shared_vaults::table
        .filter(shared_vaults::tenant_id.eq(tenant_id))
        .count()
        .get_result(conn)?;
    Ok(TenantCounts {
        users,
        authorized_devices,
        pending_devices: pending_devices + awaiting_admin,
        shared_vaults,
    })
}
