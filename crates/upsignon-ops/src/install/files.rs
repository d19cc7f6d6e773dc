//! Files and directories with the owners and modes of operations.md,
//! written atomically (temporary file, fsync, rename) so an interrupted
//! install never leaves a half-written file under its final name.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::InstallError;
use super::layout::SERVICE_USER;

/// Who owns what an install creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Whoever runs the install (prefix and user modes).
    Caller,
    /// `upsignon:upsignon`: the server's state and backups.
    Service,
    /// `root:upsignon`: config and keys the server reads but never writes.
    RootWithServiceGroup,
}

impl Owner {
    pub fn describe(self) -> &'static str {
        match self {
            Owner::Caller => "owned by you",
            Owner::Service => "owner upsignon:upsignon",
            Owner::RootWithServiceGroup => "owner root:upsignon",
        }
    }
}

fn io_error(path: &Path, what: &str, error: std::io::Error) -> InstallError {
    InstallError::Io {
        path: path.to_path_buf(),
        what: what.to_string(),
        reason: error.to_string(),
    }
}

pub fn create_dir(path: &Path, mode: u32, owner: Owner) -> Result<(), InstallError> {
    fs::create_dir_all(path).map_err(|e| io_error(path, "create the directory", e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| io_error(path, "set the mode of", e))?;
    set_owner(path, owner)
}

/// Writes `contents` to `path` through a temporary file in the same
/// directory; the previous content, when different, is kept as
/// `<path>.previous`.
pub fn write_atomically(
    path: &Path,
    contents: &[u8],
    mode: u32,
    owner: Owner,
) -> Result<(), InstallError> {
    if fs::read(path).ok().as_deref() == Some(contents) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(|e| io_error(path, "set the mode of", e))?;
        return set_owner(path, owner);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let temporary = dir.join(format!(
        ".{}.partial",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("upsignon")
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temporary)
        .map_err(|e| io_error(&temporary, "write", e))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(&temporary, "write", e))?;
    fs::set_permissions(&temporary, fs::Permissions::from_mode(mode))
        .map_err(|e| io_error(&temporary, "set the mode of", e))?;
    set_owner(&temporary, owner)?;
    if path.exists() {
        let previous = PathBuf::from(format!("{}.previous", path.display()));
        fs::copy(path, &previous).map_err(|e| io_error(&previous, "keep a copy in", e))?;
    }
    fs::rename(&temporary, path).map_err(|e| io_error(path, "replace", e))?;
    sync_dir(dir);
    Ok(())
}

/// Creates the backup key `path` (a new age identity), only when it does
/// not exist: a key is never replaced (backups made with it would become
/// unreadable). Returns whether it was created.
pub fn create_key_once(path: &Path, mode: u32, owner: Owner) -> Result<bool, InstallError> {
    if path.exists() {
        return Ok(false);
    }
    let encoded = crate::backup::generate_key_file_text();
    let mut file: File = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| io_error(path, "create the key file", e))?;
    file.write_all(encoded.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(path, "write the key file", e))?;
    set_owner(path, owner)?;
    Ok(true)
}

pub fn set_owner(path: &Path, owner: Owner) -> Result<(), InstallError> {
    let (uid, gid) = match owner {
        Owner::Caller => return Ok(()),
        Owner::Service => service_ids()?,
        Owner::RootWithServiceGroup => (0, service_ids()?.1),
    };
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .map_err(|e| io_error(path, "change the owner of", e))
}

/// The uid and gid of the `upsignon` system account.
pub fn service_ids() -> Result<(u32, u32), InstallError> {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&SERVICE_USER) && fields.len() > 3)
        .and_then(|fields| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
        .ok_or(InstallError::NoServiceUser)
}

/// Creates the `upsignon` system user and group when missing.
pub fn ensure_service_user(home: &Path) -> Result<bool, InstallError> {
    if service_ids().is_ok() {
        return Ok(false);
    }
    let nologin = ["/usr/sbin/nologin", "/sbin/nologin"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("/bin/false");
    let home = home.display().to_string();
    let args = [
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        &home,
        "--shell",
        nologin,
        "--comment",
        "UpSignOn PRO server",
        SERVICE_USER,
    ];
    super::service::run_command("useradd", &args)?;
    Ok(true)
}

fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}
