use diesel::prelude::*;

use crate::schema::admin_sessions;
use crate::{AnyConnection, StoreError};

/// A signed-in console browser, known by the SHA-256 of its cookie.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = admin_sessions)]
pub struct AdminSessionRow {
    pub token_hash: String,
    pub admin_id: String,
    pub ip: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &AdminSessionRow) -> Result<(), StoreError> {
    diesel::insert_into(admin_sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The session with this hash, if it has not expired.
pub fn find_live(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<AdminSessionRow>, StoreError> {
    Ok(admin_sessions::table
        .filter(admin_sessions::token_hash.eq(token_hash))
        .filter(admin_sessions::expires_at.gt(now))
        .select(AdminSessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Moves the idle deadline on, never past the absolute one.
pub fn touch(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    diesel::update(admin_sessions::table.filter(admin_sessions::token_hash.eq(token_hash)))
        .set((
            admin_sessions::last_seen_at.eq(now),
            admin_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut AnyConnection, token_hash: &str) -> Result<(), StoreError> {
    diesel::delete(admin_sessions::table.filter(admin_sessions::token_hash.eq(token_hash)))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of an admin (password change, removal).
pub fn delete_for_admin(conn: &mut AnyConnection, admin_id: &str) -> Result<(), StoreError> {
    diesel::delete(admin_sessions::table.filter(admin_sessions::admin_id.eq(admin_id)))
        .execute(conn)?;
    Ok(())
}

/// Forgets expired sessions.
pub fn delete_expired(conn: &mut AnyConnection, now: i64) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(admin_sessions::table.filter(admin_sessions::expires_at.le(now)))
            .execute(conn)?,
    )
}
