//! A per-provider/model circuit breaker: consecutive health failures open it for a
//! cool-down; then exactly one probe is let through; its outcome closes or re-opens it.

use std::time::Duration;
use tokio::time::Instant;

/// What the router and metrics see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls flow; `failures` consecutive health failures so far.
    Closed { failures: u32 },
    /// Calls fail fast for `retry_after` more.
    Open { retry_after: Duration },
    /// The cool-down is over: the next call is the probe (or the probe is in flight when
    /// `probing`).
    HalfOpen { probing: bool },
}

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Inner,
}

/// Admission decision for one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    Normal,
    /// This attempt is the half-open probe; its outcome decides the state.
    Probe,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Self {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            inner: Inner::Closed { failures: 0 },
        }
    }

    pub(crate) fn state(&self, now: Instant) -> BreakerState {
        match self.inner {
            Inner::Closed { failures } => BreakerState::Closed { failures },
            Inner::Open { until } if now >= until => BreakerState::HalfOpen { probing: false },
            Inner::Open { until } => BreakerState::Open {
                retry_after: until - now,
            },
            Inner::HalfOpen { probing } => BreakerState::HalfOpen { probing },
        }
    }

    /// `Err(wait)` when the attempt must fail fast.
    pub(crate) fn admit(&mut self, now: Instant, probe_wait: Duration) -> Result<Admit, Duration> {
        match self.inner {
            Inner::Closed { .. } => Ok(Admit::Normal),
            Inner::Open { until } if now < until => Err(until - now),
            Inner::Open { .. } | Inner::HalfOpen { probing: false } => {
                self.inner = Inner::HalfOpen { probing: true };
                Ok(Admit::Probe)
            }
            // Someone else is probing; their answer comes within one attempt timeout.
            Inner::HalfOpen { probing: true } => Err(probe_wait),
        }
    }

    pub(crate) fn on_success(&mut self) {
        // A call admitted before the breaker opened may succeed late; one late success
        // does not cut the cool-down short.
        if !matches!(self.inner, Inner::Open { .. }) {
            self.inner = Inner::Closed { failures: 0 };
        }
    }

    /// `health`: the error counts against the provider's health.
    pub(crate) fn on_failure(&mut self, now: Instant, health: bool, admit: Admit) {
        match (&mut self.inner, health, admit) {
            (Inner::HalfOpen { .. }, true, Admit::Probe) => {
                self.inner = Inner::Open {
                    until: now + self.cooldown,
                }
            }
            // The probe got an answer that says nothing bad about the provider (a 400, a
            // 429): it is up.
            (Inner::HalfOpen { .. }, false, Admit::Probe) => {
                self.inner = Inner::Closed { failures: 0 }
            }
            (Inner::Closed { failures }, true, _) => {
                *failures += 1;
                if *failures >= self.threshold {
                    self.inner = Inner::Open {
                        until: now + self.cooldown,
                    };
                }
            }
            _ => {}
        }
    }

    /// The probe's future was dropped before an outcome: let the next caller probe.
    pub(crate) fn on_probe_abandoned(&mut self) {
        if let Inner::HalfOpen { probing: true } = self.inner {
            self.inner = Inner::HalfOpen { probing: false };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_then_probes_once() {
        let t0 = Instant::now();
        let cd = Duration::from_secs(30);
        let mut b = Breaker::new(3, cd);
        for _ in 0..2 {
            assert_eq!(b.admit(t0, cd), Ok(Admit::Normal));
            b.on_failure(t0, true, Admit::Normal);
        }
        // A non-health failure neither counts nor resets.
        b.on_failure(t0, false, Admit::Normal);
        assert_eq!(b.state(t0), BreakerState::Closed { failures: 2 });
        b.on_failure(t0, true, Admit::Normal);
        assert_eq!(b.admit(t0, cd), Err(cd));
        let later = t0 + cd;
        assert_eq!(b.admit(later, Duration::from_secs(1)), Ok(Admit::Probe));
        assert_eq!(
            b.admit(later, Duration::from_secs(1)),
            Err(Duration::from_secs(1))
        );
        b.on_failure(later, true, Admit::Probe);
        assert_eq!(b.state(later), BreakerState::Open { retry_after: cd });
        let later = later + cd;
        assert_eq!(b.admit(later, cd), Ok(Admit::Probe));
        b.on_probe_abandoned();
        assert_eq!(b.admit(later, cd), Ok(Admit::Probe));
        b.on_success();
        assert_eq!(b.state(later), BreakerState::Closed { failures: 0 });
    }
}
