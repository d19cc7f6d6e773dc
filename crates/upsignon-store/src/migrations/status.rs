use std::collections::BTreeMap;

use super::{LedgerRow, Migration};
use crate::StoreError;

/// Where one migration stands, comparing this binary with the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Known to this binary and applied, with the same checksum.
    Applied,
    /// Known to this binary, not applied yet.
    Pending,
    /// Applied by a newer binary: unknown here, revertible from the ledger.
    Ahead,
    /// Applied, but the embedded up script differs from what was applied.
    ChecksumMismatch,
}

impl MigrationState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Pending => "pending",
            Self::Ahead => "ahead",
            Self::ChecksumMismatch => "checksum-mismatch",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub version: String,
    pub name: String,
    pub state: MigrationState,
    pub applied_by: Option<String>,
    pub applied_at_ms: Option<i64>,
    pub irreversible: bool,
}

/// Every migration known to the binary or to the database, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    pub migrations: Vec<MigrationStatus>,
}

impl SchemaStatus {
    pub fn compute(known: &[Migration], ledger: &[LedgerRow]) -> Self {
        let mut by_version: BTreeMap<&str, MigrationStatus> = BTreeMap::new();
        for m in known {
            by_version.insert(
                &m.version,
                MigrationStatus {
                    version: m.version.clone(),
                    name: m.name.clone(),
                    state: MigrationState::Pending,
                    applied_by: None,
                    applied_at_ms: None,
                    irreversible: m.is_irreversible(),
                },
            );
        }
        for row in ledger {
            let state = match known.iter().find(|m| m.version == row.version) {
                Some(m) if m.checksum() == row.checksum => MigrationState::Applied,
                Some(_) => MigrationState::ChecksumMismatch,
                None => MigrationState::Ahead,
            };
            by_version.insert(
                &row.version,
                MigrationStatus {
                    version: row.version.clone(),
                    name: row.name.clone(),
                    state,
                    applied_by: Some(row.applied_by.clone()),
                    applied_at_ms: Some(row.applied_at),
                    irreversible: row.irreversible,
                },
            );
        }
        Self {
            migrations: by_version.into_values().collect(),
        }
    }

    pub fn versions_in(&self, state: MigrationState) -> Vec<String> {
        self.migrations
            .iter()
            .filter(|m| m.state == state)
            .map(|m| m.version.clone())
            .collect()
    }

    /// The newest migration present in the database, if any.
    pub fn head(&self) -> Option<&str> {
        self.migrations
            .iter()
            .rev()
            .find(|m| m.state != MigrationState::Pending)
            .map(|m| m.version.as_str())
    }

    /// Whether the server may run on this schema: nothing ahead, nothing
    /// edited, nothing pending.
    pub fn check_servable(&self) -> Result<(), StoreError> {
        self.check_no_ahead_or_mismatch()?;
        let pending = self.versions_in(MigrationState::Pending);
        if !pending.is_empty() {
            return Err(StoreError::PendingMigrations { versions: pending });
        }
        Ok(())
    }

    pub(crate) fn check_no_ahead_or_mismatch(&self) -> Result<(), StoreError> {
        if let Some(version) = self
            .versions_in(MigrationState::ChecksumMismatch)
            .into_iter()
            .next()
        {
            return Err(StoreError::ChecksumMismatch { version });
        }
        let ahead = self.versions_in(MigrationState::Ahead);
        if !ahead.is_empty() {
            return Err(StoreError::SchemaAhead { versions: ahead });
        }
        Ok(())
    }

    pub fn is_in_sync(&self) -> bool {
        self.migrations
            .iter()
            .all(|m| m.state == MigrationState::Applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(version: &str) -> Migration {
        Migration::from_parts(
            &format!("{version}_m"),
            &format!("CREATE TABLE t{version} (x INT);"),
            "DROP TABLE x;",
        )
    }

    fn applied(m: &Migration) -> LedgerRow {
        LedgerRow {
            version: m.version.clone(),
            name: m.name.clone(),
            checksum: m.checksum(),
            down_sql: m.down_sql.clone(),
            irreversible: false,
            applied_by: "0.1.0".into(),
            applied_at: 1,
        }
    }

    #[test]
    fn classifies_applied_pending_ahead_and_edited() {
        let (one, two, three) = (migration("0001"), migration("0002"), migration("0003"));
        let mut edited = applied(&two);
        edited.checksum = "other".into();
        let status = SchemaStatus::compute(
            &[one.clone(), two],
            &[applied(&one), edited, applied(&three)],
        );
        let states: Vec<_> = status
            .migrations
            .iter()
            .map(|m| (m.version.as_str(), m.state))
            .collect();
        assert_eq!(
            states,
            [
                ("0001", MigrationState::Applied),
                ("0002", MigrationState::ChecksumMismatch),
                ("0003", MigrationState::Ahead)
            ]
        );
        assert_eq!(status.head(), Some("0003"));
        assert!(matches!(
            status.check_servable(),
            Err(StoreError::ChecksumMismatch { .. })
        ));
    }

    #[test]
    fn a_fresh_database_is_all_pending_and_not_servable() {
        let status = SchemaStatus::compute(&[migration("0001")], &[]);
        assert_eq!(status.head(), None);
        assert!(matches!(
            status.check_servable(),
            Err(StoreError::PendingMigrations { .. })
        ));
    }
}
