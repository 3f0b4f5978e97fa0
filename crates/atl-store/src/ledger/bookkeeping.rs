//! What happens around a job when its lease ends: the target's data, cost and status, the
//! campaign's counters and completion, and the events. Shared by completion, failure, the
//! expired-lease reaper and retries, so the counters follow one rule everywhere. What a
//! run spent is booked by `spend.rs`, apart from its lease.
//!
//! Lock order (PostgreSQL): job → target → campaign, the same as the claim's, so two
//! workers cannot deadlock on each other's rows.

use atl_domain::{AgentResult, JobStatus, SubAgentKind, TargetStatus};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::sql;
use super::tx::{Sql, Tx};
use crate::StoreError;
use crate::db::DbTime;
use crate::db::args;
use crate::model::parse_status;

/// A running job as read under its lease.
#[derive(Debug, Clone)]
pub(super) struct LeasedJob {
    pub id: i64,
    pub campaign_id: i64,
    pub target_id: i64,
    pub kind: SubAgentKind,
    pub attempts: i64,
    pub max_attempts: i64,
    pub reserved_nano_usd: i64,
}

type LeasedRow = (i64, i64, i64, String, i64, i64, i64);

pub(super) fn leased_from_row(r: LeasedRow) -> Result<LeasedJob, StoreError> {
    Ok(LeasedJob {
        id: r.0,
        campaign_id: r.1,
        target_id: r.2,
        kind: parse_status("sub_agent_executions.sub_agent_type", &r.3)?,
        attempts: r.4,
        max_attempts: r.5,
        reserved_nano_usd: r.6,
    })
}

/// The job if `lease_token` still holds its lease (locked on PostgreSQL), else `None`.
pub(super) async fn lock_leased_job(
    tx: &mut Tx,
    job_id: i64,
    lease_token: &str,
) -> Result<Option<LeasedJob>, StoreError> {
    let row: Option<LeasedRow> = tx
        .fetch_optional(
            Sql::Split {
                sqlite: sql::LEASED_JOB_SQLITE,
                postgres: sql::LEASED_JOB_PG,
            },
            &args![job_id, lease_token],
        )
        .await?;
    row.map(leased_from_row).transpose()
}

/// How a job ends. What its runs spent is booked apart (`spend::book_attempt`), whatever
/// becomes of the lease; a result's own cost is booked here, with the result.
pub(super) struct JobEnd<'a> {
    /// Completed, Failed or Skipped.
    pub status: JobStatus,
    pub error: Option<&'a str>,
    /// Already inserted into `enrichment_results` by the caller when completed.
    pub result: Option<&'a AgentResult>,
}

impl<'a> JobEnd<'a> {
    /// Completed with `result` (already inserted).
    pub(super) fn completed(result: &'a AgentResult) -> Self {
        JobEnd {
            status: JobStatus::Completed,
            error: None,
            result: Some(result),
        }
    }

    /// Ended without a result, `status` (failed or skipped) for the reason `error`.
    pub(super) fn unfinished(status: JobStatus, error: &'a str) -> Self {
        JobEnd {
            status,
            error: Some(error),
            result: None,
        }
    }
}

