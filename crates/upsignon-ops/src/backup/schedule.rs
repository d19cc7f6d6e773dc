//! Backups and restore drills inside `serve`: a thread that backs up every
//! `backup_interval_secs`, prunes by the retention policy only after a
//! backup succeeded, and verifies the newest backup every
//! `backup_verify_interval_secs`, keeping the drill's result in
//! `<state_dir>/backup-drill.json` for `doctor`. Every scheduled run, good
//! or failed, is recorded at once in `<state_dir>/backup-last-run.json`
//! (`/metrics` reads it, and `doctor` and the console's status page through
//! doctor's backup check). On PostgreSQL with
//! several replicas, a database lock makes each run happen once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use upsignon_config::Config;
use upsignon_store::Store;

use super::retention::{Retention, to_delete};
use super::{BackupError, EXTENSION, Keys, backup_named, leftovers, list, verify};

/// A failed run is tried again after this long (or the interval, when
/// shorter), not a whole interval.
const RETRY: Duration = Duration::from_secs(60);
/// Lock keys for the jobs (PostgreSQL advisory locks).
const BACKUP_LOCK: i64 = 0x5550_4241_434B;
const DRILL_LOCK: i64 = 0x5550_4452_494C;

/// The result of the last restore drill, as `doctor` reads it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DrillResult {
    pub at_unix: i64,
    pub ok: bool,
    pub detail: String,
}

pub fn drill_file(state_dir: &Path) -> PathBuf {
    state_dir.join("backup-drill.json")
}

/// The last scheduled backup: when it ran, whether it worked, and the
/// counts `/metrics` reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LastRun {
    pub at_unix: i64,
    pub ok: bool,
    pub detail: String,
    /// The last run that worked (Unix seconds), if any.
    pub last_success_unix: Option<i64>,
    /// Failed runs since the record began.
    pub failures_total: u64,
}

pub fn last_run_file(state_dir: &Path) -> PathBuf {
    state_dir.join("backup-last-run.json")
}

