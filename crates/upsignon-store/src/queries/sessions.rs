use diesel::prelude::*;

use crate::schema::device_sessions;
use crate::{AnyConnection, StoreError};

/// A device session, found by the SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = device_sessions)]
pub struct SessionRow {
    pub token_hash: String,
    pub tenant_id: String,
    pub user_id: String,
    pub device_id: String,
    pub expires_at: i64,
    pub created_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &SessionRow) -> Result<(), StoreError> {
    diesel::insert_into(device_sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
    Ok(device_sessions::table
        .filter(device_sessions::token_hash.eq(token_hash))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn delete(conn: &mut AnyConnection, token_hash: &str) -> Result<(), StoreError> {
    diesel::delete(device_sessions::table.filter(device_sessions::token_hash.eq(token_hash)))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of a device (revocation).
pub fn delete_for_device(conn: &mut AnyConnection, device_id: &str) -> Result<(), StoreError> {
    diesel::delete(device_sessions::table.filter(device_sessions::device_id.eq(device_id)))
        .execute(conn)?;
    Ok(())
}