/// Ends a job in a final state and does all the bookkeeping that follows.
pub(super) async fn end_job(
    tx: &mut Tx,
    job: &LeasedJob,
    end: JobEnd<'_>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let now = DbTime(at);
    tx.execute(
        Sql::Both(sql::JOB_END),
        &args![
            job.id,
            end.status.as_str(),
            end.error.map(str::to_string),
            now
        ],
    )
    .await?;

    let old_status = lock_target(tx, job.target_id).await?;
    let cost = end.result.and_then(|r| r.cost_nano_usd).unwrap_or(0);
    let unknown_cost = i64::from(end.result.is_some_and(|r| r.cost_nano_usd.is_none()));
    match (end.status, end.result) {
        (JobStatus::Completed, Some(result)) => {
            tx.execute(
                Sql::Split {
                    sqlite: sql::TARGET_ADD_RESULT_SQLITE,
                    postgres: sql::TARGET_ADD_RESULT_PG,
                },
                &args![
                    job.target_id,
                    cost,
                    job.kind.as_str(),
                    result.data.clone(),
                    now
                ],
            )
            .await?;
        }
        _ => refresh_missing(tx, job.target_id, at).await?,
    }

    let new_status = derive_target_status(tx, job.target_id, old_status).await?;
    if new_status != old_status {
        tx.execute(
            Sql::Both(sql::TARGET_SET_STATUS),
            &args![job.target_id, new_status.as_str(), now],
        )
        .await?;
    }
    let change = CampaignChange {
        cost,
        release_reserved: job.reserved_nano_usd,
        unknown_cost,
        counters: CounterDelta::between(old_status, new_status),
    };
    let in_progress = campaign_add(tx, job.campaign_id, change, at).await?;

    let kind = match end.status {
        JobStatus::Completed => "job_completed",
        JobStatus::Skipped => "job_skipped",
        _ => "job_failed",
    };
    let details = json!({
        "cost_nano_usd": end.result.map(|r| r.cost_nano_usd),
        "error": end.error,
    });
    job_event(tx, job, kind, details, at).await?;
    if new_status != old_status && new_status.is_final() {
        event(
            tx,
            job.campaign_id,
            "target_completed",
            json!({"target_id": job.target_id, "status": new_status}),
            at,
        )
        .await?;
    }
    // A target in progress has an open job by definition (see `target_status_from_jobs`),
    // so while the counter is above zero the campaign cannot be done. The counter was read
    // under the campaign row's lock, after every earlier completion committed, so the
    // completion that takes it to zero is the one that looks.
    if in_progress > 0 {
        return Ok(());
    }
    settle_campaign(tx, job.campaign_id, at).await?;
    Ok(())
}

/// Rewrites a target's `failed_sub_agents` from its failed and skipped jobs.
async fn refresh_missing(
    tx: &mut Tx,
    target_id: i64,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    tx.execute(
        Sql::Split {
            sqlite: sql::TARGET_MISSING_SQLITE,
            postgres: sql::TARGET_MISSING_PG,
        },
        &args![target_id, DbTime(at)],
    )
    .await?;
    Ok(())
}

/// How a job that is not done goes back to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Requeue {
    /// A transient failure or an expired lease: the attempt counts.
    Counted,
    /// The provider asked to wait or is unavailable: the attempt is given back and the
    /// job's patience runs from its first such failure.
    Waiting,
    /// Queued for the worker's own rate slot: the attempt is given back, the patience
    /// left as it was.
    Queued,
}

/// Sends a job back to `pending` until `run_after`. What the run spent is booked apart.
pub(super) async fn requeue_job(
    tx: &mut Tx,
    job: &LeasedJob,
    how: Requeue,
    error: &str,
    run_after: OffsetDateTime,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let statement = match how {
        Requeue::Counted => sql::JOB_REQUEUE,
        Requeue::Waiting => sql::JOB_WAIT,
        Requeue::Queued => sql::JOB_QUEUE,
    };
    tx.execute(
        Sql::Both(statement),
        &args![job.id, DbTime(run_after), error, DbTime(at)],
    )
    .await?;
    release_reservation(tx, job, at).await?;
    let kind = match how {
        Requeue::Counted => "job_retrying",
        Requeue::Waiting | Requeue::Queued => "job_waiting",
    };
    let details = json!({
        "error": error,
        "run_after": DbTime(run_after).sqlite_text().ok(),
    });
    job_event(tx, job, kind, details, at).await
}

/// Gives a lease back unused (the worker is shutting down).
pub(super) async fn release_job(
    tx: &mut Tx,
    job: &LeasedJob,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    tx.execute(Sql::Both(sql::JOB_RELEASE), &args![job.id, DbTime(at)])
        .await?;
    release_reservation(tx, job, at).await?;
    Ok(())
}

/// Call before a set-based change of a campaign's targets and counters (cancel,
/// retry-failed, the budget stop), after its job statements and before its target ones.
///
/// PostgreSQL reads each statement's subqueries from a snapshot taken when the statement
/// *began*, even when it then waits for a row lock. Without this, a recount that began
/// while a completion held the campaign row overwrote that completion's increment, and a
/// settle that ran beside a completion could leave a target `processing` with no open job
/// (each saw the other's job as still open). Locking every target of the campaign (in id
/// order, as claims do, then the campaign row, as every ledger transaction does) waits
/// for the completions in flight to commit and holds later ones off until this commits;
/// the statements that follow start after it, so they read every completion and none
/// commits in between. SQLite's `BEGIN IMMEDIATE` already excludes every other writer.
pub(crate) async fn freeze_campaign(tx: &mut Tx, campaign_id: i64) -> Result<(), StoreError> {
    if tx.is_postgres() {
        tx.execute(
            Sql::Both(sql::CAMPAIGN_TARGETS_LOCK_PG),
            &args![campaign_id],
        )
        .await?;
    }
    lock_campaign(tx, campaign_id).await
}

