//! How the server runs on this machine, so it can be stopped and started
//! the same way: systemd, a background process started by `install`, or
//! nothing (then the sysadmin is told what to run).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

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
        service::wait_for_version(
            config.listen,
            config.tls_mode,
            installation.ready_timeout,
            pid,
            pid.map(|_| log.as_path()),
            Some(version),
        )
        .map(Some)
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
