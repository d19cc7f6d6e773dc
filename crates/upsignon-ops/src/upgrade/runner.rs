//! How the server runs on this machine, so it can be stopped and started
//! the same way: systemd, a background process started by `install`, or
//! nothing (then the sysadmin is told what to run).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::identity::{self, Answering};
use crate::install::record::{self, RunBy};
use crate::install::{InstallError, service};

use super::{Installation, UpgradeError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    Systemd,
    Background,
    NotRunning,
}

impl Runner {
    pub fn detect(state_dir: &Path) -> Self {
        if service::systemd_running()
            && service::run_command("systemctl", &["is-active", "--quiet", service::UNIT_NAME])
                .is_ok()
        {
            Runner::Systemd
        } else if service::running_background_pid(state_dir).is_some() {
            Runner::Background
        } else {
            Runner::NotRunning
        }
    }

    /// How this install's server is run, whether or not it runs now: what
    /// runs it now, else what `install` recorded (a stopped background or
    /// systemd server is started again by `upgrade` and `rollback`).
    pub fn of(installation: &Installation) -> Self {
        let state_dir = &installation.config.state_dir;
        let now = Runner::detect(state_dir);
        if now != Runner::NotRunning {
            return now;
        }
        match record::read(state_dir).map(|r| r.run_by) {
            Some(RunBy::Systemd) if service::systemd_running() => Runner::Systemd,
            Some(RunBy::Background) => Runner::Background,
            Some(_) => Runner::NotRunning,
            // Installed by an earlier release: its pid file says it was
            // started in the background.
            None if service::pid_file(state_dir).is_file() => Runner::Background,
            None => Runner::NotRunning,
        }
    }

    pub fn stop(self, installation: &Installation) -> Result<(), UpgradeError> {
        match self {
            Runner::Systemd => service::run_command("systemctl", &["stop", service::UNIT_NAME])?,
            Runner::Background => service::stop_background(&installation.config.state_dir)?,
            Runner::NotRunning => {}
        }
        Ok(())
    }

    /// Starts the installed binary; returns the pid when this process
    /// started it.
    pub fn start(self, installation: &Installation) -> Result<Option<u32>, UpgradeError> {
        match self {
            Runner::Systemd => {
                service::run_command("systemctl", &["restart", service::UNIT_NAME])?;
                Ok(None)
            }
            Runner::Background => {
                let state_dir = &installation.config.state_dir;
                let pid = service::start_in_background(
                    &installation.exe,
                    &installation.config_file,
                    state_dir,
                    owner_to_run_as(state_dir),
                )?;
                Ok(Some(pid))
            }
            Runner::NotRunning => Ok(None),
        }
    }

    /// Waits for the server to be ready with `version`; `Ok(None)` when
    /// nothing was started to wait for.
    pub fn wait_ready(
        self,
        installation: &Installation,
        pid: Option<u32>,
        version: &str,
    ) -> Result<Option<service::Ready>, InstallError> {
        if self == Runner::NotRunning {
            return Ok(None);
        }
        let config = &installation.config;
        let log = service::log_file(&config.state_dir);
        let child = pid
            .or_else(|| {
                (self == Runner::Systemd)
                    .then(service::systemd_main_pid)
                    .flatten()
            })
            .map(|pid| service::Child {
                pid,
                state_dir: &config.state_dir,
                log: (self == Runner::Background).then_some(log.as_path()),
            });
        service::wait_for_version(
            config.listen,
            config.tls_mode,
            installation.ready_timeout,
            child,
            Some(version),
        )
        .map(Some)
    }
}

/// Refuses to act when the address is held by another process than the
/// server this install manages: that process would answer in place of the
/// one started, and a check would pass for the wrong server.
pub fn refuse_foreign_server(installation: &Installation) -> Result<(), UpgradeError> {
    let config = &installation.config;
    match identity::answering(config.listen, config.tls_mode, &config.state_dir) {
        Answering::Foreign(seen) => Err(UpgradeError::Foreign(seen)),
        Answering::Nothing | Answering::Ours => Ok(()),
    }
}

/// As root, run the server as the owner of the state directory (the
/// `upsignon` user of a system install), never as root.
fn owner_to_run_as(state_dir: &Path) -> Option<(u32, u32)> {
    if !upsignon_config::running_as_root() {
        return None;
    }
    let meta = std::fs::metadata(state_dir).ok()?;
    (meta.uid() != 0).then_some((meta.uid(), meta.gid()))
}
