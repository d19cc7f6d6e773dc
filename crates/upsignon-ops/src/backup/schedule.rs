//! Backups and restore drills inside `serve`: a thread that backs up every
//! `backup_interval_secs`, prunes by the retention policy only after a
//! backup succeeded, and verifies the newest backup every
//! `backup_verify_interval_secs`, keeping the drill's result in
//! `<state_dir>/backup-drill.json` for `doctor`. On PostgreSQL with several
//! replicas, a database lock makes each run happen once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use upsignon_config::Config;
use upsignon_store::Store;

use super::retention::{Retention, to_delete};
use super::{BackupError, EXTENSION, backup, default_name, list, verify};

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
    let out = dir.join(default_name("upsignon"));
    let report = backup(store, key, &out)?;
    tracing::info!(file = %report.path.display(), rows = report.rows, bytes = report.bytes, "scheduled backup written");
    prune(&dir, config);
    Ok(())
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
