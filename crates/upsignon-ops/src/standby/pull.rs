//! One pull: download the primary's snapshot to a private file, then, under
//! the apply lock and only if the server was not promoted meanwhile, restore
//! it in one pass inside one transaction (header first: key, format,
//! schema; then every chunk and checksum as it is applied). Any failure
//! rolls back and leaves the standby's data as it was.

use std::fmt;
use std::fs::OpenOptions;
use std::io::BufWriter;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use upsignon_config::Config;
use upsignon_store::Store;

use super::error::io;
use super::role::{is_promoted, now_unix};
use super::{StandbyError, lock};
use crate::backup::{self, IfNotEmpty};

/// How long a pull waits for the apply lock (held by `promote` only briefly).
const LOCK_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullReport {
    /// The snapshot was applied: rows, bytes, when the primary took it.
    Applied {
        rows: u64,
        bytes: u64,
        data_as_of_unix: i64,
        elapsed: Duration,
    },
    /// The server was promoted while the snapshot was on its way: it was
    /// dropped and nothing changed.
    DroppedPromoted,
}

impl fmt::Display for PullReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullReport::Applied {
                rows,
                bytes,
                elapsed,
                ..
            } => write!(
                f,
                "applied the primary's snapshot: {rows} rows, {bytes} bytes, {:.2} s",
                elapsed.as_secs_f64()
            ),
            PullReport::DroppedPromoted => {
                write!(f, "promoted during the pull: the snapshot was dropped")
            }
        }
    }
}

/// Pulls once from `primary` into `store`.
pub fn pull_once(
    config: &Config,
    store: &Store,
    primary: &str,
) -> Result<PullReport, StandbyError> {
    let started = Instant::now();
    let key = config
        .backup_key_file
        .as_deref()
        .ok_or(StandbyError::NoKey)?;
    let secret = config
        .replication_secret
        .as_ref()
        .ok_or(StandbyError::NoSecret)?;
    let dir = config.state_dir.join("standby");
    std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
    let incoming = dir.join(".incoming.partial");
    // Cleaners leave the directory alone while the download exists.
    let _writing = crate::backup::leftovers::writing_in(&dir).map_err(io("lock", &dir))?;
    let result = download(config, primary, secret.expose(), &incoming)
        .and_then(|bytes| apply(config, store, primary, key, &incoming, bytes, started));
    let _ = std::fs::remove_file(&incoming);
    result
}

fn apply(
    config: &Config,
    store: &Store,
    primary: &str,
    key: &Path,
    incoming: &Path,
    bytes: u64,
    started: Instant,
) -> Result<PullReport, StandbyError> {
    let snapshot_error = |source| StandbyError::Snapshot {
        primary: primary.to_string(),
        source: Box::new(source),
    };
    let _lock = lock::acquire(&config.state_dir, LOCK_WAIT)?;
    if is_promoted(&config.state_dir) {
        return Ok(PullReport::DroppedPromoted);
    }
    let keys = backup::Keys {
        backup: key.to_path_buf(),
        secrets: Some(config.secrets_key()),
    };
    let report = backup::restore_into_store(store, incoming, &keys, IfNotEmpty::Replace)
        .map_err(snapshot_error)?;
    Ok(PullReport::Applied {
        rows: report.rows,
        bytes,
        data_as_of_unix: report.header.created_at / 1000,
        elapsed: started.elapsed(),
    })
}

/// Streams the snapshot to `to` (mode 600); returns its size.
fn download(config: &Config, primary: &str, secret: &str, to: &Path) -> Result<u64, StandbyError> {
    let unreachable = |reason: String| StandbyError::Unreachable {
        primary: primary.to_string(),
        reason,
    };
    let client = client(config).map_err(unreachable)?;
    let url = format!("{}/replication/snapshot", primary.trim_end_matches('/'));
    let mut response = client
        .get(&url)
        .bearer_auth(secret)
        .send()
        .map_err(|e| unreachable(error_chain(&e)))?;
    match response.status().as_u16() {
        200 => {}
        401 => {
            return Err(StandbyError::Refused {
                primary: primary.to_string(),
            });
        }
        404 => {
            return Err(StandbyError::NoEndpoint {
                primary: primary.to_string(),
            });
        }
        status => return Err(unreachable(format!("it answered HTTP {status}"))),
    }
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(to)
        .map_err(io("create", to))?;
    let mut out = BufWriter::new(file);
    let bytes = response
        .copy_to(&mut out)
        .map_err(|e| unreachable(format!("the transfer broke off: {}", error_chain(&e))))?;
    let file = out
        .into_inner()
        .map_err(|e| io("write", to)(e.into_error()))?;
    file.sync_all().map_err(io("sync", to))?;
    Ok(bytes)
}

fn client(config: &Config) -> Result<reqwest::blocking::Client, String> {
    let mut builder = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(3600));
    if let Some(ca) = &config.standby_primary_ca_file {
        let pem = std::fs::read(ca).map_err(|e| format!("cannot read {}: {e}", ca.display()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("{} holds no PEM certificate: {e}", ca.display()))?;
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|e| e.to_string())
}

/// reqwest's message and its causes, which say what really failed.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Records a pull's outcome in the standby file.
pub(crate) fn record(
    state_dir: &Path,
    state: &mut super::StandbyState,
    outcome: &Result<PullReport, StandbyError>,
) -> PathBuf {
    match outcome {
        Ok(PullReport::Applied {
            data_as_of_unix, ..
        }) => {
            state.last_pull_unix = Some(now_unix());
            state.data_as_of_unix = Some(*data_as_of_unix);
            state.last_error = None;
        }
        Ok(PullReport::DroppedPromoted) => {}
        Err(error) => state.last_error = Some(error.to_string()),
    }
    let path = super::role::standby_file(state_dir);
    // `promote` removes the file: never write it back after a promotion.
    if path.exists()
        && !is_promoted(state_dir)
        && let Err(error) = super::role::write_json(&path, state)
    {
        tracing::warn!(%error, "cannot record the standby's status");
    }
    path
}
