//! The summary printed at the end of an install: where things are, how to
//! reach the server, the admin's one-time code, and what to do next.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::Request;
use super::bootstrap::{AdminOutcome, Bootstrapped};
use super::service::Ready;

#[derive(Debug, Clone)]
pub enum Started {
    NotStarted,
    Systemd,
    Background {
        pid: u32,
        log: PathBuf,
        pid_file: PathBuf,
    },
}

#[derive(Debug, Clone)]
pub struct Report {
    pub public_url: String,
    pub config_file: PathBuf,
    pub backup_dir: PathBuf,
    pub backup_key_file: PathBuf,
    pub backup_key_created: bool,
    pub bootstrapped: Option<Bootstrapped>,
    /// The admins already there when none was given (a re-run).
    pub existing_admins: Vec<String>,
    pub started: Started,
    pub ready: Option<Ready>,
    pub elapsed: Duration,
    config_flag: String,
}

impl Report {
    pub fn new(request: &Request) -> Self {
        let default_file = upsignon_config::default_config_file();
        let config_flag = if request.layout.config_file == default_file {
            String::new()
        } else {
            format!(" --config {}", request.layout.config_file.display())
        };
        Self {
            public_url: request.settings.public_url.clone(),
            config_file: request.layout.config_file.clone(),
            backup_dir: request.settings.backup_dir.clone(),
            backup_key_file: request.settings.backup_key_file.clone(),
            backup_key_created: false,
            bootstrapped: None,
            existing_admins: Vec::new(),
            started: Started::NotStarted,
            ready: None,
            elapsed: Duration::ZERO,
            config_flag,
        }
    }

    /// The one-time code of a newly created admin, if any.
    pub fn admin_code(&self) -> Option<(&str, &str)> {
        match self.bootstrapped.as_ref()?.admin.as_ref()? {
            AdminOutcome::Created { email, code } => Some((email, code)),
            AdminOutcome::Kept { .. } => None,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = &self.config_flag;
        writeln!(f, "Server URL:   {}", self.public_url)?;
        writeln!(f, "Config:       {}", self.config_file.display())?;
        writeln!(f, "Backups:      {}", self.backup_dir.display())?;
        writeln!(f, "Backup key:   {}", self.backup_key_file.display())?;
        if self.backup_key_created {
            writeln!(
                f,
                "              keep a copy of this key away from the server: without it, backups cannot be restored"
            )?;
        }
        match self.bootstrapped.as_ref().and_then(|b| b.admin.as_ref()) {
            Some(AdminOutcome::Created { email, code }) => {
                writeln!(f, "First admin:  {email}")?;
                writeln!(
                    f,
                    "Sign-in code: {code}   (shown once, valid 24 hours: sign in to {}/console/ with it)",
                    self.public_url
                )?;
            }
            Some(AdminOutcome::Kept { email }) => {
                writeln!(f, "First admin:  {email} (already existed; no new code)")?
            }
            None if !self.existing_admins.is_empty() => writeln!(
                f,
                "Admins:       {} (already there; a new one-time code for one of them: `upsignon{flag} admin reset EMAIL`)",
                self.existing_admins.join(", ")
            )?,
            None => writeln!(
                f,
                "First admin:  none yet: run `upsignon install{flag} --admin-email YOU@EXAMPLE.COM`"
            )?,
        }
        match &self.started {
            Started::Systemd => writeln!(
                f,
                "Service:      upsignon.service (systemctl status upsignon, journalctl -u upsignon)"
            )?,
            Started::Background { pid, log, pid_file } => {
                writeln!(f, "Process:      pid {pid}, log {}", log.display())?;
                writeln!(
                    f,
                    "              stop it with: kill $(head -n1 {})",
                    pid_file.display()
                )?
            }
            Started::NotStarted => writeln!(
                f,
                "Not started:  run `upsignon{flag} serve` (or `systemctl enable --now upsignon`)"
            )?,
        }
        writeln!(f, "Next:         upsignon{flag} doctor   checks everything")
    }
}
