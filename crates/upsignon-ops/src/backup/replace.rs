//! Putting a backup back on an older schema than this binary's: the
//! rollback past an irreversible migration restores the pre-upgrade backup
//! with the schema of the release it goes back to. SQLite: the database is
//! built in a new file beside the old one and renamed over it, so a crash
//! leaves the old or the new database, never a mix. PostgreSQL: the schema
//! is dropped, built again and filled in one transaction, so a crash leaves
//! the old database whole.

use std::fs::{self, File};
use std::path::Path;

use upsignon_config::{Config, DatabaseUrl};
use upsignon_store::{Migration, Store};

use super::error::{io, store_error};
use super::restore::{IfNotEmpty, RestoreReport, load_file, place_secrets_key, restore_into_store};
use super::{BackupError, Keys};

/// Replaces the database of `config` with `file`, on the schema that
/// `migrations` (the older release's) build.
pub fn replace_database(
    config: &Config,
    migrations: Vec<Migration>,
    file: &Path,
) -> Result<RestoreReport, BackupError> {
    let keys = Keys::of(config)?;
    match config.database() {
        DatabaseUrl::Sqlite(path) => replace_sqlite(&path, migrations, file, &keys),
        url @ DatabaseUrl::Postgres(_) => {
            // A wrong key, a newer format or another schema is refused
            // before the tables go.
            let header = super::read::read_header(file, &keys.backup)?;
            let store = Store::open_with_migrations(&url, 2, migrations)?;
            if Some(header.schema.as_str()) != store.expected_schema() {
                return Err(BackupError::OlderSchema {
                    path: file.to_path_buf(),
                    backup: header.schema,
                    ours: store.expected_schema().unwrap_or("0").to_string(),
                    server: header.server_version,
                });
            }
            // One transaction: the schema dropped, built again and filled,
            // so a crash or an error leaves the database as it was.
            let started = std::time::Instant::now();
            let rows = store
                .rebuild_then(upsignon_api::SERVER_VERSION, |conn| {
                    load_file(conn, file, &keys, &mut |_| {})
                })
                .map_err(|e| match e {
                    BackupError::Store(e) => store_error(e, "the database"),
                    other => other,
                })?;
            let secrets_key = place_secrets_key(&keys, &header);
            Ok(RestoreReport {
                header,
                rows,
                safety_backup: None,
                secrets_key,
                elapsed: started.elapsed(),
            })
        }
    }
}

fn replace_sqlite(
    path: &Path,
    migrations: Vec<Migration>,
    file: &Path,
    keys: &Keys,
) -> Result<RestoreReport, BackupError> {
    let building = path.with_extension("restoring");
    remove_with_journal(&building)?;
    let report = {
        let store = Store::open_with_migrations(&DatabaseUrl::sqlite(&building), 1, migrations)?;
        let report = restore_into_store(&store, file, keys, IfNotEmpty::Refuse)?;
        store.checkpoint()?;
        report
    };
    File::open(&building)
        .and_then(|f| f.sync_all())
        .map_err(io("sync", &building))?;
    for suffix in ["-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", path.display()));
    }
    fs::rename(&building, path).map_err(io("replace", path))?;
    remove_with_journal(&building)?;
    if let Some(dir) = path.parent()
        && let Ok(handle) = File::open(dir)
    {
        let _ = handle.sync_all();
    }
    Ok(report)
}

/// Removes an SQLite file and its WAL and shared-memory files.
fn remove_with_journal(path: &Path) -> Result<(), BackupError> {
    for name in [
        path.display().to_string(),
        format!("{}-wal", path.display()),
        format!("{}-shm", path.display()),
    ] {
        match fs::remove_file(&name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("remove", Path::new(&name))(e)),
        }
    }
    Ok(())
}
