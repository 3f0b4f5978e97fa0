//! Ending a lease: complete, fail (or send back to the queue), release. Each is one
//! transaction guarded by the lease token, and each is idempotent for one run: a call
//! retried after a dropped connection whose first try did commit finds that run's booking
//! (`sub_agent_attempts`) and answers what the first try did, instead of reporting a lost
//! lease. The run's spend is booked in the same transaction, and is booked even when the
//! lease is not ours any more.

use atl_domain::{AgentResult, JobStatus};
use serde::Serialize;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;

use super::bookkeeping::{self, JobEnd, LeasedJob, Requeue, end_job, requeue_job};
use super::spend::{AttemptOutcome, AttemptSpend, book_attempt};
use super::sql;
use super::tx::{Sql, Tx, retry_transient};
use crate::db::args;
use crate::{Store, StoreError};

/// What to do with a job whose run failed (the engine's retry policy decided).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailNext {
    /// Run again `delay` after the database's now. `counts_attempt: false` (a snooze, an
    /// unavailable provider) gives the run's attempt back and keeps the job's patience
    /// running from its first such failure (`waiting_since`). A counted retry of a job
    /// that has used all its attempts fails instead.
    Retry {
        delay: Duration,
        counts_attempt: bool,
    },
    /// Back in the queue for a rate slot of the worker's own limiter (no provider refused
    /// anything): the attempt is given back and the job's patience is neither started
    /// nor advanced, however long the queue.
    Queue { delay: Duration },
    /// Fail for good.
    Fail,
}

/// What [`Store::fail_job`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum FailOutcome {
    /// Back to `pending` with the attempt counted, claimable again from `run_after`.
    Retrying {
        #[serde(with = "time::serde::rfc3339")]
        run_after: OffsetDateTime,
    },
    /// Back to `pending` without using an attempt (waiting for a provider).
    Waiting {
        #[serde(with = "time::serde::rfc3339")]
        run_after: OffsetDateTime,
    },
    /// Final: the job is `failed` and its target and campaign were updated.
    Failed,
    /// The lease was no longer ours (expired and claimed again, or the job ended): only
    /// the run's spend was written.
    LeaseLost,
}

/// What an earlier try of the same call booked for this run, if it committed.
async fn booked_outcome(tx: &mut Tx, job_id: i64, run: u32) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = tx
        .fetch_optional(
            Sql::Both(sql::ATTEMPT_OUTCOME),
            &args![job_id, i64::from(run.max(1))],
        )
        .await?;
    Ok(row.map(|(o,)| o))
}

/// The job if `lease_token` still holds its lease; otherwise `None`, the run's spend
/// booked as a lost lease.
async fn lock_or_book_lost(
    tx: &mut Tx,
    job_id: i64,
    lease_token: &str,
    spend: &AttemptSpend,
    error: Option<&str>,
) -> Result<Option<LeasedJob>, StoreError> {
    let job = bookkeeping::lock_leased_job(tx, job_id, lease_token).await?;
    if job.is_none() {
        book_attempt(tx, job_id, AttemptOutcome::LeaseLost, spend, error, false).await?;
    }
    Ok(job)
}

