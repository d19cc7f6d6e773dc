//! `upsignon standby --primary URL`, before serving: record the role, and
//! never let the first pull replace data silently.

use std::fmt;
use std::path::PathBuf;

use upsignon_config::Config;
use upsignon_store::{Store, dump};

use super::role::{now_unix, promoted_file, read_standby, standby_file, write_json};
use super::{StandbyError, StandbyState};
use crate::backup::{Keys, backup_named};

#[derive(Debug, Clone)]
pub struct BecomeReport {
    pub primary: String,
    pub already_standby: bool,
    pub safety_backup: Option<PathBuf>,
}

impl fmt::Display for BecomeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already_standby {
            write!(f, "this server is a standby of {}", self.primary)?;
        } else {
            write!(f, "this server is now a standby of {}", self.primary)?;
        }
        if let Some(path) = &self.safety_backup {
            write!(f, "; the data it held is in {}", path.display())?;
        }
        write!(
            f,
            ". It pulls now and every pull interval, and answers only /health and /version until `upsignon promote`."
        )
    }
}

/// Makes this server a standby of `primary` (or of the configured or
/// recorded one). A database with rows that is not a standby yet needs
/// `force`, and is backed up first.
pub fn become_standby(
    config: &Config,
    primary: Option<&str>,
    force: bool,
) -> Result<BecomeReport, StandbyError> {
    let key = config
        .backup_key_file
        .as_deref()
        .ok_or(StandbyError::NoKey)?;
    config
        .replication_secret
        .as_ref()
        .ok_or(StandbyError::NoSecret)?;
    let recorded = read_standby(&config.state_dir);
    let was_promoted = promoted_file(&config.state_dir).exists();
    let already_standby = recorded.is_some() && !was_promoted;
    let primary = primary
        .map(str::to_string)
        .or_else(|| config.standby_primary_url.clone())
        .or_else(|| recorded.as_ref().map(|s| s.primary.clone()))
        .ok_or(StandbyError::NoPrimary)?;
    let mut safety_backup = None;
    if !already_standby {
        let store = Store::open(&config.database(), 1)?;
        store.migrate_up(upsignon_api::SERVER_VERSION)?;
        if dump::has_rows(&mut *store.connection()?)? {
            if !force {
                return Err(StandbyError::HoldsData);
            }
            let keys = Keys {
                backup: key.to_path_buf(),
                secrets: Some(config.secrets_key()),
            };
            safety_backup = Some(
                backup_named(
                    &store,
                    &keys,
                    &config.backups(),
                    "safety-before-standby",
                    &mut |_| {},
                )?
                .path,
            );
        }
    }
    std::fs::create_dir_all(&config.state_dir)
        .map_err(super::error::io("create", &config.state_dir))?;
    let state = match recorded {
        Some(state) if already_standby && state.primary == primary => state,
        _ => StandbyState {
            primary: primary.clone(),
            since_unix: now_unix(),
            ..StandbyState::default()
        },
    };
    write_json(&standby_file(&config.state_dir), &state)?;
    if was_promoted {
        let path = promoted_file(&config.state_dir);
        std::fs::remove_file(&path).map_err(super::error::io("remove", &path))?;
    }
    Ok(BecomeReport {
        primary,
        already_standby,
        safety_backup,
    })
}
