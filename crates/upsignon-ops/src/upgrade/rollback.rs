//! `upsignon rollback`: back to the previous release (or `--to VERSION`) in
//! seconds. Maintenance on, revert the newer migrations with the down
//! scripts from the schema ledger (data kept), put the kept binary back,
//! restart, wait until the old version is ready.

use std::fmt;
use std::time::{Duration, Instant};

use upsignon_api::SERVER_VERSION;
use upsignon_store::releases::{self, ReleaseRow};
use upsignon_store::{MigrationState, Store, StoreError};

use super::kept::{self, copy_atomically, sha256_file};
use super::{Installation, Runner, UpgradeError, now_ms, operator};

/// Where a rollback goes: a release from the ledger.
#[derive(Debug, Clone)]
pub struct Target(ReleaseRow);

impl Target {
    /// The newest recorded release with this version.
    pub fn version(store: &Store, version: &str) -> Result<Self, UpgradeError> {
        let rows = releases::list(&mut *store.connection()?)?;
        rows.iter()
            .rev()
            .find(|r| r.version == version)
            .cloned()
            .map(Target)
            .ok_or_else(|| UpgradeError::NoPreviousRelease(versions(&rows)))
    }

    /// The newest recorded release older than the one running now: a
    /// rollback never plans a move forward, so after a finished rollback
    /// there is nothing left (`NothingOlder`).
    pub fn previous(store: &Store) -> Result<Self, UpgradeError> {
        let rows = releases::list(&mut *store.connection()?)?;
        if let Some(older) = rows
            .iter()
            .rev()
            .find(|r| is_older(&r.version, SERVER_VERSION) == Some(true))
        {
            return Ok(Target(older.clone()));
        }
        // Versions that are not semantic versions: the ledger's order says
        // which came first (a release recorded before the running one's
        // first record is older).
        let first_of_ours = rows.iter().position(|r| r.version == SERVER_VERSION);
        if let Some(older) = rows
            .iter()
            .take(first_of_ours.unwrap_or(0))
            .rev()
            .find(|r| is_older(&r.version, SERVER_VERSION).is_none())
        {
            return Ok(Target(older.clone()));
        }
        if rows.iter().any(|r| r.version != SERVER_VERSION) {
            return Err(UpgradeError::NothingOlder {
                running: SERVER_VERSION.to_string(),
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

#[derive(Debug, Clone)]
pub struct RollbackPlan {
    pub from: String,
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
    let target = match to {
        Some(version) => Target::version(store, version)?,
        None => Target::previous(store)?,
    };
    let mut plan = plan_with(installation, store, target)?;
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
) -> Result<RollbackPlan, UpgradeError> {
    let row = target.0;
    let state_dir = &installation.config.state_dir;
    // The kept copy first: after a failed or interrupted upgrade the
    // installed file may already be the newer binary, whatever runs now.
    let kept = kept::kept_binary(state_dir, &row.version);
    let binary = match kept.is_file() || row.version != SERVER_VERSION {
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
        from: SERVER_VERSION.to_string(),
        irreversible: store.irreversible_above(&row.schema_head)?,
        restore: None,
        to: row,
        revert,
        binary,
    })
}

/// Carries out `plan`, calling `progress` after each step.
pub fn rollback(
    installation: &Installation,
    store: &Store,
    plan: &RollbackPlan,
    progress: &mut dyn FnMut(&str),
) -> Result<RollbackReport, UpgradeError> {
    let runner = Runner::detect(&installation.config.state_dir);
    let runner = match (runner, plan_needs_start(installation)) {
        (Runner::NotRunning, true) => Runner::Background,
        (runner, _) => runner,
    };
    execute(installation, store, plan, runner, progress)
}

/// After a crash mid-upgrade nothing may run, yet a background install
/// must come back: its pid file says it was started that way.
fn plan_needs_start(installation: &Installation) -> bool {
    crate::install::service::pid_file(&installation.config.state_dir).is_file()
}

pub(crate) fn execute(
    installation: &Installation,
    store: &Store,
    plan: &RollbackPlan,
    runner: Runner,
    progress: &mut dyn FnMut(&str),
) -> Result<RollbackReport, UpgradeError> {
    let started = Instant::now();
    store.set_maintenance(&format!("rollback to {}", plan.to.version), now_ms())?;
    progress("maintenance on: apps get 503 and stay in offline mode");
    if let Some(restore) = &plan.restore {
        runner.stop(installation)?;
        // Best effort: while the stopped server's last connection is still
        // closing, SQLite answers "locked" and the file stays in WAL mode.
        if !store.leave_wal().unwrap_or(false) {
            tracing::warn!("the SQLite database stays in WAL mode while it is replaced");
        }
        let url = installation.config.database();
        if restore
            .backup
            .extension()
            .is_some_and(|x| x == crate::backup::EXTENSION)
        {
            let older: Vec<_> = store
                .migrations()
                .iter()
                .filter(|m| m.version.as_str() <= plan.to.schema_head.as_str())
                .cloned()
                .collect();
            crate::backup::replace_database(&installation.config, older, &restore.backup).map_err(
                |source| UpgradeError::RestoreCopy {
                    path: restore.backup.display().to_string(),
                    source: Box::new(source),
                },
            )?;
        } else {
            upsignon_store::restore_copy(
                store.backend(),
                &upsignon_store::DatabaseTarget::of(&url),
                &restore.backup,
            )?;
        }
        progress(&format!("restored {}", restore.backup.display()));
        let restored = Store::open(&url, 2)?;
        restored.clear_maintenance()?;
        return finish(installation, &restored, plan, runner, started, progress);
    }
    let reverted = store
        .migrate_down_to(&plan.to.schema_head)
        .map_err(|e| match e {
            StoreError::Irreversible { version } => UpgradeError::Irreversible {
                version,
                backups: installation.config.backups().display().to_string(),
            },
            other => other.into(),
        });
    let reverted = match reverted {
        Ok(versions) => versions,
        Err(e) => {
            store.clear_maintenance()?;
            return Err(e);
        }
    };
    progress(&format!("reverted {} migration(s)", reverted.len()));
    runner.stop(installation)?;
    store.clear_maintenance()?;
    finish(installation, store, plan, runner, started, progress)
}

/// The end of every rollback: the old binary back, started, ready, recorded.
fn finish(
    installation: &Installation,
    store: &Store,
    plan: &RollbackPlan,
    runner: Runner,
    started: Instant,
    progress: &mut dyn FnMut(&str),
) -> Result<RollbackReport, UpgradeError> {
    if plan.binary != installation.exe {
        kept::keep(
            &installation.exe,
            &installation.config.state_dir,
            SERVER_VERSION,
        )?;
        copy_atomically(&plan.binary, &installation.exe)?;
        progress(&format!("binary {} put back", plan.to.version));
    }
    let pid = runner.start(installation)?;
    let ready = runner
        .wait_ready(installation, pid, &plan.to.version)?
        .is_some();
    releases::record(
        &mut *store.connection()?,
        &ReleaseRow {
            id: uuid::Uuid::new_v4().to_string(),
            installed_by: operator(),
            installed_at: now_ms(),
            binary_sha256: sha256_file(&installation.exe)?,
            ..plan.to.clone()
        },
    )?;
    Ok(RollbackReport {
        plan: plan.clone(),
        ready,
        elapsed: started.elapsed(),
    })
}
