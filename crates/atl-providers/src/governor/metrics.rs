//! Counters kept by each governor, exported to Prometheus by the server from
//! [`GovernorSnapshot`], and the latency histogram the server's HTTP metrics use too.

use super::BreakerState;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the provider-call latency buckets: LLM calls take seconds,
/// lookups tens of milliseconds, and a slow model a couple of minutes.
pub const PROVIDER_LATENCY_BOUNDS: &[f64] = &[
    0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// A Prometheus histogram of durations: fixed upper bounds, lock-free atomic counts.
#[derive(Debug)]
pub struct LatencyHistogram {
    bounds: &'static [f64],
    /// One count per bound, then one for `+Inf`; not cumulative.
    counts: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl LatencyHistogram {
    /// `bounds` are seconds in ascending order.
    pub fn new(bounds: &'static [f64]) -> Self {
        LatencyHistogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let seconds = d.as_secs_f64();
        let bucket = self
            .bounds
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(self.bounds.len());
        if let Some(c) = self.counts.get(bucket) {
            c.fetch_add(1, Relaxed);
        }
        self.sum_nanos
            .fetch_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            bounds: self.bounds,
            counts: self.counts.iter().map(read).collect(),
            sum: Duration::from_nanos(read(&self.sum_nanos)),
        }
    }
}

/// A copy of a [`LatencyHistogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    pub bounds: &'static [f64],
    /// Per bucket (not cumulative), the last one for `+Inf`.
    pub counts: Vec<u64>,
    pub sum: Duration,
}

impl HistogramSnapshot {
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Prometheus' `_bucket` series: (`le`, cumulative count), ending with `None` = `+Inf`.
    pub fn cumulative(&self) -> Vec<(Option<f64>, u64)> {
        let mut total = 0;
        self.counts
            .iter()
            .enumerate()
            .map(|(i, n)| {
                total += n;
                (self.bounds.get(i).copied(), total)
            })
            .collect()
    }
}

#[derive(Debug)]
pub(crate) struct Counters {
    pub(crate) calls: AtomicU64,
    pub(crate) attempts: AtomicU64,
    pub(crate) successes: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) circuit_rejections: AtomicU64,
    pub(crate) latency: LatencyHistogram,
    pub(crate) in_flight: AtomicU64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            calls: AtomicU64::default(),
            attempts: AtomicU64::default(),
            successes: AtomicU64::default(),
            failures: AtomicU64::default(),
            rate_limited: AtomicU64::default(),
            throttled: AtomicU64::default(),
            timeouts: AtomicU64::default(),
            circuit_rejections: AtomicU64::default(),
            latency: LatencyHistogram::new(PROVIDER_LATENCY_BOUNDS),
            in_flight: AtomicU64::default(),
        }
    }
}

impl Counters {
    pub(crate) fn inc(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }

    pub(crate) fn finish(&self, ok: bool, latency: Duration) {
        Self::inc(if ok { &self.successes } else { &self.failures });
        self.latency.observe(latency);
    }
}

/// A point-in-time copy of one governor's counters and state.
#[derive(Debug, Clone, PartialEq)]
pub struct GovernorSnapshot {
    pub provider: String,
    pub model: String,
    /// Calls started.
    pub calls: u64,
    /// Calls actually sent to the provider (the others were refused by the breaker or
    /// the rate limits).
    pub attempts: u64,
    pub successes: u64,
    /// Calls that ended in an error (the provider's, or a refusal).
    pub failures: u64,
    /// 429s the provider answered.
    pub rate_limited: u64,
    /// Calls refused because their rate slot was further than `max_admission_wait` away.
    pub throttled: u64,
    pub timeouts: u64,
    /// Calls refused because the breaker was open.
    pub circuit_rejections: u64,
    /// Finished calls' wall time, waits and retries included.
    pub latency: HistogramSnapshot,
    /// Attempts in flight right now.
    pub in_flight: u64,
    pub effective_concurrency: u32,
    pub max_concurrency: u32,
    pub breaker: BreakerState,
}

impl GovernorSnapshot {
    pub fn mean_latency(&self) -> Option<Duration> {
        let n = self.successes + self.failures;
        (n > 0).then(|| self.latency.sum / u32::try_from(n).unwrap_or(u32::MAX))
    }
}

pub(crate) fn read(c: &AtomicU64) -> u64 {
    c.load(Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let h = LatencyHistogram::new(&[0.01, 0.1, 1.0]);
        for ms in [5, 10, 50, 2_000] {
            h.observe(Duration::from_millis(ms));
        }
        let s = h.snapshot();
        assert_eq!(
            s.counts,
            vec![2, 1, 0, 1],
            "10 ms is <= 0.01 s, 2 s is +Inf"
        );
        assert_eq!(s.count(), 4);
        assert_eq!(s.sum, Duration::from_millis(2_065));
        assert_eq!(
            s.cumulative(),
            vec![(Some(0.01), 2), (Some(0.1), 3), (Some(1.0), 3), (None, 4)]
        );
    }
}
