use diesel::prelude::*;

use crate::schema::{allowed_emails, users};
use crate::{AnyConnection, StoreError};

/// A user of one tenant, known by email.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub sharing_public_key: Option<String>,
    pub signing_public_key: Option<String>,
    pub settings_override: String,
    pub deactivated: bool,
    pub created_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &UserRow) -> Result<(), StoreError> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_email(
    conn: &mut AnyConnection,
    tenant_id: &str,
    email: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::id.eq(user_id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Sets the user's public keys when they have none yet; never replaces one.
pub fn set_public_keys_if_unset(
    conn: &mut AnyConnection,
    user_id: &str,
    sharing: &str,
    signing: &str,
) -> Result<(), StoreError> {
    diesel::update(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::sharing_public_key.is_null()),
    )
    .set((
        users::sharing_public_key.eq(sharing),
        users::signing_public_key.eq(signing),
    ))
    .execute(conn)?;
    Ok(())
}

/// The tenant's allowed-email patterns (addresses or `*@domain`).
pub fn allowed_patterns(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(allowed_emails::table
        .filter(allowed_emails::tenant_id.eq(tenant_id))
        .select(allowed_emails::pattern)
        .load(conn)?)
}

pub fn allow_pattern(
    conn: &mut AnyConnection,
    id: &str,
    tenant_id: &str,
    pattern: &str,
    now: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(allowed_emails::table)
        .values((
            allowed_emails::id.eq(id),
            allowed_emails::tenant_id.eq(tenant_id),
            allowed_emails::pattern.eq(pattern),
            allowed_emails::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Users of the tenant whose email starts with `prefix` and who can
/// receive shares (they have a sharing key), at most `limit`.
pub fn search_for_sharing(
    conn: &mut AnyConnection,
    tenant_id: &str,
    prefix: &str,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let pattern = format!("{}%", prefix.replace(['%', '_', '\\'], ""));
    Ok(users::table
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::email.like(pattern))
        .filter(users::sharing_public_key.is_not_null())
        .filter(users::deactivated.eq(false))
        .order(users::email.asc())
        .limit(limit)
        .select(users::email)
        .load(conn)?)
}

/// Deletes the user; the database cascades to everything that is theirs.
pub fn delete(conn: &mut AnyConnection, tenant_id: &str, user_id: &str) -> Result<(), StoreError> {
    diesel::delete(
        users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// The tenant's users whose email contains `search` (all when empty), by
/// email, at most `limit`.
pub fn list_for_tenant(
    conn: &mut AnyConnection,
    tenant_id: &str,
    search: &str,
    limit: i64,
) -> Result<Vec<UserRow>, StoreError> {
    let pattern = format!("%{}%", search.replace(['%', '_', '\\'], ""));
    Ok(users::table
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::email.like(pattern))
        .order(users::email.asc())
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?)
}

/// An allowed-email pattern with its id, for the console.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct AllowedEmail {
    pub id: String,
    pub pattern: String,
    pub created_at: i64,
}

pub fn allowed_emails(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<AllowedEmail>, StoreError> {
    Ok(allowed_emails::table
        .filter(allowed_emails::tenant_id.eq(tenant_id))
        .order(allowed_emails::pattern.asc())
        .select((
            allowed_emails::id,
            allowed_emails::pattern,
            allowed_emails::created_at,
        ))
        .load(conn)?)
}

/// Removes a pattern of this tenant; false when there was none.
pub fn remove_allowed_email(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let removed = diesel::delete(
        allowed_emails::table
            .filter(allowed_emails::tenant_id.eq(tenant_id))
            .filter(allowed_emails::id.eq(id)),
    )
    .execute(conn)?;
    Ok(removed == 1)
}
