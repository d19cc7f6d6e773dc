//! `upsignon upgrade --from FILE`: verify, preflight, back up, keep the
//! running binary, swap, restart, wait for the new version to be ready, and
//! roll back by itself when it is not.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use upsignon_api::SERVER_VERSION;
use upsignon_store::Store;
use upsignon_store::releases::{self, ReleaseRow};

use super::kept::{self, binary_version, copy_atomically, sha256_file};
use super::rollback::{self, Target};
use super::{Installation, Runner, UpgradeError, now_ms, operator, pre_backup};
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
    if new_version == SERVER_VERSION {
        return Err(UpgradeError::SameVersion(new_version));
    }

    let store = Store::open(&config.database(), 2)?;
    let runner = preflight(installation, &store, &new_binary)?;
    progress(&format!("preflight passed (server {runner:?})"));
    record_current_release(installation, &store)?;
    let backup = match skip_backup {
        true => None,
        false => {
            let path = pre_backup::take(config, &store, SERVER_VERSION, &new_version)?;
            progress(&format!("pre-upgrade backup: {}", path.display()));
            Some(path)
        }
    };
    let kept_at = kept::keep(&installation.exe, state_dir, SERVER_VERSION)?;
    progress(&format!("kept {SERVER_VERSION} at {}", kept_at.display()));

    copy_atomically(&new_binary, &installation.exe)?;
    progress(&format!("binary replaced: {}", installation.exe.display()));
    runner.stop(installation)?;
    let pid = runner.start(installation)?;
    let ready = match runner.wait_ready(installation, pid, &new_version) {
        Ok(ready) => ready,
        Err(problem) => return Err(roll_back_after(installation, runner, problem.to_string())),
    };
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
    kept::prune(
        state_dir,
        config.releases_kept,
        &[SERVER_VERSION, &new_version],
    );
    pre_backup::prune(config, &[SERVER_VERSION, &new_version]);
    Ok(UpgradeReport {
        from: SERVER_VERSION.to_string(),
        to: new_version,
        backup,
        ready: schema,
        elapsed: started.elapsed(),
    })
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
    let runner = Runner::detect(&config.state_dir);
    if runner != Runner::NotRunning {
        service::wait_for_version(
            config.listen,
            config.tls_mode,
            Duration::from_secs(5),
            None,
            None,
            Some(SERVER_VERSION),
        )
        .map_err(|e| {
            UpgradeError::Preflight(format!(
                "the running server is not healthy ({e}); fix it first (`upsignon doctor`)"
            ))
        })?;
    }
    Ok(runner)
}

fn tempfile_probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(".upsignon-write-probe");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(probe)
}

/// Makes sure the release ledger knows the running release and its schema,
/// so a rollback can find its way back here.
fn record_current_release(installation: &Installation, store: &Store) -> Result<(), UpgradeError> {
    let head = store.schema_status()?.head().unwrap_or("0").to_string();
    let mut conn = store.connection()?;
    let known = releases::list(&mut conn)?;
    if known.last().is_some_and(|r| r.version == SERVER_VERSION) {
        return Ok(());
    }
    releases::record(
        &mut conn,
        &ReleaseRow {
            id: uuid::Uuid::new_v4().to_string(),
            version: SERVER_VERSION.to_string(),
            schema_head: head,
            binary_sha256: sha256_file(&installation.exe)?,
            binary_path: installation.exe.display().to_string(),
            installed_by: operator(),
            installed_at: now_ms(),
        },
    )?;
    Ok(())
}

fn roll_back_after(installation: &Installation, runner: Runner, reason: String) -> UpgradeError {
    let started = Instant::now();
    let outcome = Store::open(&installation.config.database(), 2)
        .map_err(UpgradeError::from)
        .and_then(|store| {
            let target = Target::version(&store, SERVER_VERSION)?;
            let plan = rollback::plan_with(installation, &store, target)?;
            rollback::execute(installation, &store, &plan, runner, &mut |_| {})
        });
    match outcome {
        Ok(_) => UpgradeError::RolledBack {
            reason,
            previous: SERVER_VERSION.to_string(),
            seconds: started.elapsed().as_secs_f64(),
        },
        Err(e) => UpgradeError::RollbackFailed {
            reason,
            rollback: e.to_string(),
        },
    }
}
