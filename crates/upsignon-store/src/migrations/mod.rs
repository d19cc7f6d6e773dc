//! Versioned migrations and the schema ledger.
//!
//! Each applied migration leaves a row in `upsignon_schema_ledger` with its
//! checksum and its full down script. That is what lets an older binary
//! revert a schema that a newer binary moved ahead: the database itself knows
//! how to undo it.

mod ledger;
mod runner;
mod status;
mod write_lock;

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{Backend, StoreError};

pub use ledger::LedgerRow;
pub(crate) use ledger::read as ledger_rows;
pub use runner::SyncReport;
pub(crate) use runner::{apply_pending, revert_to, sync};
pub use status::{MigrationState, MigrationStatus, SchemaStatus};

/// The first line of a down script that cannot undo its up without losing data.
pub const IRREVERSIBLE_MARKER: &str = "-- upsignon:irreversible";

/// One schema change, with the script that undoes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Sortable, the same on both backends, for example `0001`.
    pub version: String,
    pub name: String,
    pub up_sql: String,
    pub down_sql: String,
}

impl Migration {
    /// Builds a migration from its folder name `VERSION_NAME`.
    pub fn from_parts(dir_name: &str, up_sql: &str, down_sql: &str) -> Self {
        let (version, name) = dir_name.split_once('_').unwrap_or((dir_name, ""));
        Self {
            version: version.to_string(),
            name: name.to_string(),
            up_sql: up_sql.to_string(),
            down_sql: down_sql.to_string(),
        }
    }

    /// SHA-256 of the up script: a released migration must never change.
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.up_sql.as_bytes()))
    }

    pub fn is_irreversible(&self) -> bool {
        is_irreversible(&self.down_sql)
    }
}

pub(crate) fn is_irreversible(down_sql: &str) -> bool {
    down_sql.lines().map(str::trim).find(|l| !l.is_empty()) == Some(IRREVERSIBLE_MARKER)
}

struct EmbeddedMigration {
    dir: &'static str,
    up: &'static str,
    down: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/embedded_migrations.rs"));

/// The migrations compiled into this binary for `backend`, oldest first.
pub fn embedded(backend: Backend) -> Vec<Migration> {
    let set = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    set.iter()
        .map(|m| Migration::from_parts(m.dir, m.up, m.down))
        .collect()
}

/// Reads `VERSION_NAME/{up,down}.sql` folders from `dir`, oldest first. Used
/// by tests to stand in for the migrations of another release.
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>, StoreError> {
    let fail = |reason: String| StoreError::MigrationFiles {
        path: dir.display().to_string(),
        reason,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| fail(e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    entries
        .iter()
        .map(|path| {
            let read = |file: &str| {
                std::fs::read_to_string(path.join(file)).map_err(|e| fail(format!("{file}: {e}")))
            };
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            Ok(Migration::from_parts(
                name,
                &read("up.sql")?,
                &read("down.sql")?,
            ))
        })
        .collect()
}

/// The newest migration recorded in the ledger (`0` when none is).
pub fn applied_head(conn: &mut crate::AnyConnection) -> Result<String, StoreError> {
    Ok(ledger::read(conn)?
        .into_iter()
        .map(|row| row.version)
        .max()
        .unwrap_or_else(|| "0".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_embed_the_same_versions() {
        let versions = |b| {
            embedded(b)
                .into_iter()
                .map(|m| m.version)
                .collect::<Vec<_>>()
        };
        assert!(!versions(Backend::Sqlite).is_empty());
        assert_eq!(versions(Backend::Sqlite), versions(Backend::Postgres));
    }

    #[test]
    fn the_irreversible_marker_is_read_from_the_first_line() {
        assert!(is_irreversible("\n-- upsignon:irreversible\nSELECT 1;"));
        assert!(!is_irreversible("DROP TABLE x;\n-- upsignon:irreversible"));
    }
}
