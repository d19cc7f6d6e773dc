//! Limits on sign-in style requests (device authorisation, code checks,
//! authentication, password-reset requests), per client address and per
//! account, in memory. Each key may make `per_minute` requests in a burst,
//! then one every `60 / per_minute` seconds (a generic cell rate
//! algorithm: one instant per key, no timers). IPv6 addresses are counted
//! per /64, the block one subscriber usually holds. With several replicas
//! each counts on its own, so the effective limit is per replica.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys remembered at most per limit; idle ones are dropped first.
const MAX_TRACKED: usize = 50_000;

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Ip { retry_after_secs: u64 },
    Account { retry_after_secs: u64 },
}

impl Refused {
    pub fn retry_after_secs(self) -> u64 {
        match self {
            Refused::Ip { retry_after_secs } | Refused::Account { retry_after_secs } => {
                retry_after_secs
            }
        }
    }

    pub fn scope(self) -> &'static str {
        match self {
            Refused::Ip { .. } => "ip",
            Refused::Account { .. } => "account",
        }
    }
}

/// The two limits of the client API.
pub struct RateLimits {
    per_ip: Limit<IpAddr>,
    per_account: Limit<String>,
}

impl RateLimits {
    /// `0` turns a limit off.
    pub fn new(ip_per_minute: u32, account_per_minute: u32) -> Self {
        Self {
            per_ip: Limit::new(ip_per_minute),
            per_account: Limit::new(account_per_minute),
        }
    }

    /// Counts one request from `ip` on `account` (such as `tenant:email`),
    /// or says which limit refuses it. A request the address limit refuses
    /// is not counted on the account; one the account limit refuses has
    /// used a slot of its address.
    pub fn check(&self, ip: Option<IpAddr>, account: &str) -> Result<(), Refused> {
        let now = Instant::now();
        if let Some(ip) = ip
            && let Err(wait) = self.per_ip.take(block_of(ip), now)
        {
            return Err(Refused::Ip {
                retry_after_secs: wait,
            });
        }
        self.per_account
            .take(account.to_lowercase(), now)
            .map_err(|wait| Refused::Account {
                retry_after_secs: wait,
            })
    }
}

/// An IPv4 address, or the /64 of an IPv6 one.
fn block_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

struct Limit<K> {
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of now a key's next slot may be: the burst.
    burst: Duration,
    /// Per key, the instant its next request would be on schedule.
    next_slot: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq> Limit<K> {
    fn new(per_minute: u32) -> Self {
        let interval = match per_minute {
            0 => Duration::ZERO,
            n => Duration::from_secs(60) / n,
        };
        Self {
            interval,
            burst: Duration::from_secs(60).saturating_sub(interval),
            next_slot: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a slot for `key`, or returns the seconds until one is free.
    fn take(&self, key: K, now: Instant) -> Result<(), u64> {
        if self.interval.is_zero() {
            return Ok(());
        }
        let mut slots = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_TRACKED {
            slots.retain(|_, next| *next > now);
        }
        let next = slots.get(&key).copied().unwrap_or(now).max(now);
        let ahead = next - now;
        if ahead > self.burst {
            let wait = ahead - self.burst;
            return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        }
        slots.insert(key, next + self.interval);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_burst_then_waits_for_the_next_slot() {
        let limit = Limit::<&str>::new(10);
        let start = Instant::now();
        for _ in 0..10 {
            assert_eq!(limit.take("a", start), Ok(()));
        }
        let wait = limit.take("a", start).unwrap_err();
        assert!((1..=6).contains(&wait), "{wait}");
        assert_eq!(
            limit.take("b", start),
            Ok(()),
            "other keys are not affected"
        );
        assert_eq!(limit.take("a", start + Duration::from_secs(6)), Ok(()));
        assert!(limit.take("a", start + Duration::from_secs(6)).is_err());
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limit = Limit::<&str>::new(0);
        let now = Instant::now();
        assert!((0..10_000).all(|_| limit.take("a", now).is_ok()));
    }

    #[test]
    fn ipv6_addresses_of_one_slash_64_share_a_limit() {
        let limits = RateLimits::new(2, 0);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limits.check(Some(a), "x").is_ok());
        assert!(limits.check(Some(b), "y").is_ok());
        assert!(matches!(
            limits.check(Some(a), "z"),
            Err(Refused::Ip { .. })
        ));
        assert!(limits.check(Some(other), "z").is_ok());
    }

    #[test]
    fn accounts_are_limited_whatever_the_address_and_case() {
        let limits = RateLimits::new(0, 1);
        assert!(
            limits
                .check(Some("192.0.2.1".parse().unwrap()), "acme:A@x.eu")
                .is_ok()
        );
        let refused = limits
            .check(Some("192.0.2.2".parse().unwrap()), "acme:a@x.eu")
            .unwrap_err();
        assert_eq!(refused.scope(), "account");
        assert!(refused.retry_after_secs() >= 59);
    }
}
