//! The config layers as a sysadmin uses them: defaults, the TOML file, then
//! `UPSIGNON_*` variables. `figment::Jail` gives each test its own environment
//! and working directory.

// `Jail::expect_with` fixes the closure type, with figment's large error.
#![allow(clippy::result_large_err)]

use figment::Jail;
use upsignon_config::{Config, ConfigError, DatabaseUrl, LogFormat, TlsMode, load};

fn load_in(jail: &Jail, file: Option<&str>) -> Result<Config, ConfigError> {
    let path = file.map(|name| jail.directory().join(name));
    load(path.as_deref())
}

#[test]
fn defaults_give_sqlite_in_the_state_dir_on_loopback() {
    Jail::expect_with(|jail| {
        jail.set_env("UPSIGNON_STATE_DIR", "/srv/upsignon");
        let config = load_in(jail, None).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(config.tls_mode, TlsMode::SelfSigned);
        assert_eq!(
            config.database(),
            DatabaseUrl::sqlite("/srv/upsignon/upsignon.db")
        );
        Ok(())
    });
}

#[test]
fn the_environment_overrides_the_file() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "upsignon.toml",
            "listen = \"127.0.0.1:9000\"\nlog_format = \"json\"\n",
        )?;
        jail.set_env("UPSIGNON_LISTEN", "127.0.0.1:9443");
        jail.set_env(
            "UPSIGNON_DATABASE_URL",
            "postgres://app:pw@127.0.0.1/upsignon",
        );
        jail.set_env("UPSIGNON_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2");
        jail.set_env("UPSIGNON_CONFIG", "ignored-by-the-loader");
        let config = load_in(jail, Some("upsignon.toml")).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9443");
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.database().backend_name(), "postgresql");
        assert_eq!(config.trusted_proxies.len(), 2);
        Ok(())
    });
}

#[test]
fn a_bad_value_names_the_key_and_what_is_expected() {
    Jail::expect_with(|jail| {
        jail.set_env("UPSIGNON_LISTEN", "not-an-address");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("listen"), "{message}");
        assert!(message.contains("not-an-address"), "{message}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("UPSIGNON_DATABASE_URL", "mysql://root@db/x");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("sqlite://PATH"), "{message}");
        Ok(())
    });
}

#[test]
fn plain_http_is_refused_off_loopback() {
    Jail::expect_with(|jail| {
        jail.set_env("UPSIGNON_TLS_MODE", "none");
        jail.set_env("UPSIGNON_LISTEN", "0.0.0.0:8080");
        let message = load_in(jail, None).unwrap_err().to_string();
        assert!(message.contains("loopback"), "{message}");
        Ok(())
    });
}

#[test]
fn a_typo_in_the_file_is_an_error_not_a_silent_default() {
    Jail::expect_with(|jail| {
        jail.create_file("upsignon.toml", "lisen = \"127.0.0.1:9000\"\n")?;
        let message = load_in(jail, Some("upsignon.toml"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("lisen"), "{message}");
        Ok(())
    });
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    Jail::expect_with(|jail| {
        let err = load_in(jail, Some("absent.toml")).unwrap_err();
        assert!(matches!(err, ConfigError::MissingFile(_)));
        Ok(())
    });
}

#[test]
fn standby_settings_are_checked_at_start() {
    Jail::expect_with(|jail| {
        jail.set_env("UPSIGNON_REPLICATION_SECRET", "short");
        let error = load_in(jail, None).unwrap_err().to_string();
        assert!(
            error.contains("replication_secret") && error.contains("openssl rand -hex 32"),
            "{error}"
        );
        assert!(
            !error.contains("short"),
            "the secret is never shown: {error}"
        );
        jail.set_env(
            "UPSIGNON_REPLICATION_SECRET",
            "0123456789abcdef0123456789abcdef",
        );
        jail.set_env("UPSIGNON_STANDBY_INTERVAL_SECS", "10");
        let error = load_in(jail, None).unwrap_err().to_string();
        assert!(
            error.contains("standby_interval_secs") && error.contains("at least 60"),
            "{error}"
        );
        jail.set_env("UPSIGNON_STANDBY_INTERVAL_SECS", "60");
        jail.set_env("UPSIGNON_STANDBY_PRIMARY_URL", "primary.example.com");
        let error = load_in(jail, None).unwrap_err().to_string();
        assert!(error.contains("standby_primary_url"), "{error}");
        jail.set_env(
            "UPSIGNON_STANDBY_PRIMARY_URL",
            "https://primary.example.com:8443",
        );
        let config = load_in(jail, None).unwrap();
        assert_eq!(config.standby_interval_secs, 60);
        Ok(())
    });
}

#[test]
fn plain_smtp_is_allowed_only_to_a_local_relay() {
    Jail::expect_with(|jail| {
        jail.set_env("UPSIGNON_SMTP_FROM", "upsignon@example.com");
        jail.set_env("UPSIGNON_SMTP_URL", "smtp://mail.example.com:25?tls=none");
        let error = load_in(jail, None).unwrap_err().to_string();
        assert!(
            error.contains("smtp_url") && error.contains("relay on this machine"),
            "{error}"
        );
        for local in [
            "smtp://127.0.0.1:25?tls=none",
            "smtp://user:pw@localhost:2525?tls=none",
            "smtp://[::1]:25?tls=none",
        ] {
            jail.set_env("UPSIGNON_SMTP_URL", local);
            load_in(jail, None).unwrap_or_else(|e| panic!("{local}: {e}"));
        }
        Ok(())
    });
}

#[test]
fn an_unknown_key_names_the_closest_one_not_the_whole_list() {
    Jail::expect_with(|jail| {
        jail.create_file("upsignon.toml", "log_levl = \"debug\"\n")?;
        let error = load_in(jail, Some("upsignon.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("unknown key `log_levl`") && error.contains("did you mean `log_level`?"),
            "{error}"
        );
        assert!(!error.contains("database_pool_size"), "{error}");
        Ok(())
    });
}

#[test]
fn a_log_level_that_is_not_a_level_is_refused_with_the_closest_level() {
    Jail::expect_with(|jail| {
        jail.create_file("upsignon.toml", "log_level = \"inf\"\n")?;
        let error = load_in(jail, Some("upsignon.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("log_level") && error.contains("did you mean \"info\"?"),
            "{error}"
        );
        jail.create_file("upsignon.toml", "log_level = \"upsignon=debug,warn\"\n")?;
        assert_eq!(
            load_in(jail, Some("upsignon.toml")).unwrap().log_level,
            "upsignon=debug,warn"
        );
        Ok(())
    });
}
