use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

use crate::{Config, TlsMode};

/// Read when it exists and no `--config` is given (for root; see
/// [`default_config_file`](crate::default_config_file) for other users).
pub const DEFAULT_CONFIG_PATH: &str = crate::paths::SYSTEM_CONFIG_FILE;

const ENV_PREFIX: &str = "UPSIGNON_";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "config file {0} does not exist: pass an existing file with --config (or UPSIGNON_CONFIG), or leave it out to use the defaults"
    )]
    MissingFile(PathBuf),
    #[error(
        "invalid configuration: {0}\nFix the value in the config file or the matching UPSIGNON_* environment variable; `upsignon config show` prints the effective configuration."
    )]
    Parse(String),
    #[error("invalid configuration: {key} = {value}: {expected}")]
    Invalid {
        key: &'static str,
        value: String,
        expected: String,
    },
}

/// Layers built-in defaults, then the TOML file, then `UPSIGNON_*` variables,
/// and validates the result.
///
/// `explicit` is the path given with `--config`: it must exist. Without it,
/// [`DEFAULT_CONFIG_PATH`] is read when present.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let file = match explicit {
        Some(path) if !path.is_file() => return Err(ConfigError::MissingFile(path.to_path_buf())),
        Some(path) => Some(path.to_path_buf()),
        None => Some(crate::default_config_file()).filter(|p| p.is_file()),
    };
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(path) = file {
        figment = figment.merge(Toml::file_exact(path));
    }
    let known = known_keys();
    let env = Env::prefixed(ENV_PREFIX).filter(move |key| known.iter().any(|k| key == k.as_str()));
    let figment = figment.merge(env);
    let config: Config = figment
        .extract()
        .map_err(|e| ConfigError::Parse(describe(&figment, e)))?;
    validate(&config)?;
    Ok(config)
}

/// A configuration from TOML text alone (defaults, then `text`, no
/// environment), validated as [`load`] does. Any text gives a config or a
/// `ConfigError`, never a panic (a fuzz target holds it to that).
pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
    let figment = Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text));
    let config: Config = figment
        .extract()
        .map_err(|e| ConfigError::Parse(describe(&figment, e)))?;
    validate(&config)?;
    Ok(config)
}

