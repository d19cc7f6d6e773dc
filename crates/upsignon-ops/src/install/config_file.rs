//! The config file an install writes: the keys it manages set from the
//! answers, every other key of an earlier file kept as the sysadmin left it.

use toml::{Table, Value};
use upsignon_config::TlsMode;

use super::Settings;

const HEADER: &str = "\
# UpSignOn PRO server configuration, written by `upsignon install`.
# Every key is documented in docs/configuration.md; UPSIGNON_<KEY> environment
# variables override this file. Re-running `upsignon install` keeps keys it
# does not manage (such as log_level or workers).
";

/// The full text of the config file for `settings`, on top of `existing`
/// (the earlier file's text, when there was one and it parsed).
pub fn render(settings: &Settings, existing: Option<&str>) -> String {
    let mut table = existing
        .and_then(|text| text.parse::<Table>().ok())
        .unwrap_or_default();
    let mut set = |key: &str, value: Option<String>| match value {
        Some(value) => {
            table.insert(key.to_string(), Value::String(value));
        }
        None => {
            table.remove(key);
        }
    };
    set("public_url", Some(settings.public_url.clone()));
    set("database_url", Some(settings.database.expose()));
    set("listen", Some(settings.listen.to_string()));
    set(
        "tls_mode",
        Some(tls_mode_name(settings.tls_mode).to_string()),
    );
    set("tls_cert", path_text(&settings.tls_cert));
    set("tls_key", path_text(&settings.tls_key));
    set(
        "smtp_url",
        settings.smtp_url.as_ref().map(|s| s.expose().to_string()),
    );
    set("smtp_from", settings.smtp_from.clone());
    set(
        "backup_dir",
        Some(settings.backup_dir.display().to_string()),
    );
    set(
        "backup_key_file",
        Some(settings.backup_key_file.display().to_string()),
    );
    set(
        "sentry_dsn",
        settings.sentry_dsn.as_ref().map(|s| s.expose().to_string()),
    );
    set("state_dir", Some(settings.state_dir.display().to_string()));
    format!("{HEADER}\n{}", toml::to_string(&table).unwrap_or_default())
}

/// The same text with passwords and DSNs masked, for `--dry-run`.
pub fn masked(text: &str) -> String {
    text.lines()
        .map(|line| {
            let secret = ["database_url = \"postgres", "smtp_url", "sentry_dsn"]
                .iter()
                .any(|k| line.starts_with(k));
            match line.split_once(" = ") {
                Some((key, _)) if secret => format!("{key} = \"********\""),
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn tls_mode_name(mode: TlsMode) -> &'static str {
    match mode {
        TlsMode::SelfSigned => "self-signed",
        TlsMode::Files => "files",
        TlsMode::None => "none",
    }
}

fn path_text(path: &Option<std::path::PathBuf>) -> Option<String> {
    path.as_ref().map(|p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::install::{Answers, Layout};

    fn settings() -> Settings {
        Answers::default()
            .resolve(&Layout::under_prefix(Path::new("/tmp/p")))
            .unwrap()
    }

    #[test]
    fn keys_the_install_does_not_manage_are_kept() {
        let text = render(&settings(), Some("log_level = \"debug\"\nworkers = 2\n"));
        let config: upsignon_config::Config = toml::from_str(&text).unwrap();
        assert_eq!(config.log_level, "debug");
        assert_eq!(config.workers, 2);
        assert_eq!(config.state_dir, Path::new("/tmp/p/var/lib/upsignon"));
    }

    #[test]
    fn dry_run_text_hides_secrets() {
        let text = "database_url = \"postgres://u:pw@h/db\"\nsmtp_url = \"smtps://u:pw@h\"\nlisten = \"x\"";
        let shown = masked(text);
        assert!(!shown.contains("pw"), "{shown}");
        assert!(shown.contains("listen = \"x\""));
    }
}
