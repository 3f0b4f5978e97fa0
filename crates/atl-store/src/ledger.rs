//! The job ledger (`sub_agent_executions`): one row per (target × sub-agent), handed out to
//! workers under leases and completed in the same transaction that stores its result, its
//! cost and the campaign's counters: a result is never stored without its cost, nor
//! counted twice.
//!
//! Lifecycle of a job: `pending` → (claim) `running` → `completed` | `failed` | back to
//! `pending` (a transient failure or an expired lease, which count an attempt; a snooze or
//! an unavailable provider, which do not and wait with a future `run_after`; a release at
//! shutdown) ; `pending` → `skipped` (budget reached, cancelled). Every write that ends a
//! lease is guarded by the lease's token (fencing): a worker whose lease expired and was
//! claimed again cannot write anything. What a run spent is booked apart and unfenced
//! (`spend.rs`).
//!
//! Clock: every time in these transactions is the database's (`Tx::now`), so workers
//! whose clocks disagree still agree on which lease has expired.

pub(crate) mod bookkeeping;
mod claim;
mod finish;
mod spend;
pub(crate) mod sql;
pub(crate) mod tx;
mod workers;

use atl_domain::SubAgentKind;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;

use crate::db::DbTime;
use crate::db::args;
use crate::model::parse_status;
use crate::{Store, StoreError};
use bookkeeping::settle_campaign;
pub use finish::{FailNext, FailOutcome};
pub use spend::{AttemptOutcome, AttemptSpend, Reservation};
use tx::{Sql, Tx, retry_transient};
pub use workers::WorkerInfo;

/// What a worker asks for when it claims work.
#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    /// Who holds the leases: the worker's id in `atl_workers` (host-pid-random).
    pub owner: &'a str,
    /// How long a lease lasts without a heartbeat.
    pub lease: Duration,
    /// At most this many jobs.
    pub limit: u32,
    /// Only this campaign's jobs; `None` = any processing campaign.
    pub campaign_id: Option<i64>,
    /// The high cost estimate per sub-agent for a typical input, reserved from a budgeted
    /// campaign while a job whose own estimate is not known yet runs, so the budget is
    /// never crossed; see [`Store::reserve_for_input`].
    pub estimates: KindCosts,
    /// A worker whose heartbeat is older than this is dead: its leases are freed at once
    /// rather than when each expires.
    pub dead_worker_after: Duration,
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
    /// Attempts used, this one included (1 on the first claim). Runs that only waited for
    /// a provider gave theirs back.
    pub attempt: u32,
    pub max_attempts: u32,
    /// This claim's number among all claims of the job (1, 2, …), never reused: the key
    /// its spend is booked under and the mark on the files it writes.
    pub run: u32,
    pub lease_token: String,
    /// On the database's clock.
    pub lease_expires_at: OffsetDateTime,
    /// Since when a provider has been unavailable to this job (the database's clock), if
    /// its last runs only waited.
    pub waiting_since: Option<OffsetDateTime>,
    /// How long that was at the claim, measured by the database (so a worker adds only
    /// what its monotonic clock saw since).
    pub waiting_for: Duration,
    /// Whether its campaign has a budget (then the engine reserves for its own input).
    pub budgeted: bool,
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

