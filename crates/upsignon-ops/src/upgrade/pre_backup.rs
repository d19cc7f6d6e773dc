//! The safety copy taken before an upgrade changes anything: a consistent
//! SQLite copy (`VACUUM INTO`, one read transaction) or a PostgreSQL custom
//! dump (`pg_dump -Fc`). The encrypted, portable `upsignon backup` replaces
//! this when it lands.

use std::path::{Path, PathBuf};
use std::process::Command;

use upsignon_config::Config;
use upsignon_store::Store;

use super::UpgradeError;
use super::error::io_error;

pub fn take(config: &Config, store: &Store, from: &str, to: &str) -> Result<PathBuf, UpgradeError> {
    let dir = config.backups();
    std::fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let database = config.database();
    match database.sqlite_path() {
        Some(_) => {
            let target = dir.join(format!("pre-upgrade-{from}-to-{to}-{stamp}.sqlite"));
            store.copy_sqlite_into(&target)?;
            Ok(target)
        }
        None => {
            let target = dir.join(format!("pre-upgrade-{from}-to-{to}-{stamp}.pgdump"));
            pg_dump(database.expose().as_str(), &target)?;
            Ok(target)
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