/// The record of the last scheduled backup, if one ever ran.
pub fn last_run(state_dir: &Path) -> Option<LastRun> {
    let text = std::fs::read_to_string(last_run_file(state_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

fn record_run(state_dir: &Path, outcome: Result<String, String>) {
    let before = last_run(state_dir).unwrap_or_default();
    let now = unix(SystemTime::now());
    let run = match outcome {
        Ok(detail) => LastRun {
            at_unix: now,
            ok: true,
            detail,
            last_success_unix: Some(now),
            failures_total: before.failures_total,
        },
        Err(detail) => LastRun {
            at_unix: now,
            ok: false,
            detail,
            last_success_unix: before.last_success_unix,
            failures_total: before.failures_total + 1,
        },
    };
    let text = serde_json::to_string(&run).unwrap_or_default();
    let _ = std::fs::create_dir_all(state_dir);
    let path = last_run_file(state_dir);
    let partial = path.with_extension("json.tmp");
    if std::fs::write(&partial, text).is_ok() {
        let _ = std::fs::rename(&partial, &path);
    }
}

/// Starts the scheduler thread when backups are configured; returns
/// whether it started.
pub fn start(config: &Config, store: Store) -> bool {
    let Some(key) = config.backup_key_file.clone() else {
        tracing::warn!("scheduled backups are off: backup_key_file is not set");
        return false;
    };
    if config.backup_interval_secs == 0 {
        return false;
    }
    let config = config.clone();
    std::thread::Builder::new()
        .name("backup-scheduler".to_string())
        .spawn(move || run(&config, &store, &key))
        .is_ok()
}

fn run(config: &Config, store: &Store, key: &Path) {
    let interval = Duration::from_secs(config.backup_interval_secs);
    let drill_interval = Duration::from_secs(config.backup_verify_interval_secs);
    let retry = RETRY.min(interval);
    let mut next_backup = Instant::now() + first_delay(&config.backups(), interval);
    // The first drill runs after the first backup of this process.
    let mut next_drill = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = Instant::now();
        if now < next_backup {
            continue;
        }
        match store.with_job_lock(BACKUP_LOCK, || scheduled_backup(config, store, key)) {
            Ok(_) => next_backup = now + interval,
            Err(error) => {
                record_run(&config.state_dir, Err(error.to_string()));
                tracing::error!(%error, retry_secs = retry.as_secs(), "scheduled backup failed; the server keeps serving and retries");
                next_backup = now + retry;
                continue;
            }
        }
        if now >= next_drill {
            next_drill = now + drill_interval;
            let _ = store.with_job_lock(DRILL_LOCK, || {
                drill(config, key);
                Ok::<(), BackupError>(())
            });
        }
    }
}

/// Waits a whole interval after the newest backup, so restarts do not
/// pile up backups.
fn first_delay(dir: &Path, interval: Duration) -> Duration {
    let newest = list(dir).first().map(|b| b.modified);
    let age = newest
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .unwrap_or(interval);
    interval.saturating_sub(age).max(Duration::from_secs(1))
}

fn scheduled_backup(config: &Config, store: &Store, key: &Path) -> Result<(), BackupError> {
    let dir = config.backups();
    let keys = Keys {
        backup: key.to_path_buf(),
        secrets: Some(config.secrets_key()),
    };
    let report = backup_named(store, &keys, &dir, "upsignon", &mut |_| {})?;
    tracing::info!(file = %report.path.display(), rows = report.rows, bytes = report.bytes, "scheduled backup written");
    record_run(&config.state_dir, Ok(report.to_string()));
    prune(&dir, config);
    Ok(())
}

/// Removes what interrupted backups and snapshots left: partial files in
/// the backup directory and the state directory's snapshot folders. Run
/// when `serve` starts.
pub fn remove_leftovers(config: &Config) {
    let mut freed = leftovers::remove_in(&config.backups());
    for sub in ["replication", "standby"] {
        freed += leftovers::remove_in(&config.state_dir.join(sub));
    }
    if freed > 0 {
        tracing::info!(bytes = freed, "removed files left by interrupted backups");
    }
}

fn prune(dir: &Path, config: &Config) {
    let found: Vec<_> = list(dir)
        .into_iter()
        .filter(|b| {
            b.path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("upsignon-"))
                && b.path.extension().is_some_and(|x| x == EXTENSION)
        })
        .collect();
    let times: Vec<i64> = found.iter().map(|b| unix(b.modified)).collect();
    let retention = Retention {
        daily: config.backup_keep_daily,
        weekly: config.backup_keep_weekly,
        max_age_days: config.backup_max_age_days,
    };
    for i in to_delete(&times, unix(SystemTime::now()), retention) {
        if let Err(error) = std::fs::remove_file(&found[i].path) {
            tracing::warn!(%error, file = %found[i].path.display(), "cannot prune an old backup");
        }
    }
    prune_safety_copies(dir, config.backup_max_age_days);
}

/// Safety backups (`safety-before-*`, taken before a restore or before
/// becoming a standby) are kept `backup_max_age_days`, then removed.
fn prune_safety_copies(dir: &Path, max_age_days: u32) {
    let oldest_kept = unix(SystemTime::now()) - i64::from(max_age_days) * 86_400;
    for found in list(dir) {
        let is_safety = found
            .path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("safety-before-"));
        if is_safety
            && max_age_days > 0
            && unix(found.modified) < oldest_kept
            && let Err(error) = std::fs::remove_file(&found.path)
        {
            tracing::warn!(%error, file = %found.path.display(), "cannot prune an old safety backup");
        }
    }
}

/// Verifies the newest backup and records the result.
pub fn drill(config: &Config, key: &Path) {
    let Some(newest) = list(&config.backups()).into_iter().next() else {
        return;
    };
    let result = match verify(&newest.path, key) {
        Ok(report) => DrillResult {
            at_unix: unix(SystemTime::now()),
            ok: true,
            detail: report.to_string(),
        },
        Err(error) => {
            tracing::error!(%error, "restore drill failed");
            DrillResult {
                at_unix: unix(SystemTime::now()),
                ok: false,
                detail: error.to_string(),
            }
        }
    };
    let text = serde_json::to_string(&result).unwrap_or_default();
    let _ = std::fs::write(drill_file(&config.state_dir), text);
}

fn unix(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
