//! Who is asking: the signed-in admin of the request's cookie, and which
//! tenants they may see. Every page starts here; a tenant in a URL or a
//! form is always checked against the admin's grants.

use actix_web::{HttpRequest, web};
use upsignon_store::AnyConnection;
use upsignon_store::queries::admins::{self, AdminRow};
use upsignon_store::queries::tenants::{self, TenantRow};

use crate::error::ConsoleError;
use crate::{Console, csrf, session};

pub const SUPER_ADMIN: &str = "super_admin";
pub const TENANT_ADMIN: &str = "tenant_admin";

/// A signed-in admin, for the length of one request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub admin: AdminRow,
    pub token_hash: String,
    /// The token this admin's forms carry.
    pub csrf: String,
    /// Tenants granted to a tenant admin (super-admins see all).
    pub tenant_ids: Vec<String>,
    pub ip: Option<String>,
}

impl SignedIn {
    pub fn is_super(&self) -> bool {
        self.admin.role == SUPER_ADMIN
    }

    pub fn may_manage(&self, tenant_id: &str) -> bool {
        self.is_super() || self.tenant_ids.iter().any(|t| t == tenant_id)
    }

    pub fn require_super(&self) -> Result<(), ConsoleError> {
        if self.is_super() {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden)
        }
    }

    /// The tenant of `slug`, if this admin manages it. A tenant admin gets
    /// the same refusal whether the tenant exists or not.
    pub fn tenant(&self, conn: &mut AnyConnection, slug: &str) -> Result<TenantRow, ConsoleError> {
        match tenants::find_by_slug(conn, slug)? {
            Some(tenant) if self.may_manage(&tenant.id) => Ok(tenant),
            None if self.is_super() => Err(ConsoleError::NotFound),
            _ => Err(ConsoleError::Forbidden),
        }
    }
}

/// Checks a posted form of a signed-in page: sent from this site, with the
/// token bound to the request's session cookie. Runs before anything else.
pub fn check_form(req: &HttpRequest, given: &str) -> Result<(), ConsoleError> {
    csrf::check_origin(req)?;
    let token = session::token(req).ok_or(ConsoleError::NotSignedIn)?;
    csrf::check(&csrf::for_session(&token), given)
}

/// The client address, as the API logs it (trusted proxies honoured).
pub fn client_ip(req: &HttpRequest, console: &Console) -> Option<String> {
    upsignon_api::request_client_ip(req, &console.trusted_proxies).map(|ip| ip.to_string())
}

/// Runs `work` off the async workers with one database connection.
pub async fn run<T: Send + 'static>(
    console: &web::Data<Console>,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    let store = console.store.clone();
    web::block(move || {
        let mut conn = store.connection()?;
        work(&mut conn)
    })
    .await
    .map_err(|e| ConsoleError::Internal(e.to_string()))?
}

/// Runs `work` with the signed-in admin of the request: the start of every
/// console page after sign-in. Refuses admins whose second factor is not
/// enrolled yet (they are sent to enrol it).
pub async fn signed_in<T: Send + 'static>(
    req: &HttpRequest,
    console: &web::Data<Console>,
    work: impl FnOnce(&mut AnyConnection, SignedIn) -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    with_admin(req, console, true, work).await
}

/// As [`signed_in`], for the second-factor enrolment page itself.
pub async fn signed_in_for_setup<T: Send + 'static>(
    req: &HttpRequest,
    console: &web::Data<Console>,
    work: impl FnOnce(&mut AnyConnection, SignedIn) -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    with_admin(req, console, false, work).await
}

async fn with_admin<T: Send + 'static>(
    req: &HttpRequest,
    console: &web::Data<Console>,
    require_totp: bool,
    work: impl FnOnce(&mut AnyConnection, SignedIn) -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    let token = session::token(req).ok_or(ConsoleError::NotSignedIn)?;
    let ip = client_ip(req, console);
    run(console, move |conn| {
        let admin = load(conn, &token, ip)?;
        if require_totp && !totp_enrolled(&admin.admin) {
            return Err(ConsoleError::NeedsTotp);
        }
        work(conn, admin)
    })
    .await
}

pub fn totp_enrolled(admin: &AdminRow) -> bool {
    admin.totp_secret.is_some() && admin.totp_last_step.is_some()
}

fn load(
    conn: &mut AnyConnection,
    token: &str,
    ip: Option<String>,
) -> Result<SignedIn, ConsoleError> {
    let row = session::current(conn, token)?.ok_or(ConsoleError::NotSignedIn)?;
    let admin = admins::find(conn, &row.admin_id)?.ok_or(ConsoleError::NotSignedIn)?;
    let tenant_ids = admins::tenant_ids(conn, &admin.id)?;
    Ok(SignedIn {
        admin,
        token_hash: row.token_hash,
        csrf: csrf::for_session(token),
        tenant_ids,
        ip,
    })
}
