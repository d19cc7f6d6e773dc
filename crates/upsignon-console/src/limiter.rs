//! Failed sign-ins counted per client address in memory: after
//! `MAX_FAILURES` within `WINDOW`, the address is refused until the window
//! ends. (Per-account lockout lives in the database, see `pages::sign_in`.)

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered at most; the oldest windows are dropped first.
const MAX_TRACKED: usize = 10_000;

#[derive(Default)]
pub struct FailureLimiter {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureLimiter {
    /// `Some(seconds to wait)` when the address is blocked now.
    pub fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (count, started) = failures.get(&ip)?;
        let ends = *started + WINDOW;
        (*count >= MAX_FAILURES && ends > now).then(|| (ends - now).as_secs().max(1))
    }

    pub fn record_failure(&self, ip: IpAddr) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, (_, started)| *started + WINDOW > now);
        }
        let entry = failures.entry(ip).or_insert((0, now));
        if entry.1 + WINDOW <= now {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_too_many_failures_only() {
        let limiter = FailureLimiter::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..MAX_FAILURES - 1 {
            limiter.record_failure(ip);
        }
        assert_eq!(limiter.blocked(ip), None);
        limiter.record_failure(ip);
        assert!(limiter.blocked(ip).is_some());
        assert_eq!(limiter.blocked("192.0.2.2".parse().unwrap()), None);
    }
}
