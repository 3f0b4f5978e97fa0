//! The lease claim, the expired-lease reaper it runs first, and the budget guard.
//!
//! PostgreSQL: candidates are selected `FOR UPDATE OF j SKIP LOCKED`, so concurrent workers
//! never wait for or double-claim each other's rows. SQLite: the same statement without the
//! lock clause inside `BEGIN IMMEDIATE` (one writer at a time).
//!
//! Budget, a hard limit: a paid job is handed out only if the campaign's cost,
//! plus what running jobs have reserved, plus this job's high estimate stays within the
//! budget; the estimate is reserved on the campaign row until the job ends. The estimate
//! is the job's own once its input has been priced (`estimate_nano_usd`, see
//! `spend.rs`), else the agent's for a typical input. When the next job does not fit and
//! nothing is running that could free room, the campaign's pending jobs are skipped and it
//! completes with `budget_exhausted`.
//!
//! Reaping: expired leases, and every lease of a worker whose heartbeat in `atl_workers`
//! is older than the claim's `dead_worker_after`, go back to the queue before the claim
//! looks for work. Every comparison uses the database's clock.

use atl_domain::{CampaignStatus, JobStatus};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use time::OffsetDateTime;

use super::bookkeeping::{self, JobEnd, LeasedJob, Requeue, end_job, requeue_job, settle_campaign};
use super::tx::{Sql, Tx};
use super::{ClaimRequest, ClaimedJob, format_usd, lease_deadline, new_lease_token, sql};
use crate::StoreError;
use crate::db::args;
use crate::db::{Db, DbTime};
use crate::model::parse_status;

pub(super) struct ClaimOutcome {
    pub jobs: Vec<ClaimedJob>,
    /// Campaigns whose next job does not fit the budget, with that job's estimate.
    pub exhausted: Vec<(i64, i64)>,
}

type CandidateRow = (i64, i64, i64, String, Option<i64>);