impl Store {
    /// Commits a finished job: its result (exactly one per target and sub-agent, ever), its
    /// cost on the target and the campaign, the run's booking, the target's merged data and
    /// status, the campaign's counters (and completion), and events — in one transaction
    /// guarded by the lease token. Returns `false`, having written only the run's spend,
    /// when the lease is not ours; `true` also when this run's completion had already
    /// committed (a retry after a dropped connection).
    pub async fn complete_job(
        &self,
        job_id: i64,
        lease_token: &str,
        result: &AgentResult,
        spend: &AttemptSpend,
    ) -> Result<bool, StoreError> {
        retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let at = tx.now();
            if let Some(done) = booked_outcome(&mut tx, job_id, spend.run).await? {
                return Ok(done == AttemptOutcome::Completed.as_str());
            }
            let Some(job) = lock_or_book_lost(&mut tx, job_id, lease_token, spend, None).await?
            else {
                tx.commit().await?;
                return Ok(false);
            };
            if job.kind != result.kind {
                return Err(StoreError::InvalidInput(format!(
                    "job {job_id} is a {} job, the result is {}",
                    job.kind, result.kind
                )));
            }
            tx.execute(
                Sql::Both(sql::INSERT_RESULT),
                &args![
                    job.campaign_id,
                    job.target_id,
                    job.kind.as_str(),
                    result.data.clone(),
                    serde_json::to_value(&result.sources).unwrap_or_else(|_| json!([])),
                    result.confidence,
                    result.cost_nano_usd,
                    result.latency_ms,
                    result.provider.clone(),
                    result.model.clone(),
                    result.tokens_in,
                    result.tokens_out,
                    result.synthetic,
                    crate::db::DbTime(at),
                ],
            )
            .await?;
            book_attempt(
                &mut tx,
                job_id,
                AttemptOutcome::Completed,
                spend,
                None,
                true,
            )
            .await?;
            end_job(&mut tx, &job, JobEnd::completed(result), at).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Records a failed run: its spend (whoever holds the lease), then, if the lease is
    /// ours, what `next` says: back to the queue (counted or not) or failed for good, with
    /// the same target and campaign bookkeeping as a completion.
    pub async fn fail_job(
        &self,
        job_id: i64,
        lease_token: &str,
        error: &str,
        next: FailNext,
        spend: &AttemptSpend,
    ) -> Result<FailOutcome, StoreError> {
        retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let at = tx.now();
            if let Some(done) = booked_outcome(&mut tx, job_id, spend.run).await? {
                return already_failed(&mut tx, job_id, &done).await;
            }
            let Some(job) =
                lock_or_book_lost(&mut tx, job_id, lease_token, spend, Some(error)).await?
            else {
                tx.commit().await?;
                return Ok(FailOutcome::LeaseLost);
            };
            let mut queued = false;
            let (outcome, booked_as) = match next {
                FailNext::Queue { delay } => {
                    queued = true;
                    let run_after = super::after(at, delay);
                    (FailOutcome::Waiting { run_after }, AttemptOutcome::Waiting)
                }
                FailNext::Retry {
                    delay,
                    counts_attempt: false,
                } => {
                    let run_after = super::after(at, delay);
                    (FailOutcome::Waiting { run_after }, AttemptOutcome::Waiting)
                }
                FailNext::Retry {
                    delay,
                    counts_attempt: true,
                } if job.attempts < job.max_attempts => {
                    let run_after = super::after(at, delay);
                    (
                        FailOutcome::Retrying { run_after },
                        AttemptOutcome::Retrying,
                    )
                }
                _ => (FailOutcome::Failed, AttemptOutcome::Failed),
            };
            // Booked first, so the campaign's cost in a completion event includes it.
            book_attempt(&mut tx, job_id, booked_as, spend, Some(error), false).await?;
            match outcome {
                FailOutcome::Waiting { run_after } => {
                    let how = if queued {
                        Requeue::Queued
                    } else {
                        Requeue::Waiting
                    };
                    requeue_job(&mut tx, &job, how, error, run_after, at).await?;
                }
                FailOutcome::Retrying { run_after } => {
                    requeue_job(&mut tx, &job, Requeue::Counted, error, run_after, at).await?;
                }
                _ => {
                    end_job(
                        &mut tx,
                        &job,
                        JobEnd::unfinished(JobStatus::Failed, error),
                        at,
                    )
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }

    /// Gives a lease back without counting the attempt (a worker shutting down before the
    /// job finished): the job is claimable again at once. What the run spent so far is
    /// booked either way. `false` if the lease was not ours.
    pub async fn release_job(
        &self,
        job_id: i64,
        lease_token: &str,
        spend: &AttemptSpend,
    ) -> Result<bool, StoreError> {
        retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let at = tx.now();
            book_attempt(
                &mut tx,
                job_id,
                AttemptOutcome::Abandoned,
                spend,
                None,
                false,
            )
            .await?;
            let Some(job) = bookkeeping::lock_leased_job(&mut tx, job_id, lease_token).await?
            else {
                tx.commit().await?;
                return Ok(false);
            };
            bookkeeping::release_job(&mut tx, &job, at).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }
}

/// The answer a first, committed try of `fail_job` gave, read back from the rows.
async fn already_failed(tx: &mut Tx, job_id: i64, booked: &str) -> Result<FailOutcome, StoreError> {
    let requeued = booked == AttemptOutcome::Retrying.as_str();
    if requeued || booked == AttemptOutcome::Waiting.as_str() {
        let (run_after,): (OffsetDateTime,) = tx
            .fetch_one(Sql::Both(sql::JOB_RUN_AFTER), &args![job_id])
            .await?;
        return Ok(if requeued {
            FailOutcome::Retrying { run_after }
        } else {
            FailOutcome::Waiting { run_after }
        });
    }
    Ok(if booked == AttemptOutcome::Failed.as_str() {
        FailOutcome::Failed
    } else {
        FailOutcome::LeaseLost
    })
}
