//! `upsignon admin`: what a sysadmin does for console admins from a shell,
//! for when no super-admin can sign in (a lost phone, a lost secrets key):
//! list them, and give one a new one-time code to set a new password and
//! second factor at `/console/setup`.

use upsignon_store::Store;
use upsignon_store::queries::admins::{self, SignInCodeRow};

use crate::OpsError;

/// How long a code from `admin reset` stays valid.
pub const RESET_CODE_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// One line of `upsignon admin list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminLine {
    pub email: String,
    pub role: String,
    pub tenants: Vec<String>,
    pub second_factor: bool,
    pub locked: bool,
}

pub fn list(store: &Store) -> Result<Vec<AdminLine>, OpsError> {
    let now = now_ms();
    let mut conn = store.connection()?;
    let mut lines = Vec::new();
    for admin in admins::list(&mut conn)? {
        lines.push(AdminLine {
            tenants: admins::tenant_slugs(&mut conn, &admin.id)?,
            second_factor: admin.totp_last_step.is_some() && admin.totp_secret.is_some(),
            locked: admin.locked_until.is_some_and(|t| t > now),
            email: admin.email,
            role: admin.role,
        });
    }
    Ok(lines)
}

/// A new one-time code for the admin `email`; their lockout is lifted. Their
/// password and second factor keep working until the code is used.
pub fn reset_sign_in(store: &Store, email: &str) -> Result<String, OpsError> {
    let code = upsignon_console::one_time_code::new().map_err(OpsError::Server)?;
    let now = now_ms();
    store.transaction_with(|conn| {
        let admin =
            admins::find_by_email(conn, email.trim())?.ok_or_else(|| OpsError::UnknownAdmin {
                email: email.to_string(),
            })?;
        admins::insert_sign_in_code(
            conn,
            &SignInCodeRow {
                id: uuid::Uuid::new_v4().to_string(),
                admin_id: admin.id.clone(),
                code_hash: upsignon_console::one_time_code::hash(&code),
                expires_at: now + RESET_CODE_LIFETIME_MS,
                used_at: None,
                created_at: now,
            },
        )?;
        admins::unlock(conn, &admin.id)?;
        Ok::<_, OpsError>(())
    })?;
    Ok(code)
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