pub(super) async fn claim_once(
    db: &Db,
    req: &ClaimRequest<'_>,
) -> Result<ClaimOutcome, StoreError> {
    let mut tx = Tx::begin(db).await?;
    let now = tx.now();
    let deadline = lease_deadline(now, req.lease)?;

    let rows: Vec<CandidateRow> = tx
        .fetch_all(
            Sql::Split {
                sqlite: sql::CANDIDATES_SQLITE,
                postgres: sql::CANDIDATES_PG,
            },
            &args![DbTime(now), i64::from(req.limit), req.campaign_id],
        )
        .await?;

    // Decide in id order which candidates the budget lets through.
    let mut room: BTreeMap<i64, Option<i64>> = BTreeMap::new();
    let mut reserved_now: BTreeMap<i64, i64> = BTreeMap::new();
    let mut blocked: HashSet<i64> = HashSet::new();
    let mut exhausted = Vec::new();
    let mut accepted = Vec::with_capacity(rows.len());
    let mut held: BTreeMap<i64, i64> = BTreeMap::new();
    for (id, campaign_id, target_id, kind, own_estimate) in rows {
        let kind = parse_status("sub_agent_executions.sub_agent_type", &kind)?;
        if blocked.contains(&campaign_id) {
            continue;
        }
        let estimate = own_estimate
            .unwrap_or_else(|| req.estimates.get(kind))
            .max(0);
        if let std::collections::btree_map::Entry::Vacant(slot) = room.entry(campaign_id) {
            let (budget, cost, reserved): (Option<i64>, i64, i64) = tx
                .fetch_one(Sql::Both(sql::BUDGET_OF), &args![campaign_id])
                .await?;
            slot.insert(budget.map(|b| b - cost - reserved));
            held.insert(campaign_id, reserved);
        }
        let reserved = held.get(&campaign_id).copied().unwrap_or(0);
        let Some(left) = room.get_mut(&campaign_id) else {
            continue;
        };
        let reserve = match left {
            None => 0,
            Some(_) if estimate == 0 => 0,
            Some(left) if estimate <= *left => {
                *left -= estimate;
                estimate
            }
            Some(_) => {
                blocked.insert(campaign_id);
                // Running jobs (here or elsewhere) may still free room; only when nothing
                // holds a reservation is the budget really reached.
                if reserved == 0 && reserved_now.get(&campaign_id).copied().unwrap_or(0) == 0 {
                    exhausted.push((campaign_id, estimate));
                }
                continue;
            }
        };
        *reserved_now.entry(campaign_id).or_default() += reserve;
        accepted.push((id, campaign_id, target_id, kind, reserve));
    }

    let at = DbTime(now);
    let mut jobs = Vec::with_capacity(accepted.len());
    for (id, campaign_id, target_id, kind, reserve) in accepted {
        let token = new_lease_token()?;
        let claimed: Option<(i64, i64, i64, Option<OffsetDateTime>)> = tx
            .fetch_optional(
                Sql::Both(sql::CLAIM_JOB),
                &args![id, req.owner, token.clone(), DbTime(deadline), reserve, at],
            )
            .await?;
        let Some((attempts, max_attempts, runs, waiting_since)) = claimed else {
            continue;
        };
        let waiting_for = waiting_since
            .map(|since| std::time::Duration::try_from(now - since).unwrap_or_default())
            .unwrap_or_default();
        jobs.push(ClaimedJob {
            job_id: id,
            campaign_id,
            target_id,
            kind,
            attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
            max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
            run: u32::try_from(runs).unwrap_or(u32::MAX),
            lease_token: token,
            lease_expires_at: deadline,
            waiting_since,
            waiting_for,
            budgeted: room.get(&campaign_id).is_some_and(Option::is_some),
        });
    }

    // Targets first, then campaigns: the lock order every ledger transaction follows.
    // In ascending id order, so two claims touching the same targets cannot deadlock.
    let targets: BTreeMap<i64, i64> = jobs.iter().map(|j| (j.target_id, j.campaign_id)).collect();
    let mut started: BTreeMap<i64, i64> = BTreeMap::new();
    for (target_id, campaign_id) in targets {
        let n = tx
            .execute(Sql::Both(sql::TARGET_START), &args![target_id, at])
            .await?;
        *started.entry(campaign_id).or_default() += i64::try_from(n).unwrap_or(0);
    }
    for job in &jobs {
        started.entry(job.campaign_id).or_default();
    }
    for (campaign_id, started_targets) in started {
        let reserve = reserved_now.get(&campaign_id).copied().unwrap_or(0);
        if reserve == 0 && started_targets == 0 {
            continue;
        }
        let n = tx
            .execute(
                Sql::Both(sql::CAMPAIGN_RESERVE),
                &args![campaign_id, reserve, started_targets, at],
            )
            .await?;
        if n == 0 {
            // Another worker reserved from the same budget since we read it: the claim is
            // rolled back and tried again on fresh numbers.
            return Err(StoreError::Unavailable(format!(
                "budget of campaign {campaign_id} changed during the claim"
            )));
        }
    }
    tx.commit().await?;
    Ok(ClaimOutcome { jobs, exhausted })
}

pub(super) type ExpiredRow = (i64, i64, i64, String, i64, i64, i64, String);

/// A lost lease's job, and the status of its campaign as stored.
pub(super) fn expired_job(row: ExpiredRow) -> Result<(LeasedJob, String), StoreError> {
    let (id, campaign_id, target_id, kind, attempts, max_attempts, reserved, campaign_status) = row;
    let job = bookkeeping::leased_from_row((
        id,
        campaign_id,
        target_id,
        kind,
        attempts,
        max_attempts,
        reserved,
    ))?;
    Ok((job, campaign_status))
}

