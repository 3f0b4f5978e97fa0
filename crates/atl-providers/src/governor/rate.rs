//! Request and token rate limiters. Both hand out *reservations*: the caller learns the
//! instant it may send and sleeps until then outside any lock, so waiters queue in FIFO
//! order without polling and no lock is held across an await.

use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// At most `limit` requests in ANY window of `window` (a sliding log).
///
/// Stricter than a token bucket with a burst of `limit` (which lets nearly 2×limit through
/// in the first minute) and therefore safe against both fixed-window vendors (Apollo)
/// and token-bucket ones (Cerebras). Memory is at most `limit` instants.
#[derive(Debug)]
pub(crate) struct RequestWindow {
    limit: usize,
    window: Duration,
    /// Send times of the last `limit` reservations, non-decreasing (some may lie in the
    /// future: reservations that are still waiting).
    log: VecDeque<Instant>,
}

impl RequestWindow {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        let limit = limit.max(1) as usize;
        RequestWindow {
            limit,
            window,
            // Grows on demand: a generous limit (100,000 RPM) costs memory only when that
            // many requests really are made within a window.
            log: VecDeque::with_capacity(limit.min(1024)),
        }
    }

    /// Reserve a send slot at or after `now`; returns when the request may go.
    pub(crate) fn reserve(&mut self, now: Instant) -> Instant {
        let at = if self.log.len() < self.limit {
            // Not yet `limit` requests ever (or since construction): keep order monotone.
            self.log.back().map_or(now, |&last| last.max(now))
        } else {
            // The request `limit` places back must have left the window.
            let oldest = self.log.pop_front().unwrap_or(now);
            (oldest + self.window).max(now)
        };
        self.log.push_back(at);
        at
    }
}

/// Tokens per minute as a continuously refilled bucket (how Cerebras and Anthropic count),
/// allowed to go negative: a reservation larger than what is left borrows from the
/// future and waits until the bucket is back at zero.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    capacity: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub(crate) fn new(per_minute: u64, now: Instant) -> Self {
        let capacity = per_minute.max(1) as f64;
        TokenBucket {
            capacity,
            per_sec: capacity / 60.0,
            tokens: capacity,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.per_sec).min(self.capacity);
        self.last = self.last.max(now);
    }

    /// Take `n` tokens; returns when the caller may send. A request larger than the whole
    /// bucket is clamped to it (it could never fit otherwise; the vendor decides).
    pub(crate) fn reserve(&mut self, now: Instant, n: u64) -> Instant {
        self.refill(now);
        self.tokens -= (n as f64).min(self.capacity);
        if self.tokens >= 0.0 {
            now
        } else {
            now + Duration::from_secs_f64(-self.tokens / self.per_sec)
        }
    }

    /// Give back tokens reserved but not used (actual usage below the estimate), or take
    /// more when the call used more than estimated (negative `n`).
    pub(crate) fn adjust(&mut self, now: Instant, refund: i64) {
        self.refill(now);
        self.tokens = (self.tokens + refund as f64).min(self.capacity);
    }

    #[cfg(test)]
    pub(crate) fn available(&mut self, now: Instant) -> f64 {
        self.refill(now);
        self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_never_exceeds_limit_in_any_window() {
        let t0 = Instant::now();
        let mut w = RequestWindow::new(3, Duration::from_secs(60));
        let slots: Vec<Instant> = (0..10).map(|_| w.reserve(t0)).collect();
        assert_eq!(slots[0..3], [t0, t0, t0]);
        assert_eq!(slots[3], t0 + Duration::from_secs(60));
        assert_eq!(slots[6], t0 + Duration::from_secs(120));
        for (i, a) in slots.iter().enumerate() {
            let in_window = slots
                .iter()
                .filter(|b| **b >= *a && **b < *a + Duration::from_secs(60))
                .count();
            assert!(in_window <= 3, "slot {i}: {in_window}");
        }
    }

    #[test]
    fn bucket_borrows_and_refunds() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(600, t0); // 10 tokens/s
        assert_eq!(b.reserve(t0, 500), t0);
        // 100 left; 300 more → 200 short → 20 s.
        assert_eq!(b.reserve(t0, 300), t0 + Duration::from_secs(20));
        b.adjust(t0, 200);
        assert!((b.available(t0) - 0.0).abs() < 1e-9);
        // Clamp: a reservation bigger than the bucket waits for a full bucket, not forever.
        let mut b = TokenBucket::new(60, t0);
        assert_eq!(b.reserve(t0, 1_000_000), t0);
        assert_eq!(b.reserve(t0, 60), t0 + Duration::from_secs(60));
    }
}
