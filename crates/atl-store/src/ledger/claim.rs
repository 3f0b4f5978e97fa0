//! The lease claim, the expired-lease reaper it runs first, and the budget guard.
//!
//! PostgreSQL: candidates are selected `FOR UPDATE OF j SKIP LOCKED`, so concurrent workers
//! never wait for or double-claim each other's rows. SQLite: the same statement without the
//! lock clause inside `BEGIN IMMEDIATE` (one writer at a time).
//!
//! Budget (DESIGN.md invariant 6): a paid job is handed out only if the campaign's cost,
//! plus what running jobs have reserved, plus this job's high estimate stays within the
//! budget; the estimate is reserved on the campaign row until the job ends. When the next
//! job does not fit and nothing is running that could free room, the campaign's pending
//! jobs are skipped and it completes with `budget_exhausted`.

use atl_domain::{CampaignStatus, JobStatus};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use time::OffsetDateTime;

use super::bookkeeping::{self, JobEnd, LeasedJob, end_job, requeue_job, settle_campaign};
use super::tx::{Sql, Tx, args};
use super::{ClaimRequest, ClaimedJob, format_usd, new_lease_token, sql};
use crate::StoreError;
use crate::db::{Db, DbTime, now};
use crate::model::parse_status;

pub(super) struct ClaimOutcome {
    pub jobs: Vec<ClaimedJob>,
    /// Campaigns whose next job does not fit the budget, with that job's estimate.
    pub exhausted: Vec<(i64, i64)>,
}

type CandidateRow = (i64, i64, i64, String);

pub(super) async fn claim_once(
    db: &Db,
    req: &ClaimRequest<'_>,
    deadline: OffsetDateTime,
) -> Result<ClaimOutcome, StoreError> {
    let mut tx = Tx::begin(db).await?;

    let rows: Vec<CandidateRow> = tx
        .fetch_all(
            Sql::Split {
                sqlite: sql::CANDIDATES_SQLITE,
                postgres: sql::CANDIDATES_PG,
            },
            &args![DbTime(req.now), i64::from(req.limit), req.campaign_id],
        )
        .await?;

    // Decide in id order which candidates the budget lets through.
    let mut room: BTreeMap<i64, Option<i64>> = BTreeMap::new();
    let mut reserved_now: BTreeMap<i64, i64> = BTreeMap::new();
    let mut blocked: HashSet<i64> = HashSet::new();
    let mut exhausted = Vec::new();
    let mut accepted = Vec::with_capacity(rows.len());
    let mut held: BTreeMap<i64, i64> = BTreeMap::new();
    for (id, campaign_id, target_id, kind) in rows {
        let kind = parse_status("sub_agent_executions.sub_agent_type", &kind)?;
        if blocked.contains(&campaign_id) {
            continue;
        }
        let estimate = req.estimates.get(kind);
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

    let at = DbTime(now());
    let mut jobs = Vec::with_capacity(accepted.len());
    for (id, campaign_id, target_id, kind, reserve) in accepted {
        let token = new_lease_token();
        let claimed: Option<(i64, i64)> = tx
            .fetch_optional(
                Sql::Both(sql::CLAIM_JOB),
                &args![id, req.owner, token.clone(), DbTime(deadline), reserve, at],
            )
            .await?;
        let Some((attempts, max_attempts)) = claimed else {
            continue;
        };
        jobs.push(ClaimedJob {
            job_id: id,
            campaign_id,
            target_id,
            kind,
            attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
            max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
            lease_token: token,
            lease_expires_at: deadline,
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

type ExpiredRow = (i64, i64, i64, String, i64, i64, i64, String);

/// Expired leases: claimable again (back to pending now), or failed once they used up
/// their attempts, or skipped when their campaign was cancelled meanwhile. Its own
/// transaction, committed before the claim: its bookkeeping locks campaign rows, and the
/// claim locks targets after jobs and before campaigns; in one transaction the two orders
/// would deadlock against a concurrent completion on PostgreSQL.
pub(super) async fn reap_expired(db: &Db, at: OffsetDateTime) -> Result<(), StoreError> {
    // Almost always nothing has expired: check with a plain read before taking SQLite's
    // write lock for a transaction.
    let any: Option<(i64,)> = crate::db::with_pool!(db, |pool| {
        sqlx::query_as(sql::ANY_EXPIRED)
            .bind(DbTime(at))
            .fetch_optional(pool)
            .await?
    });
    if any.is_none() {
        return Ok(());
    }
    let mut tx = Tx::begin(db).await?;
    reap_in(&mut tx, at).await?;
    tx.commit().await
}

async fn reap_in(tx: &mut Tx, at: OffsetDateTime) -> Result<(), StoreError> {
    let rows: Vec<ExpiredRow> = tx
        .fetch_all(
            Sql::Split {
                sqlite: sql::EXPIRED_SQLITE,
                postgres: sql::EXPIRED_PG,
            },
            &args![DbTime(at)],
        )
        .await?;
    for (id, campaign_id, target_id, kind, attempts, max_attempts, reserved, campaign_status) in
        rows
    {
        let job: LeasedJob = bookkeeping::leased_from_row((
            id,
            campaign_id,
            target_id,
            kind,
            attempts,
            max_attempts,
            reserved,
        ))?;
        let campaign_status: CampaignStatus =
            parse_status("atl_campaigns.status", &campaign_status)?;
        tracing::info!(job_id = id, attempts, "lease expired");
        if campaign_status == CampaignStatus::Cancelled {
            let end = JobEnd {
                status: JobStatus::Skipped,
                error: Some("cancelled"),
                result: None,
                spent_nano_usd: 0,
            };
            end_job(tx, &job, end, at).await?;
        } else if attempts >= max_attempts {
            let error = format!("lease expired {attempts} times");
            let end = JobEnd {
                status: JobStatus::Failed,
                error: Some(&error),
                result: None,
                spent_nano_usd: 0,
            };
            end_job(tx, &job, end, at).await?;
        } else {
            let error = format!("lease expired (attempt {attempts})");
            requeue_job(tx, &job, &error, at, 0, at).await?;
        }
    }
    Ok(())
}

/// Stops a campaign whose next job would cross its budget: pending jobs are skipped with
/// the reason, finished targets settle, and the campaign completes once nothing runs.
/// Re-checks under its own transaction, since another worker may have moved meanwhile.
pub(super) async fn exhaust_budget(
    db: &Db,
    campaign_id: i64,
    next_estimate: i64,
) -> Result<(), StoreError> {
    let at = now();
    let mut tx = Tx::begin(db).await?;
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
    bookkeeping::freeze_campaign(&mut tx, campaign_id).await?;
    tx.execute(
        Sql::Both(sql::SETTLE_TARGETS),
        &args![campaign_id, DbTime(at)],
    )
    .await?;
    tx.execute(
        Sql::Both(sql::REFRESH_COUNTERS),
        &args![campaign_id, DbTime(at)],
    )
    .await?;
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
