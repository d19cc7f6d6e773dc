//! Failed sign-ins counted in memory per key (a client address; an email
//! and an address): after `max` within `WINDOW`, the key is refused until
//! the window ends. (The account-wide lock lives in the database, see
//! `pages::sign_in`.)

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins an address may make, whatever the accounts.
pub const MAX_FAILURES: u32 = 10;
/// Failed sign-ins an address may make at one email (known or not).
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered at most; the oldest windows are dropped first.
const MAX_TRACKED: usize = 10_000;

pub struct FailureLimiter<K = IpAddr> {
    max: u32,
    failures: Mutex<HashMap<K, (u32, Instant)>>,
}

impl Default for FailureLimiter<IpAddr> {
    fn default() -> Self {
        Self::new(MAX_FAILURES)
    }
}

impl<K: Hash + Eq> FailureLimiter<K> {
    /// At most `max` failures per key within `WINDOW`.
    pub fn new(max: u32) -> Self {
        Self {
            max,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt from `ip` before it is checked; `Err(seconds to
    /// wait)` when the address has none left. Check and count are one step
    /// under the lock, so a burst sent at the same instant gets at most
    /// `max` attempts through; a success gives its attempt back.
    pub fn begin_attempt(&self, key: K) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, (_, started)| *started + WINDOW > now);
        }
        let entry = failures.entry(key).or_insert((0, now));
        if entry.1 + WINDOW <= now {
            *entry = (0, now);
        }
        if entry.0 >= self.max {
            return Err((entry.1 + WINDOW - now).as_secs().max(1));
        }
        entry.0 += 1;
        Ok(())
    }

    /// Gives back the attempt of a sign-in that did not fail.
    pub fn give_back(&self, key: &K) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = failures.get_mut(key) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_max_failures_attempts_and_a_success_gives_one_back() {
        let limiter = FailureLimiter::<IpAddr>::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert_eq!(limiter.begin_attempt(ip), Ok(()));
        }
        assert!(limiter.begin_attempt(ip).is_err());
        limiter.give_back(&ip);
        assert_eq!(limiter.begin_attempt(ip), Ok(()));
        assert!(limiter.begin_attempt(ip).is_err());
        assert_eq!(limiter.begin_attempt("192.0.2.2".parse().unwrap()), Ok(()));
    }

    #[test]
    fn a_burst_from_threads_gets_exactly_max_failures_attempts() {
        let limiter = std::sync::Arc::new(FailureLimiter::<IpAddr>::default());
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
