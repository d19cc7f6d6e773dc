use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};

use crate::{DatabaseUrl, default_state_dir};

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

/// Accepts a TOML list or, from an environment variable, `a,b,c`.
fn ip_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<IpAddr>, D::Error> {
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
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| {
                serde::de::Error::custom(format!(
                    "'{s}' is not an IP address (expected for example 10.0.0.1 or ::1)"
                ))
            })
        })
        .collect()
}
