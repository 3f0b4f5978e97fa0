//! The retry rule applied: each sub-agent's [`RetryPolicy`] decides what a failed run
//! does next ([`RetryPolicy::decide`]), with one random source (`fastrand`) for the
//! jitter that keeps jobs failing together from coming back together.

use atl_agents::{AgentError, SubAgent};
use atl_domain::{FailedRun, FailureKind, RetryDecision, RetryPolicy};
use atl_store::{ClaimedJob, FailNext};
use std::time::Duration;
use time::OffsetDateTime;

/// The policy the engine applies to an agent: its own, or the engine's when the agent
/// keeps the trait's default (it has no opinion of its own).
pub(crate) fn effective(agent: &dyn SubAgent, engine: &RetryPolicy) -> RetryPolicy {
    let own = agent.retry_policy();
    if own == RetryPolicy::default() {
        *engine
    } else {
        own
    }
}

/// What to do after a failed run, and the reason to record. `since_claim` is how long
/// the run took by the worker's monotonic clock; the rest of the wait was measured by the
/// database (the claim's `waiting_for`).
pub(crate) fn decide(
    policy: &RetryPolicy,
    job: &ClaimedJob,
    err: &AgentError,
    since_claim: Duration,
) -> (FailNext, String) {
    if err.queued && err.kind == FailureKind::Snooze {
        // Our own limiter's queue: the provider is fine, so the job waits its turn
        // however long it takes; the patience is for providers that refuse or fail.
        // The limiter named the instant its slot frees: come back then, spread by a tenth
        // (not the half a provider's wait gets), so the slot is not left unused.
        let delay = policy.spread_wait(err.retry_after, fastrand::f64() / 5.0);
        return (FailNext::Queue { delay }, err.message.clone());
    }
    let waiting = matches!(err.kind, FailureKind::Snooze | FailureKind::Unavailable);
    // Patience runs from the first such failure; a job's first one has waited nothing.
    let waiting_for = match job.waiting_since {
        Some(_) if waiting => job.waiting_for + since_claim,
        _ => Duration::ZERO,
    };
    let run = FailedRun {
        kind: err.kind,
        attempt: job.attempt,
        retry_after: err.retry_after,
        waiting_for,
        message: &err.message,
    };
    match policy.decide(&run, fastrand::f64()) {
        RetryDecision::RetryAfter {
            delay,
            counts_attempt,
        } => (
            FailNext::Retry {
                delay,
                counts_attempt,
            },
            err.message.clone(),
        ),
        RetryDecision::Fail { reason } if waiting => {
            let since = job.waiting_since.unwrap_or(job.lease_expires_at);
            (FailNext::Fail, gave_up(err, since, &reason))
        }
        RetryDecision::Fail { reason } => (FailNext::Fail, reason),
    }
}

/// "deepseek unavailable since 14:03 UTC (circuit open)": who, since when, and the last
/// thing it said.
fn gave_up(err: &AgentError, since: OffsetDateTime, last: &str) -> String {
    let who = err.provider.as_deref().unwrap_or("the provider");
    let at = since.to_offset(time::UtcOffset::UTC);
    let when = format!("{:02}:{:02} UTC", at.hour(), at.minute());
    match err.kind {
        FailureKind::Snooze => format!("{who} kept asking to wait since {when} ({last})"),
        _ => format!("{who} unavailable since {when} ({last})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atl_domain::SubAgentKind;
    use time::macros::datetime;

    fn job(waiting_since: Option<OffsetDateTime>, waiting_for: u64) -> ClaimedJob {
        ClaimedJob {
            job_id: 1,
            campaign_id: 1,
            target_id: 1,
            kind: SubAgentKind::Research,
            attempt: 1,
            max_attempts: 3,
            run: 4,
            lease_token: "t".into(),
            lease_expires_at: datetime!(2026-03-01 14:10:00 UTC),
            waiting_since,
            waiting_for: Duration::from_secs(waiting_for),
            budgeted: false,
        }
    }

    fn unavailable() -> AgentError {
        let mut e = AgentError::new(FailureKind::Unavailable, "circuit open");
        e.provider = Some("deepseek".into());
        e
    }

    #[test]
    fn an_outage_waits_without_attempts_then_gives_up_with_the_reason() {
        let policy = RetryPolicy {
            patience: Duration::from_secs(120),
            ..RetryPolicy::default()
        };
        let (next, _) = decide(&policy, &job(None, 0), &unavailable(), Duration::ZERO);
        assert!(
            matches!(
                next,
                FailNext::Retry {
                    counts_attempt: false,
                    ..
                }
            ),
            "{next:?}"
        );
        let since = datetime!(2026-03-01 14:03:00 UTC);
        let (next, reason) = decide(
            &policy,
            &job(Some(since), 119),
            &unavailable(),
            Duration::from_secs(2),
        );
        assert_eq!(next, FailNext::Fail);
        assert_eq!(
            reason,
            "deepseek unavailable since 14:03 UTC (circuit open)"
        );
    }

    #[test]
    fn a_wait_for_our_own_rate_slot_queues_past_any_patience() {
        let policy = RetryPolicy::default();
        let mut e = AgentError::new(FailureKind::Snooze, "50 requests in 60s reached")
            .with_retry_after(Some(Duration::from_secs(4)));
        e.queued = true;
        // Long past the patience: a provider's 429 would give up, the queue does not.
        let since = datetime!(2026-03-01 14:03:00 UTC);
        let (next, _) = decide(&policy, &job(Some(since), 900), &e, Duration::from_secs(1));
        match next {
            FailNext::Queue { delay } => {
                assert!(delay >= Duration::from_secs(4) && delay <= Duration::from_millis(4_400));
            }
            other => panic!("{other:?}"),
        }
        e.queued = false;
        let (next, _) = decide(&policy, &job(Some(since), 900), &e, Duration::from_secs(1));
        assert_eq!(
            next,
            FailNext::Fail,
            "a provider that keeps refusing is given up on"
        );
    }

    #[test]
    fn transient_failures_count_and_final_ones_fail_at_once() {
        let policy = RetryPolicy::default();
        let e = AgentError::new(FailureKind::Transient, "503");
        let (next, _) = decide(&policy, &job(None, 0), &e, Duration::ZERO);
        assert!(
            matches!(next, FailNext::Retry { counts_attempt: true, delay } if delay <= policy.backoff_base)
        );
        let (next, reason) = decide(
            &policy,
            &job(None, 0),
            &AgentError::final_error("401 bad key"),
            Duration::ZERO,
        );
        assert_eq!((next, reason.as_str()), (FailNext::Fail, "401 bad key"));
    }
}
