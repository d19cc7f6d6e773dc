use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::paths::{SYSTEM_BACKUP_DIR, SYSTEM_STATE_DIR};
use crate::{DatabaseUrl, Secret, default_state_dir};

/// The effective configuration of one server process.
///
/// Every key is flat so that the TOML key and the environment variable are
/// the same word: `listen` in the file is `UPSIGNON_LISTEN` in the environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://...`; unset means `sqlite://<state_dir>/upsignon.db`.
    pub database_url: Option<DatabaseUrl>,
    /// Connections kept open to the database.
    pub database_pool_size: u32,
    /// Address and port the HTTPS server binds.
    pub listen: SocketAddr,
    /// SQLite file, generated TLS material and kept releases.
    pub state_dir: PathBuf,
    /// The URL users and apps reach the server at (used in links and the certificate).
    pub public_url: Option<String>,
    pub tls_mode: TlsMode,
    /// PEM certificate chain, with `tls_mode = "files"`.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key, with `tls_mode = "files"`; must not be readable by others.
    pub tls_key: Option<PathBuf>,
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `upsignon=debug,info`.
    pub log_level: String,
    /// Peers whose `X-Forwarded-For` header is believed (reverse proxies).
    #[serde(deserialize_with = "ip_list")]
    pub trusted_proxies: Vec<IpAddr>,
    /// Apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
    /// Largest request body accepted, in bytes (413 beyond).
    pub body_limit_bytes: usize,
    /// Time a client has to send its request headers.
    pub request_timeout_secs: u64,
    /// Time in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Where backups are written; unset means `/var/backups/upsignon` for a
    /// system install, else `<state_dir>/backups`.
    pub backup_dir: Option<PathBuf>,
    /// The age key file backups are encrypted to (`upsignon install` makes one).
    pub backup_key_file: Option<PathBuf>,
    /// The 32-byte key that seals secrets the server reads back (admins'
    /// TOTP secrets); unset means `<state_dir>/secrets.key`, created on
    /// first start.
    pub secrets_key_file: Option<PathBuf>,
    /// Seconds between scheduled backups inside `serve`; 0 turns them off.
    pub backup_interval_secs: u64,
    /// Seconds between restore drills of the newest backup.
    pub backup_verify_interval_secs: u64,
    /// Retention: the newest backup of each of this many days is kept...
    pub backup_keep_daily: u32,
    /// ...and of each of this many weeks...
    pub backup_keep_weekly: u32,
    /// ...and none older than this many days.
    pub backup_max_age_days: u32,
    /// Outgoing mail: `smtps://USER:PASSWORD@HOST:465` (TLS) or
    /// `smtp://USER:PASSWORD@HOST:587` (STARTTLS, required).
    pub smtp_url: Option<Secret>,
    /// The sender address of the server's mail.
    pub smtp_from: Option<String>,
    /// Opt-in error reports to Sentry; unset sends nothing anywhere.
    pub sentry_dsn: Option<Secret>,
    /// The environment error reports are tagged with (`production`, `staging`...).
    pub sentry_environment: String,
    /// Personal data error reports may carry, which is otherwise removed
    /// before sending: any of `emails`, `ip_addresses`, `device_names`,
    /// `request_bodies`, `cookies`, `auth_headers`. Empty (the default)
    /// removes all of it.
    #[serde(deserialize_with = "string_list")]
    pub sentry_send_fields: Vec<String>,
    /// The bearer token Prometheus sends to read `/metrics`; unset means
    /// `/metrics` answers 404. At least 32 characters.
    pub metrics_token: Option<Secret>,
    /// Sign-in style requests (device authorisation, code checks,
    /// authentication, password-reset requests) accepted per client IP
    /// address and minute; beyond, 429 with Retry-After. 0 turns it off.
    pub rate_limit_ip_per_minute: u32,
    /// The same per account (a tenant and a user's email) and minute.
    pub rate_limit_account_per_minute: u32,
    /// Deepest nesting of arrays and objects accepted in a JSON body (400 beyond).
    pub json_max_depth: usize,
    /// Largest encrypted vault or shared vault accepted, in bytes (413
    /// `vault_too_large` beyond).
    pub vault_max_bytes: usize,
    /// Time a request's handler gets to produce its answer (503 beyond).
    pub handler_timeout_secs: u64,
    /// Release verifying keys (hex) trusted besides the project's own, for
    /// sites that sign their own builds.
    #[serde(deserialize_with = "string_list")]
    pub release_public_keys: Vec<String>,
    /// How many earlier releases `upgrade` keeps for `rollback`.
    pub releases_kept: usize,
    /// The release feed `upgrade` reads when no `--from FILE` is given: the
    /// project's, or a mirror on the local network.
    pub release_feed_url: String,
    /// Shared between a primary and its standbys: on the primary it opens
    /// the replication endpoint, on a standby it proves the standby to it.
    pub replication_secret: Option<Secret>,
    /// Makes `serve` run as a standby of this primary (`https://HOST:PORT`),
    /// as `upsignon standby --primary URL` does.
    pub standby_primary_url: Option<String>,
    /// PEM certificate(s) a standby trusts for its primary's HTTPS (such as
    /// the primary's self-signed certificate); unset means the system's.
    pub standby_primary_ca_file: Option<PathBuf>,
    /// Seconds between a standby's pulls (60 at least).
    pub standby_interval_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Generate a self-signed certificate in the state directory on first start.
    SelfSigned,
    /// Use `tls_cert` and `tls_key`.
    Files,
    /// Plain HTTP, only on a loopback address behind a TLS reverse proxy.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// Human-readable on a terminal, JSON otherwise.
    Auto,
    Human,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            database_pool_size: 8,
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            state_dir: default_state_dir(),
            public_url: None,
            tls_mode: TlsMode::SelfSigned,
            tls_cert: None,
            tls_key: None,
            log_format: LogFormat::Auto,
            log_level: "info".to_string(),
            trusted_proxies: Vec::new(),
            migrate_on_start: true,
            body_limit_bytes: 5 * 1024 * 1024,
            request_timeout_secs: 10,
            shutdown_timeout_secs: 30,
            workers: 0,
            backup_dir: None,
            backup_key_file: None,
            secrets_key_file: None,
            backup_interval_secs: 3600,
            backup_verify_interval_secs: 86_400,
            backup_keep_daily: 7,
            backup_keep_weekly: 4,
            backup_max_age_days: 31,
            smtp_url: None,
            smtp_from: None,
            sentry_dsn: None,
            sentry_environment: "production".to_string(),
            sentry_send_fields: Vec::new(),
            metrics_token: None,
            rate_limit_ip_per_minute: 120,
            rate_limit_account_per_minute: 20,
            json_max_depth: 32,
            vault_max_bytes: 4 * 1024 * 1024,
            handler_timeout_secs: 30,
            release_public_keys: Vec::new(),
            releases_kept: 3,
            release_feed_url: "https://releases.upsignon.eu/server/manifest.json".to_string(),
            replication_secret: None,
            standby_primary_url: None,
            standby_primary_ca_file: None,
            standby_interval_secs: 3600,
        }
    }
}

