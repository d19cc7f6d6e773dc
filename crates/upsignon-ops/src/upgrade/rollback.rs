//! `upsignon rollback`: back to the previous release (or `--to VERSION`) in
//! seconds. Maintenance on, revert the newer migrations with the down
//! scripts from the schema ledger (data kept), put the kept binary back,
//! restart, wait until the old version is ready.

use std::fmt;
use std::time::Duration;

use upsignon_store::releases::ReleaseRow;
use upsignon_store::{MigrationState, Store};

use super::journal::{self, Kind};
use super::kept;
use super::target::Target;
use super::{Installation, UpgradeError};

#[derive(Debug, Clone)]
pub struct RollbackPlan {
    pub from: String,
    /// The interrupted operation this rollback finishes, if any.
    pub finishes: Option<journal::Journal>,
    pub to: ReleaseRow,
    /// Applied migrations above the target's schema, newest first.
    pub revert: Vec<String>,
    /// Those of them that cannot be reverted without loss.
    pub irreversible: Vec<String>,
    /// With `--restore-backup`: the pre-upgrade copy to put back instead.
    pub restore: Option<RestoreFromCopy>,
    pub binary: std::path::PathBuf,
}

/// Going back past an irreversible migration: the copy taken before the
/// upgrade, and how many rows written since then it loses.
#[derive(Debug, Clone)]
pub struct RestoreFromCopy {
    pub backup: std::path::PathBuf,
    pub lost_writes: i64,
}

impl fmt::Display for RollbackPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(unfinished) = &self.finishes {
            write!(f, "{unfinished}; to finish: ")?;
        }
        write!(f, "roll back {} -> {}: ", self.from, self.to.version)?;
        if let Some(restore) = &self.restore {
            return write!(
                f,
                "migration(s) {} cannot be reverted, so restore the pre-upgrade copy {} ({} row(s) written since the upgrade will be LOST), put back {} and restart",
                self.irreversible.join(", "),
                restore.backup.display(),
                restore.lost_writes,
                self.binary.display()
            );
        }
        match self.revert.is_empty() {
            true => write!(f, "no migration to revert; ")?,
            false => write!(
                f,
                "revert migration(s) {} (what they added is dropped, all other data is kept); ",
                self.revert.join(", ")
            )?,
        }
        write!(f, "put back {} and restart", self.binary.display())
    }
}

#[derive(Debug, Clone)]
pub struct RollbackReport {
    pub plan: RollbackPlan,
    pub ready: bool,
    pub elapsed: Duration,
}

impl fmt::Display for RollbackReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.ready {
            true => "ready",
            false => "installed; the server was not running, start it",
        };
        write!(
            f,
            "rolled back {} -> {} in {:.2} s: {state}; {} migration(s) reverted, data kept",
            self.plan.from,
            self.plan.to.version,
            self.elapsed.as_secs_f64(),
            self.plan.revert.len()
        )
    }
}

/// What a rollback to `to` (or the previous release) would do. With
/// `restore_backup`, an irreversible migration on the way is passed by
/// restoring the pre-upgrade copy; without, it is refused before any change.
pub fn plan_rollback(
    installation: &Installation,
    store: &Store,
    to: Option<&str>,
    restore_backup: bool,
) -> Result<RollbackPlan, UpgradeError> {
    super::runner::refuse_foreign_server(installation)?;
    let state_dir = &installation.config.state_dir;
    let pending = journal::read(state_dir)?;
    let installed = installation.installed_version();
    let target = match (to, &pending) {
        (Some(version), _) => Target::version(store, version)?,
        // After a crash: back to the version that was safe before it.
        (None, Some(unfinished)) => Target::version(store, unfinished.safe_version())?,
        (None, None) => Target::previous(store, &installed)?,
    };
    let from = match &pending {
        Some(j) if j.kind == Kind::Upgrade => j.to.clone(),
        Some(j) => j.from.clone(),
        None => installed.clone(),
    };
    let mut plan = plan_with(installation, store, target, from)?;
    plan.finishes = pending;
    if plan.finishes.is_none() && plan.to.version == installed && plan.revert.is_empty() {
        return Err(UpgradeError::AlreadyThere(installed));
    }
    if plan.irreversible.is_empty() {
        return Ok(plan);
    }
    let backups = installation.config.backups();
    if !restore_backup {
        return Err(UpgradeError::Irreversible {
            version: plan.irreversible.join(", "),
            backups: backups.display().to_string(),
        });
    }
    let (backup, taken_ms) = pre_upgrade_copy(&backups, &plan.to.version).ok_or_else(|| {
        UpgradeError::NoPreUpgradeCopy {
            dir: backups.display().to_string(),
            version: plan.to.version.clone(),
        }
    })?;
    plan.restore = Some(RestoreFromCopy {
        lost_writes: store.writes_since(taken_ms)?,
        backup,
    });
    Ok(plan)
}

/// The newest `pre-upgrade-<version>-to-*-<unix seconds>.*` copy in `dir`,
/// with the time it was taken in milliseconds.
fn pre_upgrade_copy(dir: &std::path::Path, version: &str) -> Option<(std::path::PathBuf, i64)> {
    let prefix = format!("pre-upgrade-{version}-to-");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(&prefix)?;
            let stem = rest.rsplit_once('.')?.0;
            let seconds: i64 = stem.rsplit_once('-')?.1.parse().ok()?;
            Some((seconds, entry.path()))
        })
        .max()
        .map(|(seconds, path)| (path, seconds * 1000))
}

pub(crate) fn plan_with(
    installation: &Installation,
    store: &Store,
    target: Target,
    from: String,
) -> Result<RollbackPlan, UpgradeError> {
    let row = target.0;
    let state_dir = &installation.config.state_dir;
    // The kept copy first: after a failed or interrupted upgrade the
    // installed file may already be the newer binary, whatever runs now.
    let kept = kept::kept_binary(state_dir, &row.version);
    let binary = match kept.is_file() || installation.installed_version() != row.version {
        true => kept,
        false => installation.exe.clone(),
    };
    if !binary.is_file() {
        return Err(UpgradeError::NotKept {
            version: row.version.clone(),
            dir: kept::releases_dir(state_dir).display().to_string(),
        });
    }
    let status = store.schema_status()?;
    let mut revert: Vec<String> = status
        .migrations
        .iter()
        .filter(|m| {
            m.state != MigrationState::Pending && m.version.as_str() > row.schema_head.as_str()
        })
        .map(|m| m.version.clone())
        .collect();
    revert.reverse();
    Ok(RollbackPlan {
        from,
        finishes: None,
        irreversible: store.irreversible_above(&row.schema_head)?,
        restore: None,
        to: row,
        revert,
        binary,
    })
}
