//! `upsignon install`: from answers to a migrated, started, healthy server.
//! The CLI gathers answers (flags, env, answers file, prompts), this module
//! resolves them ([`Answers::resolve`]), plans the actions ([`plan`]) and
//! carries them out ([`execute`]), reporting each step as it goes.

mod actions;
mod answers;
mod bootstrap;
mod checks;
mod config_file;
mod error;
mod files;
mod layout;
pub mod record;
mod report;
pub mod service;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use actions::{Action, Describe, effective_start, plan};
pub use answers::{Answers, DEFAULT_PORT, DEFAULT_TENANT_SLUG, Settings, default_public_url};
pub use bootstrap::{AdminOutcome, Bootstrapped, ensure_tenant_and_admin, hash_sign_in_code};
pub use checks::{check_database, check_smtp, check_tls_files, smtp_transport};
pub use error::InstallError;
pub use layout::{InstallMode, Layout, SERVICE_USER};
pub use report::{Report, Started};

use upsignon_store::Store;

/// How the server is started at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMode {
    /// systemd for a system install when systemd runs, else in the background.
    Auto,
    Systemd,
    Background,
    /// Set everything up, start nothing.
    No,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub layout: Layout,
    pub settings: Settings,
    pub start: StartMode,
    /// The binary the service runs (this one).
    pub exe: PathBuf,
    pub ready_timeout: Duration,
}

/// An earlier install found at the layout's config path.
#[derive(Debug, Clone)]
pub struct Existing {
    pub config_file: PathBuf,
    pub text: String,
    /// The earlier answers, when the file still parses.
    pub answers: Option<Answers>,
    pub state_dir: Option<PathBuf>,
}

pub fn find_existing(config_file: &Path) -> Option<Existing> {
    let text = std::fs::read_to_string(config_file).ok()?;
    let config = upsignon_config::load(Some(config_file)).ok();
    Some(Existing {
        config_file: config_file.to_path_buf(),
        answers: config.as_ref().map(Answers::from_config),
        state_dir: config.map(|c| c.state_dir),
        text,
    })
}

/// Runs the checks that need the network before anything is written.
pub fn preflight(settings: &Settings) -> Result<(), InstallError> {
    check_database(&settings.database)?;
    if let Some(url) = &settings.smtp_url {
        check_smtp(url)?;
    }
    check_tls_files(settings)
}

