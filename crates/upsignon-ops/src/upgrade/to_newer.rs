//! `upsignon upgrade --from FILE`: verify, preflight, back up, keep the
//! running binary, swap, restart, wait for the new version to be ready, and
//! roll back by itself when it is not.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use upsignon_store::Store;
use upsignon_store::releases::{self, ReleaseRow};

use super::journal::{self, Journal, Kind, Open, Step};
use super::kept::{self, binary_version, copy_atomically, sha256_file};
use super::target::Target;
use super::{
    Installation, Runner, UpgradeError, now_ms, operator, pre_backup, rollback, rollback_run,
};
use crate::install::service;
use crate::release;

#[derive(Debug, Clone)]
pub struct UpgradeReport {
    pub from: String,
    pub to: String,
    pub backup: Option<PathBuf>,
    pub ready: Option<String>,
    pub elapsed: Duration,
}

impl fmt::Display for UpgradeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ready {
            Some(schema) => write!(
                f,
                "upgraded {} -> {} in {:.1} s; ready on schema {schema}; `upsignon rollback` goes back",
                self.from,
                self.to,
                self.elapsed.as_secs_f64()
            ),
            None => write!(
                f,
                "installed {} (was {}) in {:.1} s; the server was not running: start it (systemctl start upsignon, or `upsignon serve`)",
                self.to,
                self.from,
                self.elapsed.as_secs_f64()
            ),
        }
    }
}

pub fn upgrade(
    installation: &Installation,
    archive: &Path,
    skip_backup: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<UpgradeReport, UpgradeError> {
    let started = Instant::now();
    let config = &installation.config;
    let state_dir = &config.state_dir;
    let incoming = kept::releases_dir(state_dir).join(".incoming");
    std::fs::create_dir_all(&incoming)
        .map_err(|e| super::error::io_error("create", &incoming, e))?;
    let keys = release::trusted_keys(&config.release_public_keys)?;
    let new_binary = release::verify_and_extract(archive, &keys, &incoming)?;
    let new_version = binary_version(&new_binary)?;
    progress(&format!(
        "signature verified; the archive holds version {new_version}"
    ));
    let resumed = resumable(state_dir, &new_version)?;
    let store = Store::open(&config.database(), 2)?;
    let (from, runner) = match &resumed {
        Some(unfinished) => {
            progress(&format!("{unfinished}: finishing it"));
            super::runner::refuse_foreign_server(installation)?;
            (unfinished.from.clone(), Runner::of(installation))
        }
        None => {
            let from = installation.installed_version();
            if new_version == from {
                return Err(UpgradeError::SameVersion(new_version));
            }
            let runner = preflight(installation, &store, &new_binary)?;
            progress(&format!("preflight passed (server {runner:?})"));
            record_current_release(installation, &store, &from)?;
            (from, runner)
        }
    };
    let mut op = Open::begin(
        state_dir,
        resumed.clone().unwrap_or(Journal {
            kind: Kind::Upgrade,
            from: from.clone(),
            to: new_version.clone(),
            step: Step::Backup,
            backup: None,
            started_at_ms: now_ms(),
        }),
    )?;
    let resumed_at = op.journal.step;
    // A copy taken after the new version ran would hold its schema: only
    // before the first step past the backup.
    let backup = match (skip_backup, op.journal.backup.clone()) {
        (_, Some(taken)) => Some(taken),
        (false, None) if resumed_at <= Step::Backup => {
            op.step(Step::Backup)?;
            let path = pre_backup::take(config, &store, &from, &new_version)?;
            op.set_backup(path.clone())?;
            progress(&format!("pre-upgrade backup: {}", path.display()));
            Some(path)
        }
        _ => None,
    };
    if resumed_at <= Step::KeepBinary {
        op.step(Step::KeepBinary)?;
        let kept_at = kept::keep(&installation.exe, state_dir, &from)?;
        progress(&format!("kept {from} at {}", kept_at.display()));
    }
    op.step(Step::ReplaceBinary)?;
    copy_atomically(&new_binary, &installation.exe)?;
    progress(&format!("binary replaced: {}", installation.exe.display()));
    op.step(Step::StopServer)?;
    runner.stop(installation)?;
    op.step(Step::StartServer)?;
    let pid = runner.start(installation)?;
    op.step(Step::WaitReady)?;
    let ready = match runner.wait_ready(installation, pid, &new_version) {
        Ok(ready) => ready,
        Err(problem) => {
            return Err(roll_back_after(
                installation,
                runner,
                &from,
                &new_version,
                problem.to_string(),
            ));
        }
    };
    op.step(Step::RecordRelease)?;
    let schema = ready.as_ref().and_then(|r| r.schema.clone());
    let schema_head = match &schema {
        Some(head) => head.clone(),
        None => store.schema_status()?.head().unwrap_or("0").to_string(),
    };
    releases::record(
        &mut *store.connection()?,
        &ReleaseRow {
            id: uuid::Uuid::new_v4().to_string(),
            version: new_version.clone(),
            schema_head,
            binary_sha256: sha256_file(&installation.exe)?,
            binary_path: installation.exe.display().to_string(),
            installed_by: operator(),
            installed_at: now_ms(),
        },
    )?;
    op.done()?;
    kept::prune(state_dir, config.releases_kept, &[&from, &new_version]);
    pre_backup::prune(config, &[&from, &new_version]);
    Ok(UpgradeReport {
        from,
        to: new_version,
        backup,
        ready: schema,
        elapsed: started.elapsed(),
    })
}

/// The interrupted upgrade to `version` that this command finishes, if
/// any; any other unfinished operation must be finished first.
fn resumable(state_dir: &Path, version: &str) -> Result<Option<Journal>, UpgradeError> {
    match journal::read(state_dir)? {
        None => Ok(None),
        Some(unfinished) if unfinished.kind == Kind::Upgrade && unfinished.to == version => {
            Ok(Some(unfinished))
        }
        Some(unfinished) => Err(UpgradeError::Unfinished {
            safe: unfinished.safe_version().to_string(),
            finish: match unfinished.kind {
                Kind::Upgrade => format!(
                    ", or `upsignon upgrade --from` with the archive of {} finishes the upgrade",
                    unfinished.to
                ),
                Kind::Rollback => String::new(),
            },
            unfinished: unfinished.to_string(),
        }),
    }
}

/// The database answers, there is room for the new binary, backups can be
/// written, and a running server is healthy before it is touched.
fn preflight(
    installation: &Installation,
    store: &Store,
    new_binary: &Path,
) -> Result<Runner, UpgradeError> {
    let config = &installation.config;
    store
        .ping()
        .map_err(|e| UpgradeError::Preflight(format!("the database does not answer: {e}")))?;
    let needed = std::fs::metadata(new_binary).map(|m| m.len()).unwrap_or(0) * 3;
    let free = rustix::fs::statvfs(&config.state_dir)
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
        .unwrap_or(u64::MAX);
    if free < needed {
        return Err(UpgradeError::Preflight(format!(
            "{} has {free} bytes free, {needed} are needed",
            config.state_dir.display()
        )));
    }
    let backups = config.backups();
    std::fs::create_dir_all(&backups)
        .and_then(|()| tempfile_probe(&backups))
        .map_err(|e| {
            UpgradeError::Preflight(format!(
                "the backup directory {} is not writable: {e}",
                backups.display()
            ))
        })?;
    super::runner::refuse_foreign_server(installation)?;
    if Runner::detect(&config.state_dir) != Runner::NotRunning {
        service::wait_for_version(
            config.listen,
            config.tls_mode,
            Duration::from_secs(5),
            None,
            Some(&installation.installed_version()),
        )
        .map_err(|e| {
            UpgradeError::Preflight(format!(
                "the running server is not healthy ({e}); fix it first (`upsignon doctor`)"
            ))
        })?;
    }
    Ok(Runner::of(installation))
}

fn tempfile_probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(".upsignon-write-probe");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(probe)
}

