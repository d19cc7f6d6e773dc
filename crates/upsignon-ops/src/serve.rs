//! `upsignon serve`: from a config to a running HTTPS server.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use actix_web::dev::Server;
use upsignon_api::{Replication, SERVER_VERSION, ServerRole, Services};
use upsignon_config::Config;
use upsignon_store::Store;

use crate::OpsError;
use crate::standby::{self, Role, StandbyError, snapshots::BackupSnapshots};

/// A server whose store and schema are ready and whose port is bound, but
/// that does not serve yet. Preparing blocks (database, files); starting
/// needs a runtime.
pub struct Prepared {
    config: Config,
    store: Store,
    listener: TcpListener,
    tls: Option<rustls::ServerConfig>,
    schema: String,
    started: Instant,
    role: Role,
    standby_schedule: standby::Schedule,
    mailer: Option<Arc<dyn upsignon_api::Mailer>>,
    secrets: upsignon_console::SecretBox,
}

/// A server that serves: [`Running::serve_until_signal`] runs it until
/// SIGTERM or SIGINT (tests stop it through `server.handle()`).
pub struct Running {
    pub server: Server,
    /// Shared with the HTTP layer: set while stopping.
    pub draining: Arc<AtomicBool>,
    pub address: SocketAddr,
    pub url: String,
    pub schema: String,
    /// From the start of `prepare` to the socket accepting requests.
    pub startup: Duration,
    /// This start's token, as `/health/ready` reports it.
    pub instance: String,
}

/// Opens the store, applies pending migrations (or refuses a schema that is
/// ahead, edited or pending with `migrate_on_start = false`), prepares TLS and
/// binds the listen address.
pub fn prepare(config: &Config) -> Result<Prepared, OpsError> {
    let started = Instant::now();
    ensure_state_dir(&config.state_dir)?;
    let store = Store::open(&config.database(), config.database_pool_size)?;
    prepare_with_store(config, store, started)
}

/// Creates the state directory, private to the server's user (0750), when it
/// does not exist yet; an existing one is left as the sysadmin set it.
fn ensure_state_dir(dir: &std::path::Path) -> Result<(), OpsError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(dir)
        .map_err(|e| OpsError::StateDir {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })
}

/// As [`prepare`], with a store opened by the caller (tests use it to play
/// another release's migrations).
pub fn prepare_with_store(
    config: &Config,
    store: Store,
    started: Instant,
) -> Result<Prepared, OpsError> {
    if config.migrate_on_start {
        let applied = store.migrate_up(SERVER_VERSION)?;
        if !applied.is_empty() {
            tracing::info!(versions = %applied.join(","), "applied pending migrations");
        }
    }
    let mut role = standby::role(config);
    check_role_needs(config, &role)?;
    if matches!(role, Role::Standby(_)) && !standby::is_recorded(&config.state_dir) {
        // `standby_primary_url` in the config: the same guard as the command.
        standby::become_standby(config, None, false)?;
        role = standby::role(config);
    }
    let status = store.schema_status()?;
    status.check_servable()?;
    let schema = status.head().unwrap_or("none").to_string();
    let tls = upsignon_api::tls::server_config(config)?;
    let secrets = crate::secrets_key::load_or_create(&config.secrets_key())?;
    let listener = TcpListener::bind(config.listen).map_err(|e| OpsError::Bind {
        address: config.listen,
        reason: e.to_string(),
    })?;
    Ok(Prepared {
        config: config.clone(),
        store,
        listener,
        tls,
        schema,
        started,
        role,
        standby_schedule: standby::Schedule::from_config(config),
        mailer: crate::mail::SmtpMailer::from_config(config)
            .map_err(|e| OpsError::Server(e.to_string()))?
            .map(|m| Arc::new(m) as Arc<dyn upsignon_api::Mailer>),
        secrets,
    })
}

/// A standby needs the key and secret to pull; a primary with a
/// replication secret needs the key to make snapshots.
fn check_role_needs(config: &Config, role: &Role) -> Result<(), OpsError> {
    if config.replication_secret.is_some() || matches!(role, Role::Standby(_)) {
        config.backup_key_file.as_ref().ok_or(StandbyError::NoKey)?;
    }
    if matches!(role, Role::Standby(_)) && config.replication_secret.is_none() {
        return Err(StandbyError::NoSecret.into());
    }
    Ok(())
}

impl Prepared {
    /// Pulls on another schedule than `standby_interval_secs` (tests pull
    /// every few hundred milliseconds).
    pub fn with_standby_schedule(mut self, schedule: standby::Schedule) -> Self {
        self.standby_schedule = schedule;
        self
    }

