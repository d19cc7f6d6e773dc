//! The primary's side of replication: snapshots for the replication
//! endpoint, made with the backup writer (so a standby reads them with
//! the same key and checks as a restore) in `<state_dir>/replication/`.

use std::fs::File;
use std::path::PathBuf;

use upsignon_api::SnapshotSource;
use upsignon_store::Store;

use crate::backup::{Keys, backup};

pub struct BackupSnapshots {
    pub store: Store,
    /// The backup key and the secrets key the snapshot carries.
    pub keys: Keys,
    pub dir: PathBuf,
}

impl SnapshotSource for BackupSnapshots {
    fn snapshot(&self) -> Result<File, String> {
        let out = self.dir.join(format!(
            "snapshot-{}.{}",
            uuid::Uuid::new_v4(),
            crate::backup::EXTENSION
        ));
        let report = backup(&self.store, &self.keys, &out).map_err(|e| e.to_string())?;
        let file = File::open(&report.path).map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&report.path);
        file
    }
}
