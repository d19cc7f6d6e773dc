//! Where the role is kept: `<state_dir>/standby.json` while the server is
//! a standby (with its pull status), `<state_dir>/promoted.json` once it
//! was promoted. Both are written to a temporary name and renamed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use upsignon_api::StandbyReport;
use upsignon_config::Config;

use super::StandbyError;
use super::error::io;

/// What a standby records of itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StandbyState {
    pub primary: String,
    pub since_unix: i64,
    pub last_pull_unix: Option<i64>,
    pub data_as_of_unix: Option<i64>,
    pub last_error: Option<String>,
}

impl StandbyState {
    pub fn report(&self) -> StandbyReport {
        StandbyReport {
            primary: self.primary.clone(),
            last_pull_unix: self.last_pull_unix,
            data_as_of_unix: self.data_as_of_unix,
            last_error: self.last_error.clone(),
        }
    }
}

/// What `promote` records.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Promoted {
    pub promoted_unix: i64,
    pub former_primary: String,
    pub data_as_of_unix: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Primary,
    Standby(StandbyState),
}

pub(crate) fn standby_file(state_dir: &Path) -> PathBuf {
    state_dir.join("standby.json")
}

pub(crate) fn promoted_file(state_dir: &Path) -> PathBuf {
    state_dir.join("promoted.json")
}

/// The role this server has: promoted wins over everything; then a
/// standby file; then `standby_primary_url` in the config.
pub fn role(config: &Config) -> Role {
    if promoted_file(&config.state_dir).exists() {
        if config.standby_primary_url.is_some() {
            tracing::warn!(
                "standby_primary_url is set but this server was promoted: it serves as a primary; remove the key"
            );
        }
        return Role::Primary;
    }
    if let Some(state) = read_standby(&config.state_dir) {
        return Role::Standby(state);
    }
    match &config.standby_primary_url {
        Some(primary) => Role::Standby(StandbyState {
            primary: primary.clone(),
            since_unix: now_unix(),
            ..StandbyState::default()
        }),
        None => Role::Primary,
    }
}

/// Whether `upsignon standby` (or a first start with
/// `standby_primary_url`) recorded this server as a standby.
pub fn is_recorded(state_dir: &Path) -> bool {
    standby_file(state_dir).exists()
}

pub(crate) fn is_promoted(state_dir: &Path) -> bool {
    promoted_file(state_dir).exists()
}

pub(crate) fn read_standby(state_dir: &Path) -> Option<StandbyState> {
    let text = std::fs::read_to_string(standby_file(state_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<(), StandbyError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let temp = path.with_extension("json.new");
    std::fs::write(&temp, text).map_err(io("write", &temp))?;
    std::fs::rename(&temp, path).map_err(io("rename to", path))
}

pub(crate) fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
