//! The governor every outbound call goes through (invariant 4).
//!
//! One [`Governor`] per (provider, model), shared through an `Arc` by every task of the
//! process ([`Governors`] hands them out). Per attempt, in this order:
//!
//! 1. the circuit breaker admits it, or the call fails fast with
//!    a `CircuitOpen` error (after the cool-down, one probe goes through);
//! 2. a concurrency slot (adaptive: halved on a 429, grown back by one every
//!    `recover_after` successes);
//! 3. a requests-per-minute slot (sliding window) and a tokens-per-minute reservation
//!    (the caller's `max_tokens`-based estimate, reserved up front as Cerebras counts;
//!    [`Governor::adjust_tokens`] settles it once the real usage is known);
//! 4. the call itself under the per-attempt timeout.
//!
//! A retryable error is retried with full-jitter exponential backoff, waiting at least
//! the provider's `Retry-After` (a wait longer than `max_retry_after` fails the call
//! instead); a final error returns at once with the provider's own message.
//!
//! Locks are plain `std` mutexes held for a few arithmetic operations, never across an
//! await; the no-wait path allocates nothing beyond the caller's future.

mod adaptive;
mod breaker;
mod metrics;
mod rate;
mod registry;

pub use breaker::BreakerState;
pub use metrics::{GovernorSnapshot, HistogramSnapshot, LatencyHistogram, PROVIDER_LATENCY_BOUNDS};
pub use registry::Governors;

use crate::limits::Limits;
use crate::{ErrorKind, ProviderError};
use adaptive::Adaptive;
use breaker::{Admit, Breaker};
use metrics::{Counters, read};
use rate::{RequestWindow, TokenBucket};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

const MINUTE: Duration = Duration::from_secs(60);

/// What the governor did for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallStats {
    /// Attempts sent (1 when the first one succeeded).
    pub attempts: u32,
    /// Wall time of the whole call, waits and retries included.
    pub latency: Duration,
    /// Time spent waiting for a concurrency slot or a rate-limit slot, all attempts.
    pub waited: Duration,
    /// Tokens reserved by the last attempt (pass to [`Governor::adjust_tokens`]).
    pub reserved_tokens: u64,
}

pub struct Governor {
    provider: String,
    model: String,
    limits: Limits,
    requests: Option<Mutex<RequestWindow>>,
    tokens: Option<Mutex<TokenBucket>>,
    concurrency: Adaptive,
    breaker: Mutex<Breaker>,
    counters: Counters,
}

impl std::fmt::Debug for Governor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Governor")
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Lock a mutex whose state is valid after any panic (counters and instants only).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Releases an abandoned half-open probe (the caller's future was dropped mid-call) so
/// the breaker does not wait forever for an answer that will not come.
struct ProbeGuard<'a> {
    governor: &'a Governor,
    admit: Admit,
    settled: bool,
}

impl Drop for ProbeGuard<'_> {
    fn drop(&mut self) {
        if self.admit == Admit::Probe && !self.settled {
            lock(&self.governor.breaker).on_probe_abandoned();
        }
    }
}

/// Counts an attempt in flight for the snapshot, also when the future is dropped.
struct InFlight<'a>(&'a Counters);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Governor {
    pub fn new(provider: impl Into<String>, model: impl Into<String>, limits: Limits) -> Self {
        let now = Instant::now();
        Governor {
            provider: provider.into(),
            model: model.into(),
            requests: limits
                .rpm
                .map(|r| Mutex::new(RequestWindow::new(r, MINUTE))),
            tokens: limits.tpm.map(|t| Mutex::new(TokenBucket::new(t, now))),
            concurrency: Adaptive::new(limits.max_concurrency, limits.recover_after),
            breaker: Mutex::new(Breaker::new(
                limits.breaker_failures,
                limits.breaker_cooldown,
            )),
            counters: Counters::default(),
            limits,
        }
    }

