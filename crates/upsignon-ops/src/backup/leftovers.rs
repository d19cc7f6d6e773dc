//! What killed backups and snapshots leave behind: `.<name>.<random>.partial`
//! files. Each writer holds a lock on its own partial file while it writes,
//! so a cleaner removes only the files no running writer holds, and can run
//! at any time: at the start of every backup, and when `serve` starts.

use std::fs::{self, File};
use std::path::Path;

/// The ending of every temporary backup or snapshot file.
pub const SUFFIX: &str = ".partial";

/// Removes the abandoned partial files in `dir`; returns how many bytes
/// that freed. Files a running writer holds are left alone.
pub fn remove_in(dir: &Path) -> u64 {
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
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if file.try_lock().is_err() {
            continue; // a backup is writing it right now
        }
        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
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
    fn abandoned_partials_go_and_held_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let abandoned = dir.path().join(".a.upsignon-backup.x1.partial");
        let held = dir.path().join(".b.upsignon-backup.x2.partial");
        let other = dir.path().join("c.upsignon-backup");
        for path in [&abandoned, &held, &other] {
            fs::write(path, b"data").unwrap();
        }
        let writer = File::options().write(true).open(&held).unwrap();
        writer.try_lock().unwrap();
        assert_eq!(remove_in(dir.path()), 4);
        assert!(!abandoned.exists());
        assert!(held.exists() && other.exists());
        drop(writer);
        remove_in(dir.path());
        assert!(!held.exists());
    }
}
