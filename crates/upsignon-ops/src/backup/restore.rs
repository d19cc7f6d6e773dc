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
            "restored {} rows (schema {}, backed up by upsignon {} on {}) in {:.2} s",
            self.rows,
            self.header.schema,
            self.header.server_version,
            self.header.backend,
            self.elapsed.as_secs_f64()
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
    let key = config
        .backup_key_file
        .as_deref()
        .ok_or(BackupError::NoKey)?;
    restore_into(
        &config.database(),
        file,
        key,
        force,
        Some(&config.backups()),
    )
}

pub(crate) fn restore_into(
    url: &DatabaseUrl,
    file: &Path,
    key_file: &Path,
    force: bool,
    safety_dir: Option<&Path>,
) -> Result<RestoreReport, BackupError> {
    let started = Instant::now();
    let (header, rows) = scan(file, key_file, &mut |_| Ok(()))?;
    let store = Store::open(url, 2)?;
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
        if !force {
            return Err(BackupError::NotEmpty);
        }
        let dir = safety_dir.unwrap_or(Path::new("."));
        let out = dir.join(default_name("safety-before-restore"));
        safety_backup = Some(backup(&store, key_file, &out)?.path);
    }
    store.transaction_with(|conn| {
        let tables = dump::tables_in_creation_order(conn)?;
        dump::delete_all(conn, &tables)?;
        let mut loader = Loader::default();
        scan(file, key_file, &mut |item| loader.take(conn, item))?;
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
        self.batch.clear();
        Ok(())
    }
}
