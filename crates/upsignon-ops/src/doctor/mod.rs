//! `upsignon doctor`: every question a support call would ask, answered
//! OK, WARN or FAIL with the fix. It reads and probes; it never changes
//! anything, so it is safe to run at any time, on a live server.

mod database;
mod files;
mod host;
mod operation;

pub use operation::finish as finish_command;
mod tls;

use std::fmt;
use std::path::Path;

use serde::Serialize;
use upsignon_config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub summary: String,
    /// What to do about a WARN or FAIL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(name: &'static str, summary: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Ok,
            summary: summary.into(),
            fix: None,
        }
    }

    pub fn warn(name: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Warn,
            summary: summary.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn fail(name: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Fail,
            summary: summary.into(),
            fix: Some(fix.into()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// The worst status of all checks.
    pub fn status(&self) -> Status {
        self.checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Ok)
    }

    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// Runs every check. `config_file` is the file the config came from (for
/// its permissions); `config` is the loaded config, or why it did not load.
pub fn run(config_file: Option<&Path>, config: Result<&Config, String>) -> Report {
    let config = match config {
        Ok(config) => config,
        Err(reason) => {
            return Report {
                checks: vec![Check::fail(
                    "config",
                    reason,
                    "fix the named key in the config file or its UPSIGNON_* variable, then run `upsignon doctor` again",
                )],
            };
        }
    };
    let mut checks = vec![files::config_file(config_file, config)];
    checks.extend(files::directories(config));
    checks.push(files::backup_key(config));
    checks.push(tls::certificate(config));
    let database = database::checks(config);
    checks.extend(database);
    checks.push(host::disk_space(config));
    checks.push(host::last_backup(config));
    checks.push(host::standby(config));
    checks.push(host::server(config));
    checks.push(operation::check(config));
    operation::override_schema_fix(&mut checks, config);
    Report { checks }
}

/// The checks the console's status page shows: the database and schema,
/// disk, backups with their restore drill, and the standby.
pub fn status_checks(config: &Config) -> Vec<Check> {
    let mut checks = database::checks(config);
    checks.push(host::disk_space(config));
    checks.push(host::last_backup(config));
    checks.push(host::standby(config));
    checks.push(operation::check(config));
    operation::override_schema_fix(&mut checks, config);
    checks
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            let label = match check.status {
                Status::Ok => "OK  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
            };
            writeln!(f, "{label}  {:<12} {}", check.name, check.summary)?;
            if let Some(fix) = &check.fix {
                writeln!(f, "      {:<12} fix: {fix}", "")?;
            }
        }
        write!(
            f,
            "{} OK, {} WARN, {} FAIL",
            self.count(Status::Ok),
            self.count(Status::Warn),
            self.count(Status::Fail)
        )
    }
}
