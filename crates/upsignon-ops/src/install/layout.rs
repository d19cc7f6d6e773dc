//! Where an install puts its files: the system places of operations.md when
//! run as root, the same tree under `--prefix` for a trial or a staging root,
//! or the user's own directories when not root.

use std::path::{Path, PathBuf};

use upsignon_config::{SYSTEM_BACKUP_DIR, SYSTEM_CONFIG_FILE, SYSTEM_STATE_DIR};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallMode {
    /// Root, no prefix: system user, modes from operations.md, systemd.
    System,
    /// Everything under a directory, owned by whoever runs the install.
    Prefix(PathBuf),
    /// Not root: the user's config and state directories.
    User,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub mode: InstallMode,
    pub config_file: PathBuf,
    pub state_dir: PathBuf,
    pub backup_dir: PathBuf,
    pub backup_key_file: PathBuf,
}

/// The system account the server runs as in a system install.
pub const SERVICE_USER: &str = "upsignon";

impl Layout {
    /// System when root without prefix, prefix when given, else user mode.
    pub fn detect(prefix: Option<&Path>) -> Self {
        match prefix {
            Some(prefix) => Self::under_prefix(prefix),
            None if upsignon_config::running_as_root() => Self::system(),
            None => Self::user(),
        }
    }

    pub fn system() -> Self {
        Self {
            mode: InstallMode::System,
            config_file: PathBuf::from(SYSTEM_CONFIG_FILE),
            state_dir: PathBuf::from(SYSTEM_STATE_DIR),
            backup_dir: PathBuf::from(SYSTEM_BACKUP_DIR),
            backup_key_file: PathBuf::from("/etc/upsignon/backup.key"),
        }
    }

    pub fn under_prefix(prefix: &Path) -> Self {
        let inside = |p: &str| prefix.join(p.trim_start_matches('/'));
        Self {
            mode: InstallMode::Prefix(prefix.to_path_buf()),
            config_file: inside(SYSTEM_CONFIG_FILE),
            state_dir: inside(SYSTEM_STATE_DIR),
            backup_dir: inside(SYSTEM_BACKUP_DIR),
            backup_key_file: inside("/etc/upsignon/backup.key"),
        }
    }

    pub fn user() -> Self {
        let config_file =
            upsignon_config::user_config_file().unwrap_or_else(|| PathBuf::from("upsignon.toml"));
        let state_dir = upsignon_config::default_state_dir();
        let config_dir = config_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Self {
            mode: InstallMode::User,
            backup_dir: state_dir.join("backups"),
            backup_key_file: config_dir.join("backup.key"),
            config_file,
            state_dir,
        }
    }

    /// Use this config file instead of the mode's default (`--config`).
    pub fn with_config_file(mut self, path: PathBuf) -> Self {
        self.config_file = path;
        self
    }

    pub fn is_system(&self) -> bool {
        self.mode == InstallMode::System
    }

    pub fn config_dir(&self) -> PathBuf {
        self.config_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Log and pid files of a server started without systemd.
    pub fn log_file(&self) -> PathBuf {
        super::service::log_file(&self.state_dir)
    }

    pub fn pid_file(&self) -> PathBuf {
        super::service::pid_file(&self.state_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_holds_the_whole_system_tree() {
        let layout = Layout::under_prefix(Path::new("/tmp/trial"));
        assert_eq!(
            layout.config_file,
            Path::new("/tmp/trial/etc/upsignon/upsignon.toml")
        );
        assert_eq!(layout.state_dir, Path::new("/tmp/trial/var/lib/upsignon"));
        assert_eq!(
            layout.backup_dir,
            Path::new("/tmp/trial/var/backups/upsignon")
        );
        assert!(!layout.is_system());
    }
}
