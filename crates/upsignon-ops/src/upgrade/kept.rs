//! Earlier binaries kept for rollback under `<state_dir>/releases/<version>/`,
//! and the atomic replacement of the installed binary.

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::UpgradeError;
use super::error::io_error;

pub fn releases_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("releases")
}

pub fn kept_binary(state_dir: &Path, version: &str) -> PathBuf {
    releases_dir(state_dir).join(version).join("upsignon")
}

/// Copies `exe` to the kept place of `version` (once; a kept binary is
/// never overwritten). Returns where it is.
pub fn keep(exe: &Path, state_dir: &Path, version: &str) -> Result<PathBuf, UpgradeError> {
    let target = kept_binary(state_dir, version);
    if target.is_file() {
        return Ok(target);
    }
    let dir = target.parent().unwrap_or(state_dir);
    fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;
    copy_atomically(exe, &target)?;
    Ok(target)
}

/// Replaces `target` with a copy of `source` in one rename: at every moment
/// `target` is either the old or the new binary, never a mix.
pub fn copy_atomically(source: &Path, target: &Path) -> Result<(), UpgradeError> {
    let partial = target.with_extension("partial");
    fs::copy(source, &partial).map_err(|e| io_error("copy to", &partial, e))?;
    fs::set_permissions(&partial, fs::Permissions::from_mode(0o755))
        .map_err(|e| io_error("set the mode of", &partial, e))?;
    fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_error("sync", &partial, e))?;
    fs::rename(&partial, target).map_err(|e| io_error("replace", target, e))?;
    if let Some(dir) = target.parent()
        && let Ok(handle) = fs::File::open(dir)
    {
        let _ = handle.sync_all();
    }
    Ok(())
}

pub fn sha256_file(path: &Path) -> Result<String, UpgradeError> {
    let mut file = fs::File::open(path).map_err(|e| io_error("read", path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| io_error("read", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Removes kept releases beyond the newest `keep` (by modification time),
/// never one in `protected`.
pub fn prune(state_dir: &Path, keep: usize, protected: &[&str]) {
    let Ok(entries) = fs::read_dir(releases_dir(state_dir)) else {
        return;
    };
    let mut kept: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    kept.sort();
    let excess = kept.len().saturating_sub(keep);
    for (_, dir) in kept.into_iter().take(excess) {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| !protected.contains(&n.as_str())) {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// The version a binary reports with `--version` (`upsignon X` -> `X`).
pub fn binary_version(binary: &Path) -> Result<String, UpgradeError> {
    let output = std::process::Command::new(binary)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| UpgradeError::BrokenBinary(e.to_string()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    match text.trim().strip_prefix("upsignon ") {
        Some(version) if output.status.success() && !version.is_empty() => {
            Ok(version.trim().to_string())
        }
        _ => Err(UpgradeError::BrokenBinary(format!(
            "`{} --version` printed {:?}",
            binary.display(),
            text.trim()
        ))),
    }
}