/// Settles every target with nothing left to run, then recomputes the counters from rows.
pub(crate) async fn settle_all(
    tx: &mut Tx,
    campaign_id: i64,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    freeze_campaign(tx, campaign_id).await?;
    let statements = [
        Sql::Split {
            sqlite: sql::CAMPAIGN_MISSING_SQLITE,
            postgres: sql::CAMPAIGN_MISSING_PG,
        },
        Sql::Both(sql::SETTLE_TARGETS),
        Sql::Both(sql::REFRESH_COUNTERS),
    ];
    for statement in statements {
        tx.execute(statement, &args![campaign_id, DbTime(at)])
            .await?;
    }
    Ok(())
}

/// Takes the campaign row's lock, which every change to its counters holds (PostgreSQL;
/// SQLite's `BEGIN IMMEDIATE` already excludes every other writer).
pub(super) async fn lock_campaign(tx: &mut Tx, campaign_id: i64) -> Result<(), StoreError> {
    if tx.is_postgres() {
        tx.execute(Sql::Both(sql::CAMPAIGN_LOCK_PG), &args![campaign_id])
            .await?;
    }
    Ok(())
}

async fn lock_target(tx: &mut Tx, target_id: i64) -> Result<TargetStatus, StoreError> {
    let (status,): (String,) = tx
        .fetch_one(
            Sql::Split {
                sqlite: sql::TARGET_LOCK_SQLITE,
                postgres: sql::TARGET_LOCK_PG,
            },
            &args![target_id],
        )
        .await?;
    parse_status("atl_targets.enrichment_status", &status)
}

/// A target is processing while any of its jobs is open; then completed if every one
/// produced a result, partial if some did, failed if none did but one failed, cancelled
/// if nothing ran (all skipped).
async fn derive_target_status(
    tx: &mut Tx,
    target_id: i64,
    old: TargetStatus,
) -> Result<TargetStatus, StoreError> {
    let rows: Vec<(String,)> = tx
        .fetch_all(Sql::Both(sql::TARGET_JOB_STATUSES), &args![target_id])
        .await?;
    let mut statuses = Vec::with_capacity(rows.len());
    for (s,) in rows {
        statuses.push(parse_status::<JobStatus>(
            "sub_agent_executions.status",
            &s,
        )?);
    }
    Ok(target_status_from_jobs(&statuses, old))
}

pub(crate) fn target_status_from_jobs(jobs: &[JobStatus], old: TargetStatus) -> TargetStatus {
    if jobs.is_empty() {
        return old;
    }
    if jobs.iter().any(|s| !s.is_final()) {
        if jobs.contains(&JobStatus::Running) || old != TargetStatus::Pending {
            return TargetStatus::Processing;
        }
        return old;
    }
    if jobs.iter().all(|s| *s == JobStatus::Completed) {
        TargetStatus::Completed
    } else if jobs.contains(&JobStatus::Completed) {
        TargetStatus::Partial
    } else if jobs.contains(&JobStatus::Failed) {
        TargetStatus::Failed
    } else {
        TargetStatus::Cancelled
    }
}

/// Change of the campaign's target counters when one target moves from `old` to `new`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct CounterDelta {
    pub enriched: i64,
    pub partial: i64,
    pub failed: i64,
    pub in_progress: i64,
}

impl CounterDelta {
    pub(super) fn between(old: TargetStatus, new: TargetStatus) -> Self {
        let n = |s: TargetStatus, want: TargetStatus| i64::from(s == want);
        CounterDelta {
            enriched: n(new, TargetStatus::Completed) - n(old, TargetStatus::Completed),
            partial: n(new, TargetStatus::Partial) - n(old, TargetStatus::Partial),
            failed: n(new, TargetStatus::Failed) - n(old, TargetStatus::Failed),
            in_progress: n(new, TargetStatus::Processing) - n(old, TargetStatus::Processing),
        }
    }
}

/// What one change of a job adds to its campaign's row.
#[derive(Debug, Clone, Copy, Default)]
struct CampaignChange {
    cost: i64,
    release_reserved: i64,
    unknown_cost: i64,
    counters: CounterDelta,
}

