//! Reading a backup back: decrypt, uncompress, parse, and check every
//! table's row count and checksum and the final record, in one pass.
//! `read_header` reads the first line only, so a restore can refuse a wrong
//! key or schema before it changes anything; the restore itself then reads
//! the file once, inside its transaction.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use upsignon_config::DatabaseUrl;
use upsignon_store::Store;

use super::error::io;
use super::format::{FORMAT_NAME, FORMAT_VERSION, Header, Record};
use super::{BackupError, load_identity};

/// What a reader hands out, in file order.
pub enum Item<'a> {
    Table {
        name: &'a str,
        columns: &'a [String],
    },
    /// One row: a JSON array (as text) with one value per column.
    Row(&'a str),
    TableEnd,
}

/// Reads `path` to the end, calling `visit` for each table and row, and
/// fails on anything damaged. Returns the header and the total row count.
pub fn scan(
    path: &Path,
    key_file: &Path,
    visit: &mut dyn FnMut(Item<'_>) -> Result<(), BackupError>,
) -> Result<(Header, u64), BackupError> {
    read_records(open_plain(path, key_file)?, path, visit)
}

/// Only the header of `path` (decrypting its first block): enough to refuse
/// a wrong key, a newer format or another schema before anything changes.
pub fn read_header(path: &Path, key_file: &Path) -> Result<Header, BackupError> {
    let mut first = String::new();
    open_plain(path, key_file)?
        .read_line(&mut first)
        .map_err(|e| BackupError::Damaged {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    parse_header(&first, path)
}

/// The decrypted, uncompressed text of `path`, as a stream.
fn open_plain(path: &Path, key_file: &Path) -> Result<impl BufRead, BackupError> {
    let identity = load_identity(key_file)?;
    let file = File::open(path).map_err(io("open", path))?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(BackupError::Empty {
            path: path.to_path_buf(),
        });
    }
    let wrong_key = |reason: String| BackupError::WrongKey {
        path: path.to_path_buf(),
        key: key_file.to_path_buf(),
        reason,
    };
    let decryptor = age::Decryptor::new(BufReader::with_capacity(1 << 16, file))
        .map_err(|e| wrong_key(e.to_string()))?;
    let plain = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| wrong_key(e.to_string()))?;
    // age and gzip run on a second thread while this one parses and loads.
    super::pipe::ReadAhead::spawn(GzDecoder::new(plain)).map_err(io("read", path))
}

fn parse_header(line: &str, path: &Path) -> Result<Header, BackupError> {
    let damaged = |reason: String| BackupError::Damaged {
        path: path.to_path_buf(),
        reason,
    };
    let header: Header = serde_json::from_str(line).map_err(|e| damaged(e.to_string()))?;
    if header.format != FORMAT_NAME {
        return Err(damaged(format!(
            "format {} is not an upsignon backup",
            header.format
        )));
    }
    if header.format_version > FORMAT_VERSION {
        return Err(BackupError::NewerFormat {
            path: path.to_path_buf(),
            version: header.format_version,
            ours: FORMAT_VERSION,
        });
    }
    Ok(header)
}

/// The decrypted, uncompressed JSON lines of a backup (see `format`), read
/// and checked to the end; `path` only names the file in errors. Anything
/// malformed is a `Damaged` error, never a panic (a fuzz target holds it
/// to that).
pub fn read_records(
    plain: impl BufRead,
    path: &Path,
    visit: &mut dyn FnMut(Item<'_>) -> Result<(), BackupError>,
) -> Result<(Header, u64), BackupError> {
    let damaged = |reason: String| BackupError::Damaged {
        path: path.to_path_buf(),
        reason,
    };
    let mut lines = plain.lines();
    let mut next = || -> Result<String, BackupError> {
        match lines.next() {
            Some(Ok(line)) => Ok(line),
            Some(Err(e)) => Err(damaged(e.to_string())),
            None => Err(damaged("it ends before its final record".to_string())),
        }
    };
    let header = parse_header(&next()?, path)?;
    let mut total = 0;
    let mut tables_read = 0u64;
    loop {
        let record: Record = serde_json::from_str(&next()?).map_err(|e| damaged(e.to_string()))?;
        match record {
            Record::Table { name, columns } => {
                visit(Item::Table {
                    name: &name,
                    columns: &columns,
                })?;
                let mut hasher = Sha256::new();
                let mut rows = 0u64;
                let end = loop {
                    let line = next()?;
                    if line.starts_with('[') {
                        hasher.update(line.as_bytes());
                        hasher.update(b"\n");
                        rows += 1;
                        visit(Item::Row(&line))?;
                        continue;
                    }
                    break serde_json::from_str::<Record>(&line)
                        .map_err(|e| damaged(e.to_string()))?;
                };
                match end {
                    Record::TableEnd {
                        name: ended,
                        rows: count,
                        sha256,
                    } if ended == name
                        && count == rows
                        && sha256 == hex::encode(hasher.finalize()) =>
                    {
                        visit(Item::TableEnd)?;
                        total += rows;
                        tables_read += 1;
                    }
                    _ => return Err(damaged(format!("table {name} does not match its checksum"))),
                }
            }
            Record::End { rows, tables } if rows == total && tables == tables_read => {
                return Ok((header, total));
            }
            _ => return Err(damaged("its records are out of order".to_string())),
        }
    }
}

#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub path: PathBuf,
    pub header: Header,
    pub rows: u64,
    pub elapsed: Duration,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is good: restored into a scratch database, {} rows, every checksum matches (schema {}, upsignon {}, {:.2} s)",
            self.path.display(),
            self.rows,
            self.header.schema,
            self.header.server_version,
            self.elapsed.as_secs_f64()
        )
    }
}

/// The automated restore drill: restores `path` into a scratch SQLite
/// database and checks it holds every row the backup says it has.
pub fn verify(path: &Path, key_file: &Path) -> Result<VerifyReport, BackupError> {
    let started = Instant::now();
    let scratch =
        tempfile::tempdir().map_err(io("create a scratch directory in", Path::new("/tmp")))?;
    let url = DatabaseUrl::sqlite(scratch.path().join("verify.db"));
    // The scratch database gets the backup's own schema when this binary
    // knows it: a backup of an older release (a pre-upgrade backup) is
    // checked as well as one of this release.
    let schema = read_header(path, key_file)?.schema;
    let migrations: Vec<_> = upsignon_store::migrations::embedded(upsignon_store::Backend::Sqlite)
        .into_iter()
        .filter(|m| m.version.as_str() <= schema.as_str())
        .collect();
    let store = Store::open_with_migrations(&url, 2, migrations)?;
    let report = super::restore::restore_into_store(
        &store,
        path,
        &super::Keys::backup_only(key_file),
        super::IfNotEmpty::Refuse,
    )?;
    let mut conn = store.connection()?;
    let mut rows = 0;
    for table in upsignon_store::dump::tables_in_creation_order(&mut conn)? {
        rows += upsignon_store::introspect::count(&mut conn, &table)?;
    }
    if rows != report.rows {
        return Err(BackupError::Damaged {
            path: path.to_path_buf(),
            reason: format!("{} rows restored, {} expected", rows, report.rows),
        });
    }
    Ok(VerifyReport {
        path: path.to_path_buf(),
        header: report.header,
        rows,
        elapsed: started.elapsed(),
    })
}
