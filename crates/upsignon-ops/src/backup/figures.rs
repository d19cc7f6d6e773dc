//! What `/metrics` reports of backups: when the newest backup file was
//! written, what the last scheduled backup and the last restore drill
//! found, read at each scrape.

use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use upsignon_api::{BackupFigures, BackupSource};

use super::list;
use super::schedule::{DrillResult, drill_file, last_run};

pub struct BackupFiles {
    /// The backup directory (`Config::backups()`).
    pub dir: PathBuf,
    /// Where the drill's result is kept.
    pub state_dir: PathBuf,
}

impl BackupSource for BackupFiles {
    fn figures(&self) -> BackupFigures {
        let newest_unix = list(&self.dir).first().and_then(|newest| {
            let since = newest.modified.duration_since(UNIX_EPOCH).ok()?;
            i64::try_from(since.as_secs()).ok()
        });
        let drill = std::fs::read_to_string(drill_file(&self.state_dir))
            .ok()
            .and_then(|text| serde_json::from_str::<DrillResult>(&text).ok());
        let run = last_run(&self.state_dir);
        BackupFigures {
            newest_unix,
            drill_unix: drill.as_ref().map(|d| d.at_unix),
            drill_ok: drill.map(|d| d.ok),
            last_success_unix: run.as_ref().and_then(|r| r.last_success_unix),
            last_run_ok: run.as_ref().map(|r| r.ok),
            failures_total: run.map(|r| r.failures_total).unwrap_or(0),
        }
    }
}
