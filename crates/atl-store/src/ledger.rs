//! The job ledger (`sub_agent_executions`): one row per (target × sub-agent), handed out to
//! workers under leases and completed in the same transaction that stores its result, its
//! cost and the campaign's counters (DESIGN.md invariant 1).
//!
//! Lifecycle of a job: `pending` → (claim) `running` → `completed` | `failed` | back to
//! `pending` (retry, expired lease) ; `pending` → `skipped` (budget reached, cancelled).
//! Every write that ends a lease is guarded by the lease's token (fencing): a worker whose
//! lease expired and was claimed again cannot write anything.

pub(crate) mod bookkeeping;
mod claim;
pub(crate) mod sql;
pub(crate) mod tx;

use atl_domain::{AgentResult, JobStatus, SubAgentKind};
use serde::Serialize;
use serde_json::json;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use time::OffsetDateTime;

use crate::db::{DbTime, now};
use crate::model::parse_status;
use crate::{Store, StoreError};
use bookkeeping::{JobEnd, end_job, settle_campaign};
use tx::{Sql, Tx, args, retry_transient};

/// What a worker asks for when it claims work.
#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    /// Who holds the leases (host-pid-random); stored for operators, not for fencing.
    pub owner: &'a str,
    /// How long a lease lasts without a heartbeat.
    pub lease: Duration,
    /// At most this many jobs.
    pub limit: u32,
    /// The clock the claim compares `run_after` and lease expiries with.
    pub now: OffsetDateTime,
    /// Only this campaign's jobs; `None` = any processing campaign.
    pub campaign_id: Option<i64>,
    /// The high cost estimate per sub-agent, reserved from a budgeted campaign while the
    /// job runs (DESIGN.md invariant 6).
    pub estimates: KindCosts,
}

/// One nano-USD amount per sub-agent kind (absent kinds cost 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCosts([i64; 4]);

impl KindCosts {
    fn slot(kind: SubAgentKind) -> usize {
        match kind {
            SubAgentKind::Research => 0,
            SubAgentKind::Intel => 1,
            SubAgentKind::Enrichment => 2,
            SubAgentKind::Voice => 3,
        }
    }
    /// Negative amounts are treated as 0.
    pub fn set(&mut self, kind: SubAgentKind, nano_usd: i64) {
        self.0[Self::slot(kind)] = nano_usd.max(0);
    }
    pub fn with(mut self, kind: SubAgentKind, nano_usd: i64) -> Self {
        self.set(kind, nano_usd);
        self
    }
    pub fn get(&self, kind: SubAgentKind) -> i64 {
        self.0[Self::slot(kind)]
    }
}

/// A job handed to a worker. `lease_token` must accompany every later write for the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub job_id: i64,
    pub campaign_id: i64,
    pub target_id: i64,
    pub kind: SubAgentKind,
    /// 1 on the first claim, counting this one.
    pub attempt: u32,
    pub max_attempts: u32,
    pub lease_token: String,
    pub lease_expires_at: OffsetDateTime,
}

/// What [`Store::fail_job`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum FailOutcome {
    /// Back to `pending`, claimable again from `run_after`.
    Retrying {
        #[serde(with = "time::serde::rfc3339")]
        run_after: OffsetDateTime,
    },
    /// Final: the job is `failed` and its target and campaign were updated.
    Failed,
    /// The lease was no longer ours (expired and claimed again, or the job ended): nothing
    /// was written.
    LeaseLost,
}

/// A unique, unguessable-enough lease token: a fresh random 128 bits per claim (std's
/// randomly keyed hasher over a process-wide counter, the time and the pid). Fencing only
/// needs two claims never to share a token.
fn new_lease_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let mut halves = [0u64; 2];
    for (i, half) in halves.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_i128(t);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *half = h.finish();
    }
    format!("{:016x}{:016x}", halves[0], halves[1])
}

/// `$5.00`, `$0.0000155`: dollars with at least two decimals and no trailing zeros beyond.
pub fn format_usd(nano: i64) -> String {
    let sign = if nano < 0 { "-" } else { "" };
    let abs = nano.unsigned_abs();
    let whole = abs / 1_000_000_000;
    let frac = format!("{:09}", abs % 1_000_000_000);
    let trimmed = frac.trim_end_matches('0');
    let frac = if trimmed.len() < 2 {
        &frac[..2]
    } else {
        trimmed
    };
    format!("{sign}${whole}.{frac}")
}

