//! Where a rollback goes: a release from the ledger, never one newer than
//! the installed release.

use upsignon_store::Store;
use upsignon_store::releases::{self, ReleaseRow};

use super::UpgradeError;

#[derive(Debug, Clone)]
pub struct Target(pub(crate) ReleaseRow);

impl Target {
    /// The newest recorded release with this version.
    pub fn version(store: &Store, version: &str) -> Result<Self, UpgradeError> {
        let rows = releases::list(&mut *store.connection()?)?;
        rows.iter()
            .rev()
            .find(|r| r.version == version)
            .cloned()
            .map(Target)
            .ok_or_else(|| UpgradeError::NotInLedger {
                version: version.to_string(),
                ledger: versions(&rows),
            })
    }

    /// The newest recorded release older than `installed`: a rollback never
    /// plans a move forward, so after a finished rollback there is nothing
    /// left (`NothingOlder`).
    pub fn previous(store: &Store, installed: &str) -> Result<Self, UpgradeError> {
        let rows = releases::list(&mut *store.connection()?)?;
        if let Some(older) = rows
            .iter()
            .rev()
            .find(|r| is_older(&r.version, installed) == Some(true))
        {
            return Ok(Target(older.clone()));
        }
        // Versions that are not semantic versions: the ledger's order says
        // which came first (a release recorded before the installed one's
        // first record is older).
        let first_of_ours = rows.iter().position(|r| r.version == installed);
        if let Some(older) = rows
            .iter()
            .take(first_of_ours.unwrap_or(0))
            .rev()
            .find(|r| is_older(&r.version, installed).is_none())
        {
            return Ok(Target(older.clone()));
        }
        // Anything in the ledger means an upgrade was at least tried here:
        // the installed release is where a rollback would go.
        if !rows.is_empty() {
            return Err(UpgradeError::NothingOlder {
                running: installed.to_string(),
                ledger: versions(&rows),
            });
        }
        Err(UpgradeError::NoPreviousRelease(versions(&rows)))
    }
}

/// Whether release `a` is older than `b`, as semantic versions; `None`
/// when one of them is not a semantic version.
pub(crate) fn is_older(a: &str, b: &str) -> Option<bool> {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => Some(a < b),
        _ => None,
    }
}

fn versions(rows: &[ReleaseRow]) -> String {
    match rows.is_empty() {
        true => "no release yet".to_string(),
        false => rows
            .iter()
            .map(|r| r.version.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}
