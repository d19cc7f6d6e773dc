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

pub(crate) fn io<'a>(
    what: &'static str,
    path: &'a std::path::Path,
) -> impl Fn(std::io::Error) -> BackupError + 'a {
    move |e| BackupError::Io {
        what,
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
