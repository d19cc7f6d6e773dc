//! This machine: free disk space, the age of the newest backup, standby
//! state, and whether the server answers on its port.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use upsignon_config::Config;

use super::Check;
use crate::identity::{self, Answering};
use crate::install::record::{self, RunBy};
use crate::install::service;

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;
pub const BACKUP_EXTENSION: &str = "upsignon-backup";

pub fn disk_space(config: &Config) -> Check {
    let mut places = vec![config.state_dir.clone(), config.backups()];
    places.dedup();
    let mut worst: Option<(PathBuf, u64, u64)> = None;
    for place in places {
        let Some(existing) = nearest_existing(&place) else {
            continue;
        };
        let Ok(stat) = rustix::fs::statvfs(&existing) else {
            continue;
        };
        let free = stat.f_bavail.saturating_mul(stat.f_frsize);
        let total = stat.f_blocks.saturating_mul(stat.f_frsize);
        if worst.as_ref().is_none_or(|(_, f, _)| free < *f) {
            worst = Some((place, free, total));
        }
    }
    let Some((place, free, total)) = worst else {
        return Check::warn(
            "disk",
            "cannot measure free space",
            "check the state and backup directories exist",
        );
    };
    let summary = format!(
        "{:.1} GiB free of {:.1} GiB for {}",
        free as f64 / GIB as f64,
        total as f64 / GIB as f64,
        place.display()
    );
    if free < 100 * MIB {
        Check::fail(
            "disk",
            summary,
            "free space now: the database and backups stop being written when the disk is full",
        )
    } else if free < GIB || free.saturating_mul(20) < total {
        Check::warn(
            "disk",
            summary,
            "free some space or grow the disk; old backups beyond the retention are safe to delete",
        )
    } else {
        Check::ok("disk", summary)
    }
}

fn nearest_existing(path: &Path) -> Option<PathBuf> {
    path.ancestors().find(|p| p.exists()).map(Path::to_path_buf)
}

pub fn last_backup(config: &Config) -> Check {
    if let Some(run) = crate::backup::schedule::last_run(&config.state_dir).filter(|r| !r.ok) {
        return Check::fail(
            "backups",
            format!("the last scheduled backup failed: {}", run.detail),
            "fix what the message says, then run `upsignon backup` (the scheduler retries every minute)",
        );
    }
    let dir = config.backups();
    let newest = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == BACKUP_EXTENSION))
        .filter_map(|e| e.metadata().ok()?.modified().ok())
        .max();
    let Some(modified) = newest else {
        return Check::warn(
            "backups",
            format!("no backup in {} yet", dir.display()),
            "run `upsignon backup` and keep the scheduled backups on",
        );
    };
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or(Duration::ZERO);
    let hours = age.as_secs() / 3600;
    let drill = std::fs::read_to_string(crate::backup::schedule::drill_file(&config.state_dir))
        .ok()
        .and_then(|text| serde_json::from_str::<crate::backup::schedule::DrillResult>(&text).ok());
    if let Some(drill) = drill.as_ref().filter(|d| !d.ok) {
        return Check::fail(
            "backups",
            format!("the last restore drill failed: {}", drill.detail),
            "run `upsignon backup verify FILE` on the newest backup and read its message; take a new backup",
        );
    }
    if hours > 26 {
        Check::warn(
            "backups",
            format!("the newest backup is {hours} hours old"),
            "check the server's log for backup errors, or run `upsignon backup`",
        )
    } else {
        let drilled = match drill {
            Some(_) => "; the last restore drill passed",
            None => "; no restore drill yet",
        };
        Check::ok(
            "backups",
            format!(
                "the newest backup is {} minutes old{drilled}",
                age.as_secs() / 60
            ),
        )
    }
}

/// On a standby: how old its data is and whether pulls succeed.
pub fn standby(config: &Config) -> Check {
    let state = match crate::standby::role(config) {
        crate::standby::Role::Primary => {
            let replication = if config.replication_secret.is_some() {
                "its replication endpoint is open to standbys"
            } else {
                "no replication_secret, so no standby can pull from it"
            };
            return Check::ok(
                "standby",
                format!("this server is a primary; {replication}"),
            );
        }
        crate::standby::Role::Standby(state) => state,
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let lag_limit = 2 * config.standby_interval_secs as i64 + 60;
    let Some(data_as_of) = state.data_as_of_unix else {
        return Check::warn(
            "standby",
            format!(
                "standby of {}: no pull has completed yet{}",
                state.primary,
                last_error(&state.last_error)
            ),
            "start the server (it pulls at once) and see its log; `upsignon promote` makes it a primary",
        );
    };
    let age = now - data_as_of;
    let summary = format!(
        "standby of {}: data {} minutes old{}",
        state.primary,
        age / 60,
        last_error(&state.last_error)
    );
    if age > lag_limit || state.last_error.is_some() {
        Check::warn(
            "standby",
            summary,
            "the primary must answer /replication/snapshot with the same replication_secret; see the server's log",
        )
    } else {
        Check::ok("standby", summary)
    }
}

fn last_error(error: &Option<String>) -> String {
    match error {
        Some(error) => format!(
            "; the last pull failed: {}",
            error.lines().next().unwrap_or("")
        ),
        None => String::new(),
    }
}

/// Nothing answers: a FAIL for a site `install` set up to run (its apps
/// cannot sync), a WARN where the sysadmin runs the server by hand.
fn stopped(config: &Config) -> Check {
    let summary = format!("nothing answers on {}", config.listen);
    match record::read(&config.state_dir).map(|r| r.run_by) {
        Some(RunBy::Systemd) => Check::fail(
            "server",
            format!("{summary}: the service is stopped"),
            "start it: systemctl start upsignon; if it stops again, see journalctl -u upsignon",
        ),
        Some(RunBy::Background) => Check::fail(
            "server",
            format!("{summary}: the background server is stopped"),
            format!(
                "start it again: `upsignon install` (a re-run repairs and starts it), or `upsignon --config FILE serve`; its log is {}",
                service::log_file(&config.state_dir).display()
            ),
        ),
        _ => Check::warn(
            "server",
            summary,
            "start it: systemctl start upsignon (or `upsignon serve`)",
        ),
    }
}

pub fn server(config: &Config) -> Check {
    let url = service::health_url(config.listen, config.tls_mode);
    let client = match service::probe_client() {
        Ok(client) => client,
        Err(e) => return Check::warn("server", e.to_string(), "see the message"),
    };
    if let Answering::Foreign(seen) =
        identity::answering(config.listen, config.tls_mode, &config.state_dir)
    {
        return Check::fail(
            "server",
            seen,
            "a process that upgrade, rollback and install do not manage holds the port: stop it (see `ss -ltnp`), then start the server (systemctl start upsignon, or `upsignon serve`)",
        );
    }
    match client.get(&url).send() {
        Ok(response) if response.status().is_success() => {
            let body = response.text().unwrap_or_default();
            Check::ok("server", format!("{url} answers: {body}"))
        }
        Ok(response) => {
            let status = response.status();
            let body = response.text().unwrap_or_default();
            if body.contains("\"reason\":\"standby\"") {
                return Check::ok("server", format!("{url} answers as a standby: {body}"));
            }
            Check::fail(
                "server",
                format!("{url} answers {status}: {body}"),
                "the reason above says why it is not ready; see the server's log",
            )
        }
        Err(e) if e.is_connect() => stopped(config),
        Err(e) => Check::fail(
            "server",
            format!(
                "{} does not speak upsignon's health protocol: {e}",
                config.listen
            ),
            "another program may hold the port: see `ss -ltnp`, or change listen",
        ),
    }
}
