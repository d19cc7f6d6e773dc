//! The answers an install needs, from wherever they come: an answers file,
//! flags and `UPSIGNON_*` variables, the prompts, or the config of an earlier
//! install. Every field is optional here; [`Answers::resolve`] fills the
//! defaults and checks each value, naming the answer that is wrong.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use upsignon_config::{Config, DatabaseUrl, Secret, TlsMode};
use upsignon_domain::{Email, TenantSlug};

use super::{InstallError, Layout};

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    pub public_url: Option<String>,
    pub database_url: Option<String>,
    pub listen: Option<SocketAddr>,
    pub tls_mode: Option<TlsMode>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub admin_email: Option<String>,
    pub tenant_slug: Option<String>,
    pub tenant_name: Option<String>,
    pub backup_dir: Option<PathBuf>,
    pub backup_key_file: Option<PathBuf>,
    pub sentry_dsn: Option<String>,
}

/// Answers checked and completed with defaults: what the install applies.
#[derive(Debug, Clone)]
pub struct Settings {
    pub state_dir: PathBuf,
    pub public_url: String,
    pub database: DatabaseUrl,
    pub listen: SocketAddr,
    pub tls_mode: TlsMode,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub smtp_url: Option<Secret>,
    pub smtp_from: Option<String>,
    pub admin_email: Option<Email>,
    pub tenant_slug: TenantSlug,
    pub tenant_name: String,
    pub backup_dir: PathBuf,
    pub backup_key_file: PathBuf,
    pub sentry_dsn: Option<Secret>,
}

pub const DEFAULT_PORT: u16 = 8443;
pub const DEFAULT_TENANT_SLUG: &str = "main";

impl Answers {
    /// Reads an answers file: TOML with the fields above.
    pub fn from_file(path: &Path) -> Result<Self, InstallError> {
        let text = std::fs::read_to_string(path).map_err(|e| InstallError::AnswersFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| InstallError::AnswersFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// The answers an earlier install gave, read back from its config, so
    /// a re-run keeps them unless told otherwise.
    pub fn from_config(config: &Config) -> Self {
        Self {
            public_url: config.public_url.clone(),
            database_url: config
                .database_url
                .as_ref()
                .map(|url| url.expose().to_string()),
            listen: Some(config.listen),
            tls_mode: Some(config.tls_mode),
            tls_cert: config.tls_cert.clone(),
            tls_key: config.tls_key.clone(),
            smtp_url: config.smtp_url.as_ref().map(|s| s.expose().to_string()),
            smtp_from: config.smtp_from.clone(),
            backup_dir: config.backup_dir.clone(),
            backup_key_file: config.backup_key_file.clone(),
            sentry_dsn: config.sentry_dsn.as_ref().map(|s| s.expose().to_string()),
            ..Self::default()
        }
    }

    /// Each answer from `self` when given, else from `fallback`.
    pub fn or(self, fallback: Answers) -> Answers {
        Answers {
            public_url: self.public_url.or(fallback.public_url),
            database_url: self.database_url.or(fallback.database_url),
            listen: self.listen.or(fallback.listen),
            tls_mode: self.tls_mode.or(fallback.tls_mode),
            tls_cert: self.tls_cert.or(fallback.tls_cert),
            tls_key: self.tls_key.or(fallback.tls_key),
            smtp_url: self.smtp_url.or(fallback.smtp_url),
            smtp_from: self.smtp_from.or(fallback.smtp_from),
            admin_email: self.admin_email.or(fallback.admin_email),
            tenant_slug: self.tenant_slug.or(fallback.tenant_slug),
            tenant_name: self.tenant_name.or(fallback.tenant_name),
            backup_dir: self.backup_dir.or(fallback.backup_dir),
            backup_key_file: self.backup_key_file.or(fallback.backup_key_file),
            sentry_dsn: self.sentry_dsn.or(fallback.sentry_dsn),
        }
    }

    /// Fills defaults for `layout` and checks every answer.
    pub fn resolve(self, layout: &Layout) -> Result<Settings, InstallError> {
        let tls_mode = self.tls_mode.unwrap_or(TlsMode::SelfSigned);
        let listen = self.listen.unwrap_or_else(|| {
            let port = self
                .public_url
                .as_deref()
                .and_then(explicit_port)
                .unwrap_or(DEFAULT_PORT);
            match tls_mode {
                TlsMode::None => SocketAddr::from(([127, 0, 0, 1], port)),
                _ => SocketAddr::from(([0, 0, 0, 0], port)),
            }
        });
        let public_url = match self.public_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => check_public_url(url.trim())?,
            None => default_public_url(listen, tls_mode),
        };
        let database = match self.database_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => DatabaseUrl::parse(url.trim())
                .map_err(|e| invalid("database_url", "(given)", &e.to_string()))?,
            None => DatabaseUrl::sqlite(layout.state_dir.join("upsignon.db")),
        };
        if tls_mode == TlsMode::None && !listen.ip().is_loopback() {
            return Err(invalid(
                "listen",
                &listen.to_string(),
                "tls_mode \"none\" (behind a reverse proxy) needs a loopback listen address such as 127.0.0.1:8443",
            ));
        }
        if tls_mode == TlsMode::Files && (self.tls_cert.is_none() || self.tls_key.is_none()) {
            return Err(invalid(
                "tls_mode",
                "files",
                "give the certificate chain and the key with --tls-cert and --tls-key",
            ));
        }
        let smtp_url = self.smtp_url.filter(|u| !u.trim().is_empty());
        if let Some(url) = &smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err(invalid(
                "smtp_url",
                "(given)",
                "smtps://USER:PASSWORD@HOST:465 or smtp://USER:PASSWORD@HOST:587",
            ));
        }
        let smtp_from = match (&smtp_url, self.smtp_from.filter(|f| !f.trim().is_empty())) {
            (Some(_), None) => {
                return Err(invalid(
                    "smtp_from",
                    "(unset)",
                    "the sender address of the server's mail, such as upsignon@example.com",
                ));
            }
            (_, Some(from)) => Some(
                Email::parse(&from)
                    .map_err(|e| invalid("smtp_from", &from, &e.to_string()))?
                    .as_str()
                    .to_string(),
            ),
            (None, None) => None,
        };
        let admin_email = match self.admin_email.filter(|e| !e.trim().is_empty()) {
            Some(email) => Some(
                Email::parse(&email).map_err(|e| invalid("admin_email", &email, &e.to_string()))?,
            ),
            None => None,
        };
        let slug = self
            .tenant_slug
            .unwrap_or_else(|| DEFAULT_TENANT_SLUG.to_string());
        let tenant_slug =
            TenantSlug::parse(&slug).map_err(|e| invalid("tenant_slug", &slug, &e.to_string()))?;
        Ok(Settings {
            state_dir: layout.state_dir.clone(),
            public_url,
            database,
            listen,
            tls_mode,
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            smtp_url: smtp_url.map(Secret::new),
            smtp_from,
            admin_email,
            tenant_name: self
                .tenant_name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "Main".to_string()),
            tenant_slug,
            backup_dir: self.backup_dir.unwrap_or_else(|| layout.backup_dir.clone()),
            backup_key_file: self
                .backup_key_file
                .unwrap_or_else(|| layout.backup_key_file.clone()),
            sentry_dsn: self
                .sentry_dsn
                .filter(|d| !d.trim().is_empty())
                .map(Secret::new),
        })
    }
}