/// A fresh random 128-bit lease token per claim, from the OS generator. Fencing only
/// needs two claims never to share a token.
fn new_lease_token() -> Result<String, StoreError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::Database("the OS random number generator failed".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn lease_deadline(now: OffsetDateTime, lease: Duration) -> Result<OffsetDateTime, StoreError> {
    let lease = time::Duration::try_from(lease)
        .map_err(|_| StoreError::InvalidInput(format!("lease {lease:?} is too long")))?;
    now.checked_add(lease)
        .ok_or_else(|| StoreError::InvalidInput("lease ends after the year 9999".into()))
}

/// `start` − `span`, saturating.
pub(crate) fn before(start: OffsetDateTime, span: Duration) -> OffsetDateTime {
    time::Duration::try_from(span)
        .ok()
        .and_then(|d| start.checked_sub(d))
        .unwrap_or(time::PrimitiveDateTime::MIN.assume_utc())
}

/// `start` + `delay`, saturating (a delay too long to represent means "far later").
pub(crate) fn after(start: OffsetDateTime, delay: Duration) -> OffsetDateTime {
    time::Duration::try_from(delay)
        .ok()
        .and_then(|d| start.checked_add(d))
        .unwrap_or(time::PrimitiveDateTime::MAX.assume_utc())
}

impl Store {
    /// Creates one pending job per (target, kind) of the campaign, idempotently, and moves
    /// the campaign to `processing` (`started_at` is set once). Targets stay `pending` until
    /// a job of theirs is claimed. Only a `pending` or already `processing` campaign can be
    /// started; a paused one is resumed with [`Store::resume_campaign`].
    ///
    /// Jobs are numbered target by target in the order research, intel, enrichment, voice,
    /// which is the order the claim hands them out: early targets finish first.
    pub async fn start_campaign(
        &self,
        campaign_id: i64,
        kinds: &[SubAgentKind],
        max_attempts: u32,
    ) -> Result<crate::Campaign, StoreError> {
        let plan: Vec<(SubAgentKind, u32)> = kinds.iter().map(|k| (*k, max_attempts)).collect();
        self.start_campaign_with(campaign_id, &plan).await
    }

    /// [`Store::start_campaign`] with each kind's own `max_attempts` (its agent's retry
    /// policy).
    pub async fn start_campaign_with(
        &self,
        campaign_id: i64,
        plan: &[(SubAgentKind, u32)],
    ) -> Result<crate::Campaign, StoreError> {
        if plan.is_empty() {
            return Err(StoreError::InvalidInput("no sub-agents to run".into()));
        }
        if plan.iter().any(|(_, n)| *n == 0) {
            return Err(StoreError::InvalidInput(
                "max_attempts must be at least 1".into(),
            ));
        }
        let kinds: Vec<SubAgentKind> = plan.iter().map(|(k, _)| *k).collect();
        let slot = |k: SubAgentKind| {
            plan.iter()
                .find(|(p, _)| *p == k)
                .map(|(_, n)| i64::from(*n))
        };
        retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let at = tx.now();
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
                        DbTime(at),
                        slot(SubAgentKind::Research),
                        slot(SubAgentKind::Intel),
                        slot(SubAgentKind::Enrichment),
                        slot(SubAgentKind::Voice),
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

    /// Hands out up to `limit` ready jobs under fresh leases, after freeing the leases
    /// that expired or belong to dead workers. See `claim.rs` for what "ready" means and
    /// how the budget is shared.
    pub async fn claim_jobs(&self, req: &ClaimRequest<'_>) -> Result<Vec<ClaimedJob>, StoreError> {
        if req.limit == 0 {
            return Ok(Vec::new());
        }
        retry_transient(|| claim::reap(&self.db, req.dead_worker_after)).await?;
        let outcome = retry_transient(|| claim::claim_once(&self.db, req)).await?;
        for (campaign_id, next_estimate) in outcome.exhausted {
            retry_transient(|| claim::exhaust_budget(&self.db, campaign_id, next_estimate)).await?;
        }
        Ok(outcome.jobs)
    }

    /// Extends a lease to the database's now + `lease`. `false` means the lease is lost
    /// (expired and claimed again, or the job ended): the worker must abandon the job
    /// without writing anything.
    pub async fn heartbeat(
        &self,
        job_id: i64,
        lease_token: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let changed = retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let at = tx.now();
            let deadline = lease_deadline(at, lease)?;
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

    /// Completes a campaign that has no open job left; `true` if this call completed it.
    /// Completions settle their campaign themselves when its in-progress counter reaches
    /// zero: this is the coordinator's check when it finds nothing to run, so that a
    /// campaign whose counters were edited by hand still finishes.
    pub async fn settle_if_done(&self, campaign_id: i64) -> Result<bool, StoreError> {
        retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let at = tx.now();
            // Serialises with completions and control operations, which update this row.
            bookkeeping::lock_campaign(&mut tx, campaign_id).await?;
            let completed = bookkeeping::settle_campaign(&mut tx, campaign_id, at).await?;
            tx.commit().await?;
            Ok(completed)
        })
        .await
    }

    /// The database's time now (PostgreSQL's clock; SQLite's process's), for callers that
    /// show times next to the ledger's.
    pub async fn database_now(&self) -> Result<OffsetDateTime, StoreError> {
        Ok(match &self.db {
            crate::db::Db::Sqlite(_) => crate::db::now(),
            crate::db::Db::Postgres(pool) => {
                sqlx::query_scalar("SELECT now()").fetch_one(pool).await?
            }
        })
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
        let a = new_lease_token().unwrap();
        let b = new_lease_token().unwrap();
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