/// Makes sure the release ledger knows the running release and its schema,
/// so a rollback can find its way back here.
fn record_current_release(
    installation: &Installation,
    store: &Store,
    installed: &str,
) -> Result<(), UpgradeError> {
    let head = store.schema_status()?.head().unwrap_or("0").to_string();
    let mut conn = store.connection()?;
    let known = releases::list(&mut conn)?;
    if known.last().is_some_and(|r| r.version == installed) {
        return Ok(());
    }
    releases::record(
        &mut conn,
        &ReleaseRow {
            id: uuid::Uuid::new_v4().to_string(),
            version: installed.to_string(),
            schema_head: head,
            binary_sha256: sha256_file(&installation.exe)?,
            binary_path: installation.exe.display().to_string(),
            installed_by: operator(),
            installed_at: now_ms(),
        },
    )?;
    Ok(())
}

fn roll_back_after(
    installation: &Installation,
    runner: Runner,
    from: &str,
    to: &str,
    reason: String,
) -> UpgradeError {
    let started = Instant::now();
    let outcome = Store::open(&installation.config.database(), 2)
        .map_err(UpgradeError::from)
        .and_then(|store| {
            let target = Target::version(&store, from)?;
            let plan = rollback::plan_with(installation, &store, target, to.to_string())?;
            rollback_run::execute(installation, &store, &plan, runner, &mut |_| {})
        });
    match outcome {
        Ok(_) => UpgradeError::RolledBack {
            reason,
            previous: from.to_string(),
            seconds: started.elapsed().as_secs_f64(),
        },
        Err(e) => UpgradeError::RollbackFailed {
            reason,
            rollback: e.to_string(),
        },
    }
}