/// Carries out `actions`, calling `progress` with a line after each one.
pub fn execute(
    request: &Request,
    actions: &[Action],
    progress: &mut dyn FnMut(&str),
) -> Result<Report, InstallError> {
    let started = Instant::now();
    if effective_start(request) != StartMode::No {
        check_port_free(request)?;
    }
    let mut report = Report::new(request);
    let mut pid = None;
    for action in actions {
        let line = apply(request, action, &mut report, &mut pid).map_err(|source| {
            // A code printed nowhere would lock the first admin out.
            match report.admin_code() {
                Some((email, code)) => InstallError::FailedAfterAdmin {
                    source: Box::new(source),
                    email: email.to_string(),
                    code: code.to_string(),
                    url: report.public_url.clone(),
                },
                None => source,
            }
        })?;
        progress(&line);
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The listen address is free, or held by this install's own server (a
/// re-run repairs and restarts it). Anything else holding it would answer
/// in place of the server this install starts.
fn check_port_free(request: &Request) -> Result<(), InstallError> {
    let listen = request.settings.listen;
    match std::net::TcpListener::bind(listen) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() != std::io::ErrorKind::AddrInUse => Ok(()),
        Err(_) => match crate::identity::answering(
            listen,
            request.settings.tls_mode,
            &request.layout.state_dir,
        ) {
            crate::identity::Answering::Foreign(seen) => Err(InstallError::PortTaken { seen }),
            crate::identity::Answering::Nothing => Err(InstallError::PortTaken {
                seen: format!("another process holds {listen} without answering"),
            }),
            crate::identity::Answering::Ours => Ok(()),
        },
    }
}

fn apply(
    request: &Request,
    action: &Action,
    report: &mut Report,
    pid: &mut Option<u32>,
) -> Result<String, InstallError> {
    let settings = &request.settings;
    Ok(match action {
        Action::CreateServiceUser => match files::ensure_service_user(&request.layout.state_dir)? {
            true => "created the system user upsignon".to_string(),
            false => "system user upsignon exists".to_string(),
        },
        Action::CreateDir { path, mode, owner } => {
            files::create_dir(path, *mode, *owner)?;
            format!("directory {} ({mode:04o})", path.display())
        }
        Action::WriteConfig {
            path,
            text,
            mode,
            owner,
        } => {
            files::write_atomically(path, text.as_bytes(), *mode, *owner)?;
            format!("config written to {}", path.display())
        }
        Action::CreateBackupKey { path, mode, owner } => {
            report.backup_key_created = files::create_key_once(path, *mode, *owner)?;
            match report.backup_key_created {
                true => format!("backup key created at {}", path.display()),
                false => format!("backup key kept at {}", path.display()),
            }
        }
        Action::Migrate => {
            let store = Store::open(&settings.database, 1)?;
            let applied =
                crate::migrate::up(&store).map_err(|e| InstallError::Migrate(e.to_string()))?;
            if request.layout.is_system()
                && let Some(db) = settings.database.sqlite_path()
            {
                for suffix in ["", "-wal", "-shm"] {
                    let file = PathBuf::from(format!("{}{suffix}", db.display()));
                    if file.exists() {
                        files::set_owner(&file, files::Owner::Service)?;
                    }
                }
            }
            format!("database ready: {applied}")
        }
        Action::CreateTenantAndAdmin => {
            let store = Store::open(&settings.database, 1)?;
            let outcome = bootstrap::ensure_tenant_and_admin(
                &store,
                &settings.tenant_slug,
                &settings.tenant_name,
                settings.admin_email.as_ref(),
            )?;
            let line = match outcome.tenant_created {
                true => format!("tenant '{}' created", outcome.tenant_slug),
                false => format!("tenant '{}' exists", outcome.tenant_slug),
            };
            if outcome.admin.is_none() {
                report.existing_admins = crate::admins::list(&store)
                    .map(|admins| admins.into_iter().map(|a| a.email).collect())
                    .unwrap_or_default();
            }
            report.bootstrapped = Some(outcome);
            line
        }
        Action::InstallBinary { from, to } => {
            service::install_binary(from, to)?;
            format!("binary installed at {}", to.display())
        }
        Action::RecordInstall(record) => {
            let owner = match request.layout.is_system() {
                true => files::Owner::Service,
                false => files::Owner::Caller,
            };
            record::write(&request.layout.state_dir, record, owner)?;
            format!(
                "install recorded in {}",
                record::record_file(&request.layout.state_dir).display()
            )
        }
        Action::InstallSystemdUnit { exec } => {
            service::install_unit(exec)?;
            format!(
                "systemd unit written to {} (runs {})",
                service::LOCAL_UNIT,
                exec.display()
            )
        }
        Action::StartWithSystemd => {
            service::start_with_systemd()?;
            *pid = service::systemd_main_pid();
            report.started = Started::Systemd;
            "started upsignon.service".to_string()
        }
        Action::StartInBackground => {
            let run_as = match request.layout.is_system() {
                true => Some(files::service_ids()?),
                false => None,
            };
            let new_pid = service::start_in_background(
                &request.exe,
                &request.layout.config_file,
                &request.layout.state_dir,
                run_as,
            )?;
            *pid = Some(new_pid);
            report.started = Started::Background {
                pid: new_pid,
                log: request.layout.log_file(),
                pid_file: request.layout.pid_file(),
            };
            format!("server started in the background (pid {new_pid})")
        }
        Action::WaitUntilReady => {
            let log = request.layout.log_file();
            let background = matches!(report.started, Started::Background { .. });
            let child = pid.map(|pid| service::Child {
                pid,
                state_dir: &request.layout.state_dir,
                log: background.then_some(log.as_path()),
            });
            let ready = service::wait_until_ready(
                settings.listen,
                settings.tls_mode,
                request.ready_timeout,
                child,
            )?;
            let line = format!(
                "ready: version {}, schema {}",
                ready.version,
                ready.schema.as_deref().unwrap_or("-")
            );
            report.ready = Some(ready);
            line
        }
    })
}
