//! The governor every outbound call goes through. It only **admits**: it never retries
//! and never backs off. Whether a failed call is tried again, on this route or another,
//! is the router's (failover) and the job engine's (retry policy) business.
//!
//! One [`Governor`] per (provider, endpoint), shared through an `Arc` by every task of
//! the process ([`Governors`] hands them out). Per call, in this order:
//!
//! 1. the circuit breaker admits it, or the call fails fast with a `CircuitOpen` error
//!    (after the cool-down, one probe goes through);
//! 2. a concurrency slot (adaptive: halved on a 429, grown back by one every
//!    `recover_after` successes). Waiting for one is bounded by the calls in flight,
//!    each of which ends within its timeout;
//! 3. a rate slot from the [`RateLimiter`] for each of the endpoint's rates (requests,
//!    tokens: the caller's estimate, settled with [`Governor::settle`] once the real
//!    usage is known). A slot within `max_admission_wait` is waited for; a further one
//!    fails the call at once with a `RateLimited` error whose `retry_after` is the wait;
//! 4. the call itself under the per-attempt timeout.
//!
//! A provider's own 429 comes back at once with the wait its headers name.
//!
//! Locks are plain `std` mutexes held for a few arithmetic operations, never across an
//! await.

mod adaptive;
mod breaker;
mod limiter;
mod metrics;
mod registry;
mod sites;

pub use breaker::BreakerState;
pub use limiter::{Admission, BucketKey, BucketLimit, LocalRateLimiter, RateLimiter};
pub use metrics::{GovernorSnapshot, HistogramSnapshot, LatencyHistogram, PROVIDER_LATENCY_BOUNDS};
pub use registry::Governors;
pub use sites::{SiteGovernors, registrable_domain, site_of};

use crate::limits::{Limits, Measure, Rate};
use crate::{ErrorKind, ProviderError};
use adaptive::Adaptive;
use breaker::{Admit, Breaker};
use metrics::{Counters, read};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// What a call may consume, estimated before it is sent: tokens for token-per-minute
/// rates (every call counts one request besides). `From<u64>` reads a plain number as
/// input tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenEstimate {
    pub input: u64,
    pub output: u64,
}

impl From<u64> for TokenEstimate {
    fn from(input: u64) -> Self {
        TokenEstimate { input, output: 0 }
    }
}

impl TokenEstimate {
    fn units(&self, measure: Measure) -> u64 {
        match measure {
            Measure::Requests => 1,
            Measure::Tokens => self.input + self.output,
            Measure::InputTokens => self.input,
            Measure::OutputTokens => self.output,
        }
    }
}

/// What the governor did for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallStats {
    /// Attempts sent (0 when the call was refused before it went out, else 1).
    pub attempts: u32,
    /// Wall time of the call, waits included.
    pub latency: Duration,
    /// Time spent waiting for a concurrency slot or a rate slot.
    pub waited: Duration,
    /// The tokens reserved (pass to [`Governor::settle`]).
    pub reserved: TokenEstimate,
}

/// One rate an endpoint is admitted under: the counter and its limit.
#[derive(Debug, Clone)]
pub(crate) struct RateSlot {
    pub key: BucketKey,
    pub limit: BucketLimit,
    pub measure: Measure,
}

pub struct Governor {
    provider: String,
    endpoint: String,
    limits: Limits,
    rates: Vec<RateSlot>,
    limiter: Arc<dyn RateLimiter>,
    concurrency: Adaptive,
    breaker: Mutex<Breaker>,
    counters: Counters,
}

