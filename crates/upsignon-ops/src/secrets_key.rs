//! The secrets key (`secrets_key_file`): 32 random bytes, base64 on one
//! line, that seal the secrets the server reads back (admins' TOTP
//! secrets). Created with mode 0600 when missing; refused when others may
//! read it or the group may write it (group read is allowed: Kubernetes
//! mounts Secrets 0440 with `fsGroup`), or when it is not a valid key.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use upsignon_console::SecretBox;

#[derive(Debug, thiserror::Error)]
#[error("the secrets key {path} cannot be used: {reason}\n{fix}")]
pub struct SecretsKeyError {
    pub path: PathBuf,
    pub reason: String,
    pub fix: &'static str,
}

const KEY_LEN: usize = 32;

/// Loads the key, creating it first when the file does not exist.
pub fn load_or_create(path: &Path) -> Result<SecretBox, SecretsKeyError> {
    if !path.exists() {
        create(path)?;
    }
    load(path)
}

fn fail(path: &Path, reason: impl Into<String>, fix: &'static str) -> SecretsKeyError {
    SecretsKeyError {
        path: path.to_path_buf(),
        reason: reason.into(),
        fix,
    }
}

fn create(path: &Path) -> Result<(), SecretsKeyError> {
    let fix = "Check that the server's user may write to that directory, or set secrets_key_file to a writable place.";
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| fail(path, e.to_string(), fix))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| fail(path, e.to_string(), fix))?;
    file.write_all(format!("{}\n", STANDARD.encode(key)).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| fail(path, e.to_string(), fix))?;
    tracing::info!(path = %path.display(), "created the secrets key; keep a copy with the backup key");
    Ok(())
}

/// Loads an existing key (never creates one).
pub fn load(path: &Path) -> Result<SecretBox, SecretsKeyError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| fail(path, e.to_string(), "Check the path and the file's owner."))?;
    if meta.permissions().mode() & 0o027 != 0 {
        return Err(fail(
            path,
            "other users may read it, or its group may write it",
            "Run chmod 600 on it (owned by the server's user), or 640 / 440 for a group the server is in.",
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(path, e.to_string(), "Check the file's owner and mode."))?;
    let key = STANDARD
        .decode(text.trim())
        .ok()
        .filter(|k| k.len() == KEY_LEN)
        .ok_or_else(|| {
            fail(
                path,
                "it does not hold 32 bytes in base64",
                "Restore the file from your copy; if it is lost, move it away and restart (admins then enrol their second factor again).",
            )
        })?;
    SecretBox::new(&key).map_err(|e| fail(path, e.to_string(), "Restore the file from your copy."))
}

/// The key's text (base64), for a backup to carry, or `None` when the
/// site has no key yet. A key that cannot be used is an error.
pub fn read_text(path: &Path) -> Result<Option<String>, SecretsKeyError> {
    if !path.exists() {
        return Ok(None);
    }
    load(path)?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(path, e.to_string(), "Check the file's owner and mode."))?;
    Ok(Some(text.trim().to_string()))
}

/// Whether `text` is a key this server can use (32 bytes in base64).
pub fn is_valid_text(text: &str) -> bool {
    STANDARD
        .decode(text.trim())
        .is_ok_and(|k| k.len() == KEY_LEN)
}

/// Puts `text` (a key from a backup) at `path`: written to a new file with
/// mode 0600 in the same directory, fsynced, then renamed over the old one.
/// Does nothing when the file already holds that key.
pub fn replace(path: &Path, text: &str) -> Result<bool, SecretsKeyError> {
    let fix = "Copy the key by hand: it is the secrets_key line of the backup's header; or check the directory's owner.";
    if std::fs::read_to_string(path).is_ok_and(|old| old.trim() == text.trim()) {
        return Ok(false);
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail(path, e.to_string(), fix))?;
    let mut file = tempfile::Builder::new()
        .prefix(".secrets.key.")
        .suffix(".partial")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|e| fail(path, e.to_string(), fix))?;
    file.write_all(format!("{}\n", text.trim()).as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| fail(path, e.to_string(), fix))?;
    file.persist(path)
        .map_err(|e| fail(path, e.error.to_string(), fix))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_is_created_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        let first = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let sealed = first.seal(b"x").unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(again.open(&sealed).unwrap(), b"x");
    }

    #[test]
    fn a_key_others_can_read_or_a_damaged_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
        std::fs::write(&path, "not a key\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let error = load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("32 bytes"), "{error}");
    }
}
