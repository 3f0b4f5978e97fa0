//! Where the governor's rate slots come from: a [`RateLimiter`], shared by every governor
//! of a process (and, with a database-backed implementation, by every process that
//! calls with the same key).
//!
//! **Window semantics: sliding.** A [`BucketLimit`] of `units` per `window` means at most
//! `units` in *any* interval of length `window`, not per calendar minute. That is
//! stricter than the fixed windows Apollo counts (UTC-aligned minutes, hours, days) and
//! than the token buckets Cerebras and Anthropic refill continuously, so a limiter that
//! keeps it trips neither. An implementation may instead count fixed windows aligned to
//! UTC boundaries when the vendor does (Apollo); it must then say so, since such a
//! limiter lets up to twice `units` through around a boundary.
//!
//! **Admission.** [`RateLimiter::acquire`] either takes the units now ([`Admission::Go`])
//! or takes nothing and says how long until they would fit ([`Admission::Wait`]); the
//! caller decides whether to wait and ask again or to give up. Nothing is reserved for a
//! caller that was told to wait, so a limiter never holds state for callers that left.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// One counter: a vendor's bucket, as seen by one key, for one measure.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketKey {
    pub provider: String,
    /// A fingerprint of the API key (see [`crate::limits::key_fingerprint`]), never the
    /// key: two keys of one vendor count apart.
    pub key: String,
    /// The vendor's bucket (`enrichment`, `default`, …): every endpoint that shares it
    /// counts together.
    pub bucket: String,
    /// What is counted over which window: `requests/60s`, `input_tokens/60s`, ….
    pub measure: String,
}

impl fmt::Display for BucketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.provider, self.key, self.bucket, self.measure
        )
    }
}

/// At most `units` in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BucketLimit {
    pub units: u64,
    pub window: Duration,
}

/// The answer to a request for units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Taken: the call may go now.
    Go,
    /// Nothing taken; the units would fit after this long.
    Wait(Duration),
}

/// A source of rate slots. Small and object-safe on purpose: a process keeps one behind
/// an `Arc<dyn RateLimiter>` and every governor asks it.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Take `units` from `bucket` under `limit`, or say how long until they would fit.
    /// A request larger than the whole limit is let through when the window is empty (it
    /// could never fit otherwise; the vendor decides).
    async fn acquire(&self, bucket: &BucketKey, limit: &BucketLimit, units: u64) -> Admission;

    /// Correct an acquisition once the real figure is known (a call that used fewer or
    /// more tokens than reserved). The default keeps the reservation as it was, which
    /// only ever under-uses the limit.
    async fn settle(&self, bucket: &BucketKey, limit: &BucketLimit, taken: u64, used: u64) {
        let _ = (bucket, limit, taken, used);
    }
}

/// The in-process [`RateLimiter`]: one sliding log of `(instant, units)` per bucket
/// key, pruned as entries leave their window. Memory is at most one entry per admitted
/// call still inside its window.
#[derive(Debug, Default)]
pub struct LocalRateLimiter {
    windows: Mutex<HashMap<(BucketKey, BucketLimit), Window>>,
}

