//! The audit entries of admin actions: who (the admin's email), what, on
//! which target, for which tenant, when and from which address. Written in
//! the same transaction as the action; the console can only read them.

use upsignon_store::AnyConnection;
use upsignon_store::queries::audit::{self, AuditRow};

use crate::error::ConsoleError;
use crate::guard::SignedIn;
use crate::session::now_ms;

/// Records an action by the signed-in admin.
pub fn record(
    conn: &mut AnyConnection,
    admin: &SignedIn,
    tenant_id: Option<&str>,
    action: &str,
    target: Option<&str>,
    details: Option<String>,
) -> Result<(), ConsoleError> {
    record_as(
        conn,
        &admin.admin.email,
        admin.ip.clone(),
        tenant_id,
        action,
        target,
        details,
    )
}

/// Records an action by an admin who is not signed in yet (sign-in itself).
pub fn record_as(
    conn: &mut AnyConnection,
    email: &str,
    ip: Option<String>,
    tenant_id: Option<&str>,
    action: &str,
    target: Option<&str>,
    details: Option<String>,
) -> Result<(), ConsoleError> {
    audit::insert(
        conn,
        &AuditRow {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant_id.map(str::to_string),
            actor_kind: "admin".to_string(),
            actor: email.to_string(),
            action: action.to_string(),
            target: target.map(str::to_string),
            ip,
            details,
            created_at: now_ms(),
        },
    )?;
    Ok(())
}