fn invalid(answer: &'static str, value: &str, expected: &str) -> InstallError {
    InstallError::InvalidAnswer {
        answer,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// The port written in a URL such as `https://host:9443/`, if any.
fn explicit_port(url: &str) -> Option<u16> {
    let authority = url.split_once("://")?.1.split('/').next()?;
    let (host, port) = authority.rsplit_once(':')?;
    if host.ends_with(']') || !host.contains(':') {
        port.parse().ok()
    } else {
        None
    }
}

fn check_public_url(url: &str) -> Result<String, InstallError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(' ') => {
            Ok(url.trim_end_matches('/').to_string())
        }
        _ => Err(invalid(
            "public_url",
            url,
            "a URL such as https://passwords.example.com (the address users and apps reach)",
        )),
    }
}

/// `https://<this machine's name>:<port>`: what users on the network reach
/// when nothing else is said.
pub fn default_public_url(listen: SocketAddr, tls_mode: TlsMode) -> String {
    let scheme = if tls_mode == TlsMode::None {
        "http"
    } else {
        "https"
    };
    let host = if listen.ip().is_loopback() {
        "localhost".to_string()
    } else {
        machine_name()
    };
    match listen.port() {
        443 if scheme == "https" => format!("{scheme}://{host}"),
        port => format!("{scheme}://{host}:{port}"),
    }
}

fn machine_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::under_prefix(Path::new("/tmp/p"))
    }

    #[test]
    fn no_answer_at_all_gives_an_embedded_self_signed_install() {
        let settings = Answers::default().resolve(&layout()).unwrap();
        assert_eq!(
            settings.database,
            DatabaseUrl::sqlite("/tmp/p/var/lib/upsignon/upsignon.db")
        );
        assert_eq!(settings.tls_mode, TlsMode::SelfSigned);
        assert_eq!(settings.listen.port(), DEFAULT_PORT);
        assert!(settings.public_url.starts_with("https://"));
        assert_eq!(settings.tenant_slug.as_str(), DEFAULT_TENANT_SLUG);
        assert!(settings.admin_email.is_none());
    }

    #[test]
    fn a_bad_answer_is_named_with_what_is_expected() {
        let answers = Answers {
            admin_email: Some("not-an-email".into()),
            ..Answers::default()
        };
        let error = answers.resolve(&layout()).unwrap_err().to_string();
        assert!(error.contains("admin_email"), "{error}");
        assert!(error.contains("not-an-email"), "{error}");
    }

    #[test]
    fn smtp_needs_a_sender() {
        let answers = Answers {
            smtp_url: Some("smtps://u:p@mail.example.com:465".into()),
            ..Answers::default()
        };
        let error = answers.resolve(&layout()).unwrap_err().to_string();
        assert!(error.contains("smtp_from"), "{error}");
    }

    #[test]
    fn the_public_url_port_is_the_listen_port_unless_told_otherwise() {
        let answers = Answers {
            public_url: Some("https://pw.example.com:9443/".into()),
            ..Answers::default()
        };
        assert_eq!(answers.resolve(&layout()).unwrap().listen.port(), 9443);
        let answers = Answers {
            public_url: Some("https://pw.example.com".into()),
            ..Answers::default()
        };
        assert_eq!(
            answers.resolve(&layout()).unwrap().listen.port(),
            DEFAULT_PORT
        );
    }

    #[test]
    fn given_answers_win_over_the_fallback() {
        let given = Answers {
            public_url: Some("https://a.example.com".into()),
            ..Answers::default()
        };
        let earlier = Answers {
            public_url: Some("https://b.example.com".into()),
            tenant_name: Some("Acme".into()),
            ..Answers::default()
        };
        let merged = given.or(earlier);
        assert_eq!(merged.public_url.as_deref(), Some("https://a.example.com"));
        assert_eq!(merged.tenant_name.as_deref(), Some("Acme"));
    }
}
