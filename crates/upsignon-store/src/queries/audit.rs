use diesel::prelude::*;

use crate::schema::audit_events;
use crate::{AnyConnection, StoreError};

/// One entry of a tenant's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: String,
    pub tenant_id: Option<String>,
    /// `user`, `admin` or `system`.
    pub actor_kind: String,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub details: Option<String>,
    pub created_at: i64,
}

pub fn insert(conn: &mut AnyConnection, row: &AuditRow) -> Result<(), StoreError> {
    diesel::insert_into(audit_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The tenant's newest entries first.
pub fn for_tenant(
    conn: &mut AnyConnection,
    tenant_id: &str,
    limit: i64,
) -> Result<Vec<AuditRow>, StoreError> {
    Ok(audit_events::table
        .filter(audit_events::tenant_id.eq(tenant_id))
        .order(audit_events::created_at.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}