/// Frees expired leases and the leases of dead workers. Its own transactions, committed
/// before the claim: their bookkeeping locks campaign rows, and the claim locks targets
/// after jobs and before campaigns; in one transaction the two orders would deadlock
/// against a concurrent completion on PostgreSQL.
pub(super) async fn reap(db: &Db, dead_worker_after: Duration) -> Result<(), StoreError> {
    // Almost always nothing has expired: check with a plain read before taking SQLite's
    // write lock for a transaction.
    let (expired, dead): (Option<i64>, Option<String>) = match db {
        Db::Sqlite(pool) => {
            let now = crate::db::now();
            sqlx::query_as(sql::ANY_TO_REAP_SQLITE)
                .bind(DbTime(now))
                .bind(DbTime(super::before(now, dead_worker_after)))
                .fetch_one(pool)
                .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_as(sql::ANY_TO_REAP_PG)
                .bind(dead_worker_after.as_secs_f64())
                .fetch_one(pool)
                .await?
        }
    };
    if dead.is_some() {
        super::workers::free_dead_workers(db, dead_worker_after).await?;
    }
    if expired.is_some() {
        let mut tx = Tx::begin(db).await?;
        let at = tx.now();
        let rows: Vec<ExpiredRow> = tx
            .fetch_all(
                Sql::Split {
                    sqlite: sql::EXPIRED_SQLITE,
                    postgres: sql::EXPIRED_PG,
                },
                &args![DbTime(at)],
            )
            .await?;
        requeue_lost(&mut tx, rows, "lease expired", at).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Jobs whose worker is gone (its lease expired, or it is known dead): claimable again
/// now, or failed once they used up their attempts, or skipped when their campaign was
/// cancelled meanwhile. What their runs spent is booked by their workers, if they live.
pub(super) async fn requeue_lost(
    tx: &mut Tx,
    rows: Vec<ExpiredRow>,
    why: &str,
    at: OffsetDateTime,
) -> Result<usize, StoreError> {
    let n = rows.len();
    for row in rows {
        let (job, campaign_status) = expired_job(row)?;
        let campaign_status: CampaignStatus =
            parse_status("atl_campaigns.status", &campaign_status)?;
        let (attempts, max_attempts) = (job.attempts, job.max_attempts);
        tracing::info!(job_id = job.id, attempts, "{why}");
        if campaign_status == CampaignStatus::Cancelled {
            end_job(
                tx,
                &job,
                JobEnd::unfinished(JobStatus::Skipped, "cancelled"),
                at,
            )
            .await?;
        } else if attempts >= max_attempts {
            let error = format!("{why} {attempts} times");
            end_job(tx, &job, JobEnd::unfinished(JobStatus::Failed, &error), at).await?;
        } else {
            let error = format!("{why} (attempt {attempts})");
            requeue_job(tx, &job, Requeue::Counted, &error, at, at).await?;
        }
    }
    Ok(n)
}

/// Stops a campaign whose next job would cross its budget: pending jobs are skipped with
/// the reason, finished targets settle, and the campaign completes once nothing runs.
/// Re-checks under its own transaction, since another worker may have moved meanwhile.
pub(super) async fn exhaust_budget(
    db: &Db,
    campaign_id: i64,
    next_estimate: i64,
) -> Result<(), StoreError> {
    let mut tx = Tx::begin(db).await?;
    let at = tx.now();
    let state: Option<(String, Option<i64>, i64, i64)> = tx
        .fetch_optional(Sql::Both(sql::BUDGET_STATE), &args![campaign_id])
        .await?;
    let Some((status, Some(budget), cost, reserved)) = state else {
        return Ok(());
    };
    if status != CampaignStatus::Processing.as_str()
        || reserved != 0
        || cost.saturating_add(next_estimate) <= budget
    {
        return Ok(());
    }
    let reason = format!("budget of {} reached", format_usd(budget));
    let skipped = tx
        .execute(
            Sql::Both(sql::SKIP_PENDING),
            &args![campaign_id, reason.clone(), DbTime(at)],
        )
        .await?;
    bookkeeping::settle_all(&mut tx, campaign_id, at).await?;
    tx.execute(
        Sql::Both(sql::MARK_BUDGET_EXHAUSTED),
        &args![campaign_id, DbTime(at)],
    )
    .await?;
    bookkeeping::event(
        &mut tx,
        campaign_id,
        "budget_exhausted",
        json!({
            "budget_nano_usd": budget,
            "cost_nano_usd": cost,
            "next_estimate_nano_usd": next_estimate,
            "skipped_jobs": skipped,
            "reason": reason,
        }),
        at,
    )
    .await?;
    settle_campaign(&mut tx, campaign_id, at).await?;
    tx.commit().await?;
    tracing::info!(campaign_id, skipped, "{reason}");
    Ok(())
}
