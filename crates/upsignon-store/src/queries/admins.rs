use diesel::prelude::*;

use crate::schema::{admin_sign_in_codes, admin_tenants, admins, tenants};
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
    pub failed_sign_ins: i32,
    pub locked_until: Option<i64>,
    pub totp_last_step: Option<i64>,
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
    consume_code(conn, None, code_hash, now_ms)
}

/// As [`consume_sign_in_code`], only for a code of `admin_id` (a code typed
/// with another admin's email is left unused).
pub fn consume_sign_in_code_of(
    conn: &mut AnyConnection,
    admin_id: &str,
    code_hash: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    Ok(consume_code(conn, Some(admin_id), code_hash, now_ms)?.is_some())
}

fn consume_code(
    conn: &mut AnyConnection,
    admin_id: Option<&str>,
    code_hash: &str,
    now_ms: i64,
) -> Result<Option<String>, StoreError> {
    let mut query = admin_sign_in_codes::table.into_boxed();
    if let Some(admin_id) = admin_id {
        query = query.filter(admin_sign_in_codes::admin_id.eq(admin_id.to_string()));
    }
    let row: Option<SignInCodeRow> = query
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

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<AdminRow>, StoreError> {
    Ok(admins::table
        .filter(admins::id.eq(id))
        .select(AdminRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every admin, by email.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<AdminRow>, StoreError> {
    Ok(admins::table
        .order(admins::email.asc())
        .select(AdminRow::as_select())
        .load(conn)?)
}

/// The ids of the tenants the admin manages.
pub fn tenant_ids(conn: &mut AnyConnection, admin_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(admin_tenants::table
        .filter(admin_tenants::admin_id.eq(admin_id))
        .select(admin_tenants::tenant_id)
        .load(conn)?)
}

/// The admins of one tenant (tenant admins granted it, and super-admins).
pub fn for_tenant(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<AdminRow>, StoreError> {
    let granted = admin_tenants::table
        .filter(admin_tenants::tenant_id.eq(tenant_id))
        .select(admin_tenants::admin_id);
    Ok(admins::table
        .filter(
            admins::id
                .eq_any(granted)
                .or(admins::role.eq("super_admin")),
        )
        .order(admins::email.asc())
        .select(AdminRow::as_select())
        .load(conn)?)
}

/// The slugs of the tenants the admin was granted, for display.
pub fn tenant_slugs(conn: &mut AnyConnection, admin_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(admin_tenants::table
        .inner_join(tenants::table)
        .filter(admin_tenants::admin_id.eq(admin_id))
        .order(tenants::slug.asc())
        .select(tenants::slug)
        .load(conn)?)
}

pub fn set_password_hash(
    conn: &mut AnyConnection,
    admin_id: &str,
    hash: &str,
) -> Result<(), StoreError> {
    diesel::update(admins::table.filter(admins::id.eq(admin_id)))
        .set(admins::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// Stores the (sealed) TOTP secret and the step of the code that proved it.
pub fn set_totp(
    conn: &mut AnyConnection,
    admin_id: &str,
    sealed_secret: &str,
    step: i64,
) -> Result<(), StoreError> {
    diesel::update(admins::table.filter(admins::id.eq(admin_id)))
        .set((
            admins::totp_secret.eq(sealed_secret),
            admins::totp_last_step.eq(step),
        ))
        .execute(conn)?;
    Ok(())
}

/// What counting a sign-in attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted; the attempt may be checked.
    Counted,
    /// Counted, and it used the last one: the account is locked now (a
    /// correct attempt still signs in, and that lifts the lock).
    Last,
    /// The account is locked: the attempt must not be checked.
    Locked,
}

/// Counts a sign-in attempt before it is checked, unless the admin is locked
/// at `now`; the attempt that reaches `max_failures` locks until
/// `lock_until` and restarts the count (a success forgets it:
/// [`record_sign_in`]). Call it in a transaction: the conditional update
/// holds the row until commit, so concurrent attempts are counted one by one
/// and none is checked once another locked the account.
pub fn claim_sign_in_attempt(
    conn: &mut AnyConnection,
    admin_id: &str,
    now: i64,
    max_failures: i32,
    lock_until: i64,
) -> Result<Attempt, StoreError> {
    let counted = diesel::update(
        admins::table.filter(admins::id.eq(admin_id)).filter(
            admins::locked_until
                .is_null()
                .or(admins::locked_until.assume_not_null().le(now)),
        ),
    )
    .set(admins::failed_sign_ins.eq(admins::failed_sign_ins + 1))
    .execute(conn)?;
    if counted == 0 {
        return Ok(Attempt::Locked);
    }
    let failures: i32 = admins::table
        .filter(admins::id.eq(admin_id))
        .select(admins::failed_sign_ins)
        .first(conn)?;
    if failures < max_failures {
        return Ok(Attempt::Counted);
    }
    diesel::update(admins::table.filter(admins::id.eq(admin_id)))
        .set((
            admins::locked_until.eq(lock_until),
            admins::failed_sign_ins.eq(0),
        ))
        .execute(conn)?;
    Ok(Attempt::Last)
}

/// Uses up a TOTP time step: false when this step or a later one was used
/// already (a concurrent sign-in with the same code got there first).
pub fn use_totp_step(
    conn: &mut AnyConnection,
    admin_id: &str,
    step: i64,
) -> Result<bool, StoreError> {
    let used = diesel::update(
        admins::table
            .filter(admins::id.eq(admin_id))
            .filter(admins::totp_last_step.lt(step)),
    )
    .set(admins::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(used == 1)
}

/// A successful sign-in: failures forgotten.
pub fn record_sign_in(
    conn: &mut AnyConnection,
    admin_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(admins::table.filter(admins::id.eq(admin_id)))
        .set((
            admins::failed_sign_ins.eq(0),
            admins::locked_until.eq(None::<i64>),
            admins::last_sign_in_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes an admin; their sessions, codes and grants go with them.
pub fn delete(conn: &mut AnyConnection, admin_id: &str) -> Result<(), StoreError> {
    diesel::delete(admin_tenants::table.filter(admin_tenants::admin_id.eq(admin_id)))
        .execute(conn)?;
    diesel::delete(admins::table.filter(admins::id.eq(admin_id))).execute(conn)?;
    Ok(())
}

/// Starts (or restarts) second-factor enrolment with a new sealed secret:
/// it counts as enrolled only once a code made from it is accepted.
pub fn start_second_factor(
    conn: &mut AnyConnection,
    admin_id: &str,
    sealed_secret: &str,
) -> Result<(), StoreError> {
    diesel::update(admins::table.filter(admins::id.eq(admin_id)))
        .set((
            admins::totp_secret.eq(sealed_secret),
            admins::totp_last_step.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lifts a lockout and forgets failed sign-ins.
pub fn unlock(conn: &mut AnyConnection, admin_id: &str) -> Result<(), StoreError> {
    diesel::update(admins::table.filter(admins::id.eq(admin_id)))
        .set((
            admins::failed_sign_ins.eq(0),
            admins::locked_until.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}
