use std::path::PathBuf;

/// The state directory of a system install (packages, `upsignon install` as root).
pub const SYSTEM_STATE_DIR: &str = "/var/lib/upsignon";
/// The backup directory of a system install.
pub const SYSTEM_BACKUP_DIR: &str = "/var/backups/upsignon";

/// The config file of a system install.
pub const SYSTEM_CONFIG_FILE: &str = "/etc/upsignon/upsignon.toml";

/// The config file of a user-mode install (not root, no `--prefix`):
/// `$XDG_CONFIG_HOME/upsignon/upsignon.toml`, else `~/.config/upsignon/upsignon.toml`.
pub fn user_config_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("upsignon/upsignon.toml"))
}

/// The config file read when no `--config` is given: the system file for
/// root; for other users their own file when it exists, else the system one.
pub fn default_config_file() -> PathBuf {
    if !running_as_root()
        && let Some(path) = user_config_file().filter(|p| p.is_file())
    {
        return path;
    }
    PathBuf::from(SYSTEM_CONFIG_FILE)
}

/// Where state lives when the config does not say: `/var/lib/upsignon` for a
/// system install (root), else a per-user directory so a trial needs no root.
pub fn default_state_dir() -> PathBuf {
    if running_as_root() {
        return PathBuf::from(SYSTEM_STATE_DIR);
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("upsignon");
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/state/upsignon"),
        None => PathBuf::from(SYSTEM_STATE_DIR),
    }
}

pub fn running_as_root() -> bool {
    // The effective uid is not in std; /proc/self is owned by it on Linux.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        false
    }
}
