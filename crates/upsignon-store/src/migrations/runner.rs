use std::time::{SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;

use super::write_lock::locked_transaction;
use super::{LedgerRow, Migration, MigrationState, SchemaStatus, ledger};
use crate::{AnyConnection, StoreError};

/// What `sync` changed: versions reverted (newest first), then applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub reverted: Vec<String>,
    pub applied: Vec<String>,
}

/// Applies every pending migration in one locked transaction: all or none.
/// Refuses while the database holds migrations this binary does not know.
pub(crate) fn apply_pending(
    conn: &mut AnyConnection,
    known: &[Migration],
    server_version: &str,
) -> Result<Vec<String>, StoreError> {
    locked_transaction(conn, |conn| {
        ledger::ensure(conn)?;
        let status = SchemaStatus::compute(known, &ledger::read(conn)?);
        status.check_no_ahead_or_mismatch()?;
        apply(conn, known, &status, server_version)
    })
}

/// Reverts, newest first, every applied migration whose version is above
/// `target` (`0` reverts them all), using the down scripts of the ledger.
pub(crate) fn revert_to(
    conn: &mut AnyConnection,
    target: &str,
    known: &[Migration],
) -> Result<Vec<String>, StoreError> {
    locked_transaction(conn, |conn| {
        let rows = ledger::read(conn)?;
        let target_exists = target == "0"
            || rows.iter().any(|r| r.version == target)
            || known.iter().any(|m| m.version == target);
        if !target_exists {
            return Err(StoreError::UnknownVersion {
                version: target.to_string(),
            });
        }
        let newer: Vec<&LedgerRow> = rows
            .iter()
            .filter(|r| target == "0" || r.version.as_str() > target)
            .collect();
        revert(conn, newer)
    })
}

/// Brings the schema to exactly what this binary knows: reverts migrations
/// applied by a newer binary (from the ledger), then applies pending ones.
pub(crate) fn sync(
    conn: &mut AnyConnection,
    known: &[Migration],
    server_version: &str,
) -> Result<SyncReport, StoreError> {
    locked_transaction(conn, |conn| {
        ledger::ensure(conn)?;
        let rows = ledger::read(conn)?;
        let status = SchemaStatus::compute(known, &rows);
        if let Some(version) = status
            .versions_in(MigrationState::ChecksumMismatch)
            .into_iter()
            .next()
        {
            return Err(StoreError::ChecksumMismatch { version });
        }
        let ahead = status.versions_in(MigrationState::Ahead);
        let reverted = revert(
            conn,
            rows.iter().filter(|r| ahead.contains(&r.version)).collect(),
        )?;
        let status = SchemaStatus::compute(known, &ledger::read(conn)?);
        let applied = apply(conn, known, &status, server_version)?;
        Ok(SyncReport { reverted, applied })
    })
}

fn apply(
    conn: &mut AnyConnection,
    known: &[Migration],
    status: &SchemaStatus,
    server_version: &str,
) -> Result<Vec<String>, StoreError> {
    let pending = status.versions_in(MigrationState::Pending);
    for migration in known.iter().filter(|m| pending.contains(&m.version)) {
        tracing::info!(version = %migration.version, name = %migration.name, "applying migration");
        conn.batch_execute(&migration.up_sql)?;
        ledger::record(conn, migration, server_version, now_ms())?;
    }
    Ok(pending)
}

/// Checks every row first, so an irreversible migration stops the revert
/// before anything changed.
fn revert(conn: &mut AnyConnection, mut rows: Vec<&LedgerRow>) -> Result<Vec<String>, StoreError> {
    rows.sort_by(|a, b| b.version.cmp(&a.version));
    if let Some(row) = rows.iter().find(|r| r.irreversible) {
        return Err(StoreError::Irreversible {
            version: row.version.clone(),
        });
    }
    for row in &rows {
        tracing::info!(version = %row.version, name = %row.name, applied_by = %row.applied_by, "reverting migration");
        conn.batch_execute(&row.down_sql)?;
        ledger::forget(conn, &row.version)?;
    }
    Ok(rows.iter().map(|r| r.version.clone()).collect())
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
