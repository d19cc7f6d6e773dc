use diesel::prelude::*;

use crate::schema::{admin_sign_in_codes, admin_tenants, admins};
use crate::{AnyConnection, StoreError};

/// An admin of the supervision console.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = admins)]
pub struct AdminRow {
    pub id: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub role: String,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

/// A one-time sign-in code, kept only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = admin_sign_in_codes)]
pub struct SignInCodeRow {
    pub id: String,
    pub admin_id: String,
    pub code_hash: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub created_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &AdminRow) -> Result<(), StoreError> {
    diesel::insert_into(admins::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<AdminRow>, StoreError> {
    Ok(admins::table
        .filter(admins::email.eq(email))
        .select(AdminRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(admins::table.count().get_result(conn)?)
}

/// Lets `admin_id` manage `tenant_id`; does nothing when it already can.
pub fn grant_tenant(
    conn: &mut AnyConnection,
    admin_id: &str,
    tenant_id: &str,
) -> Result<(), StoreError> {
    let granted: i64 = admin_tenants::table
        .filter(admin_tenants::admin_id.eq(admin_id))
        .filter(admin_tenants::tenant_id.eq(tenant_id))
        .count()
        .get_result(conn)?;
    if granted == 0 {
        diesel::insert_into(admin_tenants::table)
            .values((
                admin_tenants::admin_id.eq(admin_id),
                admin_tenants::tenant_id.eq(tenant_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert_sign_in_code(
    conn: &mut AnyConnection,
    row: &SignInCodeRow,
) -> Result<(), StoreError> {
    diesel::insert_into(admin_sign_in_codes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Marks the unused, unexpired code with this hash as used and returns its
/// admin; `None` when no such code exists (wrong, expired or already used).
pub fn consume_sign_in_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    now_ms: i64,
) -> Result<Option<String>, StoreError> {
    let row: Option<SignInCodeRow> = admin_sign_in_codes::table
        .filter(admin_sign_in_codes::code_hash.eq(code_hash))
        .filter(admin_sign_in_codes::used_at.is_null())
        .filter(admin_sign_in_codes::expires_at.gt(now_ms))
        .select(SignInCodeRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let updated = diesel::update(admin_sign_in_codes::table)
        .filter(admin_sign_in_codes::id.eq(&row.id))
        .filter(admin_sign_in_codes::used_at.is_null())
        .set(admin_sign_in_codes::used_at.eq(now_ms))
        .execute(conn)?;
    Ok((updated == 1).then_some(row.admin_id))
}
