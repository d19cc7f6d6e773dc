//! What `install` leaves for the commands that come after it:
//! `<state_dir>/install.json` names the installed binary (the file
//! `upgrade` and `rollback` replace, whatever binary they are run from) and
//! how the server is run (systemd, a background process, or by hand).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::InstallError;
use super::files::{self, Owner};

/// How the server of this install is started and stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunBy {
    Systemd,
    Background,
    /// `install --start no`: the sysadmin runs `upsignon serve` themself.
    Hand,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRecord {
    /// The binary the service runs.
    pub binary: PathBuf,
    pub run_by: RunBy,
    pub config_file: PathBuf,
}

pub fn record_file(state_dir: &Path) -> PathBuf {
    state_dir.join("install.json")
}

/// The record, when an install wrote one (sites installed by earlier
/// releases have none).
pub fn read(state_dir: &Path) -> Option<InstallRecord> {
    let text = std::fs::read_to_string(record_file(state_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn write(state_dir: &Path, record: &InstallRecord, owner: Owner) -> Result<(), InstallError> {
    let text = serde_json::to_string_pretty(record).unwrap_or_default();
    files::write_atomically(
        &record_file(state_dir),
        format!("{text}\n").as_bytes(),
        0o644,
        owner,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_a_damaged_one_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let record = InstallRecord {
            binary: PathBuf::from("/usr/local/bin/upsignon"),
            run_by: RunBy::Systemd,
            config_file: PathBuf::from("/etc/upsignon/upsignon.toml"),
        };
        write(dir.path(), &record, Owner::Caller).unwrap();
        assert_eq!(read(dir.path()), Some(record));
        std::fs::write(record_file(dir.path()), "{").unwrap();
        assert_eq!(read(dir.path()), None);
    }
}
