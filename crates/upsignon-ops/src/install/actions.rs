//! An install as a list of actions: printed by `--dry-run`, carried out in
//! order otherwise. Every action is safe to repeat, so re-running an install
//! repairs what is missing without touching the database or keys.

use std::fmt;
use std::path::PathBuf;

use super::config_file;
use super::files::Owner;
use super::layout::InstallMode;
use super::record::{InstallRecord, RunBy};
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
    /// Copies this binary to where the systemd unit runs it from.
    InstallBinary {
        from: PathBuf,
        to: PathBuf,
    },
    /// Writes `install.json`: the installed binary and how it runs.
    RecordInstall(InstallRecord),
    InstallSystemdUnit {
        exec: PathBuf,
    },
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
    let start = effective_start(request);
    let binary = service_binary(request, start);
    if binary != request.exe {
        actions.push(Action::InstallBinary {
            from: request.exe.clone(),
            to: binary.clone(),
        });
    }
    actions.push(Action::RecordInstall(InstallRecord {
        binary: binary.clone(),
        run_by: match start {
            StartMode::Systemd => RunBy::Systemd,
            StartMode::Background => RunBy::Background,
            StartMode::No | StartMode::Auto => RunBy::Hand,
        },
        config_file: layout.config_file.clone(),
    }));
    match start {
        StartMode::Systemd => {
            if service::packaged_unit().is_none() {
                actions.push(Action::InstallSystemdUnit { exec: binary });
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

/// The binary the service runs. Under systemd that is the packaged
/// `/usr/bin/upsignon` when a package put the unit in place, else
/// `/usr/local/bin/upsignon` (a build from source is copied there, so the
/// unit never names a file in someone's build tree); otherwise this binary.
pub fn service_binary(request: &Request, start: StartMode) -> PathBuf {
    if start != StartMode::Systemd {
        return request.exe.clone();
    }
    match service::packaged_unit() {
        Some(_) => PathBuf::from(service::PACKAGED_BINARY),
        None => PathBuf::from(service::SOURCE_BINARY),
    }
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
            Action::InstallBinary { from, to } => write!(
                f,
                "copy {} to {} (mode 0755): the binary the service runs",
                from.display(),
                to.display()
            ),
            Action::RecordInstall(record) => write!(
                f,
                "write {}: binary {}, run by {:?} (what upgrade and rollback act on)",
                super::record::record_file(&request.layout.state_dir).display(),
                record.binary.display(),
                record.run_by
            ),
            Action::InstallSystemdUnit { exec } => write!(
                f,
                "write {LOCAL_UNIT} (mode 0644, ExecStart={} serve); run: systemctl daemon-reload",
                exec.display()
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
