//! The operation journal: `<state_dir>/operation.json` names the upgrade
//! or rollback under way and the step it is about to take. Each step is
//! written (atomically) before it is taken and the file is removed when the
//! operation is done, so after a crash at any point `upsignon rollback`
//! knows where to go back to and which steps may be half done, and
//! `doctor` and `serve` can say which command finishes the work.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::UpgradeError;
use super::error::io_error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Upgrade,
    Rollback,
}

/// The steps of both operations, in the order they are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    // upgrade
    Backup,
    KeepBinary,
    ReplaceBinary,
    // rollback
    Maintenance,
    RevertSchema,
    RestoreCopy,
    PutBinaryBack,
    // both
    StopServer,
    StartServer,
    WaitReady,
    RecordRelease,
}

impl Step {
    pub const UPGRADE: [Step; 7] = [
        Step::Backup,
        Step::KeepBinary,
        Step::ReplaceBinary,
        Step::StopServer,
        Step::StartServer,
        Step::WaitReady,
        Step::RecordRelease,
    ];
    pub const ROLLBACK: [Step; 7] = [
        Step::Maintenance,
        Step::RevertSchema,
        Step::StopServer,
        Step::PutBinaryBack,
        Step::StartServer,
        Step::WaitReady,
        Step::RecordRelease,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::Backup => "backup",
            Step::KeepBinary => "keep_binary",
            Step::ReplaceBinary => "replace_binary",
            Step::Maintenance => "maintenance",
            Step::RevertSchema => "revert_schema",
            Step::RestoreCopy => "restore_copy",
            Step::PutBinaryBack => "put_binary_back",
            Step::StopServer => "stop_server",
            Step::StartServer => "start_server",
            Step::WaitReady => "wait_ready",
            Step::RecordRelease => "record_release",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub kind: Kind,
    /// The version that ran when the operation began.
    pub from: String,
    /// The version the operation brings.
    pub to: String,
    /// The step about to be taken (or under way when the process died).
    pub step: Step,
    /// The pre-upgrade copy, once taken.
    #[serde(default)]
    pub backup: Option<PathBuf>,
    pub started_at_ms: i64,
}

impl Journal {
    /// The version that serves when `upsignon rollback` finishes this
    /// operation: the old one of an upgrade, the target of a rollback.
    pub fn safe_version(&self) -> &str {
        match self.kind {
            Kind::Upgrade => &self.from,
            Kind::Rollback => &self.to,
        }
    }
}

impl fmt::Display for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            Kind::Upgrade => "an upgrade",
            Kind::Rollback => "a rollback",
        };
        write!(
            f,
            "{what} {} -> {} was interrupted at step {}",
            self.from,
            self.to,
            self.step.name()
        )
    }
}

pub fn journal_file(state_dir: &Path) -> PathBuf {
    state_dir.join("operation.json")
}

/// The unfinished operation, if any. A file that does not parse is
/// reported, never ignored: it means an operation was under way.
pub fn read(state_dir: &Path) -> Result<Option<Journal>, UpgradeError> {
    let path = journal_file(state_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("read", &path, e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| UpgradeError::DamagedJournal {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// An operation under way: every step goes through [`Open::step`].
pub struct Open<'a> {
    state_dir: &'a Path,
    pub journal: Journal,
}

impl<'a> Open<'a> {
    /// Starts a new operation, or takes over the unfinished one.
    pub fn begin(state_dir: &'a Path, journal: Journal) -> Result<Self, UpgradeError> {
        let open = Open { state_dir, journal };
        open.save()?;
        Ok(open)
    }

    /// Records that `step` is about to be taken.
    pub fn step(&mut self, step: Step) -> Result<(), UpgradeError> {
        fault::point(&format!("before:{}", step.name()));
        self.journal.step = step;
        self.save()?;
        fault::point(step.name());
        Ok(())
    }

    pub fn set_backup(&mut self, path: PathBuf) -> Result<(), UpgradeError> {
        self.journal.backup = Some(path);
        self.save()
    }

    /// The operation stopped before changing anything: the journal goes
    /// back to what it was before it began (`before`, or no file).
    pub fn abandon(self, before: Option<Journal>) -> Result<(), UpgradeError> {
        match before {
            Some(journal) => Open::begin(self.state_dir, journal).map(drop),
            None => self.done(),
        }
    }

    /// The operation is over: nothing is left to finish.
    pub fn done(self) -> Result<(), UpgradeError> {
        fault::point("before:done");
        let path = journal_file(self.state_dir);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &path, e)),
        }
    }

    fn save(&self) -> Result<(), UpgradeError> {
        let path = journal_file(self.state_dir);
        let text = serde_json::to_string_pretty(&self.journal).unwrap_or_default();
        let write = || -> std::io::Result<()> {
            let mut file = tempfile::NamedTempFile::new_in(self.state_dir)?;
            file.write_all(text.as_bytes())?;
            file.as_file().sync_all()?;
            file.persist(&path).map_err(|e| e.error)?;
            std::fs::File::open(self.state_dir)?.sync_all()
        };
        write().map_err(|e| io_error("write", &path, e))
    }
}

/// Fault injection for the tests that kill an operation at every step:
/// in debug builds only, `UPSIGNON_TEST_KILL_AT=<point>` makes the process
/// kill itself with SIGKILL at that point (`<step>` once the journal names
/// the step, `before:<step>` just before).
mod fault {
    #[cfg(debug_assertions)]
    pub fn point(name: &str) {
        if std::env::var("UPSIGNON_TEST_KILL_AT").is_ok_and(|wanted| wanted == name) {
            let _ = rustix::process::kill_process(
                rustix::process::getpid(),
                rustix::process::Signal::KILL,
            );
        }
    }

    #[cfg(not(debug_assertions))]
    pub fn point(_: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Journal {
        Journal {
            kind: Kind::Upgrade,
            from: "0.1.0".into(),
            to: "0.2.0".into(),
            step: Step::Backup,
            backup: None,
            started_at_ms: 1,
        }
    }

    #[test]
    fn each_step_is_on_disk_before_it_is_taken_and_done_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        let mut open = Open::begin(dir.path(), sample()).unwrap();
        for step in Step::UPGRADE {
            open.step(step).unwrap();
            assert_eq!(read(dir.path()).unwrap().unwrap().step, step);
        }
        open.done().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_damaged_journal_is_an_error_not_silence() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(journal_file(dir.path()), "{\"kind\":").unwrap();
        assert!(matches!(
            read(dir.path()),
            Err(UpgradeError::DamagedJournal { .. })
        ));
    }

    #[test]
    fn the_safe_version_is_where_rollback_goes() {
        let mut journal = sample();
        assert_eq!(journal.safe_version(), "0.1.0");
        journal.kind = Kind::Rollback;
        journal.from = "0.2.0".into();
        journal.to = "0.1.0".into();
        assert_eq!(journal.safe_version(), "0.1.0");
        assert!(journal.to_string().contains("a rollback 0.2.0 -> 0.1.0"));
    }
}
