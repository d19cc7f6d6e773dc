//! Writing a backup: one read snapshot, every table in one pass
//! ([`dump::each_row`]: memory holds one page whatever the database or row
//! size), JSON lines -> (a second thread) gzip -> age -> a temporary file
//! with a unique name (created exclusively, mode 0600, locked while
//! written) that is fsynced and renamed to its final name only when
//! complete, and never over an existing file.

use std::fmt;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use upsignon_store::{Store, dump};

use super::error::io;
use super::format::{EXTENSION, FORMAT_NAME, FORMAT_VERSION, Header, Record};
use super::pipe::Pipe;
use super::{BackupError, Keys, leftovers, load_identity};

/// Progress is reported after every this many rows of a table.
const PROGRESS_ROWS: u64 = 10_000;
/// Tries for a free name when two backups start in the same second.
const NAME_TRIES: u32 = 100;

#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: PathBuf,
    pub tables: u64,
    pub rows: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

impl fmt::Display for BackupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(0.001);
        write!(
            f,
            "backup written to {}: {} rows in {} tables, {} bytes, {:.2} s ({:.1} MB/s)",
            self.path.display(),
            self.rows,
            self.tables,
            self.bytes,
            secs,
            self.bytes as f64 / 1e6 / secs
        )
    }
}

/// `upsignon-<UTC time>.upsignon-backup`.
pub fn default_name(label: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{label}-{:04}{:02}{:02}T{:02}{:02}{:02}Z.{EXTENSION}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// Where a backup or restore is: the table and the rows done so far.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub table: &'a str,
    pub rows: u64,
}

/// Backs up `store` to `out`, encrypted to the backup key; refuses an
/// `out` that already exists.
pub fn backup(store: &Store, keys: &Keys, out: &Path) -> Result<BackupReport, BackupError> {
    backup_with_progress(store, keys, out, &mut |_| {})
}

/// Backs up `store` into `dir` under a new `<label>-<time>` name; when
/// another backup took that name in the same second, `-2`, `-3`... follow.
pub fn backup_named(
    store: &Store,
    keys: &Keys,
    dir: &Path,
    label: &str,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<BackupReport, BackupError> {
    let first = default_name(label);
    let stem = first.trim_end_matches(&format!(".{EXTENSION}")).to_string();
    let mut out = dir.join(&first);
    for n in 2..=NAME_TRIES {
        match backup_with_progress(store, keys, &out, progress) {
            Err(BackupError::Exists { .. }) => {
                out = dir.join(format!("{stem}-{n}.{EXTENSION}"));
            }
            other => return other,
        }
    }
    Err(BackupError::Exists { path: out })
}

/// As [`backup`], calling `progress` after each page of rows.
pub fn backup_with_progress(
    store: &Store,
    keys: &Keys,
    out: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let recipient = load_identity(&keys.backup)?.to_public();
    let secrets_key = match &keys.secrets {
        Some(path) => crate::secrets_key::read_text(path)?,
        None => None,
    };
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io("create", dir))?;
    if out.exists() {
        return Err(BackupError::Exists {
            path: out.to_path_buf(),
        });
    }
    leftovers::remove_in(dir);
    let _writing = leftovers::writing_in(dir).map_err(io("lock", dir))?;
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("backup");
    let partial = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(leftovers::SUFFIX)
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(io("create a file in", dir))?;
    let file = partial
        .as_file()
        .try_clone()
        .map_err(io("open", partial.path()))?;
    let (tables, rows) = write_encrypted(
        store,
        &recipient,
        secrets_key,
        file,
        partial.path(),
        progress,
    )?;
    partial.persist_noclobber(out).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Exists {
                path: out.to_path_buf(),
            }
        } else {
            io("rename to", out)(e.error)
        }
    })?;
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    let bytes = fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(BackupReport {
        path: out.to_path_buf(),
        tables,
        rows,
        bytes,
        elapsed: started.elapsed(),
    })
}

fn write_encrypted(
    store: &Store,
    recipient: &age::x25519::Recipient,
    secrets_key: Option<String>,
    file: File,
    partial: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(u64, u64), BackupError> {
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
            .map_err(|e| BackupError::Io {
                what: "encrypt",
                path: partial.to_path_buf(),
                reason: e.to_string(),
            })?;
    let encrypted = encryptor
        .wrap_output(BufWriter::with_capacity(1 << 16, file))
        .map_err(io("write", partial))?;
    // gzip and age run on a second thread while this one reads the
    // database; lines reach the compressor in large writes (flate2 prepares
    // its output buffer on every write call, which cost a fifth of the time
    // with one write per line).
    let mut out = Pipe::spawn(
        GzEncoder::new(encrypted, Compression::fast()),
        |compressed| {
            let encrypted = compressed.finish()?;
            let buffered = encrypted.finish()?;
            let file = buffered.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()
        },
    )
    .map_err(io("write", partial))?;
    let counts = store.snapshot(|conn| {
        let schema = upsignon_store::migrations::applied_head(conn)?;
        let header = Header {
            format: FORMAT_NAME.to_string(),
            format_version: FORMAT_VERSION,
            server_version: upsignon_api::SERVER_VERSION.to_string(),
            schema,
            backend: store.backend().name().to_string(),
            created_at: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
            secrets_key,
        };
        write_line(&mut out, &header, partial)?;
        let tables = dump::tables_in_creation_order(conn)?;
        let mut total = 0;
        for table in &tables {
            let before = total;
            total += write_table(conn, table, &mut out, partial, &mut |rows| {
                progress(Progress {
                    table,
                    rows: before + rows,
                })
            })?;
        }
        let end = Record::End {
            tables: tables.len() as u64,
            rows: total,
        };
        write_line(&mut out, &end, partial)?;
        Ok::<_, BackupError>((tables.len() as u64, total))
    })?;
    out.finish().map_err(io("write", partial))?;
    Ok(counts)
}

fn write_table(
    conn: &mut upsignon_store::AnyConnection,
    table: &str,
    out: &mut impl Write,
    partial: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, BackupError> {
    let columns = dump::column_kinds(conn, table)?;
    write_line(
        out,
        &Record::Table {
            name: table.to_string(),
            columns: columns.iter().map(|(name, _)| name.clone()).collect(),
        },
        partial,
    )?;
    let mut hasher = Sha256::new();
    let mut rows = 0;
    dump::each_row(conn, table, &columns, &mut |line| {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
        out.write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .map_err(io("write", partial))?;
        rows += 1;
        if rows % PROGRESS_ROWS == 0 {
            progress(rows);
        }
        Ok::<_, BackupError>(())
    })?;
    progress(rows);
    write_line(
        out,
        &Record::TableEnd {
            name: table.to_string(),
            rows,
            sha256: hex::encode(hasher.finalize()),
        },
        partial,
    )?;
    Ok(rows)
}

fn write_line(
    out: &mut impl Write,
    value: &impl serde::Serialize,
    partial: &Path,
) -> Result<(), BackupError> {
    let line = serde_json::to_string(value).unwrap_or_default();
    writeln!(out, "{line}").map_err(io("write", partial))
}
