//! Config file, directories and the backup key: present, and readable only
//! by whom they should be.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use upsignon_config::Config;

use super::Check;

pub fn config_file(path: Option<&Path>, config: &Config) -> Check {
    let Some(path) = path.filter(|p| p.is_file()) else {
        return Check::warn(
            "config",
            "no config file: built-in defaults and UPSIGNON_* variables only",
            "run `upsignon install` to write one",
        );
    };
    let has_secrets = config.smtp_url.is_some()
        || config.sentry_dsn.is_some()
        || config
            .database_url
            .as_ref()
            .is_some_and(|u| u.sqlite_path().is_none());
    let mode = mode_of(path);
    if has_secrets && mode & 0o004 != 0 {
        return Check::fail(
            "config",
            format!(
                "{} holds passwords and is readable by every user (mode {mode:04o})",
                path.display()
            ),
            format!("chmod 640 {} (owner root, group upsignon)", path.display()),
        );
    }
    Check::ok(
        "config",
        format!("{} parsed (mode {mode:04o})", path.display()),
    )
}

pub fn directories(config: &Config) -> Vec<Check> {
    vec![
        directory("state dir", &config.state_dir, 0o027, "750"),
        directory("backup dir", &config.backups(), 0o077, "700"),
    ]
}

fn directory(name: &'static str, path: &Path, too_open: u32, advised: &str) -> Check {
    let meta = match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => meta,
        Ok(_) => {
            return Check::fail(
                name,
                format!("{} is not a directory", path.display()),
                "point the config at a directory, or move the file away",
            );
        }
        Err(_) => {
            return Check::warn(
                name,
                format!("{} does not exist yet", path.display()),
                "run `upsignon install` (or create it, owned by the server's user)",
            );
        }
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & too_open != 0 {
        return Check::fail(
            name,
            format!(
                "{} is open to other users (mode {mode:04o})",
                path.display()
            ),
            format!("chmod {advised} {}", path.display()),
        );
    }
    if !writable(path) {
        return Check::fail(
            name,
            format!("{} is not writable by this user", path.display()),
            format!(
                "run doctor as the server's user (sudo -u upsignon upsignon doctor) or chown it to that user (owner uid {})",
                meta.uid()
            ),
        );
    }
    Check::ok(name, format!("{} (mode {mode:04o})", path.display()))
}

pub fn backup_key(config: &Config) -> Check {
    let Some(path) = &config.backup_key_file else {
        return Check::warn(
            "backup key",
            "backup_key_file is not set: backups cannot be encrypted",
            "run `upsignon install` (it creates a key), or set backup_key_file to a 32-byte key file",
        );
    };
    if !path.is_file() {
        return Check::fail(
            "backup key",
            format!("{} does not exist", path.display()),
            "restore the key file from your safe copy, or run `upsignon install` to create a new one (older backups then need the old key)",
        );
    }
    let mode = mode_of(path);
    if mode & 0o004 != 0 {
        return Check::fail(
            "backup key",
            format!(
                "{} is readable by every user (mode {mode:04o})",
                path.display()
            ),
            format!("chmod 640 {}", path.display()),
        );
    }
    if let Err(e) = crate::backup::load_identity(path) {
        return Check::fail(
            "backup key",
            e.to_string(),
            "restore the key file from your safe copy (an AGE-SECRET-KEY-1... line)",
        );
    }
    Check::ok(
        "backup key",
        format!("{} (mode {mode:04o})", path.display()),
    )
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0)
}

fn writable(path: &Path) -> bool {
    rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_ok()
}
