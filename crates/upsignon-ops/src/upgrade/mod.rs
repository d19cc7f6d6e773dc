//! `upsignon upgrade` and `upsignon rollback`: replace the running release
//! with a signed newer one, and go back to a kept earlier one in seconds
//! without losing data. The schema ledger (down scripts stored in the
//! database) makes the way back possible; the release ledger says where
//! back is; kept binaries live in `<state_dir>/releases/<version>/`.

mod error;
pub mod journal;
mod kept;
mod pre_backup;
mod rollback;
mod rollback_run;
mod runner;
mod target;
mod to_newer;

use std::path::PathBuf;
use std::time::Duration;

use upsignon_config::Config;

pub use error::UpgradeError;
pub use kept::{kept_binary, releases_dir};
pub use rollback::{RestoreFromCopy, RollbackPlan, RollbackReport, plan_rollback};
pub use rollback_run::rollback;
pub use runner::Runner;
pub use to_newer::{UpgradeReport, upgrade};

/// What both commands need to know about this installation.
#[derive(Debug, Clone)]
pub struct Installation {
    pub config: Config,
    /// The config file the server was started with (for restarts without systemd).
    pub config_file: PathBuf,
    /// Where the server's binary is installed: the file that gets replaced.
    pub exe: PathBuf,
    pub ready_timeout: Duration,
}

impl Installation {
    /// The version of the installed binary (what runs after a restart),
    /// whatever binary runs this command; this build's version when the
    /// installed file does not answer `--version`.
    pub fn installed_version(&self) -> String {
        kept::binary_version(&self.exe).unwrap_or_else(|_| upsignon_api::SERVER_VERSION.to_string())
    }
}

/// Who ran the command, for the release ledger.
pub(crate) fn operator() -> String {
    std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| format!("uid {}", rustix::process::getuid().as_raw()))
}

pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
