use diesel::prelude::*;

use crate::schema::{password_backups, password_resets};
use crate::{AnyConnection, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = password_resets)]
pub struct ResetRow {
    pub id: String,
    pub device_id: String,
    pub status: String,
    pub token_hash: Option<String>,
    pub expires_at: Option<i64>,
    pub failed_attempts: i32,
    pub created_at: i64,
}

/// Stores (or replaces) the device's encrypted password backup.
pub fn put_backup(
    conn: &mut AnyConnection,
    device_id: &str,
    user_id: &str,
    encrypted_password: &str,
    now: i64,
) -> Result<(), StoreError> {
    diesel::delete(password_backups::table.filter(password_backups::device_id.eq(device_id)))
        .execute(conn)?;
    diesel::insert_into(password_backups::table)
        .values((
            password_backups::device_id.eq(device_id),
            password_backups::user_id.eq(user_id),
            password_backups::encrypted_password.eq(encrypted_password),
            password_backups::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn backup(conn: &mut AnyConnection, device_id: &str) -> Result<Option<String>, StoreError> {
    Ok(password_backups::table
        .filter(password_backups::device_id.eq(device_id))
        .select(password_backups::encrypted_password)
        .first(conn)
        .optional()?)
}

/// Replaces the device's reset request (one at a time per device).
pub fn put_reset(conn: &mut AnyConnection, row: &ResetRow) -> Result<(), StoreError> {
    diesel::delete(password_resets::table.filter(password_resets::device_id.eq(&row.device_id)))
        .execute(conn)?;
    diesel::insert_into(password_resets::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn reset_for_device(
    conn: &mut AnyConnection,
    device_id: &str,
) -> Result<Option<ResetRow>, StoreError> {
    Ok(password_resets::table
        .filter(password_resets::device_id.eq(device_id))
        .select(ResetRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_reset_status(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
) -> Result<(), StoreError> {
    diesel::update(password_resets::table.filter(password_resets::id.eq(id)))
        .set(password_resets::status.eq(status))
        .execute(conn)?;
    Ok(())
}

pub fn count_failed_reset(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    diesel::update(password_resets::table.filter(password_resets::id.eq(id)))
        .set(password_resets::failed_attempts.eq(password_resets::failed_attempts + 1))
        .execute(conn)?;
    Ok(())
}

/// A reset request waiting for an admin, with its device and user.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct PendingReset {
    pub id: String,
    pub device_name: String,
    pub user_email: String,
    pub created_at: i64,
}

/// The tenant's reset requests waiting for an admin, oldest first.
pub fn pending_for_tenant(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<PendingReset>, StoreError> {
    use crate::schema::{devices, users};
    Ok(password_resets::table
        .inner_join(devices::table.inner_join(users::table))
        .filter(devices::tenant_id.eq(tenant_id))
        .filter(password_resets::status.eq("PENDING_ADMIN_CHECK"))
        .order(password_resets::created_at.asc())
        .select((
            password_resets::id,
            devices::name,
            users::email,
            password_resets::created_at,
        ))
        .load(conn)?)
}

/// Grants a pending request of this tenant with a token (hash kept) valid
/// until `expires_at`; false when no such pending request exists.
pub fn grant_reset(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    token_hash: &str,
    expires_at: i64,
) -> Result<bool, StoreError> {
    use crate::schema::devices;
    let in_tenant = devices::table
        .filter(devices::tenant_id.eq(tenant_id))
        .select(devices::id);
    let granted = diesel::update(
        password_resets::table
            .filter(password_resets::id.eq(id))
            .filter(password_resets::status.eq("PENDING_ADMIN_CHECK"))
            .filter(password_resets::device_id.eq_any(in_tenant)),
    )
    .set((
        password_resets::status.eq("GRANTED"),
        password_resets::token_hash.eq(token_hash),
        password_resets::expires_at.eq(expires_at),
        password_resets::failed_attempts.eq(0),
    ))
    .execute(conn)?;
    Ok(granted == 1)
}
