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

/// What to look for in the audit log; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// `None`: every tenant and the server-wide entries (super-admins only).
    pub tenant_ids: Option<Vec<String>>,
    pub actor_contains: String,
    pub action: String,
    pub since: Option<i64>,
}

/// Entries matching the filter, newest first, at most `limit`.
pub fn search(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, StoreError> {
    let mut query = audit_events::table.into_boxed();
    if let Some(ids) = &filter.tenant_ids {
        query = query.filter(audit_events::tenant_id.eq_any(ids.clone()));
    }
    if !filter.actor_contains.is_empty() {
        let pattern = format!("%{}%", filter.actor_contains.replace(['%', '_', '\\'], ""));
        query = query.filter(audit_events::actor.like(pattern));
    }
    if !filter.action.is_empty() {
        query = query.filter(audit_events::action.eq(filter.action.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_events::created_at.ge(since));
    }
    Ok(query
        .order(audit_events::created_at.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}
