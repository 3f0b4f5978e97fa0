//! Reads for the coordinator, the agents, the API and the tests: a job's input, results,
//! progress with ETA, events, jobs, and the campaign's books recomputed from rows.

use atl_domain::{CampaignStatus, JobStatus, SubAgentKind};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use std::collections::HashMap;
use time::OffsetDateTime;

use crate::db::{args, now, with_pool};
use crate::model::{Target, TargetCounts, TargetRow, parse_status, target_columns};
use crate::{Store, StoreError};

/// One row of `enrichment_results`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredResult {
    pub id: i64,
    pub campaign_id: i64,
    pub target_id: i64,
    pub kind: SubAgentKind,
    pub data: Value,
    pub sources: Value,
    pub confidence: Option<f64>,
    /// `None` = the provider reported no price (not zero).
    pub cost_nano_usd: Option<i64>,
    pub latency_ms: Option<i64>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub synthetic: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub completed_at: OffsetDateTime,
}

/// One row of `atl_events` (SSE resumes after `id`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: i64,
    pub campaign_id: i64,
    pub kind: String,
    pub payload: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One row of the job ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRecord {
    pub id: i64,
    pub campaign_id: i64,
    pub target_id: i64,
    pub kind: SubAgentKind,
    pub status: JobStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    /// Claims so far (runs that only waited for a provider gave their attempt back).
    pub runs: i64,
    pub last_error: Option<String>,
    pub lease_owner: Option<String>,
    /// Spent by this job's runs that left no result.
    pub spent_nano_usd: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub waiting_since: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    pub pending: u64,
    pub running: u64,
    pub completed: u64,
    pub failed: u64,
    pub skipped: u64,
    pub total: u64,
}

/// A campaign's live state for status pages and progress bars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub campaign_id: i64,
    pub status: CampaignStatus,
    pub targets: TargetCounts,
    pub jobs: JobCounts,
    /// Everything spent, `failed_spend_nano_usd` included.
    pub cost_nano_usd: i64,
    /// Spent by runs that left no result (failed, retried, waiting, lease lost, abandoned).
    pub failed_spend_nano_usd: i64,
    pub reserved_nano_usd: i64,
    pub budget_nano_usd: Option<i64>,
    pub budget_exhausted: bool,
    /// Results whose cost is unknown (not included in `cost_nano_usd`).
    pub unknown_cost_results: i64,
    /// Runs without a result that made a call of unknown price.
    pub unknown_cost_attempts: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    pub elapsed_ms: u64,
    /// Wall time per finished target so far (elapsed / finished): the campaign's pace,
    /// which already accounts for concurrency. `None` before the first target finishes.
    pub avg_time_per_target_ms: Option<u64>,
    /// Targets left × pace; `None` while the pace is unknown or when nothing is left.
    pub eta_ms: Option<u64>,
}

/// The books of a campaign: as stored on its row ([`Store::campaign_counters`]) or as
/// recomputed from the target, result and job rows ([`Store::recount_campaign`]). The two
/// must always be equal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CampaignCounters {
    pub enriched_count: i64,
    pub partial_count: i64,
    pub failed_count: i64,
    pub in_progress_count: i64,
    pub cost_nano_usd: i64,
    pub failed_spend_nano_usd: i64,
    pub unknown_cost_results: i64,
    pub unknown_cost_attempts: i64,
    pub reserved_nano_usd: i64,
    /// Sum of the targets' own cost columns.
    pub targets_cost_nano_usd: i64,
}

/// One `enrichment_results` row as selected by every results read (see [`stored_result`]).
pub(crate) type ResultRow = (
    i64,
    i64,
    i64,
    String,
    Json<Value>,
    Json<Value>,
    Option<f64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    bool,
    OffsetDateTime,
);

