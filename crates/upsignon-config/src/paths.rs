use std::path::PathBuf;

/// Where state lives when the config does not say: `/var/lib/upsignon` for a
/// system install (root), else a per-user directory so a trial needs no root.
pub fn default_state_dir() -> PathBuf {
    if running_as_root() {
        return PathBuf::from("/var/lib/upsignon");
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("upsignon");
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/state/upsignon"),
        None => PathBuf::from("/var/lib/upsignon"),
    }
}

fn running_as_root() -> bool {
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
