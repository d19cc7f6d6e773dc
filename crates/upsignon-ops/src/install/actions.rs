//! An install as a list of actions: printed by `--dry-run`, carried out in
//! order otherwise. Every action is safe to repeat, so re-running an install
//! repairs what is missing without touching the database or keys.

use std::fmt;
use std::path::PathBuf;

use super::config_file;
use super::files::Owner;
use super::layout::InstallMode;
use super::service::{self, LOCAL_UNIT, UNIT_NAME};
use super::{Request, StartMode};

#[derive(Debug, Clone)]
pub enum Action {
    CreateServiceUser,
    CreateDir {
        path: PathBuf,
        mode: u32,
        owner: Owner,
    },
    WriteConfig {
        path: PathBuf,
        text: String,
        mode: u32,
        owner: Owner,
    },
    CreateBackupKey {
        path: PathBuf,
        mode: u32,
        owner: Owner,
    },
    Migrate,
    CreateTenantAndAdmin,
    InstallSystemdUnit,
    StartWithSystemd,
    StartInBackground,
    WaitUntilReady,
}

/// The actions for `request`, in the order they run.
pub fn plan(request: &Request, existing_config: Option<&str>) -> Vec<Action> {
    let layout = &request.layout;
    let system = layout.mode == InstallMode::System;
    let (private, shared) = if system {
        (Owner::Service, Owner::RootWithServiceGroup)
    } else {
        (Owner::Caller, Owner::Caller)
    };
    let file_mode = if system { 0o640 } else { 0o600 };
    let mut actions = Vec::new();
    if system {
        actions.push(Action::CreateServiceUser);
    }
    actions.push(Action::CreateDir {
        path: layout.config_dir(),
        mode: 0o750,
        owner: shared,
    });
    actions.push(Action::CreateDir {
        path: layout.state_dir.clone(),
        mode: 0o750,
        owner: private,
    });
    actions.push(Action::CreateDir {
        path: request.settings.backup_dir.clone(),
        mode: 0o700,
        owner: private,
    });
    actions.push(Action::WriteConfig {
        path: layout.config_file.clone(),
        text: config_file::render(&request.settings, existing_config),
        mode: file_mode,
        owner: shared,
    });
    actions.push(Action::CreateBackupKey {
        path: request.settings.backup_key_file.clone(),
        mode: file_mode,
        owner: shared,
    });
    actions.push(Action::Migrate);
    actions.push(Action::CreateTenantAndAdmin);
    match effective_start(request) {
        StartMode::Systemd => {
            if service::packaged_unit().is_none() {
                actions.push(Action::InstallSystemdUnit);
            }
            actions.push(Action::StartWithSystemd);
            actions.push(Action::WaitUntilReady);
        }
        StartMode::Background => {
            actions.push(Action::StartInBackground);
            actions.push(Action::WaitUntilReady);
        }
        StartMode::No | StartMode::Auto => {}
    }
    actions
}

/// `Auto` made concrete: systemd for a system install where systemd runs,
/// else a background process.
pub fn effective_start(request: &Request) -> StartMode {
    match request.start {
        StartMode::Auto if request.layout.is_system() && service::systemd_running() => {
            StartMode::Systemd
        }
        StartMode::Auto => StartMode::Background,
        other => other,
    }
}

/// One action per line, as `--dry-run` prints it.
pub struct Describe<'a> {
    pub action: &'a Action,
    pub request: &'a Request,
}

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = self.request;
        match self.action {
            Action::CreateServiceUser => write!(
                f,
                "run: useradd --system --user-group --no-create-home --home-dir {} --shell /usr/sbin/nologin upsignon   (only when the user is missing)",
                request.layout.state_dir.display()
            ),
            Action::CreateDir { path, mode, owner } => write!(
                f,
                "create directory {} (mode {mode:04o}, {})",
                path.display(),
                owner.describe()
            ),
            Action::WriteConfig {
                path,
                text,
                mode,
                owner,
            } => {
                writeln!(
                    f,
                    "write {} (mode {mode:04o}, {}; the previous file is kept as .previous):",
                    path.display(),
                    owner.describe()
                )?;
                for line in config_file::masked(text).lines() {
                    writeln!(f, "    {line}")?;
                }
                Ok(())
            }
            Action::CreateBackupKey { path, mode, owner } => write!(
                f,
                "write {}: a new age X25519 backup key (mode {mode:04o}, {}), only if it does not exist",
                path.display(),
                owner.describe()
            ),
            Action::Migrate => write!(
                f,
                "apply the database migrations to {}",
                request.settings.database.masked()
            ),
            Action::CreateTenantAndAdmin => match &request.settings.admin_email {
                Some(email) => write!(
                    f,
                    "create tenant '{}' and admin {email} with a one-time sign-in code, unless they exist",
                    request.settings.tenant_slug
                ),
                None => write!(
                    f,
                    "create tenant '{}' unless it exists (no admin: none was given)",
                    request.settings.tenant_slug
                ),
            },
            Action::InstallSystemdUnit => write!(
                f,
                "write {LOCAL_UNIT} (mode 0644); run: systemctl daemon-reload"
            ),
            Action::StartWithSystemd => {
                write!(
                    f,
                    "run: systemctl enable {UNIT_NAME}; systemctl restart {UNIT_NAME}"
                )
            }
            Action::StartInBackground => write!(
                f,
                "run in the background: {} --config {} serve   (log {}, pid file {})",
                request.exe.display(),
                request.layout.config_file.display(),
                request.layout.log_file().display(),
                request.layout.pid_file().display()
            ),
            Action::WaitUntilReady => write!(
                f,
                "wait up to {} s for {}",
                request.ready_timeout.as_secs(),
                service::health_url(request.settings.listen, request.settings.tls_mode)
            ),
        }
    }
}
