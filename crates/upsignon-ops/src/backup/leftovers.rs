//! What killed backups and snapshots leave behind: `.<name>.<random>.partial`
//! files. Every writer holds a shared lock on the directory's lock file
//! (`.upsignon-backup.lock`) from before it creates its partial file until
//! it has renamed or removed it; a cleaner takes that lock exclusively, or
//! does nothing: so when it cleans, no writer is running in that directory
//! and every partial file there is abandoned. It runs at the start of every
//! backup, and when `serve` starts.

use std::fs::{self, File};
use std::path::Path;

/// The ending of every temporary backup or snapshot file.
pub const SUFFIX: &str = ".partial";
/// The lock file of a directory backups are written to.
const LOCK: &str = ".upsignon-backup.lock";

/// Held by a writer while its partial file exists: cleaners leave the
/// directory alone meanwhile.
pub struct Writing(#[allow(dead_code)] File);

/// Takes the shared lock of `dir` for a writer (waiting for a cleaner that
/// holds it, which takes milliseconds).
pub fn writing_in(dir: &Path) -> std::io::Result<Writing> {
    let file = lock_file(dir)?;
    file.lock_shared()?;
    Ok(Writing(file))
}

fn lock_file(dir: &Path) -> std::io::Result<File> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK))
}

/// Removes the abandoned partial files in `dir` unless a writer is running
/// there; returns how many bytes that freed.
pub fn remove_in(dir: &Path) -> u64 {
    if !dir.is_dir() {
        return 0;
    }
    let Ok(lock) = lock_file(dir) else {
        return 0;
    };
    if lock.try_lock().is_err() {
        return 0; // a backup is being written there right now
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut freed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with('.') && name.ends_with(SUFFIX)) {
            continue;
        }
        let path = entry.path();
        let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
        match fs::remove_file(&path) {
            Ok(()) => {
                freed += bytes;
                tracing::info!(file = %path.display(), bytes, "removed what an interrupted backup left");
            }
            Err(error) => {
                tracing::warn!(%error, file = %path.display(), "cannot remove what an interrupted backup left");
            }
        }
    }
    freed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abandoned_partials_go_unless_a_writer_runs() {
        let dir = tempfile::tempdir().unwrap();
        let abandoned = dir.path().join(".a.upsignon-backup.x1.partial");
        let other = dir.path().join("c.upsignon-backup");
        for path in [&abandoned, &other] {
            fs::write(path, b"data").unwrap();
        }
        let writer = writing_in(dir.path()).unwrap();
        assert_eq!(remove_in(dir.path()), 0, "a writer is running");
        assert!(abandoned.exists());
        drop(writer);
        assert_eq!(remove_in(dir.path()), 4);
        assert!(!abandoned.exists());
        assert!(other.exists());
    }
}
