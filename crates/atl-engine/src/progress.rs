use atl_domain::SubAgentKind;
use atl_store::Progress;
use serde::Serialize;

/// How one job run ended, from this coordinator's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    Completed,
    /// Failed for now; back in the queue until its backoff ends (an attempt used).
    Retrying,
    /// The provider asked to wait or is unavailable; back in the queue after the wait,
    /// without using an attempt, until its patience runs out.
    Waiting,
    /// Not run: its own input's estimate does not fit the budget beside what is spent and
    /// held; back in the queue (no attempt used) for the budget stop to decide.
    Deferred,
    Failed,
    /// The lease expired and someone else owns the job; nothing was written.
    LeaseLost,
    /// Stopped by shutdown; the lease was released and the job runs again later.
    Abandoned,
}

/// What a progress bar or an SSE stream receives.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProgressEvent {
    JobFinished {
        campaign_id: i64,
        target_id: i64,
        job_id: i64,
        kind: SubAgentKind,
        outcome: JobOutcome,
        /// `None` when unknown (no price reported) or nothing was spent.
        cost_nano_usd: Option<i64>,
        error: Option<String>,
    },
    /// A campaign's counts, money and ETA (about once a second while it runs, and at
    /// the end).
    Snapshot(Progress),
}
