//! The first tenant and the first admin, with a one-time sign-in code that
//! is printed once and stored only as a hash. Re-running keeps what exists.

use upsignon_domain::{Email, TenantSlug};
use upsignon_store::queries::admins::{self, AdminRow, SignInCodeRow};
use upsignon_store::queries::tenants::{self, TenantRow};
use upsignon_store::{AnyConnection, Store, StoreError};

use super::InstallError;

/// How long a printed sign-in code stays valid.
pub const SIGN_IN_CODE_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrapped {
    pub tenant_slug: String,
    pub tenant_created: bool,
    pub admin: Option<AdminOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new admin, with the code to print once.
    Created { email: String, code: String },
    /// The admin existed; nothing was changed.
    Kept { email: String },
}

pub fn ensure_tenant_and_admin(
    store: &Store,
    slug: &TenantSlug,
    name: &str,
    admin_email: Option<&Email>,
) -> Result<Bootstrapped, InstallError> {
    let code = new_sign_in_code()?;
    let now = now_ms();
    let outcome = store.transaction(|conn| {
        let (tenant, tenant_created) = ensure_tenant(conn, slug, name, now)?;
        let admin = match admin_email {
            Some(email) => Some(ensure_admin(conn, email, &tenant, &code, now)?),
            None => None,
        };
        Ok::<_, StoreError>(Bootstrapped {
            tenant_slug: tenant.slug,
            tenant_created,
            admin,
        })
    })?;
    Ok(outcome)
}

fn ensure_tenant(
    conn: &mut AnyConnection,
    slug: &TenantSlug,
    name: &str,
    now: i64,
) -> Result<(TenantRow, bool), StoreError> {
    if let Some(existing) = tenants::find_by_slug(conn, slug.as_str())? {
        return Ok((existing, false));
    }
    let row = TenantRow {
        id: uuid::Uuid::new_v4().to_string(),
        slug: slug.as_str().to_string(),
        name: name.to_string(),
        settings: "{}".to_string(),
        stopped: false,
        new_url: None,
        created_at: now,
    };
    tenants::insert(conn, &row)?;
    Ok((row, true))
}

fn ensure_admin(
    conn: &mut AnyConnection,
    email: &Email,
    tenant: &TenantRow,
    code: &str,
    now: i64,
) -> Result<AdminOutcome, StoreError> {
    if let Some(existing) = admins::find_by_email(conn, email.as_str())? {
        admins::grant_tenant(conn, &existing.id, &tenant.id)?;
        return Ok(AdminOutcome::Kept {
            email: existing.email,
        });
    }
    let admin = AdminRow {
        id: uuid::Uuid::new_v4().to_string(),
        email: email.as_str().to_string(),
        password_hash: None,
        totp_secret: None,
        role: "super_admin".to_string(),
        created_at: now,
        last_sign_in_at: None,
        failed_sign_ins: 0,
        locked_until: None,
        totp_last_step: None,
    };
    admins::insert(conn, &admin)?;
    admins::grant_tenant(conn, &admin.id, &tenant.id)?;
    admins::insert_sign_in_code(
        conn,
        &SignInCodeRow {
            id: uuid::Uuid::new_v4().to_string(),
            admin_id: admin.id.clone(),
            code_hash: hash_sign_in_code(code),
            expires_at: now + SIGN_IN_CODE_LIFETIME_MS,
            used_at: None,
            created_at: now,
        },
    )?;
    Ok(AdminOutcome::Created {
        email: admin.email,
        code: code.to_string(),
    })
}

fn new_sign_in_code() -> Result<String, InstallError> {
    upsignon_console::one_time_code::new().map_err(InstallError::Random)
}

/// What is stored of a code (see [`upsignon_console::one_time_code::hash`]).
pub fn hash_sign_in_code(code: &str) -> String {
    upsignon_console::one_time_code::hash(code)
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
