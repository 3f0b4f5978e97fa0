//! Money spent by runs, and money held for them.
//!
//! Every run of a job books what it spent exactly once, keyed by (job, run), whatever
//! became of it: completed, failed, retried, waiting, lease lost, abandoned at shutdown.
//! A booking is *not* fenced by the lease: money spent is a fact, whoever holds the lease
//! now. A completed run's money is the cost of its result (booked with the result); every
//! other run's is added to its job's `spent_nano_usd`, its target's and campaign's cost,
//! and the campaign's `failed_spend_nano_usd`. Budget checks read the campaign's cost, so
//! they count both.
//!
//! Reservations: a budgeted claim holds the agent's high estimate for the job while it
//! runs. Once the engine has the job's input it replaces the claim's typical estimate with
//! the one for this input ([`Store::reserve_for_input`]), so one large target cannot run
//! on a small target's reservation.

use serde::Serialize;
use time::OffsetDateTime;

use super::bookkeeping::{self, LeasedJob};
use super::sql;
use super::tx::{Sql, Tx, retry_transient};
use crate::db::DbTime;
use crate::db::args;
use crate::{Store, StoreError};

/// What one run spent, as its agent's meter counted it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AttemptSpend {
    /// The run (see [`crate::ClaimedJob::run`]).
    pub run: u32,
    /// Known spend, nano-USD.
    pub nano_usd: i64,
    /// Calls whose price was unknown (not counted as zero: the campaign counts them).
    pub unknown_calls: u64,
}

/// How a booked run ended (`sub_agent_attempts.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Completed,
    Retrying,
    Waiting,
    Failed,
    LeaseLost,
    Abandoned,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Completed => "completed",
            AttemptOutcome::Retrying => "retrying",
            AttemptOutcome::Waiting => "waiting",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::LeaseLost => "lease_lost",
            AttemptOutcome::Abandoned => "abandoned",
        }
    }
}

/// What [`Store::reserve_for_input`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The job holds its own estimate (or the campaign has no budget): run it.
    Held,
    /// It does not fit beside what is spent and held: the job went back to the queue
    /// unrun (no attempt used), and the claim now knows its real estimate, so the budget
    /// stop happens once nothing else holds money.
    OverBudget,
    /// The lease is not ours any more: do nothing.
    LeaseLost,
}

/// Books one run's spend; `false` if that run was booked already (or its job is gone).
/// `result_carries_cost`: a completed run's money is its result's cost, booked with the
/// result, so the row is only a record.
pub(super) async fn book_attempt(
    tx: &mut Tx,
    job_id: i64,
    outcome: AttemptOutcome,
    spend: &AttemptSpend,
    error: Option<&str>,
    result_carries_cost: bool,
) -> Result<bool, StoreError> {
    let at = DbTime(tx.now());
    let nano = spend.nano_usd.max(0);
    let unknown = i64::try_from(spend.unknown_calls).unwrap_or(i64::MAX);
    let booked: Option<(i64,)> = tx
        .fetch_optional(
            Sql::Both(sql::INSERT_ATTEMPT),
            &args![
                job_id,
                i64::from(spend.run.max(1)),
                outcome.as_str(),
                nano,
                unknown,
                error.map(str::to_string),
                at
            ],
        )
        .await?;
    let Some((campaign_id,)) = booked else {
        return Ok(false);
    };
    if result_carries_cost || (nano == 0 && unknown == 0) {
        return Ok(true);
    }
    // Job → target → campaign: the lock order of every ledger transaction.
    let (target_id,): (i64,) = tx
        .fetch_one(Sql::Both(sql::JOB_ADD_SPENT), &args![job_id, nano])
        .await?;
    if nano != 0 {
        tx.execute(Sql::Both(sql::TARGET_ADD_COST), &args![target_id, nano, at])
            .await?;
    }
    tx.execute(
        Sql::Both(sql::CAMPAIGN_ADD_FAILED_SPEND),
        &args![campaign_id, nano, i64::from(unknown > 0), at],
    )
    .await?;
    Ok(true)
}

impl Store {
    /// Books what run `spend.run` of a job spent, when nothing else did: its lease was
    /// lost, or it was abandoned at shutdown. Not fenced by the lease; idempotent per
    /// (job, run). `false` if that run was booked already.
    pub async fn book_spend(
        &self,
        job_id: i64,
        outcome: AttemptOutcome,
        spend: &AttemptSpend,
    ) -> Result<bool, StoreError> {
        retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let booked = book_attempt(&mut tx, job_id, outcome, spend, None, false).await?;
            tx.commit().await?;
            Ok(booked)
        })
        .await
    }

    /// Replaces the claim's reservation for this job with `high_nano_usd`, the agent's
    /// high estimate for the job's own input, if the campaign's budget still has room for
    /// it beside what is spent and what other runs hold. Otherwise the job goes back to
    /// the queue unrun, remembering its estimate (see [`Reservation::OverBudget`]).
    pub async fn reserve_for_input(
        &self,
        job_id: i64,
        lease_token: &str,
        high_nano_usd: i64,
    ) -> Result<Reservation, StoreError> {
        let estimate = high_nano_usd.max(0);
        retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let at = tx.now();
            let Some(job) = bookkeeping::lock_leased_job(&mut tx, job_id, lease_token).await?
            else {
                return Ok(Reservation::LeaseLost);
            };
            tx.execute(Sql::Both(sql::JOB_SET_ESTIMATE), &args![job.id, estimate])
                .await?;
            bookkeeping::lock_campaign(&mut tx, job.campaign_id).await?;
            let (budget, cost, reserved): (Option<i64>, i64, i64) = tx
                .fetch_one(Sql::Both(sql::BUDGET_ROOM), &args![job.campaign_id])
                .await?;
            let fits = budget.is_none_or(|b| {
                cost.saturating_add(reserved - job.reserved_nano_usd)
                    .saturating_add(estimate)
                    <= b
            });
            let outcome = if fits {
                if budget.is_some() {
                    shift_reservation(&mut tx, &job, estimate, at).await?;
                }
                Reservation::Held
            } else {
                bookkeeping::release_job(&mut tx, &job, at).await?;
                Reservation::OverBudget
            };
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }
}

async fn shift_reservation(
    tx: &mut Tx,
    job: &LeasedJob,
    estimate: i64,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let delta = estimate - job.reserved_nano_usd;
    if delta == 0 {
        return Ok(());
    }
    tx.execute(Sql::Both(sql::JOB_SET_RESERVED), &args![job.id, estimate])
        .await?;
    tx.execute(
        Sql::Split {
            sqlite: sql::CAMPAIGN_SHIFT_RESERVED_SQLITE,
            postgres: sql::CAMPAIGN_SHIFT_RESERVED_PG,
        },
        &args![job.campaign_id, delta, DbTime(at)],
    )
    .await?;
    Ok(())
}
