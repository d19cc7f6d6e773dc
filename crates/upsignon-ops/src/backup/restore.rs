//! Restoring a backup: a full read first (key, integrity, schema), then the
//! target emptied and filled in one transaction, so a restore either
//! happens whole or not at all. A non-empty target needs `--force` and gets
//! a safety backup first.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use upsignon_config::DatabaseUrl;
use upsignon_store::dump::{self, ColumnKind};
use upsignon_store::{AnyConnection, Store};

use super::format::Header;
use super::read::{Item, scan};
use super::write::Progress;
use super::{BackupError, backup, default_name};

const BATCH: usize = 500;

#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub header: Header,
    pub rows: u64,
    pub safety_backup: Option<PathBuf>,
    pub elapsed: Duration,
}

impl fmt::Display for RestoreReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "restored {} rows (schema {}, backed up by upsignon {} on {}) in {:.2} s ({:.0} rows/s)",
            self.rows,
            self.header.schema,
            self.header.server_version,
            self.header.backend,
            self.elapsed.as_secs_f64(),
            self.rows as f64 / self.elapsed.as_secs_f64().max(0.001)
        )?;
        if let Some(path) = &self.safety_backup {
            write!(f, "; the replaced data is in {}", path.display())?;
        }
        Ok(())
    }
}

/// Restores `file` into the database of `config`.
pub fn restore(
    config: &upsignon_config::Config,
    file: &Path,
    force: bool,
) -> Result<RestoreReport, BackupError> {
    restore_with_progress(config, file, force, &mut |_| {})
}

/// As [`restore`], calling `progress` after each batch of rows written.
pub fn restore_with_progress(
    config: &upsignon_config::Config,
    file: &Path,
    force: bool,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RestoreReport, BackupError> {
    let key = config
        .backup_key_file
        .as_deref()
        .ok_or(BackupError::NoKey)?;
    let store = Store::open(&config.database(), 2)?;
    let backups = config.backups();
    let if_not_empty = if force {
        IfNotEmpty::SafetyBackupInto(&backups)
    } else {
        IfNotEmpty::Refuse
    };
    restore_into_store_with_progress(&store, file, key, if_not_empty, progress)
}

/// What a restore does to a database that already holds rows.
pub(crate) enum IfNotEmpty<'a> {
    /// Refuse (`restore` without `--force`).
    Refuse,
    /// Back the rows up into this directory first, then replace them.
    SafetyBackupInto(&'a Path),
    /// Replace them: a standby's data is the primary's last snapshot.
    Replace,
}

/// Restores `file` into the empty database at `url` (the restore drill).
pub(crate) fn restore_into_empty(
    url: &DatabaseUrl,
    file: &Path,
    key_file: &Path,
) -> Result<RestoreReport, BackupError> {
    let store = Store::open(url, 2)?;
    restore_into_store(&store, file, key_file, IfNotEmpty::Refuse)
}

/// Restores `file` into `store`: reads it whole first, then replaces the
/// data in one transaction.
pub(crate) fn restore_into_store(
    store: &Store,
    file: &Path,
    key_file: &Path,
    if_not_empty: IfNotEmpty<'_>,
) -> Result<RestoreReport, BackupError> {
    restore_into_store_with_progress(store, file, key_file, if_not_empty, &mut |_| {})
}

fn restore_into_store_with_progress(
    store: &Store,
    file: &Path,
    key_file: &Path,
    if_not_empty: IfNotEmpty<'_>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RestoreReport, BackupError> {
    let started = Instant::now();
    let (header, rows) = scan(file, key_file, &mut |_| Ok(()))?;
    let ours = store.expected_schema().unwrap_or("0").to_string();
    if header.schema.as_str() > ours.as_str() {
        return Err(BackupError::NewerSchema {
            path: file.to_path_buf(),
            backup: header.schema,
            ours,
            server: header.server_version,
        });
    }
    if header.schema != ours {
        return Err(BackupError::OlderSchema {
            path: file.to_path_buf(),
            backup: header.schema,
            ours,
            server: header.server_version,
        });
    }
    store.migrate_up(upsignon_api::SERVER_VERSION)?;
    let mut safety_backup = None;
    if dump::has_rows(&mut *store.connection()?)? {
        match if_not_empty {
            IfNotEmpty::Refuse => return Err(BackupError::NotEmpty),
            IfNotEmpty::SafetyBackupInto(dir) => {
                let out = dir.join(default_name("safety-before-restore"));
                safety_backup = Some(backup(store, key_file, &out)?.path);
            }
            IfNotEmpty::Replace => {}
        }
    }
    store.transaction_with(|conn| {
        let tables = dump::tables_in_creation_order(conn)?;
        dump::delete_all(conn, &tables)?;
        let mut loader = Loader::default();
        scan(file, key_file, &mut |item| {
            loader.take(conn, item)?;
            if loader.batch.is_empty() && loader.rows > 0 {
                progress(Progress {
                    table: &loader.table,
                    rows: loader.rows,
                });
            }
            Ok(())
        })?;
        Ok::<_, BackupError>(())
    })?;
    Ok(RestoreReport {
        header,
        rows,
        safety_backup,
        elapsed: started.elapsed(),
    })
}

/// Batches rows per table and writes them with the target's column kinds.
#[derive(Default)]
struct Loader {
    table: String,
    columns: Vec<(String, ColumnKind)>,
    batch: Vec<serde_json::Value>,
    /// Rows written so far, all tables.
    rows: u64,
}

impl Loader {
    fn take(&mut self, conn: &mut AnyConnection, item: Item<'_>) -> Result<(), BackupError> {
        match item {
            Item::Table { name, columns } => {
                let kinds: HashMap<String, ColumnKind> =
                    dump::column_kinds(conn, name)?.into_iter().collect();
                self.columns = columns
                    .iter()
                    .map(|c| {
                        kinds.get(c).map(|k| (c.clone(), *k)).ok_or_else(|| {
                            upsignon_store::StoreError::Dump(format!(
                                "column {name}.{c} does not exist in this database"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                self.table = name.to_string();
            }
            Item::Row(row) => {
                self.batch.push(row);
                if self.batch.len() >= BATCH {
                    self.flush(conn)?;
                }
            }
            Item::TableEnd => self.flush(conn)?,
        }
        Ok(())
    }

    fn flush(&mut self, conn: &mut AnyConnection) -> Result<(), BackupError> {
        dump::insert_rows(conn, &self.table, &self.columns, &self.batch)?;
        self.rows += self.batch.len() as u64;
        self.batch.clear();
        Ok(())
    }
}