/// The keys of [`Config`], so that unrelated `UPSIGNON_*` variables (such as
/// `UPSIGNON_CONFIG`) are not mistaken for configuration.
fn known_keys() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// One line per bad key: the key, the value given, where it came from, what
/// went wrong and what a good value looks like.
fn describe(figment: &Figment, error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let value = figment.find_value(&key).ok().map(|v| match v.as_str() {
                Some(text) => text.to_string(),
                None => serde_json::to_string(&v).unwrap_or_default(),
            });
            let source = e
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            let example = example_for(&key)
                .map(|x| format!("; expected {x}"))
                .unwrap_or_default();
            if let figment::error::Kind::UnknownField(field, expected) = &e.kind {
                let hint = crate::suggest::closest_key(field, expected)
                    .map(|k| format!(": did you mean `{k}`?"))
                    .unwrap_or_else(|| {
                        ": it is not a setting (docs/configuration.md lists them all)".to_string()
                    });
                return format!("unknown key `{field}`{source}{hint}");
            }
            match value {
                Some(value) if !key.is_empty() => {
                    format!("{key} = {value:?}{source}: {}{example}", e.kind)
                }
                _ => format!("{}{source}", e.kind),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn example_for(key: &str) -> Option<&'static str> {
    Some(match key {
        "listen" => "an address and port such as 127.0.0.1:8443 or 0.0.0.0:8443",
        "database_url" => {
            "sqlite:///var/lib/upsignon/upsignon.db or postgres://USER:PASSWORD@HOST:5432/DATABASE"
        }
        "tls_mode" => "one of \"self-signed\", \"files\", \"none\"",
        "log_format" => "one of \"auto\", \"human\", \"json\"",
        "trusted_proxies" => {
            "a list of IP addresses, such as [\"127.0.0.1\"] (or 127.0.0.1,10.0.0.2 in the environment)"
        }
        "migrate_on_start" => "true or false",
        _ => return None,
    })
}

/// The host of `smtp://USER:PASSWORD@HOST:PORT?...` is 127.0.0.1, ::1 or localhost.
fn smtp_host_is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn validate(config: &Config) -> Result<(), ConfigError> {
    if let Some(problem) = crate::suggest::log_level_problem(&config.log_level) {
        return Err(ConfigError::Invalid {
            key: "log_level",
            value: config.log_level.clone(),
            expected: format!(
                "{problem}; use trace, debug, info, warn, error or off, or target=level pairs such as \"upsignon=debug,info\""
            ),
        });
    }
    if config.tls_mode == TlsMode::None && !config.listen.ip().is_loopback() {
        return Err(ConfigError::Invalid {
            key: "listen",
            value: config.listen.to_string(),
            expected: "tls_mode = \"none\" serves plain HTTP and is only allowed on a loopback address \
                       (127.0.0.1 or ::1) behind a TLS reverse proxy; use tls_mode = \"self-signed\" or \"files\""
                .to_string(),
        });
    }
    if config.tls_mode == TlsMode::Files {
        for (key, value) in [("tls_cert", &config.tls_cert), ("tls_key", &config.tls_key)] {
            if value.is_none() {
                return Err(ConfigError::Invalid {
                    key,
                    value: "(unset)".to_string(),
                    expected:
                        "tls_mode = \"files\" needs both tls_cert and tls_key (PEM file paths)"
                            .to_string(),
                });
            }
        }
    }
    if !(1..=256).contains(&config.database_pool_size) {
        return Err(ConfigError::Invalid {
            key: "database_pool_size",
            value: config.database_pool_size.to_string(),
            expected: "a number of connections from 1 to 256".to_string(),
        });
    }
    if config.body_limit_bytes < 1024 {
        return Err(ConfigError::Invalid {
            key: "body_limit_bytes",
            value: config.body_limit_bytes.to_string(),
            expected: "at least 1024 bytes (the default is 5242880, 5 MiB)".to_string(),
        });
    }
    if let Some(url) = &config.public_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(ConfigError::Invalid {
            key: "public_url",
            value: url.clone(),
            expected: "a URL starting with https://, for example https://passwords.example.com"
                .to_string(),
        });
    }
    if let Some(url) = &config.smtp_url
        && !(url.expose().starts_with("smtp://") || url.expose().starts_with("smtps://"))
    {
        return Err(ConfigError::Invalid {
            key: "smtp_url",
            value: "(masked)".to_string(),
            expected:
                "smtps://USER:PASSWORD@HOST:465 (TLS) or smtp://USER:PASSWORD@HOST:587 (STARTTLS)"
                    .to_string(),
        });
    }
    if let Some(secret) = &config.replication_secret
        && secret.expose().len() < 32
    {
        return Err(ConfigError::Invalid {
            key: "replication_secret",
            value: "(masked)".to_string(),
            expected: "at least 32 characters, the same on the primary and its standbys; generate one with `openssl rand -hex 32`"
                .to_string(),
        });
    }
    if let Some(url) = &config.standby_primary_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(ConfigError::Invalid {
            key: "standby_primary_url",
            value: url.clone(),
            expected: "the primary's URL, such as https://passwords.example.com:8443".to_string(),
        });
    }
    if config.standby_interval_secs < 60 {
        return Err(ConfigError::Invalid {
            key: "standby_interval_secs",
            value: config.standby_interval_secs.to_string(),
            expected: "at least 60 seconds (the default is 3600, hourly)".to_string(),
        });
    }
    if let Some(url) = &config.smtp_url
        && (url.expose().contains("tls=none") || url.expose().contains("tls=opportunistic"))
        && !smtp_host_is_loopback(url.expose())
    {
        return Err(ConfigError::Invalid {
            key: "smtp_url",
            value: "(masked)".to_string(),
            expected: "TLS to the mail server: plain SMTP (tls=none) is only allowed to a relay on this machine (127.0.0.1 or localhost)"
                .to_string(),
        });
    }
    validate_hardening(config)?;
    if config.smtp_url.is_some() && config.smtp_from.is_none() {
        return Err(ConfigError::Invalid {
            key: "smtp_from",
            value: "(unset)".to_string(),
            expected: "the sender address of the server's mail, such as upsignon@example.com, whenever smtp_url is set"
                .to_string(),
        });
    }
    Ok(())
}

/// Keys of metrics, error reports and abuse limits.
fn validate_hardening(config: &Config) -> Result<(), ConfigError> {
    if let Some(token) = &config.metrics_token
        && token.expose().len() < 32
    {
        return Err(ConfigError::Invalid {
            key: "metrics_token",
            value: "(masked)".to_string(),
            expected: "at least 32 characters, the bearer token Prometheus sends; generate one with `openssl rand -hex 32`"
                .to_string(),
        });
    }
    if let Some(field) = config
        .sentry_send_fields
        .iter()
        .find(|f| !crate::SENTRY_FIELDS.contains(&f.as_str()))
    {
        return Err(ConfigError::Invalid {
            key: "sentry_send_fields",
            value: field.clone(),
            expected: format!(
                "a list of the personal data error reports may keep, among: {}",
                crate::SENTRY_FIELDS.join(", ")
            ),
        });
    }
    if !(2..=128).contains(&config.json_max_depth) {
        return Err(ConfigError::Invalid {
            key: "json_max_depth",
            value: config.json_max_depth.to_string(),
            expected: "a nesting depth from 2 to 128 (the default is 32)".to_string(),
        });
    }
    if config.vault_max_bytes < 1024 || config.vault_max_bytes > config.body_limit_bytes {
        return Err(ConfigError::Invalid {
            key: "vault_max_bytes",
            value: config.vault_max_bytes.to_string(),
            expected: format!(
                "at least 1024 and at most body_limit_bytes ({}); the default is 4194304",
                config.body_limit_bytes
            ),
        });
    }
    if config.handler_timeout_secs == 0 {
        return Err(ConfigError::Invalid {
            key: "handler_timeout_secs",
            value: "0".to_string(),
            expected: "at least 1 second (the default is 30)".to_string(),
        });
    }
    Ok(())
}
