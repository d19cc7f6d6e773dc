//! Restoring a backup: its header first (key, format, schema), then the
//! target emptied and filled in one transaction while the file is read once
//! (decrypt, uncompress, check, insert as the stream goes); a damaged chunk
//! or a missing end rolls everything back, so a restore either happens whole
//! or not at all. A non-empty target needs `--force` and gets a safety
//! backup first. The backup's secrets key is put in `secrets_key_file`
//! after the data is in.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use upsignon_store::dump::{self, ColumnKind, RowBatch};
use upsignon_store::{AnyConnection, Store};

use super::error::store_error;
use super::format::Header;
use super::read::{Item, read_header, scan};
use super::write::Progress;
use super::{BackupError, Keys, backup_named};

/// A batch of rows is written when it holds this many rows...
const BATCH_ROWS: usize = 2_000;
/// ...or this many bytes of text.
const BATCH_BYTES: usize = 4 << 20;

#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub header: Header,
    pub rows: u64,
    pub safety_backup: Option<PathBuf>,
    /// What became of the backup's secrets key, when there is news.
    pub secrets_key: Option<String>,
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
        if let Some(note) = &self.secrets_key {
            write!(f, "\n{note}")?;
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
    let keys = Keys::of(config)?;
    let store = Store::open(&config.database(), 2)?;
    let backups = config.backups();
    let if_not_empty = if force {
        IfNotEmpty::SafetyBackupInto(&backups)
    } else {
        IfNotEmpty::Refuse
    };
    restore_into_store_with_progress(&store, file, &keys, if_not_empty, progress)
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

/// Restores `file` into `store`: checks its header, then replaces the data
/// in one transaction while the file is read, once.
pub(crate) fn restore_into_store(
    store: &Store,
    file: &Path,
    keys: &Keys,
    if_not_empty: IfNotEmpty<'_>,
) -> Result<RestoreReport, BackupError> {
    restore_into_store_with_progress(store, file, keys, if_not_empty, &mut |_| {})
}

fn restore_into_store_with_progress(
    store: &Store,
    file: &Path,
    keys: &Keys,
    if_not_empty: IfNotEmpty<'_>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RestoreReport, BackupError> {
    let started = Instant::now();
    let header = read_header(file, &keys.backup)?;
    check_schema(store, file, &header)?;
    store.migrate_up(upsignon_api::SERVER_VERSION)?;
    let mut safety_backup = None;
    if dump::has_rows(&mut *store.connection()?)? {
        match if_not_empty {
            IfNotEmpty::Refuse => return Err(BackupError::NotEmpty),
            IfNotEmpty::SafetyBackupInto(dir) => {
                safety_backup = Some(
                    backup_named(store, keys, dir, "safety-before-restore", &mut |_| {})?.path,
                );
            }
            IfNotEmpty::Replace => {}
        }
    }
    let rows = store
        .transaction_with(|conn| load_file(conn, file, keys, progress))
        .map_err(|e| match e {
            BackupError::Store(e) => store_error(e, "the database"),
            other => other,
        })?;
    let secrets_key = place_secrets_key(keys, &header);
    Ok(RestoreReport {
        header,
        rows,
        safety_backup,
        secrets_key,
        elapsed: started.elapsed(),
    })
}

/// Inside the caller's transaction: empties every table, then fills them
/// from `file`, read once, with indexes built after the load (PostgreSQL).
/// Returns the rows written.
pub(crate) fn load_file(
    conn: &mut AnyConnection,
    file: &Path,
    keys: &Keys,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<u64, BackupError> {
    let tables = dump::tables_in_creation_order(conn)?;
    dump::delete_all(conn, &tables)?;
    dump::with_indexes_built_after(conn, &tables, |conn| {
        let mut loader = Loader::default();
        let (_, rows) = scan(file, &keys.backup, &mut |item| {
            if loader.take(conn, item)? {
                progress(Progress {
                    table: &loader.table,
                    rows: loader.rows,
                });
            }
            Ok(())
        })?;
        Ok::<_, BackupError>(rows)
    })
}

/// Puts the backup's secrets key in `secrets_key_file` once the data is in;
/// says what happened. A failure here does not undo the restore (the data
/// is committed): the note says how to finish by hand.
pub(crate) fn place_secrets_key(keys: &Keys, header: &Header) -> Option<String> {
    let (Some(path), Some(text)) = (&keys.secrets, &header.secrets_key) else {
        return None;
    };
    if !crate::secrets_key::is_valid_text(text) {
        return Some("the backup's secrets key is not valid and was not used".to_string());
    }
    match crate::secrets_key::replace(path, text) {
        Ok(true) => {
            tracing::info!(path = %path.display(), "the secrets key of the restored site is in place");
            Some(format!(
                "the restored site's secrets key is now in {}: restart the server before admins sign in",
                path.display()
            ))
        }
        Ok(false) => None,
        Err(error) => {
            tracing::error!(%error, "the restored site's secrets key was not written");
            Some(format!(
                "WARNING: the data is restored but its secrets key was not written ({error}); admins cannot sign in until secrets_key_file holds the key of the backed-up site"
            ))
        }
    }
}

/// A backup restores only into the schema it was made on.
fn check_schema(store: &Store, file: &Path, header: &Header) -> Result<(), BackupError> {
    let ours = store.expected_schema().unwrap_or("0").to_string();
    if header.schema.as_str() > ours.as_str() {
        return Err(BackupError::NewerSchema {
            path: file.to_path_buf(),
            backup: header.schema.clone(),
            ours,
            server: header.server_version.clone(),
        });
    }
    if header.schema != ours {
        return Err(BackupError::OlderSchema {
            path: file.to_path_buf(),
            backup: header.schema.clone(),
            ours,
            server: header.server_version.clone(),
        });
    }
    Ok(())
}

/// Batches rows per table (by count and by bytes, so large vaults are
/// written a few at a time) and writes them with the target's column kinds.
#[derive(Default)]
struct Loader {
    table: String,
    batch: Option<RowBatch>,
    /// Rows written so far, all tables.
    rows: u64,
}

impl Loader {
    /// Takes one item; returns whether a batch was written.
    fn take(&mut self, conn: &mut AnyConnection, item: Item<'_>) -> Result<bool, BackupError> {
        match item {
            Item::Table { name, columns } => {
                let kinds: HashMap<String, ColumnKind> =
                    dump::column_kinds(conn, name)?.into_iter().collect();
                let columns = columns
                    .iter()
                    .map(|c| {
                        kinds.get(c).map(|k| (c.clone(), *k)).ok_or_else(|| {
                            dump_error(format!("column {name}.{c} does not exist in this database"))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                self.table = name.to_string();
                self.batch = Some(RowBatch::new(name, columns));
                Ok(false)
            }
            Item::Row(line) => {
                let batch = self
                    .batch
                    .as_mut()
                    .ok_or_else(|| dump_error("a row before its table".to_string()))?;
                batch.push(line)?;
                if batch.len() >= BATCH_ROWS || batch.bytes() >= BATCH_BYTES {
                    self.rows += batch.flush(conn)? as u64;
                    return Ok(true);
                }
                Ok(false)
            }
            Item::TableEnd => {
                let written = match self.batch.take() {
                    Some(mut batch) => batch.flush(conn)?,
                    None => 0,
                };
                self.rows += written as u64;
                Ok(written > 0)
            }
        }
    }
}

fn dump_error(reason: String) -> BackupError {
    BackupError::Store(upsignon_store::StoreError::Dump(reason))
}