impl std::fmt::Debug for Governor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Governor")
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint)
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
    /// A governor with its own in-process rate limiter, counting its rates apart from
    /// every other governor's (tests, tools). [`Governors`] builds the shared ones.
    pub fn new(provider: impl Into<String>, endpoint: impl Into<String>, limits: Limits) -> Self {
        let (provider, endpoint) = (provider.into(), endpoint.into());
        let rates = rate_slots(
            &provider,
            "keyless",
            &endpoint,
            &limits.rates_for(&endpoint),
        );
        Self::with_limiter(
            provider,
            endpoint,
            limits,
            rates,
            Arc::new(LocalRateLimiter::new()),
        )
    }

    pub(crate) fn with_limiter(
        provider: String,
        endpoint: String,
        limits: Limits,
        rates: Vec<RateSlot>,
        limiter: Arc<dyn RateLimiter>,
    ) -> Self {
        Governor {
            provider,
            endpoint,
            rates,
            limiter,
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

    /// The endpoint (for LLMs, the model) this governor admits calls to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The counters this governor's calls are admitted under.
    pub fn buckets(&self) -> Vec<BucketKey> {
        self.rates.iter().map(|r| r.key.clone()).collect()
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
    /// difference goes back into (or comes out of) the token rates.
    pub async fn settle(&self, reserved: TokenEstimate, used: TokenEstimate) {
        for r in &self.rates {
            if r.measure != Measure::Requests {
                let (taken, used) = (reserved.units(r.measure), used.units(r.measure));
                self.limiter.settle(&r.key, &r.limit, taken, used).await;
            }
        }
    }

    pub fn snapshot(&self) -> GovernorSnapshot {
        let c = &self.counters;
        GovernorSnapshot {
            provider: self.provider.clone(),
            model: self.endpoint.clone(),
            calls: read(&c.calls),
            attempts: read(&c.attempts),
            successes: read(&c.successes),
            failures: read(&c.failures),
            rate_limited: read(&c.rate_limited),
            throttled: read(&c.throttled),
            timeouts: read(&c.timeouts),
            circuit_rejections: read(&c.circuit_rejections),
            latency: c.latency.snapshot(),
            in_flight: read(&c.in_flight),
            effective_concurrency: self.concurrency.effective(),
            max_concurrency: self.limits.max_concurrency.max(1),
            breaker: self.state(),
        }
    }

    /// Take a slot of every rate, waiting up to `max_admission_wait` in all; `Err` with
    /// the wait when a slot is further away than that.
    async fn admit_rates(&self, estimate: TokenEstimate) -> Result<Duration, ProviderError> {
        let mut waited = Duration::ZERO;
        for r in &self.rates {
            let units = estimate.units(r.measure);
            loop {
                match self.limiter.acquire(&r.key, &r.limit, units).await {
                    Admission::Go => break,
                    Admission::Wait(d) if waited + d <= self.limits.max_admission_wait => {
                        tokio::time::sleep(d).await;
                        waited += d;
                    }
                    Admission::Wait(d) => {
                        Counters::inc(&self.counters.throttled);
                        return Err(ProviderError::throttled(
                            &self.provider,
                            format!(
                                "{} {} in {:?} reached for {}; the next slot is {d:?} away",
                                r.limit.units, r.measure, r.limit.window, r.key.bucket
                            ),
                            d,
                        ));
                    }
                }
            }
        }
        Ok(waited)
    }

    /// Run `f` (one provider request) under this governor: admitted by the breaker, a
    /// concurrency slot and the rates, under the timeout, exactly once. `estimate` is
    /// what the request may consume (prompt estimate + `max_tokens`); pass 0 for
    /// non-token providers.
    pub async fn call<T, F, Fut>(
        &self,
        estimate: impl Into<TokenEstimate>,
        f: F,
    ) -> Result<(T, CallStats), ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let started = Instant::now();
        Counters::inc(&self.counters.calls);
        let mut stats = CallStats {
            reserved: estimate.into(),
            ..CallStats::default()
        };
        let result = self.attempt(f, &mut stats).await;
        stats.latency = started.elapsed();
        self.counters.finish(result.is_ok(), stats.latency);
        result.map(|v| (v, stats))
    }

    async fn attempt<T, F, Fut>(&self, f: F, stats: &mut CallStats) -> Result<T, ProviderError>
    where
        F: FnOnce() -> Fut,
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
        self.admit_rates(stats.reserved).await?;
        stats.waited = wait_from.elapsed();

        stats.attempts = 1;
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

/// How much longer than the vendor's window a slot is held. The vendor counts a request
/// when it arrives, we when we admit it; the time between varies (scheduling, the
/// network, a slower request ahead in a connection pool), so a slot freed exactly one
/// window after its predecessor can reach the vendor inside the old window and be
/// refused. A twenty-fifth of the window, 250 ms to 2 s, absorbs that for a few percent
/// of a per-minute rate. Per-second windows pay more (a quarter), but three worker
/// processes sharing a limit through PostgreSQL on two busy cores still met refusals of a
/// per-second limit at 50 ms and at 100 ms, and no provider's per-second limit is the one
/// that binds a campaign.
fn window_guard(window: Duration) -> Duration {
    (window / 25).clamp(Duration::from_millis(250), Duration::from_secs(2))
}

/// The counters of `rates` (bucket name, rate) for one key of `provider`.
pub(crate) fn rate_slots(
    provider: &str,
    key: &str,
    endpoint: &str,
    rates: &[(String, Rate)],
) -> Vec<RateSlot> {
    rates
        .iter()
        .map(|(bucket, rate)| RateSlot {
            key: BucketKey {
                provider: provider.to_owned(),
                key: key.to_owned(),
                bucket: if bucket.is_empty() {
                    endpoint.to_owned()
                } else {
                    bucket.clone()
                },
                measure: format!("{}/{}s", rate.measure, rate.window.as_secs()),
            },
            limit: BucketLimit {
                units: rate.units,
                window: rate.window + window_guard(rate.window),
            },
            measure: rate.measure,
        })
        .collect()
}
