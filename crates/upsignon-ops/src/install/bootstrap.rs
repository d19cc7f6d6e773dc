//! The first tenant and the first admin, with a one-time sign-in code that
//! is printed once and stored only as a hash. Re-running keeps what exists.

use sha2::{Digest, Sha256};
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

/// 128 random bits, as eight groups of four hex digits.
fn new_sign_in_code() -> Result<String, InstallError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| InstallError::Random(e.to_string()))?;
    let hex = hex::encode(bytes);
    Ok(hex
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-"))
}

/// What is stored of a code: SHA-256 of its digits, dashes and case ignored.
pub fn hash_sign_in_code(code: &str) -> String {
    let digits: String = code
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(digits.as_bytes()))
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_random_and_hash_without_their_dashes() {
        let code = new_sign_in_code().unwrap();
        assert_eq!(code.len(), 39, "{code}");
        assert_ne!(code, new_sign_in_code().unwrap());
        assert_eq!(
            hash_sign_in_code(&code),
            hash_sign_in_code(&code.replace('-', "").to_uppercase())
        );
    }
}
