use diesel::prelude::*;

use crate::schema::{device_challenges, device_codes, devices};
use crate::{AnyConnection, StoreError};

/// A device of a user, with its public key and authorisation status.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = devices)]
pub struct DeviceRow {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub device_uid: String,
    pub name: String,
    pub device_type: Option<String>,
    pub os_family: String,
    pub os_version: Option<String>,
    pub app_version: Option<String>,
    pub public_key: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub authorized_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_seen_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = device_codes)]
pub struct DeviceCodeRow {
    pub device_id: String,
    pub code_hash: String,
    pub expires_at: i64,
    pub failed_attempts: i32,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = device_challenges)]
pub struct ChallengeRow {
    pub id: String,
    pub device_id: String,
    pub challenge: String,
    pub expires_at: i64,
    pub created_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &DeviceRow) -> Result<(), StoreError> {
    diesel::insert_into(devices::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The device `device_uid` of `user_id`.
pub fn find_by_uid(
    conn: &mut AnyConnection,
    user_id: &str,
    device_uid: &str,
) -> Result<Option<DeviceRow>, StoreError> {
    Ok(devices::table
        .filter(devices::user_id.eq(user_id))
        .filter(devices::device_uid.eq(device_uid))
        .select(DeviceRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut AnyConnection, device_id: &str) -> Result<Option<DeviceRow>, StoreError> {
    Ok(devices::table
        .filter(devices::id.eq(device_id))
        .select(DeviceRow::as_select())
        .first(conn)
        .optional()?)
}

/// Moves the device from status `from` to `to`; false when it is no longer
/// in `from` (revoked, or moved on by a concurrent request, meanwhile).
pub fn advance_status(
    conn: &mut AnyConnection,
    device_id: &str,
    from: &str,
    to: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let authorized = (to == "AUTHORIZED").then_some(now);
    let changed = diesel::update(
        devices::table
            .filter(devices::id.eq(device_id))
            .filter(devices::status.eq(from)),
    )
    .set((
        devices::status.eq(to),
        devices::authorized_at.eq(authorized),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Replaces the device's pending code (one per device).
pub fn put_code(conn: &mut AnyConnection, row: &DeviceCodeRow) -> Result<(), StoreError> {
    delete_code(conn, &row.device_id)?;
    diesel::insert_into(device_codes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn code(
    conn: &mut AnyConnection,
    device_id: &str,
) -> Result<Option<DeviceCodeRow>, StoreError> {
    Ok(device_codes::table
        .filter(device_codes::device_id.eq(device_id))
        .select(DeviceCodeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Counts an attempt at the device's code before it is judged: false when
/// `max_attempts` are used up (or there is no code). One conditional update,
/// so a burst of guesses gets no more attempts than one after another.
pub fn claim_code_attempt(
    conn: &mut AnyConnection,
    device_id: &str,
    max_attempts: i32,
) -> Result<bool, StoreError> {
    let counted = diesel::update(
        device_codes::table
            .filter(device_codes::device_id.eq(device_id))
            .filter(device_codes::failed_attempts.lt(max_attempts)),
    )
    .set(device_codes::failed_attempts.eq(device_codes::failed_attempts + 1))
    .execute(conn)?;
    Ok(counted == 1)
}

pub fn delete_code(conn: &mut AnyConnection, device_id: &str) -> Result<(), StoreError> {
    diesel::delete(device_codes::table.filter(device_codes::device_id.eq(device_id)))
        .execute(conn)?;
    Ok(())
}

pub fn insert_challenge(conn: &mut AnyConnection, row: &ChallengeRow) -> Result<(), StoreError> {
    diesel::insert_into(device_challenges::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Removes and returns the device's challenges still valid at `now` that
/// this call deleted, and deletes expired ones: a challenge is used at most
/// once, also by requests sent at the same instant (each challenge counts
/// only for the caller whose DELETE removed its row; a concurrent caller that
/// read the same row gets nothing for it).
pub fn take_challenges(
    conn: &mut AnyConnection,
    device_id: &str,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let valid: Vec<(String, String)> = device_challenges::table
        .filter(device_challenges::device_id.eq(device_id))
        .filter(device_challenges::expires_at.gt(now))
        .select((device_challenges::id, device_challenges::challenge))
        .load(conn)?;
    let mut taken = Vec::with_capacity(valid.len());
    for (id, challenge) in valid {
        let deleted =
            diesel::delete(device_challenges::table.filter(device_challenges::id.eq(&id)))
                .execute(conn)?;
        if deleted == 1 {
            taken.push(challenge);
        }
    }
    diesel::delete(
        device_challenges::table
            .filter(device_challenges::device_id.eq(device_id))
            .filter(device_challenges::expires_at.le(now)),
    )
    .execute(conn)?;
    Ok(taken)
}

/// The user's devices, oldest first.
pub fn for_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<DeviceRow>, StoreError> {
    Ok(devices::table
        .filter(devices::user_id.eq(user_id))
        .order(devices::created_at.asc())
        .select(DeviceRow::as_select())
        .load(conn)?)
}

/// Renames the user's device `device_uid`; returns whether it exists.
pub fn rename(
    conn: &mut AnyConnection,
    user_id: &str,
    device_uid: &str,
    name: &str,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        devices::table
            .filter(devices::user_id.eq(user_id))
            .filter(devices::device_uid.eq(device_uid)),
    )
    .set(devices::name.eq(name))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Marks the device revoked, forgets its key and ends what it holds:
/// pending code, password backup, challenges, sessions.
pub fn revoke(
    conn: &mut AnyConnection,
    device_id: &str,
    status: &str,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(devices::table.filter(devices::id.eq(device_id)))
        .set((
            devices::status.eq(status),
            devices::revoked_at.eq(Some(now)),
            devices::public_key.eq(None::<String>),
        ))
        .execute(conn)?;
    delete_code(conn, device_id)?;
    diesel::delete(
        crate::schema::password_backups::table
            .filter(crate::schema::password_backups::device_id.eq(device_id)),
    )
    .execute(conn)?;
    diesel::delete(device_challenges::table.filter(device_challenges::device_id.eq(device_id)))
        .execute(conn)?;
    crate::queries::sessions::delete_for_device(conn, device_id)
}

pub fn touch(conn: &mut AnyConnection, device_id: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(devices::table.filter(devices::id.eq(device_id)))
        .set(devices::last_seen_at.eq(Some(now)))
        .execute(conn)?;
    Ok(())
}

/// Sets the fields given; the others keep their value.
pub fn update_metadata(
    conn: &mut AnyConnection,
    device_id: &str,
    name: Option<&str>,
    os_version: Option<&str>,
    app_version: Option<&str>,
) -> Result<(), StoreError> {
    let target = devices::table.filter(devices::id.eq(device_id));
    if let Some(name) = name {
        diesel::update(target)
            .set(devices::name.eq(name.trim()))
            .execute(conn)?;
    }
    if let Some(os) = os_version {
        diesel::update(target)
            .set(devices::os_version.eq(Some(os)))
            .execute(conn)?;
    }
    if let Some(app) = app_version {
        diesel::update(target)
            .set(devices::app_version.eq(Some(app)))
            .execute(conn)?;
    }
    Ok(())
}

/// The tenant's devices waiting for an emailed code or an admin, oldest
/// first, with their user's email.
pub fn waiting_for_tenant(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<(DeviceRow, String)>, StoreError> {
    use crate::schema::users;
    Ok(devices::table
        .inner_join(users::table)
        .filter(devices::tenant_id.eq(tenant_id))
        .filter(devices::status.eq_any(["PENDING", "PENDING_ADMIN_APPROVAL"]))
        .order(devices::created_at.asc())
        .select((DeviceRow::as_select(), users::email))
        .load(conn)?)
}

/// The device `device_id` if it belongs to `tenant_id`.
pub fn find_in_tenant(
    conn: &mut AnyConnection,
    tenant_id: &str,
    device_id: &str,
) -> Result<Option<DeviceRow>, StoreError> {
    Ok(devices::table
        .filter(devices::tenant_id.eq(tenant_id))
        .filter(devices::id.eq(device_id))
        .select(DeviceRow::as_select())
        .first(conn)
        .optional()?)
}

/// Authorises the device if its status is still `from`; false otherwise.
pub fn authorize_if_status(
    conn: &mut AnyConnection,
    device_id: &str,
    from: &str,
    now: i64,
) -> Result<bool, StoreError> {
    advance_status(conn, device_id, from, "AUTHORIZED", now)
}