impl LocalRateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    fn with_window<R>(
        &self,
        bucket: &BucketKey,
        limit: &BucketLimit,
        f: impl FnOnce(&mut Window) -> R,
    ) -> R {
        // Only plain counters live here; a panic elsewhere cannot leave them inconsistent.
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let window = map.entry((bucket.clone(), *limit)).or_default();
        window.forget(now, limit.window);
        let out = f(window);
        // Empty windows are dropped, so idle buckets cost nothing.
        if window.log.is_empty() {
            map.remove(&(bucket.clone(), *limit));
        }
        out
    }

    /// How many bucket windows hold entries. Bounded by the configuration (providers ×
    /// keys × buckets), not by traffic: a window is dropped when it empties.
    pub fn live_windows(&self) -> usize {
        self.windows.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[async_trait::async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn acquire(&self, bucket: &BucketKey, limit: &BucketLimit, units: u64) -> Admission {
        if units == 0 {
            return Admission::Go;
        }
        self.with_window(bucket, limit, |w| w.acquire(Instant::now(), limit, units))
    }

    async fn settle(&self, bucket: &BucketKey, limit: &BucketLimit, taken: u64, used: u64) {
        if taken == used {
            return;
        }
        self.with_window(bucket, limit, |w| w.settle(Instant::now(), taken, used));
    }
}

#[derive(Debug, Default)]
struct Window {
    log: VecDeque<(Instant, u64)>,
    total: u64,
}

impl Window {
    fn forget(&mut self, now: Instant, window: Duration) {
        while let Some(&(at, units)) = self.log.front() {
            if at + window > now {
                break;
            }
            self.log.pop_front();
            self.total -= units;
        }
    }

    fn acquire(&mut self, now: Instant, limit: &BucketLimit, units: u64) -> Admission {
        let units = units.min(limit.units.max(1));
        if self.total + units <= limit.units.max(1) {
            self.log.push_back((now, units));
            self.total += units;
            return Admission::Go;
        }
        // The oldest entries leave first; wait until enough of them have.
        let need = self.total + units - limit.units.max(1);
        let mut freed = 0;
        for &(at, u) in &self.log {
            freed += u;
            if freed >= need {
                return Admission::Wait((at + limit.window).saturating_duration_since(now));
            }
        }
        Admission::Wait(limit.window)
    }

    /// Give back what was taken but not used, from the newest entries (so the refund
    /// frees capacity no sooner than the call's own entry would have); or count what was
    /// used beyond the reservation as of now.
    fn settle(&mut self, now: Instant, taken: u64, used: u64) {
        if used > taken {
            self.log.push_back((now, used - taken));
            self.total += used - taken;
            return;
        }
        let mut refund = taken - used;
        while refund > 0 {
            let Some(last) = self.log.back_mut() else {
                break;
            };
            let back = last.1.min(refund);
            last.1 -= back;
            self.total -= back;
            refund -= back;
            if last.1 == 0 {
                self.log.pop_back();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> BucketKey {
        BucketKey {
            provider: "p".into(),
            key: "k".into(),
            bucket: "default".into(),
            measure: "requests/60s".into(),
        }
    }

    const PER_MINUTE_3: BucketLimit = BucketLimit {
        units: 3,
        window: Duration::from_secs(60),
    };

    #[tokio::test(start_paused = true)]
    async fn a_sliding_window_admits_then_names_the_wait() {
        let l = LocalRateLimiter::new();
        for _ in 0..3 {
            assert_eq!(l.acquire(&key(), &PER_MINUTE_3, 1).await, Admission::Go);
        }
        assert_eq!(
            l.acquire(&key(), &PER_MINUTE_3, 1).await,
            Admission::Wait(Duration::from_secs(60))
        );
        tokio::time::advance(Duration::from_secs(45)).await;
        assert_eq!(
            l.acquire(&key(), &PER_MINUTE_3, 1).await,
            Admission::Wait(Duration::from_secs(15)),
            "nothing was reserved for the refused caller"
        );
        tokio::time::advance(Duration::from_secs(15)).await;
        assert_eq!(l.acquire(&key(), &PER_MINUTE_3, 1).await, Admission::Go);
        // Another key of the same vendor counts apart.
        let other = BucketKey {
            key: "k2".into(),
            ..key()
        };
        assert_eq!(l.acquire(&other, &PER_MINUTE_3, 3).await, Admission::Go);
    }

    #[tokio::test(start_paused = true)]
    async fn settling_refunds_and_charges_and_idle_windows_go_away() {
        let l = LocalRateLimiter::new();
        let tpm = BucketLimit {
            units: 1_000,
            window: Duration::from_secs(60),
        };
        assert_eq!(l.acquire(&key(), &tpm, 800).await, Admission::Go);
        assert!(matches!(
            l.acquire(&key(), &tpm, 800).await,
            Admission::Wait(_)
        ));
        l.settle(&key(), &tpm, 800, 100).await;
        assert_eq!(l.acquire(&key(), &tpm, 800).await, Admission::Go);
        l.settle(&key(), &tpm, 800, 900).await;
        assert!(matches!(
            l.acquire(&key(), &tpm, 1).await,
            Admission::Wait(_)
        ));
        // Oversized: an empty window lets it through, a busy one waits for it to empty.
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(l.acquire(&key(), &tpm, 5_000).await, Admission::Go);
        assert!(matches!(
            l.acquire(&key(), &tpm, 5_000).await,
            Admission::Wait(_)
        ));
        assert_eq!(
            l.acquire(&key(), &tpm, 0).await,
            Admission::Go,
            "nothing asked"
        );
        // A window whose entries are all refunded is dropped.
        assert_eq!(l.live_windows(), 1);
        l.settle(&key(), &tpm, 1_000, 0).await;
        assert_eq!(l.live_windows(), 0);
    }
}
