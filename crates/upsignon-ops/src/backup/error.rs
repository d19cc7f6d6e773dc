use std::path::PathBuf;

use upsignon_store::StoreError;

/// Why a backup or restore stopped. A restore refuses before it changes
/// anything; a backup never leaves a file with a final name half-written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "no backup key: set backup_key_file (`upsignon install` creates one) to the key file the backups are encrypted to"
    )]
    NoKey,
    #[error("cannot use the backup key {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error(
        "{path} cannot be decrypted with the key {key}: {reason}.\nIt was made with another key, or it is not an upsignon backup. Nothing was changed."
    )]
    WrongKey {
        path: PathBuf,
        key: PathBuf,
        reason: String,
    },
    #[error(
        "{path} is damaged ({reason}): it was truncated or modified after it was written. Nothing was changed; use another backup."
    )]
    Damaged { path: PathBuf, reason: String },
    #[error(
        "{path} is empty (0 bytes): it is not a backup (an interrupted backup never leaves a file under its final name). Nothing was changed; use another backup."
    )]
    Empty { path: PathBuf },
    #[error(
        "{path} was made by a newer upsignon (backup format {version}; this binary reads formats up to {ours}): upgrade upsignon first, then restore it. Nothing was changed."
    )]
    NewerFormat {
        path: PathBuf,
        version: u32,
        ours: u32,
    },
    #[error(
        "{path} already exists: a backup never replaces a file. Choose another --out, or move that file away."
    )]
    Exists { path: PathBuf },
    #[error(
        "no space left on the disk of {place}: free some space there and run the command again. Nothing was changed."
    )]
    DiskFull { place: String },
    #[error(transparent)]
    SecretsKey(#[from] crate::secrets_key::SecretsKeyError),
    #[error(
        "{path} was made on schema {backup} by upsignon {server}, newer than this binary's {ours}. Nothing was changed; restore it with upsignon {server} or newer."
    )]
    NewerSchema {
        path: PathBuf,
        backup: String,
        ours: String,
        server: String,
    },
    #[error(
        "{path} was made on schema {backup} (upsignon {server}); this binary expects {ours}. Restore it with upsignon {server}, then upgrade."
    )]
    OlderSchema {
        path: PathBuf,
        backup: String,
        ours: String,
        server: String,
    },
    #[error(
        "the target database already holds data: refusing to replace it. Re-run with --force to replace it (a safety backup of it is taken first)."
    )]
    NotEmpty,
    #[error("cannot {what} {path}: {reason}")]
    Io {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A store error as a backup error: a full disk says so plainly.
pub(crate) fn store_error(error: StoreError, place: &str) -> BackupError {
    let text = error.to_string();
    if text.contains("disk is full") || text.contains("No space left") {
        BackupError::DiskFull {
            place: place.to_string(),
        }
    } else {
        BackupError::Store(error)
    }
}

pub(crate) fn io<'a>(
    what: &'static str,
    path: &'a std::path::Path,
) -> impl Fn(std::io::Error) -> BackupError + 'a {
    move |e| {
        if e.kind() == std::io::ErrorKind::StorageFull {
            let temporary = path.to_string_lossy().ends_with(super::leftovers::SUFFIX);
            let place = match path.parent() {
                Some(dir) if temporary => dir,
                _ => path,
            };
            return BackupError::DiskFull {
                place: place.display().to_string(),
            };
        }
        BackupError::Io {
            what,
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
}