/// A selected `enrichment_results` row as the API type; the one place that knows the
/// column order of `ResultRow`.
pub(crate) fn stored_result(r: ResultRow) -> Result<StoredResult, StoreError> {
    Ok(StoredResult {
        id: r.0,
        campaign_id: r.1,
        target_id: r.2,
        kind: parse_status("enrichment_results.sub_agent_type", &r.3)?,
        data: r.4.0,
        sources: r.5.0,
        confidence: r.6,
        cost_nano_usd: r.7,
        latency_ms: r.8,
        provider: r.9,
        model: r.10,
        tokens_in: r.11,
        tokens_out: r.12,
        synthetic: r.13,
        completed_at: r.14,
    })
}

pub(crate) type JobRow = (
    i64,
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
    i64,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
);

pub(crate) fn job_from_row(r: JobRow) -> Result<JobRecord, StoreError> {
    let (id, campaign_id, target_id, kind, status, attempts, max_attempts, runs) =
        (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7);
    let (last_error, lease_owner, spent_nano_usd, waiting_since, started_at, finished_at) =
        (r.8, r.9, r.10, r.11, r.12, r.13);
    Ok(JobRecord {
        id,
        campaign_id,
        target_id,
        kind: parse_status("sub_agent_executions.sub_agent_type", &kind)?,
        status: parse_status("sub_agent_executions.status", &status)?,
        attempts,
        max_attempts,
        runs,
        last_error,
        lease_owner,
        spent_nano_usd,
        waiting_since,
        started_at,
        finished_at,
    })
}

pub(crate) const JOB_COLUMNS: &str = "id, campaign_id, target_id, sub_agent_type, status, attempts, \
    max_attempts, runs, last_error, lease_owner, spent_nano_usd, waiting_since, started_at, \
    finished_at";

impl Store {
    /// What a sub-agent needs for one target: the target and the completed results of its
    /// other sub-agents by kind.
    pub async fn job_input(
        &self,
        target_id: i64,
    ) -> Result<(Target, HashMap<SubAgentKind, Value>), StoreError> {
        let (row, results): (Option<TargetRow>, Vec<(String, Json<Value>)>) =
            with_pool!(&self.db, |pool| {
                let row = sqlx::query_as(concat!(
                    "SELECT ",
                    target_columns!(),
                    " FROM atl_targets WHERE id = $1"
                ))
                .bind(target_id)
                .fetch_optional(pool)
                .await?;
                let results = sqlx::query_as(
                    "SELECT sub_agent_type, result_data FROM enrichment_results \
                     WHERE target_id = $1",
                )
                .bind(target_id)
                .fetch_all(pool)
                .await?;
                (row, results)
            });
        let target = Target::try_from(row.ok_or(StoreError::NotFound)?)?;
        let mut prior = HashMap::new();
        for (kind, data) in results {
            prior.insert(
                parse_status("enrichment_results.sub_agent_type", &kind)?,
                data.0,
            );
        }
        Ok((target, prior))
    }

    /// A target's results, in sub-agent order of completion.
    pub async fn results_for_target(
        &self,
        target_id: i64,
    ) -> Result<Vec<StoredResult>, StoreError> {
        let rows: Vec<ResultRow> = self
            .db
            .fetch_all(
                "SELECT id, campaign_id, target_id, sub_agent_type, result_data, sources, \
                 confidence_score, cost_nano_usd, latency_ms, provider, model, tokens_in, \
                 tokens_out, synthetic, completed_at FROM enrichment_results \
                 WHERE target_id = $1 ORDER BY id",
                &args![target_id],
            )
            .await?;
        rows.into_iter().map(stored_result).collect()
    }

