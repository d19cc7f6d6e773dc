use std::path::PathBuf;

use crate::backup::BackupError;

/// Why a standby could not pull, or a server could not change role.
#[derive(Debug, thiserror::Error)]
pub enum StandbyError {
    #[error(
        "a standby needs the primary's backup key to read its snapshots: copy the primary's backup_key_file to this server (mode 600) and set backup_key_file"
    )]
    NoKey,
    #[error(
        "a standby needs replication_secret, the same as on the primary (set it in the config or UPSIGNON_REPLICATION_SECRET)"
    )]
    NoSecret,
    #[error(
        "no primary to pull from: give --primary https://PRIMARY:8443, or set standby_primary_url"
    )]
    NoPrimary,
    #[error(
        "the primary {primary} refused this standby (HTTP 401): replication_secret differs between the two servers; set the same value on both"
    )]
    Refused { primary: String },
    #[error(
        "the primary {primary} has no replication endpoint (HTTP 404): set replication_secret on the primary and restart it"
    )]
    NoEndpoint { primary: String },
    #[error(
        "cannot pull from the primary {primary}: {reason}\nCheck that it runs and that this server reaches it (and standby_primary_ca_file when it has a self-signed certificate); the standby keeps its data and retries."
    )]
    Unreachable { primary: String, reason: String },
    #[error("the snapshot from {primary} cannot be applied: {source}")]
    Snapshot {
        primary: String,
        #[source]
        source: Box<BackupError>,
    },
    #[error(
        "this database already holds data and this server is not a standby yet: the first pull would replace it.\nBack it up (`upsignon backup`) or re-run with --force, which takes a safety backup first."
    )]
    HoldsData,
    #[error(
        "this server is not a standby: nothing to promote.\nTo make it one, run `upsignon standby --primary URL`."
    )]
    NotStandby,
    #[error(
        "a pull is still being applied after {secs} s: try `upsignon promote` again in a moment"
    )]
    PullInFlight { secs: u64 },
    #[error("cannot {what} {path}: {reason}")]
    Io {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(transparent)]
    Backup(Box<BackupError>),
    #[error(transparent)]
    Store(#[from] upsignon_store::StoreError),
}

impl From<BackupError> for StandbyError {
    fn from(error: BackupError) -> Self {
        StandbyError::Backup(Box::new(error))
    }
}

pub(crate) fn io<'a>(
    what: &'static str,
    path: &'a std::path::Path,
) -> impl Fn(std::io::Error) -> StandbyError + 'a {
    move |e| StandbyError::Io {
        what,
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