impl Config {
    /// The database to use, with the embedded default resolved.
    pub fn database(&self) -> DatabaseUrl {
        self.database_url
            .clone()
            .unwrap_or_else(|| DatabaseUrl::sqlite(self.state_dir.join("upsignon.db")))
    }

    /// Where backups go, with the default resolved.
    pub fn backups(&self) -> PathBuf {
        if let Some(dir) = &self.backup_dir {
            return dir.clone();
        }
        if self.state_dir == Path::new(SYSTEM_STATE_DIR) {
            PathBuf::from(SYSTEM_BACKUP_DIR)
        } else {
            self.state_dir.join("backups")
        }
    }

    /// The secrets key file, with the default resolved.
    pub fn secrets_key(&self) -> PathBuf {
        self.secrets_key_file
            .clone()
            .unwrap_or_else(|| self.state_dir.join("secrets.key"))
    }

    /// The URL the server is reachable at, for the start-up line and links.
    pub fn effective_public_url(&self) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let scheme = if self.tls_mode == TlsMode::None {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{}", self.listen)
    }
}

/// The personal data an operator may let through to error reports
/// (`sentry_send_fields`).
pub const SENTRY_FIELDS: [&str; 6] = [
    "emails",
    "ip_addresses",
    "device_names",
    "request_bodies",
    "cookies",
    "auth_headers",
];

/// Accepts a TOML list or, from an environment variable, `a,b,c`.
fn string_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    let items = match Raw::deserialize(deserializer)? {
        Raw::List(items) => items,
        Raw::Text(text) => text.split(',').map(str::to_string).collect(),
    };
    Ok(items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Like [`string_list`], each item an IP address.
fn ip_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<IpAddr>, D::Error> {
    string_list(deserializer)?
        .iter()
        .map(|s| {
            s.parse().map_err(|_| {
                serde::de::Error::custom(format!(
                    "'{s}' is not an IP address (expected for example 10.0.0.1 or ::1)"
                ))
            })
        })
        .collect()
}
