//! Retry delays: exponential with full jitter (AWS architecture blog, "Exponential Backoff
//! and Jitter"), so that many jobs failing at once do not retry in lockstep.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Random bits from std's randomly keyed hasher over a counter and the clock; enough for
/// jitter and owner ids, without a dependency.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// The delay before retry number `attempt` (1 = the first retry): uniform in
/// `[0, min(cap, base × 2^(attempt-1))]`, but at least `retry_after` when the provider
/// said how long to wait.
pub fn retry_delay(
    attempt: u32,
    base: Duration,
    cap: Duration,
    retry_after: Option<Duration>,
) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let ceiling = exp.min(cap);
    let fraction = (random_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let jittered = ceiling.mul_f64(fraction);
    match retry_after {
        Some(wait) => jittered.max(wait),
        None => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_the_capped_exponential_and_honour_retry_after() {
        let base = Duration::from_secs(2);
        let cap = Duration::from_secs(120);
        for attempt in 1..12 {
            let d = retry_delay(attempt, base, cap, None);
            let ceiling = (base * 2u32.pow(attempt - 1)).min(cap);
            assert!(d <= ceiling, "attempt {attempt}: {d:?} > {ceiling:?}");
        }
        let d = retry_delay(1, base, cap, Some(Duration::from_secs(30)));
        assert!(d >= Duration::from_secs(30));
        // Jitter: not every delay is the same.
        let all: Vec<Duration> = (0..20).map(|_| retry_delay(5, base, cap, None)).collect();
        assert!(all.iter().any(|d| *d != all[0]));
    }
}
