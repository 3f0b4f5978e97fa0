//! Whether a failed job waits or gives up: one rule, applied by the engine, declared by
//! each sub-agent as a [`RetryPolicy`] value.
//!
//! A failure is one of four kinds ([`FailureKind`]):
//! - `Transient` (a 5xx, a timeout, a dropped connection): counts an attempt and waits a
//!   full-jitter exponential backoff; after `max_attempts` the job fails.
//! - `Snooze` (a rate limit, a governor whose wait is long): the provider is fine but
//!   busy. It does **not** count an attempt (river's and awa's "snooze"); the job waits
//!   what the provider asked, spread with jitter so many jobs do not wake together.
//! - `Unavailable` (a circuit breaker open, an outage): does not count an attempt either,
//!   but the job gives up once the provider has been unavailable to it for longer than
//!   `patience`, with the reason "deepseek unavailable since 14:03".
//! - `Final` (bad key, no quota, bad request, bad input): fails at once.
//!
//! The policy is pure: the caller supplies the clock readings and a random fraction, so
//! every decision can be tested exactly.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What kind of failure a job ended with (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Transient,
    Snooze,
    Unavailable,
    Final,
}

/// How a sub-agent's failed runs are retried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Runs that may end in a transient failure (or an expired lease) before the job
    /// fails. Snoozes and waits for an unavailable provider do not count.
    pub max_attempts: u32,
    /// Full-jitter backoff after a transient failure: uniform in
    /// `[0, min(backoff_cap, backoff_base × 2^(attempt-1))]`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// How long a job keeps waiting for a provider that stays unavailable (or keeps
    /// asking it to wait) before it fails with the reason.
    pub patience: Duration,
    /// The longest single wait a snooze or an unavailable provider is given; longer
    /// `Retry-After`s are capped here and asked again.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(120),
            patience: Duration::from_secs(180),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// What the engine does with a failed run.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryDecision {
    /// Run again after `delay`; `counts_attempt` says whether this run used up one of
    /// the job's attempts.
    RetryAfter {
        delay: Duration,
        counts_attempt: bool,
    },
    /// Give up: the job fails with this reason.
    Fail { reason: String },
}

/// The facts about one failed run that the decision needs.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedRun<'a> {
    pub kind: FailureKind,
    /// Attempts used so far, this run included when it counts (1 after the first).
    pub attempt: u32,
    /// What the provider asked to wait, when it said.
    pub retry_after: Option<Duration>,
    /// How long the provider has been unavailable (or kept the job waiting) to this job,
    /// counted from its first such failure; zero when this is the first.
    pub waiting_for: Duration,
    /// The failure's own message.
    pub message: &'a str,
}

impl RetryPolicy {
    /// Full-jitter backoff before retry number `attempt` (1-based); `fraction` is a
    /// uniform random number in `[0, 1)`.
    pub fn backoff(&self, attempt: u32, fraction: f64) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        exp.min(self.backoff_cap).mul_f64(fraction.clamp(0.0, 1.0))
    }

    /// A wait the provider asked for (or a short default), capped at `max_wait` and
    /// spread over up to half again its length so that jobs released together do not
    /// all come back in the same instant.
    pub fn spread_wait(&self, asked: Option<Duration>, fraction: f64) -> Duration {
        let base = asked
            .unwrap_or(Duration::from_secs(1))
            .min(self.max_wait)
            .max(Duration::from_millis(50));
        base + base.mul_f64(0.5 * fraction.clamp(0.0, 1.0))
    }

    /// The one decision about a failed run (module docs); `fraction` is uniform in `[0, 1)`.
    pub fn decide(&self, run: &FailedRun<'_>, fraction: f64) -> RetryDecision {
        match run.kind {
            FailureKind::Final => RetryDecision::Fail {
                reason: run.message.to_string(),
            },
            FailureKind::Transient => {
                if run.attempt >= self.max_attempts.max(1) {
                    RetryDecision::Fail {
                        reason: run.message.to_string(),
                    }
                } else {
                    let delay = self
                        .backoff(run.attempt, fraction)
                        .max(run.retry_after.unwrap_or_default().min(self.max_wait));
                    RetryDecision::RetryAfter {
                        delay,
                        counts_attempt: true,
                    }
                }
            }
            FailureKind::Snooze | FailureKind::Unavailable => {
                if run.waiting_for >= self.patience {
                    RetryDecision::Fail {
                        reason: run.message.to_string(),
                    }
                } else {
                    RetryDecision::RetryAfter {
                        delay: self.spread_wait(run.retry_after, fraction),
                        counts_attempt: false,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: FailureKind, attempt: u32, waiting_for: u64) -> FailedRun<'static> {
        FailedRun {
            kind,
            attempt,
            retry_after: None,
            waiting_for: Duration::from_secs(waiting_for),
            message: "boom",
        }
    }

    #[test]
    fn transient_failures_count_attempts_and_back_off_within_the_cap() {
        let p = RetryPolicy::default();
        for attempt in 1..3 {
            match p.decide(&run(FailureKind::Transient, attempt, 0), 0.999) {
                RetryDecision::RetryAfter {
                    delay,
                    counts_attempt,
                } => {
                    assert!(counts_attempt);
                    assert!(delay <= p.backoff_base * 2u32.pow(attempt - 1));
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            p.decide(&run(FailureKind::Transient, 3, 0), 0.5),
            RetryDecision::Fail { .. }
        ));
        assert_eq!(p.backoff(30, 1.0), p.backoff_cap);
    }

    #[test]
    fn snoozes_never_use_attempts_and_end_after_patience() {
        let p = RetryPolicy::default();
        for kind in [FailureKind::Snooze, FailureKind::Unavailable] {
            match p.decide(&run(kind, 99, 10), 0.0) {
                RetryDecision::RetryAfter { counts_attempt, .. } => assert!(!counts_attempt),
                other => panic!("{other:?}"),
            }
            assert!(matches!(
                p.decide(&run(kind, 1, 181), 0.0),
                RetryDecision::Fail { .. }
            ));
        }
    }

    #[test]
    fn waits_are_spread_and_capped() {
        let p = RetryPolicy::default();
        let asked = Some(Duration::from_secs(10));
        assert_eq!(p.spread_wait(asked, 0.0), Duration::from_secs(10));
        assert_eq!(p.spread_wait(asked, 1.0), Duration::from_secs(15));
        assert_eq!(
            p.spread_wait(Some(Duration::from_secs(3600)), 0.0),
            p.max_wait
        );
        assert!(matches!(
            p.decide(&run(FailureKind::Final, 1, 0), 0.0),
            RetryDecision::Fail { reason } if reason == "boom"
        ));
    }
}
