use diesel::prelude::*;

use crate::schema::{vault_password_checks, vaults};
use crate::{AnyConnection, StoreError};

/// A user's personal vault: opaque ciphertext and its version.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = vaults)]
pub struct VaultRow {
    pub user_id: String,
    pub encrypted_data: String,
    pub version: i64,
    pub updated_at: i64,
}

/// How the user's devices prove the master password.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = vault_password_checks)]
pub struct PasswordCheckRow {
    pub user_id: String,
    pub kdf: String,
    pub challenge: String,
    pub response_hash: String,
    pub updated_at: i64,
}

pub fn find(conn: &mut AnyConnection, user_id: &str) -> Result<Option<VaultRow>, StoreError> {
    Ok(vaults::table
        .filter(vaults::user_id.eq(user_id))
        .select(VaultRow::as_select())
        .first(conn)
        .optional()?)
}

/// Creates the vault and its password check; false when a vault exists.
pub fn create(
    conn: &mut AnyConnection,
    vault: &VaultRow,
    check: &PasswordCheckRow,
) -> Result<bool, StoreError> {
    if find(conn, &vault.user_id)?.is_some() {
        return Ok(false);
    }
    diesel::insert_into(vaults::table)
        .values(vault)
        .execute(conn)?;
    diesel::delete(
        vault_password_checks::table.filter(vault_password_checks::user_id.eq(&check.user_id)),
    )
    .execute(conn)?;
    diesel::insert_into(vault_password_checks::table)
        .values(check)
        .execute(conn)?;
    Ok(true)
}

/// Writes `data` as version `expected + 1` only if the stored version is
/// still `expected`; returns whether it did (optimistic concurrency).
pub fn update_if_version(
    conn: &mut AnyConnection,
    user_id: &str,
    expected: i64,
    data: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        vaults::table
            .filter(vaults::user_id.eq(user_id))
            .filter(vaults::version.eq(expected)),
    )
    .set((
        vaults::encrypted_data.eq(data),
        vaults::version.eq(expected + 1),
        vaults::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn password_check(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Option<PasswordCheckRow>, StoreError> {
    Ok(vault_password_checks::table
        .filter(vault_password_checks::user_id.eq(user_id))
        .select(PasswordCheckRow::as_select())
        .first(conn)
        .optional()?)
}