fn lease_deadline(now: OffsetDateTime, lease: Duration) -> Result<OffsetDateTime, StoreError> {
    let lease = time::Duration::try_from(lease)
        .map_err(|_| StoreError::InvalidInput(format!("lease {lease:?} is too long")))?;
    now.checked_add(lease)
        .ok_or_else(|| StoreError::InvalidInput("lease ends after the year 9999".into()))
}

impl Store {
    /// Creates one pending job per (target, kind) of the campaign, idempotently, and moves
    /// the campaign to `processing` (`started_at` is set once). Targets stay `pending` until
    /// a job of theirs is claimed. Only a `pending` or already `processing` campaign can be
    /// started; a paused one is resumed with [`Store::resume_campaign`].
    ///
    /// Jobs are numbered target by target in the order of `kinds`, which is the order the
    /// claim hands them out: early targets finish first.
    pub async fn start_campaign(
        &self,
        campaign_id: i64,
        kinds: &[SubAgentKind],
        max_attempts: u32,
    ) -> Result<crate::Campaign, StoreError> {
        if kinds.is_empty() {
            return Err(StoreError::InvalidInput("no sub-agents to run".into()));
        }
        if max_attempts == 0 {
            return Err(StoreError::InvalidInput(
                "max_attempts must be at least 1".into(),
            ));
        }
        // Fixed order whatever the caller passed: voice last, so its dependencies come first.
        let pick = |k: SubAgentKind| kinds.contains(&k).then(|| k.as_str().to_string());
        retry_transient(|| async {
            let at = now();
            let mut tx = Tx::begin(&self.db).await?;
            let status: Option<(String,)> = tx
                .fetch_optional(Sql::Both(sql::CAMPAIGN_STATUS), &args![campaign_id])
                .await?;
            let Some((status,)) = status else {
                return Err(StoreError::NotFound);
            };
            let status: atl_domain::CampaignStatus = parse_status("atl_campaigns.status", &status)?;
            use atl_domain::CampaignStatus as C;
            if !matches!(status, C::Pending | C::Processing) {
                return Err(StoreError::Conflict(format!(
                    "campaign {campaign_id} is {status}: only a pending campaign can be started \
                     (resume a paused one, retry a finished one's failures)"
                )));
            }
            let created = tx
                .execute(
                    Sql::Both(sql::INSERT_JOBS),
                    &args![
                        campaign_id,
                        i64::from(max_attempts),
                        DbTime(at),
                        pick(SubAgentKind::Research),
                        pick(SubAgentKind::Intel),
                        pick(SubAgentKind::Enrichment),
                        pick(SubAgentKind::Voice),
                    ],
                )
                .await?;
            tx.execute(
                Sql::Both(sql::CAMPAIGN_START),
                &args![campaign_id, DbTime(at)],
            )
            .await?;
            if status == C::Pending {
                bookkeeping::event(
                    &mut tx,
                    campaign_id,
                    "campaign_started",
                    json!({"jobs": created, "kinds": kinds}),
                    at,
                )
                .await?;
            }
            // A campaign without targets has nothing to wait for.
            settle_campaign(&mut tx, campaign_id, at).await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        if let crate::db::Db::Postgres(pool) = &self.db {
            sqlx::query(sql::ANALYZE_JOBS_PG).execute(pool).await?;
        }
        self.get_campaign(None, campaign_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Hands out up to `limit` ready jobs under fresh leases. See `claim.rs` for what
    /// "ready" means and how the budget is shared.
    pub async fn claim_jobs(&self, req: &ClaimRequest<'_>) -> Result<Vec<ClaimedJob>, StoreError> {
        if req.limit == 0 {
            return Ok(Vec::new());
        }
        let deadline = lease_deadline(req.now, req.lease)?;
        retry_transient(|| claim::reap_expired(&self.db, req.now)).await?;
        let outcome = retry_transient(|| claim::claim_once(&self.db, req, deadline)).await?;
        for (campaign_id, next_estimate) in outcome.exhausted {
            retry_transient(|| claim::exhaust_budget(&self.db, campaign_id, next_estimate)).await?;
        }
        Ok(outcome.jobs)
    }

    /// Extends a lease. `false` means the lease is lost (expired and claimed again, or the
    /// job ended): the worker must abandon the job without writing anything.
    pub async fn heartbeat(
        &self,
        job_id: i64,
        lease_token: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let at = now();
        let deadline = lease_deadline(at, lease)?;
        let changed = retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let n = tx
                .execute(
                    Sql::Both(sql::HEARTBEAT),
                    &args![job_id, lease_token, DbTime(deadline), DbTime(at)],
                )
                .await?;
            tx.commit().await?;
            Ok(n)
        })
        .await?;
        Ok(changed == 1)
    }

    /// Commits a finished job: its result (exactly one per target and sub-agent, ever), its
    /// cost on the target and the campaign, the target's merged data and status, the
    /// campaign's counters (and completion), and events — in one transaction guarded by the
    /// lease token. Returns `false`, having written nothing, when the lease is not ours.
    pub async fn complete_job(
        &self,
        job_id: i64,
        lease_token: &str,
        result: &AgentResult,
    ) -> Result<bool, StoreError> {
        retry_transient(|| async {
            let at = now();
            let mut tx = Tx::begin(&self.db).await?;
            let Some(job) = bookkeeping::lock_leased_job(&mut tx, job_id, lease_token).await?
            else {
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
                    DbTime(at),
                ],
            )
            .await?;
            end_job(
                &mut tx,
                &job,
                JobEnd {
                    status: JobStatus::Completed,
                    error: None,
                    result: Some(result),
                    spent_nano_usd: 0,
                },
                at,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Completes a campaign that has no open job left; `true` if this call completed it.
    /// Completions settle their campaign themselves when its in-progress counter reaches
    /// zero: this is the coordinator's check when it finds nothing to run, so that a
    /// campaign whose counters were edited by hand still finishes.
    pub async fn settle_if_done(&self, campaign_id: i64) -> Result<bool, StoreError> {
        retry_transient(|| async {
            let at = now();
            let mut tx = Tx::begin(&self.db).await?;
            // Serialises with completions and control operations, which update this row.
            bookkeeping::lock_campaign(&mut tx, campaign_id).await?;
            let completed = bookkeeping::settle_campaign(&mut tx, campaign_id, at).await?;
            tx.commit().await?;
            Ok(completed)
        })
        .await
    }

    /// Records a failed attempt. With `retry_at` and attempts left, the job goes back to
    /// `pending` until then; otherwise it fails for good, with the same target and campaign
    /// bookkeeping as a completion. `spent_nano_usd` (what the attempt cost before it
    /// failed) is added to the target's and campaign's cost either way.
    pub async fn fail_job(
        &self,
        job_id: i64,
        lease_token: &str,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        spent_nano_usd: i64,
    ) -> Result<FailOutcome, StoreError> {
        let spent = spent_nano_usd.max(0);
        retry_transient(|| async {
            let at = now();
            let mut tx = Tx::begin(&self.db).await?;
            let Some(job) = bookkeeping::lock_leased_job(&mut tx, job_id, lease_token).await?
            else {
                return Ok(FailOutcome::LeaseLost);
            };
            let outcome = match retry_at {
                Some(run_after) if job.attempts < job.max_attempts => {
                    bookkeeping::requeue_job(&mut tx, &job, error, run_after, spent, at).await?;
                    FailOutcome::Retrying { run_after }
                }
                _ => {
                    end_job(
                        &mut tx,
                        &job,
                        JobEnd {
                            status: JobStatus::Failed,
                            error: Some(error),
                            result: None,
                            spent_nano_usd: spent,
                        },
                        at,
                    )
                    .await?;
                    FailOutcome::Failed
                }
            };
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }

    /// Gives a lease back without counting the attempt (a worker shutting down before the
    /// job finished): the job is claimable again at once. `false` if the lease was not ours.
    pub async fn release_job(&self, job_id: i64, lease_token: &str) -> Result<bool, StoreError> {
        retry_transient(|| async {
            let at = now();
            let mut tx = Tx::begin(&self.db).await?;
            let Some(job) = bookkeeping::lock_leased_job(&mut tx, job_id, lease_token).await?
            else {
                return Ok(false);
            };
            bookkeeping::release_job(&mut tx, &job, at).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_printed_exactly() {
        assert_eq!(format_usd(5_000_000_000), "$5.00");
        assert_eq!(format_usd(15_500), "$0.0000155");
        assert_eq!(format_usd(1_250_000_000), "$1.25");
        assert_eq!(format_usd(0), "$0.00");
        assert_eq!(format_usd(-100_000_000), "-$0.10");
    }

    #[test]
    fn lease_tokens_differ() {
        let a = new_lease_token();
        let b = new_lease_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn kind_costs_ignore_negative_amounts() {
        let c = KindCosts::default()
            .with(SubAgentKind::Voice, 7)
            .with(SubAgentKind::Intel, -3);
        assert_eq!(c.get(SubAgentKind::Voice), 7);
        assert_eq!(c.get(SubAgentKind::Intel), 0);
        assert_eq!(c.get(SubAgentKind::Research), 0);
    }
}