    pub fn provider(&self) -> &str {
        &self.provider
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn state(&self) -> BreakerState {
        lock(&self.breaker).state(Instant::now())
    }

    /// Whether a call would be admitted now: the breaker is closed, or its cool-down is
    /// over and no probe is in flight. The router skips routes for which this is false.
    pub fn is_healthy(&self) -> bool {
        !matches!(
            self.state(),
            BreakerState::Open { .. } | BreakerState::HalfOpen { probing: true }
        )
    }

    /// How long until an open breaker lets a probe through (zero when it would now).
    pub fn retry_after(&self) -> Duration {
        match self.state() {
            BreakerState::Open { retry_after } => retry_after,
            BreakerState::HalfOpen { probing: true } => self.probe_wait(),
            _ => Duration::ZERO,
        }
    }

    fn probe_wait(&self) -> Duration {
        self.limits
            .timeout
            .min(self.limits.breaker_cooldown)
            .max(Duration::from_millis(1))
    }

    /// Settle a token reservation once the provider reported what the call used: the
    /// difference goes back into (or comes out of) the tokens-per-minute bucket.
    pub fn adjust_tokens(&self, reserved: u64, actual: u64) {
        if let Some(b) = &self.tokens {
            let refund = i64::try_from(reserved).unwrap_or(i64::MAX)
                - i64::try_from(actual).unwrap_or(i64::MAX);
            lock(b).adjust(Instant::now(), refund);
        }
    }

    pub fn snapshot(&self) -> GovernorSnapshot {
        let c = &self.counters;
        GovernorSnapshot {
            provider: self.provider.clone(),
            model: self.model.clone(),
            calls: read(&c.calls),
            attempts: read(&c.attempts),
            retries: read(&c.retries),
            successes: read(&c.successes),
            failures: read(&c.failures),
            rate_limited: read(&c.rate_limited),
            timeouts: read(&c.timeouts),
            circuit_rejections: read(&c.circuit_rejections),
            latency: c.latency.snapshot(),
            in_flight: read(&c.in_flight),
            effective_concurrency: self.concurrency.effective(),
            max_concurrency: self.limits.max_concurrency.max(1),
            breaker: self.state(),
        }
    }

    /// Full-jitter backoff before retry number `retry` (1-based).
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .limits
            .backoff_base
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.limits.backoff_cap);
        let max = u64::try_from(exp.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=max))
    }

    /// The instant this attempt may be sent, after reserving a request slot and
    /// `tokens` tokens.
    fn reserve(&self, now: Instant, tokens: u64) -> Instant {
        let mut at = now;
        if let Some(w) = &self.requests {
            at = at.max(lock(w).reserve(now));
        }
        if let Some(b) = &self.tokens {
            at = at.max(lock(b).reserve(now, tokens));
        }
        at
    }

    /// Run `f` (one provider request per invocation) under this governor's limits,
    /// retrying retryable failures. `estimated_tokens` is what the request may consume
    /// (prompt estimate + `max_tokens`); pass 0 for non-token providers.
    pub async fn call<T, F, Fut>(
        &self,
        estimated_tokens: u64,
        mut f: F,
    ) -> Result<(T, CallStats), ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let started = Instant::now();
        Counters::inc(&self.counters.calls);
        let mut stats = CallStats {
            reserved_tokens: estimated_tokens,
            ..CallStats::default()
        };
        let mut invalid_response_retried = false;

        loop {
            let outcome = self.attempt(estimated_tokens, &mut f, &mut stats).await;
            let err = match outcome {
                Ok(value) => {
                    stats.latency = started.elapsed();
                    self.counters.finish(true, stats.latency);
                    return Ok((value, stats));
                }
                Err(e) => e,
            };
            let give_up = |e: ProviderError, stats: &mut CallStats| {
                stats.latency = started.elapsed();
                self.counters.finish(false, stats.latency);
                Err(e)
            };

            if !err.is_retryable() || err.kind == ErrorKind::CircuitOpen {
                // Final errors carry the provider's message; an open breaker is for the
                // router to route around, not for us to sleep through.
                return give_up(err, &mut stats);
            }
            if err.kind == ErrorKind::InvalidResponse {
                // A malformed 2xx is retried once: it is usually transient, and a
                // provider that keeps sending garbage will not stop on the third try.
                if invalid_response_retried {
                    return give_up(err, &mut stats);
                }
                invalid_response_retried = true;
            }
            if stats.attempts > self.limits.max_retries {
                return give_up(err, &mut stats);
            }
            let mut delay = self.backoff(stats.attempts);
            if let Some(asked) = err.retry_after() {
                if asked > self.limits.max_retry_after {
                    tracing::warn!(
                        provider = %self.provider, model = %self.model, ?asked,
                        "provider asked to wait longer than max_retry_after; failing the call"
                    );
                    return give_up(err, &mut stats);
                }
                delay = delay.max(asked);
            }
            Counters::inc(&self.counters.retries);
            tracing::debug!(
                provider = %self.provider, model = %self.model, attempt = stats.attempts, ?delay, error = %err,
                "retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: breaker, concurrency slot, rate slot, the call under its timeout, and
    /// the bookkeeping of its outcome.
    async fn attempt<T, F, Fut>(
        &self,
        estimated_tokens: u64,
        f: &mut F,
        stats: &mut CallStats,
    ) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let admit = match lock(&self.breaker).admit(Instant::now(), self.probe_wait()) {
            Ok(a) => a,
            Err(retry_after) => {
                Counters::inc(&self.counters.circuit_rejections);
                return Err(ProviderError::circuit_open(&self.provider, retry_after));
            }
        };
        let mut probe = ProbeGuard {
            governor: self,
            admit,
            settled: false,
        };

        let wait_from = Instant::now();
        let _slot = self
            .concurrency
            .acquire()
            .await
            .map_err(|_| ProviderError::connection(&self.provider, "governor closed"))?;
        let send_at = self.reserve(Instant::now(), estimated_tokens);
        if send_at > Instant::now() {
            tokio::time::sleep_until(send_at).await;
        }
        stats.waited += wait_from.elapsed();

        stats.attempts += 1;
        Counters::inc(&self.counters.attempts);
        self.counters
            .in_flight
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let in_flight = InFlight(&self.counters);
        let result = match tokio::time::timeout(self.limits.timeout, f()).await {
            Ok(r) => r,
            Err(_) => Err(ProviderError::timeout(&self.provider, self.limits.timeout)),
        };
        drop(in_flight);

        probe.settled = true;
        match &result {
            Ok(_) => {
                lock(&self.breaker).on_success();
                self.concurrency.on_success();
            }
            Err(e) => {
                if e.is_rate_limit() {
                    Counters::inc(&self.counters.rate_limited);
                    self.concurrency.on_rate_limited(Instant::now());
                }
                if e.kind == ErrorKind::Timeout {
                    Counters::inc(&self.counters.timeouts);
                }
                lock(&self.breaker).on_failure(Instant::now(), e.counts_against_health(), admit);
            }
        }
        result
    }
}