    /// Events of a campaign with `id > after_id`, oldest first.
    pub async fn events_since(
        &self,
        campaign_id: i64,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let limit = i64::from(limit.min(crate::MAX_PAGE));
        let rows: Vec<(i64, i64, String, Json<Value>, OffsetDateTime)> = self
            .db
            .fetch_all(
                "SELECT id, campaign_id, kind, payload, created_at FROM atl_events \
                     WHERE campaign_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                &args![campaign_id, after_id, limit],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Event {
                id: r.0,
                campaign_id: r.1,
                kind: r.2,
                payload: r.3.0,
                created_at: r.4,
            })
            .collect())
    }

    /// A campaign's jobs in claim order.
    pub async fn list_jobs(
        &self,
        campaign_id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let limit = i64::from(limit.min(crate::MAX_PAGE));
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows: Vec<JobRow> = self
            .db
            .fetch_all(
                sqlx::AssertSqlSafe(format!(
                    "SELECT {JOB_COLUMNS} FROM sub_agent_executions WHERE campaign_id = $1 \
                 ORDER BY id LIMIT $2 OFFSET $3"
                )),
                &args![campaign_id, limit, offset],
            )
            .await?;
        rows.into_iter().map(job_from_row).collect()
    }

    /// A target's jobs.
    pub async fn jobs_for_target(&self, target_id: i64) -> Result<Vec<JobRecord>, StoreError> {
        let rows: Vec<JobRow> = self.db.fetch_all(sqlx::AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM sub_agent_executions WHERE target_id = $1 ORDER BY id"
            )), &args![target_id]).await?;
        rows.into_iter().map(job_from_row).collect()
    }

    /// Counts, money and pace of a campaign.
    pub async fn campaign_progress(&self, campaign_id: i64) -> Result<Progress, StoreError> {
        type Head = (
            String,
            Option<i64>,
            i64,
            i64,
            i64,
            bool,
            Option<OffsetDateTime>,
            Option<OffsetDateTime>,
            i64,
            i64,
        );
        let (head, job_rows): (Option<Head>, Vec<(String, i64)>) = with_pool!(&self.db, |pool| {
            let head = sqlx::query_as(
                "SELECT status, budget_nano_usd, cost_nano_usd, reserved_nano_usd, \
                 unknown_cost_results, budget_exhausted, started_at, completed_at, \
                 failed_spend_nano_usd, unknown_cost_attempts \
                 FROM atl_campaigns WHERE id = $1",
            )
            .bind(campaign_id)
            .fetch_optional(pool)
            .await?;
            let jobs = sqlx::query_as(
                "SELECT status, COUNT(*) FROM sub_agent_executions WHERE campaign_id = $1 \
                 GROUP BY status",
            )
            .bind(campaign_id)
            .fetch_all(pool)
            .await?;
            (head, jobs)
        });
        let head = head.ok_or(StoreError::NotFound)?;
        let targets = self.target_status_counts(campaign_id).await?;
        let mut jobs = JobCounts::default();
        for (status, n) in job_rows {
            let n = u64::try_from(n).unwrap_or(0);
            let slot = match parse_status::<JobStatus>("sub_agent_executions.status", &status)? {
                JobStatus::Pending => &mut jobs.pending,
                JobStatus::Running => &mut jobs.running,
                JobStatus::Completed => &mut jobs.completed,
                JobStatus::Failed => &mut jobs.failed,
                JobStatus::Skipped => &mut jobs.skipped,
            };
            *slot += n;
            jobs.total += n;
        }
        let (started_at, completed_at) = (head.6, head.7);
        let elapsed_ms = started_at.map_or(0, |s| {
            let end = completed_at.unwrap_or_else(now);
            u64::try_from((end - s).whole_milliseconds()).unwrap_or(0)
        });
        let finished = targets.completed + targets.partial + targets.failed + targets.cancelled;
        let left = targets.pending + targets.processing;
        let avg = (finished > 0).then(|| elapsed_ms / finished);
        Ok(Progress {
            campaign_id,
            status: parse_status("atl_campaigns.status", &head.0)?,
            targets,
            jobs,
            budget_nano_usd: head.1,
            cost_nano_usd: head.2,
            failed_spend_nano_usd: head.8,
            reserved_nano_usd: head.3,
            unknown_cost_results: head.4,
            unknown_cost_attempts: head.9,
            budget_exhausted: head.5,
            started_at,
            completed_at,
            elapsed_ms,
            avg_time_per_target_ms: avg,
            eta_ms: avg.filter(|_| left > 0).map(|a| a.saturating_mul(left)),
        })
    }

    /// The counters as stored on the campaign row (plus the sum of target costs).
    pub async fn campaign_counters(
        &self,
        campaign_id: i64,
    ) -> Result<CampaignCounters, StoreError> {
        type Row = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);
        let row: Option<Row> = self
            .db
            .fetch_optional(
                "SELECT enriched_count, partial_count, failed_count, in_progress_count, \
                 cost_nano_usd, failed_spend_nano_usd, unknown_cost_results, \
                 unknown_cost_attempts, reserved_nano_usd, \
                 (SELECT CAST(COALESCE(SUM(t.cost_nano_usd), 0) AS BIGINT) FROM atl_targets t \
                  WHERE t.campaign_id = atl_campaigns.id) \
                 FROM atl_campaigns WHERE id = $1",
                &args![campaign_id],
            )
            .await?;
        let r = row.ok_or(StoreError::NotFound)?;
        Ok(CampaignCounters {
            enriched_count: r.0,
            partial_count: r.1,
            failed_count: r.2,
            in_progress_count: r.3,
            cost_nano_usd: r.4,
            failed_spend_nano_usd: r.5,
            unknown_cost_results: r.6,
            unknown_cost_attempts: r.7,
            reserved_nano_usd: r.8,
            targets_cost_nano_usd: r.9,
        })
    }

    /// The same counters recomputed from the rows they summarise: target statuses, result
    /// costs plus what runs without a result spent, the booked runs of unknown price, and
    /// the reservations of running jobs.
    pub async fn recount_campaign(&self, campaign_id: i64) -> Result<CampaignCounters, StoreError> {
        type Row = (i64, i64, i64, i64, i64, i64, i64, i64, i64);
        let r: Row = with_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT \
                 (SELECT COUNT(*) FROM atl_targets WHERE campaign_id = $1 \
                  AND enrichment_status = 'completed'), \
                 (SELECT COUNT(*) FROM atl_targets WHERE campaign_id = $1 \
                  AND enrichment_status = 'partial'), \
                 (SELECT COUNT(*) FROM atl_targets WHERE campaign_id = $1 \
                  AND enrichment_status = 'failed'), \
                 (SELECT COUNT(*) FROM atl_targets WHERE campaign_id = $1 \
                  AND enrichment_status = 'processing'), \
                 (SELECT CAST(COALESCE(SUM(cost_nano_usd), 0) AS BIGINT) \
                  FROM enrichment_results WHERE campaign_id = $1), \
                 (SELECT CAST(COALESCE(SUM(spent_nano_usd), 0) AS BIGINT) \
                  FROM sub_agent_executions WHERE campaign_id = $1), \
                 (SELECT COUNT(*) FROM enrichment_results WHERE campaign_id = $1 \
                  AND cost_nano_usd IS NULL), \
                 (SELECT COUNT(*) FROM sub_agent_attempts WHERE campaign_id = $1 \
                  AND outcome <> 'completed' AND unknown_cost_calls > 0), \
                 (SELECT CAST(COALESCE(SUM(reserved_nano_usd), 0) AS BIGINT) \
                  FROM sub_agent_executions WHERE campaign_id = $1 AND status = 'running')",
            )
            .bind(campaign_id)
            .fetch_one(pool)
            .await?
        });
        let cost = r.4 + r.5;
        Ok(CampaignCounters {
            enriched_count: r.0,
            partial_count: r.1,
            failed_count: r.2,
            in_progress_count: r.3,
            cost_nano_usd: cost,
            failed_spend_nano_usd: r.5,
            unknown_cost_results: r.6,
            unknown_cost_attempts: r.7,
            reserved_nano_usd: r.8,
            targets_cost_nano_usd: cost,
        })
    }
}