    /// Starts serving; call inside an actix or tokio runtime.
    pub fn start(self) -> Result<Running, OpsError> {
        let address = self
            .listener
            .local_addr()
            .map_err(|e| OpsError::Server(e.to_string()))?;
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let url = match &self.config.public_url {
            Some(public) => public.clone(),
            None => format!("{scheme}://{address}"),
        };
        let backend = self.store.backend();
        let services = self.services();
        let draining = services.draining.clone();
        let instance = services.instance.clone();
        if let Ok(Some(unfinished)) = crate::upgrade::journal::read(&self.config.state_dir) {
            tracing::warn!(
                "{unfinished}; unless an upgrade or rollback command is running now, {}",
                crate::doctor::finish_command(&unfinished)
            );
        }
        // Before any puller or scheduler writes: what killed runs left.
        crate::backup::schedule::remove_leftovers(&self.config);
        let standby_of = match self.role {
            Role::Standby(state) => {
                let primary = state.primary.clone();
                standby::start(
                    &self.config,
                    self.store.clone(),
                    services.role.clone(),
                    state,
                    self.standby_schedule,
                );
                Some(primary)
            }
            Role::Primary => None,
        };
        let scheduled_backups = standby_of.is_none()
            && crate::backup::schedule::start(&self.config, self.store.clone());
        let server =
            upsignon_api::start(&self.config, self.store, self.listener, self.tls, services)
                .map_err(|e| OpsError::Server(e.to_string()))?;
        let startup = self.started.elapsed();
        tracing::info!(
            version = SERVER_VERSION,
            %url,
            %address,
            backend = %backend,
            schema = %self.schema,
            startup_ms = startup.as_millis() as u64,
            scheduled_backups,
            standby_of = standby_of.as_deref().unwrap_or("none"),
            "upsignon is serving"
        );
        Ok(Running {
            server,
            draining,
            address,
            url,
            schema: self.schema,
            startup,
            instance,
        })
    }

    fn services(&self) -> Services {
        let role = match &self.role {
            Role::Standby(state) => ServerRole::standby(state.report()),
            Role::Primary => ServerRole::primary(),
        };
        let replication = match (
            &self.config.replication_secret,
            &self.config.backup_key_file,
        ) {
            (Some(secret), Some(key)) => Some(Replication {
                secret: secret.clone(),
                source: Arc::new(BackupSnapshots {
                    store: self.store.clone(),
                    keys: crate::backup::Keys {
                        backup: key.clone(),
                        secrets: Some(self.config.secrets_key()),
                    },
                    dir: self.config.state_dir.join("replication"),
                }),
            }),
            _ => None,
        };
        let console = actix_web::web::Data::new(upsignon_console::Console::new(
            self.store.clone(),
            self.secrets.clone(),
            self.mailer.clone(),
            Arc::new(crate::console_status::DoctorStatus {
                config: self.config.clone(),
            }),
            self.config.trusted_proxies.clone(),
        ));
        let backups = crate::backup::figures::BackupFiles {
            dir: self.config.backups(),
            state_dir: self.config.state_dir.clone(),
        };
        Services {
            role: Arc::new(role),
            replication,
            mailer: self.mailer.clone(),
            console: Some(Arc::new(upsignon_console::configure(console))),
            backups: Some(Arc::new(backups)),
            draining: Arc::default(),
            instance: upsignon_api::new_instance(),
        }
    }
}

/// How long a stopping server keeps answering (each answer closing its
/// connection) before it stops reading requests.
const DRAIN: Duration = Duration::from_secs(1);

impl Running {
    /// Serves until SIGTERM or SIGINT, then stops without dropping a
    /// request: it stops accepting connections, answers for [`DRAIN`] with
    /// `Connection: close` so that kept-alive connections end after their
    /// answer, then lets in-flight requests finish (`shutdown_timeout_secs`).
    pub async fn serve_until_signal(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let draining = self.draining.clone();
        actix_web::rt::spawn(async move {
            let signal = wait_for_stop_signal().await;
            tracing::info!(%signal, "stopping: finishing the requests under way");
            draining.store(true, Ordering::Relaxed);
            handle.pause().await;
            actix_web::rt::time::sleep(DRAIN).await;
            handle.stop(true).await;
        });
        self.server.await
    }
}

/// The name of the first of SIGTERM or SIGINT to arrive.
async fn wait_for_stop_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for SIGTERM/SIGINT; stop the server with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
