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
