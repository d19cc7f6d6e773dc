//! The safety copy taken before an upgrade changes anything: an ordinary
//! encrypted backup (`upsignon backup`'s format: one consistent snapshot,
//! mode 0600, portable, carrying the secrets key) named
//! `pre-upgrade-<from>-to-<to>-<unix seconds>.upsignon-backup` in the backup
//! directory. Copies are removed with the kept release they belong to.
//! A site without a backup key gets the older plain copy (SQLite
//! `VACUUM INTO`, or `pg_dump -Fc`), made private (0600).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use upsignon_config::Config;
use upsignon_store::Store;

use super::UpgradeError;
use super::error::io_error;
use super::kept;
use crate::backup::{self, BackupError, Keys};

const PREFIX: &str = "pre-upgrade-";

pub fn take(config: &Config, store: &Store, from: &str, to: &str) -> Result<PathBuf, UpgradeError> {
    let dir = config.backups();
    fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let name = format!("{PREFIX}{from}-to-{to}-{stamp}");
    let keys = match Keys::of(config) {
        Ok(keys) => keys,
        Err(BackupError::NoKey) => return plain_copy(config, store, &dir, &name),
        Err(other) => return Err(failed(other)),
    };
    let target = dir.join(format!("{name}.{}", backup::EXTENSION));
    backup::backup(store, &keys, &target).map_err(failed)?;
    Ok(target)
}

fn failed(error: BackupError) -> UpgradeError {
    UpgradeError::Preflight(format!(
        "the pre-upgrade backup failed: {error}\n(pass --skip-backup only if you have a backup of your own)"
    ))
}

fn plain_copy(
    config: &Config,
    store: &Store,
    dir: &Path,
    name: &str,
) -> Result<PathBuf, UpgradeError> {
    let database = config.database();
    let target = match database.sqlite_path() {
        Some(_) => {
            let target = dir.join(format!("{name}.sqlite"));
            store.copy_sqlite_into(&target)?;
            target
        }
        None => {
            let target = dir.join(format!("{name}.pgdump"));
            pg_dump(database.expose().as_str(), &target)?;
            target
        }
    };
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600))
        .map_err(|e| io_error("set the mode of", &target, e))?;
    Ok(target)
}

/// Removes the pre-upgrade copies made from a version no longer kept under
/// `<state_dir>/releases/` (a rollback to it is impossible anyway), except
/// those of `protected` versions.
pub fn prune(config: &Config, protected: &[&str]) {
    let Ok(entries) = fs::read_dir(config.backups()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(from) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once("-to-"))
            .map(|(from, _)| from.to_string())
        else {
            continue;
        };
        let kept = kept::kept_binary(&config.state_dir, &from).is_file();
        if !kept && !protected.contains(&from.as_str()) {
            match fs::remove_file(entry.path()) {
                Ok(()) => {
                    tracing::info!(file = %entry.path().display(), "removed a pre-upgrade copy whose release is no longer kept")
                }
                Err(error) => {
                    tracing::warn!(%error, file = %entry.path().display(), "cannot remove an old pre-upgrade copy")
                }
            }
        }
    }
}

fn pg_dump(url: &str, target: &Path) -> Result<(), UpgradeError> {
    let output = Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(target)
        .arg(url)
        .output()
        .map_err(|e| {
            UpgradeError::Preflight(format!(
                "the pre-upgrade backup needs pg_dump ({e}); install postgresql-client, or pass --skip-backup if you have your own"
            ))
        })?;
    if output.status.success() {
        return Ok(());
    }
    Err(UpgradeError::Preflight(format!(
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    )))
}