/// Returns the campaign's targets in progress after the change.
async fn campaign_add(
    tx: &mut Tx,
    campaign_id: i64,
    change: CampaignChange,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let d = change.counters;
    let (in_progress,): (i64,) = tx
        .fetch_one(
            Sql::Split {
                sqlite: sql::CAMPAIGN_ADD_SQLITE,
                postgres: sql::CAMPAIGN_ADD_PG,
            },
            &args![
                campaign_id,
                change.cost,
                change.release_reserved,
                change.unknown_cost,
                d.enriched,
                d.partial,
                d.failed,
                d.in_progress,
                DbTime(at)
            ],
        )
        .await?;
    Ok(in_progress)
}

/// Gives what the job reserved back to its campaign's budget; no counter moves.
async fn release_reservation(
    tx: &mut Tx,
    job: &LeasedJob,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let change = CampaignChange {
        release_reserved: job.reserved_nano_usd,
        ..CampaignChange::default()
    };
    campaign_add(tx, job.campaign_id, change, at).await?;
    Ok(())
}

/// Completes the campaign when none of its jobs is open any more (a cancelled one stays
/// cancelled): `failed` if no target produced anything, else `completed`; `true` if this
/// call finished it.
pub(crate) async fn settle_campaign(
    tx: &mut Tx,
    campaign_id: i64,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let open: Option<(i64,)> = tx
        .fetch_optional(Sql::Both(sql::CAMPAIGN_HAS_OPEN_JOB), &args![campaign_id])
        .await?;
    if open.is_some() {
        return Ok(false);
    }
    type Done = (String, i64, bool, i64, i64, i64);
    let done: Option<Done> = tx
        .fetch_optional(
            Sql::Both(sql::CAMPAIGN_COMPLETE),
            &args![campaign_id, DbTime(at)],
        )
        .await?;
    let Some((status, cost, budget_exhausted, completed, partial, failed)) = done else {
        return Ok(false);
    };
    let kind = if status == "failed" {
        "campaign_failed"
    } else {
        "campaign_completed"
    };
    event(
        tx,
        campaign_id,
        kind,
        json!({
            "status": status,
            "cost_nano_usd": cost,
            "budget_exhausted": budget_exhausted,
            "completed_targets": completed,
            "partial_targets": partial,
            "failed_targets": failed,
        }),
        at,
    )
    .await?;
    Ok(true)
}

/// An event about `job`: its id, target, sub-agent and attempts, and `details` (an object).
async fn job_event(
    tx: &mut Tx,
    job: &LeasedJob,
    kind: &str,
    details: Value,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut payload = json!({
        "job_id": job.id,
        "target_id": job.target_id,
        "sub_agent": job.kind,
        "attempts": job.attempts,
    });
    if let (Some(payload), Value::Object(details)) = (payload.as_object_mut(), details) {
        payload.extend(details);
    }
    event(tx, job.campaign_id, kind, payload, at).await
}

pub(crate) async fn event(
    tx: &mut Tx,
    campaign_id: i64,
    kind: &str,
    payload: Value,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    tx.execute(
        Sql::Both(sql::INSERT_EVENT),
        &args![campaign_id, kind, payload, DbTime(at)],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobStatus as J;
    use TargetStatus as T;

    #[test]
    fn target_status_follows_its_jobs() {
        let cases = [
            ([J::Completed, J::Running], T::Processing, T::Processing),
            ([J::Completed, J::Completed], T::Processing, T::Completed),
            ([J::Completed, J::Failed], T::Processing, T::Partial),
            ([J::Skipped, J::Completed], T::Processing, T::Partial),
            ([J::Failed, J::Skipped], T::Processing, T::Failed),
            ([J::Skipped, J::Skipped], T::Pending, T::Cancelled),
            // Nothing claimed yet: still pending.
            ([J::Pending, J::Pending], T::Pending, T::Pending),
        ];
        for (jobs, before, want) in cases {
            assert_eq!(
                target_status_from_jobs(&jobs, before),
                want,
                "{jobs:?} from {before:?}"
            );
        }
    }

    #[test]
    fn counter_deltas_move_one_target() {
        let delta = |enriched, partial, failed, in_progress| CounterDelta {
            enriched,
            partial,
            failed,
            in_progress,
        };
        let cases = [
            (T::Processing, T::Completed, delta(1, 0, 0, -1)),
            (T::Completed, T::Partial, delta(-1, 1, 0, 0)),
            (T::Processing, T::Processing, CounterDelta::default()),
        ];
        for (old, new, want) in cases {
            assert_eq!(CounterDelta::between(old, new), want, "{old:?} to {new:?}");
        }
    }
}
