//! `upsignon backup list`: the backups in the backup directory, newest
//! first, with what their headers say when the key opens them.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::format::EXTENSION;

#[derive(Debug, Clone)]
pub struct Listed {
    pub path: PathBuf,
    pub bytes: u64,
    pub modified: SystemTime,
}

pub fn list(dir: &Path) -> Vec<Listed> {
    let mut found: Vec<Listed> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == EXTENSION))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some(Listed {
                path: e.path(),
                bytes: meta.len(),
                modified: meta.modified().ok()?,
            })
        })
        .collect();
    found.sort_by_key(|item| std::cmp::Reverse(item.modified));
    found
}
