//! The apply lock, `<state_dir>/standby.lock` (flock): a pull holds it
//! while it applies a snapshot, `promote` takes it to switch roles, so a
//! promotion never lands in the middle of an apply.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, flock};

use super::StandbyError;
use super::error::io;

/// Held until dropped (closing the file releases the lock).
pub(crate) struct ApplyLock {
    _file: File,
}

pub(crate) fn acquire(state_dir: &Path, wait: Duration) -> Result<ApplyLock, StandbyError> {
    let path = state_dir.join("standby.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io("open", &path))?;
    let deadline = Instant::now() + wait;
    loop {
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(ApplyLock { _file: file }),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(_) => {
                return Err(StandbyError::PullInFlight {
                    secs: wait.as_secs(),
                });
            }
        }
    }
}
