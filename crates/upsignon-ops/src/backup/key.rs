//! The backup key: an age X25519 identity in a file (`AGE-SECRET-KEY-1...`),
//! which the standard `age -d -i FILE` also reads. Backups are encrypted to
//! its public half; restoring needs the file.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use age::x25519::Identity;

use super::BackupError;

/// The files a backup is made and restored with: the backup key, and the
/// secrets key whose value every backup carries (inside its encryption),
/// so that a restore on a new machine can open the admins' sealed secrets.
#[derive(Debug, Clone)]
pub struct Keys {
    /// `backup_key_file`.
    pub backup: PathBuf,
    /// `secrets_key_file`: read by a backup, written by a restore. `None`
    /// for a reader that must not touch it (the restore drill).
    pub secrets: Option<PathBuf>,
}

impl Keys {
    /// The site's keys; fails when no backup key is configured.
    pub fn of(config: &upsignon_config::Config) -> Result<Keys, BackupError> {
        Ok(Keys {
            backup: config.backup_key_file.clone().ok_or(BackupError::NoKey)?,
            secrets: Some(config.secrets_key()),
        })
    }

    /// Only the backup key: for reading and checking a backup.
    pub fn backup_only(path: &Path) -> Keys {
        Keys {
            backup: path.to_path_buf(),
            secrets: None,
        }
    }
}

/// The text of a new key file, in age-keygen's layout.
pub fn generate_key_file_text() -> String {
    let identity = Identity::generate();
    format!(
        "# upsignon backup key: keep a copy away from the server; without it backups cannot be restored\n# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    )
}

/// Writes a new key file at `path` (mode 0640), never over an existing one.
pub fn write_new_key_file(path: &Path) -> Result<(), BackupError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .open(path)
        .map_err(|e| BackupError::Key {
            path: path.to_path_buf(),
            reason: format!("{e} (an existing key is never replaced)"),
        })?;
    file.write_all(generate_key_file_text().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(super::error::io("write", path))
}

/// Reads the identity, refusing a key file other users can read.
pub fn load_identity(path: &Path) -> Result<Identity, BackupError> {
    let fail = |reason: String| BackupError::Key {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.permissions().mode() & 0o004 != 0 {
        return Err(fail(format!(
            "it is readable by every user; run chmod 640 {}",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .ok_or_else(|| fail("no AGE-SECRET-KEY line in it".to_string()))?
        .parse::<Identity>()
        .map_err(|e| fail(e.to_string()))
}
