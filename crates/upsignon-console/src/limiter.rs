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
    /// Counts an attempt from `ip` before it is checked; `Err(seconds to
    /// wait)` when the address has none left. Check and count are one step
    /// under the lock, so a burst sent at the same instant gets at most
    /// `MAX_FAILURES` attempts through; a success gives its attempt back.
    pub fn begin_attempt(&self, ip: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, (_, started)| *started + WINDOW > now);
        }
        let entry = failures.entry(ip).or_insert((0, now));
        if entry.1 + WINDOW <= now {
            *entry = (0, now);
        }
        if entry.0 >= MAX_FAILURES {
            return Err((entry.1 + WINDOW - now).as_secs().max(1));
        }
        entry.0 += 1;
        Ok(())
    }

    /// Gives back the attempt of a sign-in that did not fail.
    pub fn give_back(&self, ip: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = failures.get_mut(&ip) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_max_failures_attempts_and_a_success_gives_one_back() {
        let limiter = FailureLimiter::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert_eq!(limiter.begin_attempt(ip), Ok(()));
        }
        assert!(limiter.begin_attempt(ip).is_err());
        limiter.give_back(ip);
        assert_eq!(limiter.begin_attempt(ip), Ok(()));
        assert!(limiter.begin_attempt(ip).is_err());
        assert_eq!(limiter.begin_attempt("192.0.2.2".parse().unwrap()), Ok(()));
    }

    #[test]
    fn a_burst_from_threads_gets_exactly_max_failures_attempts() {
        let limiter = std::sync::Arc::new(FailureLimiter::default());
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(32));
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let threads: Vec<_> = (0..32)
            .map(|_| {
                let (limiter, barrier) = (limiter.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    limiter.begin_attempt(ip).is_ok()
                })
            })
            .collect();
        let passed = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|ok| *ok)
            .count();
        assert_eq!(passed, MAX_FAILURES as usize);
    }
}
