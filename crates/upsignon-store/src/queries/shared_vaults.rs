use diesel::prelude::*;

use crate::schema::{shared_vault_accounts, shared_vault_members, shared_vaults, users};
use crate::{AnyConnection, StoreError};

/// A vault shared by several users: opaque ciphertext and its version.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = shared_vaults)]
pub struct SharedVaultRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub encrypted_data: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A member: their right and their copy of the vault key (wrapped to them).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = shared_vault_members)]
pub struct MemberRow {
    pub shared_vault_id: String,
    pub user_id: String,
    pub access_level: String,
    pub encrypted_vault_key: String,
    pub created_at: i64,
}

/// URL and login of one account in a shared vault (in clear, by design).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = shared_vault_accounts)]
pub struct AccountRow {
    pub shared_vault_id: String,
    pub account_ref: String,
    pub urls: String,
    pub login: Option<String>,
}

pub fn insert(conn: &mut AnyConnection, vault: &SharedVaultRow) -> Result<(), StoreError> {
    diesel::insert_into(shared_vaults::table)
        .values(vault)
        .execute(conn)?;
    Ok(())
}

/// The shared vault `id` of `tenant_id`.
pub fn find(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<SharedVaultRow>, StoreError> {
    Ok(shared_vaults::table
        .filter(shared_vaults::tenant_id.eq(tenant_id))
        .filter(shared_vaults::id.eq(id))
        .select(SharedVaultRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn member(
    conn: &mut AnyConnection,
    vault_id: &str,
    user_id: &str,
) -> Result<Option<MemberRow>, StoreError> {
    Ok(shared_vault_members::table
        .filter(shared_vault_members::shared_vault_id.eq(vault_id))
        .filter(shared_vault_members::user_id.eq(user_id))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()?)
}

/// Adds `member`, or replaces their key and right when already one.
pub fn put_member(conn: &mut AnyConnection, member: &MemberRow) -> Result<(), StoreError> {
    remove_member(conn, &member.shared_vault_id, &member.user_id)?;
    diesel::insert_into(shared_vault_members::table)
        .values(member)
        .execute(conn)?;
    Ok(())
}

pub fn remove_member(
    conn: &mut AnyConnection,
    vault_id: &str,
    user_id: &str,
) -> Result<(), StoreError> {
    diesel::delete(
        shared_vault_members::table
            .filter(shared_vault_members::shared_vault_id.eq(vault_id))
            .filter(shared_vault_members::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

pub fn set_access(
    conn: &mut AnyConnection,
    vault_id: &str,
    user_id: &str,
    level: &str,
) -> Result<(), StoreError> {
    diesel::update(
        shared_vault_members::table
            .filter(shared_vault_members::shared_vault_id.eq(vault_id))
            .filter(shared_vault_members::user_id.eq(user_id)),
    )
    .set(shared_vault_members::access_level.eq(level))
    .execute(conn)?;
    Ok(())
}

/// Members with their email, oldest first.
pub fn members(
    conn: &mut AnyConnection,
    vault_id: &str,
) -> Result<Vec<(MemberRow, String)>, StoreError> {
    Ok(shared_vault_members::table
        .inner_join(users::table)
        .filter(shared_vault_members::shared_vault_id.eq(vault_id))
        .order(shared_vault_members::created_at.asc())
        .select((MemberRow::as_select(), users::email))
        .load(conn)?)
}

/// The shared vaults `user_id` is a member of, with their membership.
pub fn for_user(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<(SharedVaultRow, MemberRow)>, StoreError> {
    Ok(shared_vaults::table
        .inner_join(shared_vault_members::table)
        .filter(shared_vault_members::user_id.eq(user_id))
        .order(shared_vaults::created_at.asc())
        // A total order, so that transactions locking these vaults one by
        // one (`lock`) take the locks in the same order and never deadlock.
        .then_order_by(shared_vaults::id.asc())
        .select((SharedVaultRow::as_select(), MemberRow::as_select()))
        .load(conn)?)
}

/// Holds the vault's row until the transaction ends, so that membership
/// changes of one vault run one after another: on PostgreSQL the row lock of
/// a no-op update (a second transaction waits, then reads what the first
/// committed); SQLite transactions hold the writer lock already. Call it
/// first in the transaction, before reading the members. False: no such
/// vault in the tenant.
pub fn lock(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> Result<bool, StoreError> {
    let locked = diesel::update(
        shared_vaults::table
            .filter(shared_vaults::tenant_id.eq(tenant_id))
            .filter(shared_vaults::id.eq(id)),
    )
    .set(shared_vaults::version.eq(shared_vaults::version))
    .execute(conn)?;
    Ok(locked == 1)
}

/// Writes `data` as version `expected + 1` only if `expected` is current.
pub fn update_if_version(
    conn: &mut AnyConnection,
    id: &str,
    expected: i64,
    data: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        shared_vaults::table
            .filter(shared_vaults::id.eq(id))
            .filter(shared_vaults::version.eq(expected)),
    )
    .set((
        shared_vaults::encrypted_data.eq(data),
        shared_vaults::version.eq(expected + 1),
        shared_vaults::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn rename(conn: &mut AnyConnection, id: &str, name: &str) -> Result<(), StoreError> {
    diesel::update(shared_vaults::table.filter(shared_vaults::id.eq(id)))
        .set(shared_vaults::name.eq(name))
        .execute(conn)?;
    Ok(())
}

/// Deletes the vault; members, accounts and statistics go with it.
pub fn delete(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    diesel::delete(
        shared_vault_accounts::table.filter(shared_vault_accounts::shared_vault_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        shared_vault_members::table.filter(shared_vault_members::shared_vault_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        crate::schema::password_stats::table
            .filter(crate::schema::password_stats::shared_vault_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(shared_vaults::table.filter(shared_vaults::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Replaces the vault's account list (URL and login per account).
pub fn replace_accounts(
    conn: &mut AnyConnection,
    vault_id: &str,
    accounts: &[AccountRow],
) -> Result<(), StoreError> {
    diesel::delete(
        shared_vault_accounts::table.filter(shared_vault_accounts::shared_vault_id.eq(vault_id)),
    )
    .execute(conn)?;
    for account in accounts {
        diesel::insert_into(shared_vault_accounts::table)
            .values(account)
            .execute(conn)?;
    }
    Ok(())
}

pub fn accounts(conn: &mut AnyConnection, vault_id: &str) -> Result<Vec<AccountRow>, StoreError> {
    Ok(shared_vault_accounts::table
        .filter(shared_vault_accounts::shared_vault_id.eq(vault_id))
        .order(shared_vault_accounts::account_ref.asc())
        .select(AccountRow::as_select())
        .load(conn)?)
}

/// The tenant's shared vaults, by name.
pub fn for_tenant(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<SharedVaultRow>, StoreError> {
    Ok(shared_vaults::table
        .filter(shared_vaults::tenant_id.eq(tenant_id))
        .order(shared_vaults::name.asc())
        .select(SharedVaultRow::as_select())
        .load(conn)?)
}
