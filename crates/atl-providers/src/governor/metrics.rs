//! Counters kept by each governor; a later issue exports them to Prometheus from
//! [`GovernorSnapshot`].

use super::BreakerState;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) calls: AtomicU64,
    pub(crate) attempts: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) successes: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) circuit_rejections: AtomicU64,
    pub(crate) latency_nanos: AtomicU64,
    pub(crate) in_flight: AtomicU64,
}

impl Counters {
    pub(crate) fn inc(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }

    pub(crate) fn finish(&self, ok: bool, latency: Duration) {
        Self::inc(if ok { &self.successes } else { &self.failures });
        self.latency_nanos.fetch_add(
            u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }
}

/// A point-in-time copy of one governor's counters and state.
#[derive(Debug, Clone, PartialEq)]
pub struct GovernorSnapshot {
    pub provider: String,
    pub model: String,
    /// Calls started (each may make several attempts).
    pub calls: u64,
    /// Attempts actually sent to the provider.
    pub attempts: u64,
    pub retries: u64,
    pub successes: u64,
    /// Calls that ended in an error (final, retries exhausted, or breaker open).
    pub failures: u64,
    /// 429s seen (attempts, not calls).
    pub rate_limited: u64,
    pub timeouts: u64,
    /// Calls refused because the breaker was open.
    pub circuit_rejections: u64,
    /// Sum of finished calls' wall time, waits and retries included.
    pub total_latency: Duration,
    /// Attempts in flight right now.
    pub in_flight: u64,
    pub effective_concurrency: u32,
    pub max_concurrency: u32,
    pub breaker: BreakerState,
}

impl GovernorSnapshot {
    pub fn mean_latency(&self) -> Option<Duration> {
        let n = self.successes + self.failures;
        (n > 0).then(|| self.total_latency / u32::try_from(n).unwrap_or(u32::MAX))
    }
}

pub(crate) fn read(c: &AtomicU64) -> u64 {
    c.load(Relaxed)
}
