//! Reads about what went wrong and what it cost: the jobs a retry would run, every booked
//! run of a job, spend by how runs ended, and failed jobs by sub-agent with their reasons.

use atl_domain::SubAgentKind;
use serde::Serialize;
use std::collections::HashMap;

use crate::db::args;
use crate::model::parse_status;
use crate::results::{JOB_COLUMNS, JobRecord, JobRow, job_from_row};
use crate::{Store, StoreError};

/// One booked run of a job (`sub_agent_attempts`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptRecord {
    pub job_id: i64,
    pub run: i64,
    pub outcome: String,
    pub spent_nano_usd: i64,
    pub unknown_cost_calls: i64,
    pub error: Option<String>,
}

/// Failed jobs of one sub-agent: how many, and their most common reasons.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SubAgentFailures {
    pub failed: u64,
    /// Up to three (reason, jobs), most common first.
    pub top_reasons: Vec<(String, u64)>,
}

impl Store {
    /// A campaign's failed and skipped jobs (what [`Store::retry_failed`] would run again),
    /// in claim order.
    pub async fn retryable_jobs(&self, campaign_id: i64) -> Result<Vec<JobRecord>, StoreError> {
        let rows: Vec<JobRow> = self
            .db
            .fetch_all(
                sqlx::AssertSqlSafe(format!(
                    "SELECT {JOB_COLUMNS} FROM sub_agent_executions WHERE campaign_id = $1 \
                 AND status IN ('failed', 'skipped') ORDER BY id"
                )),
                &args![campaign_id],
            )
            .await?;
        rows.into_iter().map(job_from_row).collect()
    }

    /// Every booked run of a job, in run order.
    pub async fn attempts_for_job(&self, job_id: i64) -> Result<Vec<AttemptRecord>, StoreError> {
        let rows: Vec<(i64, i64, String, i64, i64, Option<String>)> = self
            .db
            .fetch_all(
                "SELECT job_id, run, outcome, spent_nano_usd, unknown_cost_calls, error \
                     FROM sub_agent_attempts WHERE job_id = $1 ORDER BY run",
                &args![job_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AttemptRecord {
                job_id: r.0,
                run: r.1,
                outcome: r.2,
                spent_nano_usd: r.3,
                unknown_cost_calls: r.4,
                error: r.5,
            })
            .collect())
    }

    /// Spend of a campaign's booked runs by outcome (`completed`, `failed`, …), nano-USD.
    pub async fn attempt_spend_by_outcome(
        &self,
        campaign_id: i64,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> = self
            .db
            .fetch_all(
                "SELECT outcome, CAST(COALESCE(SUM(spent_nano_usd), 0) AS BIGINT) \
                 FROM sub_agent_attempts WHERE campaign_id = $1 GROUP BY outcome",
                &args![campaign_id],
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Failed jobs per sub-agent with their most common reasons. Reads only the failed
    /// rows of the campaign (index on campaign and status), so it stays cheap while few
    /// fail.
    pub async fn failures_by_sub_agent(
        &self,
        campaign_id: i64,
    ) -> Result<HashMap<SubAgentKind, SubAgentFailures>, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> = self
            .db
            .fetch_all(
                "SELECT sub_agent_type, last_error, COUNT(*) FROM sub_agent_executions \
                 WHERE campaign_id = $1 AND status = 'failed' \
                 GROUP BY sub_agent_type, last_error",
                &args![campaign_id],
            )
            .await?;
        let mut by_kind: HashMap<SubAgentKind, SubAgentFailures> = HashMap::new();
        for (kind, reason, n) in rows {
            let kind = parse_status("sub_agent_executions.sub_agent_type", &kind)?;
            let n = u64::try_from(n).unwrap_or(0);
            let slot = by_kind.entry(kind).or_default();
            slot.failed += n;
            slot.top_reasons
                .push((reason.unwrap_or_else(|| "failed".into()), n));
        }
        for f in by_kind.values_mut() {
            f.top_reasons
                .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            f.top_reasons.truncate(3);
        }
        Ok(by_kind)
    }
}
