//! Whether this server is a primary or a standby. The ops crate sets it
//! (at start, after each pull, on promotion); handlers read it to refuse
//! client routes on a standby and to report the standby's lag.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

/// What a standby knows of its last pulls, as `/health/ready` shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct StandbyReport {
    /// The primary's URL.
    pub primary: String,
    /// When the last pull that applied data ended (Unix seconds).
    pub last_pull_unix: Option<i64>,
    /// When the primary took the snapshot this standby holds (Unix seconds):
    /// the data is this old (the recovery point).
    pub data_as_of_unix: Option<i64>,
    /// Why the last pull failed, when it did.
    pub last_error: Option<String>,
}

impl StandbyReport {
    /// Seconds between the snapshot this standby holds and `now`.
    pub fn data_age_secs(&self, now_unix: i64) -> Option<i64> {
        self.data_as_of_unix.map(|t| (now_unix - t).max(0))
    }
}

/// The role of the running process; shared by every worker.
#[derive(Debug, Default)]
pub struct ServerRole {
    standby: AtomicBool,
    report: RwLock<StandbyReport>,
}

impl ServerRole {
    pub fn primary() -> Self {
        Self::default()
    }

    pub fn standby(report: StandbyReport) -> Self {
        Self {
            standby: AtomicBool::new(true),
            report: RwLock::new(report),
        }
    }

    pub fn is_standby(&self) -> bool {
        self.standby.load(Ordering::Acquire)
    }

    /// The standby's report, or `None` on a primary.
    pub fn report(&self) -> Option<StandbyReport> {
        self.is_standby()
            .then(|| self.report.read().map(|r| r.clone()).unwrap_or_default())
    }

    pub fn set_report(&self, report: StandbyReport) {
        if let Ok(mut current) = self.report.write() {
            *current = report;
        }
    }

    /// From now on this process serves as a primary.
    pub fn promote(&self) {
        self.standby.store(false, Ordering::Release);
    }
}
