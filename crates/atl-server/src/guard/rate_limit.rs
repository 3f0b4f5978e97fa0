//! Request budgets per key and per client address, and the failed-authentication budget,
//! on `governor`'s keyed token buckets (GCRA).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::options::RateLimits;

/// Checks between two sweeps of keys whose bucket is full again (they carry no state).
const SWEEP_EVERY: u64 = 4096;

/// One keyed budget; `None` inside when the limit is switched off.
pub(crate) struct Budget<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Budget<K> {
    /// `per` requests every `period`, `burst` at once; either 0 switches it off.
    fn new(per: u32, period: Duration, burst: u32) -> Self {
        let quota = NonZeroU32::new(per)
            .zip(NonZeroU32::new(burst))
            .and_then(|(per, burst)| {
                Quota::with_period(period / per.get()).map(|q| q.allow_burst(burst))
            });
        Budget {
            limiter: quota.map(RateLimiter::keyed),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one request from `key`'s budget, or says how long until one is there.
    pub(crate) fn take(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// Failed authentications per address: beyond the budget the address is shut out until
/// it refills, so a key-guessing loop costs the database nothing.
pub(crate) struct FailedAuth {
    budget: Budget<IpAddr>,
    shut_out: Mutex<HashMap<IpAddr, Instant>>,
}

impl FailedAuth {
    /// How long `ip` must still wait, if it is shut out.
    pub(crate) fn wait(&self, ip: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let map = self.shut_out.lock().ok()?;
        map.get(&ip)
            .and_then(|until| until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    /// Counts a failure of `ip`; `Some(wait)` when that one was over the budget.
    pub(crate) fn failed(&self, ip: IpAddr) -> Option<Duration> {
        let wait = self.budget.take(&ip).err()?;
        if let Ok(mut map) = self.shut_out.lock() {
            let now = Instant::now();
            if map.len() >= 10_000 {
                map.retain(|_, until| *until > now);
            }
            map.insert(ip, now + wait);
        }
        Some(wait)
    }
}

/// Every budget of one server.
pub(crate) struct Limits {
    pub per_key: Budget<String>,
    pub per_address: Budget<IpAddr>,
    pub failed_auth: FailedAuth,
}

impl Limits {
    pub(crate) fn new(r: &RateLimits) -> Limits {
        let second = Duration::from_secs(1);
        Limits {
            per_key: Budget::new(r.per_key_per_second, second, r.per_key_burst),
            per_address: Budget::new(r.per_address_per_second, second, r.per_address_burst),
            failed_auth: FailedAuth {
                budget: Budget::new(
                    r.failed_auth_per_minute,
                    Duration::from_secs(60),
                    r.failed_auth_burst,
                ),
                shut_out: Mutex::default(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_past_its_burst_and_says_how_long() {
        let b: Budget<&str> = Budget::new(1, Duration::from_secs(10), 2);
        assert_eq!(b.take(&"a"), Ok(()));
        assert_eq!(b.take(&"a"), Ok(()));
        let wait = b.take(&"a").unwrap_err();
        assert!(
            wait > Duration::from_secs(5) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert_eq!(b.take(&"b"), Ok(()), "another key has its own budget");
        let off: Budget<&str> = Budget::new(0, Duration::from_secs(1), 0);
        for _ in 0..1000 {
            assert_eq!(off.take(&"a"), Ok(()));
        }
    }

    #[test]
    fn failed_auth_shuts_an_address_out() {
        let limits = Limits::new(&RateLimits {
            failed_auth_per_minute: 1,
            failed_auth_burst: 3,
            ..RateLimits::default()
        });
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let f = &limits.failed_auth;
        assert_eq!(f.wait(ip), None);
        for _ in 0..3 {
            assert_eq!(f.failed(ip), None);
        }
        assert!(f.failed(ip).is_some());
        assert!(f.wait(ip).is_some(), "shut out until the budget refills");
        assert_eq!(f.wait("192.0.2.8".parse().unwrap()), None);
    }
}
