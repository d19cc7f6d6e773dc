use crate::install::InstallError;
use crate::release::ReleaseError;
use upsignon_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Release(#[from] ReleaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Install(#[from] InstallError),
    #[error("cannot {what} {path}: {reason}")]
    Io {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error(
        "the new binary does not run: {0}\nThe archive may be for another architecture; nothing was changed."
    )]
    BrokenBinary(String),
    #[error("this server already runs version {0}: nothing to do")]
    SameVersion(String),
    #[error("preflight failed: {0}\nNothing was changed.")]
    Preflight(String),
    #[error(
        "the pre-upgrade backup {path} cannot be restored (the server is stopped: run the same rollback command again, or restore that file by hand with `upsignon restore --force` using the binary of the release it was taken on)"
    )]
    RestoreCopy {
        path: String,
        #[source]
        source: Box<crate::backup::BackupError>,
    },
    #[error(
        "the new version did not become healthy ({reason}); rolled back automatically to {previous} in {seconds:.1} s, data kept.\nSee the new version's log, then report the problem."
    )]
    RolledBack {
        reason: String,
        previous: String,
        seconds: f64,
    },
    #[error(
        "the new version did not become healthy ({reason}), and the automatic rollback failed too: {rollback}\nRun `upsignon rollback --yes` now; `upsignon doctor` shows what is wrong."
    )]
    RollbackFailed { reason: String, rollback: String },
    #[error(
        "there is no earlier release to go back to: the release ledger lists {0}, and nothing was changed.\nA rollback goes back to a release this site ran before an upgrade; to run an older release that never ran here, install its package."
    )]
    NoPreviousRelease(String),
    #[error(
        "release {version} is not in this site's release ledger ({ledger}), so there is no way back to it; nothing was changed.\nA rollback goes back to a release this site ran before an upgrade; to run {version} anyway, install its package."
    )]
    NotInLedger { version: String, ledger: String },
    #[error(
        "upsignon {0} is already installed and its schema is in place: nothing to roll back, nothing was changed."
    )]
    AlreadyThere(String),
    #[error(
        "{unfinished}.\nFinish it first: `upsignon rollback --yes` goes back to {safe}{finish}."
    )]
    Unfinished {
        unfinished: String,
        safe: String,
        finish: String,
    },
    #[error(
        "the operation journal {path} is damaged ({reason}): an upgrade or rollback was under way.\nRun `upsignon rollback --yes --to VERSION` with the version that should run (`upsignon doctor` lists the release ledger), which rewrites it."
    )]
    DamagedJournal { path: String, reason: String },
    #[error(
        "{0}.\nNothing was changed: stop that process (find it with `ss -ltnp`), or fix `listen` in the config, then run the same command again."
    )]
    Foreign(String),
    #[error(
        "upsignon {running} is already the oldest release in the ledger ({ledger}): there is nothing older to roll back to, and nothing was changed. If a rollback just finished, it is done; `upsignon upgrade` goes forward again."
    )]
    NothingOlder { running: String, ledger: String },
    #[error(
        "release {version} is not kept in {dir}: its binary is needed to go back.\nInstall that version's package instead; it runs `migrate sync` itself."
    )]
    NotKept { version: String, dir: String },
    #[error(
        "migration {version} cannot be reverted without losing data (irreversible); nothing was changed.\nGoing back past it means restoring the copy taken before the upgrade (in {backups}): run the rollback again with --restore-backup, which first shows how many rows written since the upgrade would be lost."
    )]
    Irreversible { version: String, backups: String },
    #[error(
        "there is no pre-upgrade copy for {version} in {dir}: restoring is impossible from here.\nRestore a backup of your own, or install the newer release again."
    )]
    NoPreUpgradeCopy { dir: String, version: String },
    #[error("refusing to roll back without confirmation: {plan}\nRe-run with --yes to proceed.")]
    NeedsConfirmation { plan: String },
}

pub(crate) fn io_error(
    what: &'static str,
    path: &std::path::Path,
    e: std::io::Error,
) -> UpgradeError {
    UpgradeError::Io {
        what,
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}
