//! A campaign's status in the agreed format: the one view that `atl status` prints,
//! `GET /campaigns/{id}/status` serves and the SSE `progress` events carry.
//!
//! `progress` keeps the agreed fields exactly (`total_targets`, `completed`,
//! `in_progress`, `failed`, `pending`, `percent_complete`) and adds `partial` and
//! `cancelled` beside them, so the six target counts always add up to the total.
//! `completed` counts targets with every sub-agent's result; a target with some is
//! `partial`, and `failed_by_sub_agent` says which sub-agents failed and why.

use crate::AppError;
use atl_domain::{CampaignStatus, SubAgentKind, TargetStatus};
use atl_store::{CampaignTally, Store, nano_to_usd};
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The agreed progress block, plus the two target states it does not name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressView {
    pub total_targets: i64,
    /// Targets with every sub-agent's result.
    pub completed: i64,
    pub in_progress: i64,
    /// Targets without any result although a sub-agent ran.
    pub failed: i64,
    pub pending: i64,
    /// Finished (completed + partial + failed + cancelled) / total × 100, one decimal.
    pub percent_complete: f64,
    /// Targets with some results, the other sub-agents failed or skipped.
    pub partial: i64,
    /// Targets where nothing ran (cancelled, or skipped for the budget).
    pub cancelled: i64,
}

/// One reason sub-agents failed, and how many jobs it stopped.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailureReason {
    pub reason: String,
    pub jobs: u64,
}

/// Where the money went, in USD.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostView {
    pub total: f64,
    /// Spent by runs whose result was committed.
    pub completed_work: f64,
    /// Spent by runs that left no result: failed, retried, waiting for a provider, lease
    /// lost, abandoned at shutdown.
    pub failed_attempts: f64,
    /// Results and runs with a call of unknown price: not in the totals, not zero either.
    pub unknown_cost_results: i64,
    pub unknown_cost_attempts: i64,
}

/// The agreed fields first, then what a status page needs beside them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusView {
    pub campaign_id: i64,
    pub status: String,
    pub progress: ProgressView,
    /// RFC 3339, from the pace so far; null before the first target finishes or when done.
    pub estimated_completion: Option<String>,
    pub total_cost_usd: f64,
    pub cost_usd: CostView,
    /// Failed jobs per sub-agent (every sub-agent listed, 0 when none failed).
    pub failed_by_sub_agent: BTreeMap<String, u64>,
    /// The most common reasons per sub-agent that has failed jobs (up to three each).
    pub failure_reasons: BTreeMap<String, Vec<FailureReason>>,
    /// Wall time per finished target so far (the campaign's pace, concurrency included).
    pub avg_time_per_target_ms: Option<u64>,
    pub budget_usd: Option<f64>,
    pub budget_exhausted: bool,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub elapsed_ms: u64,
}

/// RFC 3339 text of a timestamp, as every view prints it.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Status from the campaign row, whose counters the ledger keeps in the same transaction
/// as each result (the hot polling path), plus the failed jobs by sub-agent (a read of
/// the failed rows only, so it costs nothing while nothing fails).
pub async fn status_view(store: &Store, c: &CampaignTally) -> Result<StatusView, AppError> {
    let total = c.total_targets;
    // Cancelled targets are not counted on the row; only a cancelled or finished
    // campaign, or one whose budget stopped it, has any.
    let counted = c.enriched_count + c.partial_count + c.failed_count + c.in_progress_count;
    let cancelled = if (c.status.is_final() || c.budget_exhausted) && counted < total {
        i64::try_from(
            store
                .count_targets_with(c.id, Some(TargetStatus::Cancelled))
                .await?,
        )
        .unwrap_or(0)
    } else {
        0
    };
    let finished = c.enriched_count + c.partial_count + c.failed_count + cancelled;
    let pending = (total - finished - c.in_progress_count).max(0);
    let percent = if total > 0 {
        (finished as f64 * 1000.0 / total as f64).round() / 10.0
    } else {
        0.0
    };
    let now = OffsetDateTime::now_utc();
    let elapsed_ms = c.started_at.map_or(0, |s| {
        let end = c.completed_at.unwrap_or(now);
        u64::try_from((end - s).whole_milliseconds()).unwrap_or(0)
    });
    let finished_u = u64::try_from(finished).unwrap_or(0);
    let avg = (finished_u > 0 && c.started_at.is_some()).then(|| elapsed_ms / finished_u);
    let left = u64::try_from(total - finished).unwrap_or(0);
    let estimated_completion = match (avg, c.status) {
        (Some(avg), CampaignStatus::Processing) if left > 0 => {
            let ms = i64::try_from(avg.saturating_mul(left)).unwrap_or(i64::MAX);
            now.checked_add(time::Duration::milliseconds(ms))
                .map(rfc3339)
        }
        _ => None,
    };
    let failures = if c.started_at.is_some() {
        store.failures_by_sub_agent(c.id).await?
    } else {
        Default::default()
    };
    let mut failed_by_sub_agent = BTreeMap::new();
    let mut failure_reasons = BTreeMap::new();
    for kind in SubAgentKind::ALL {
        let f = failures.get(kind);
        failed_by_sub_agent.insert(kind.to_string(), f.map_or(0, |f| f.failed));
        if let Some(f) = f.filter(|f| f.failed > 0) {
            let reasons = f
                .top_reasons
                .iter()
                .map(|(reason, jobs)| FailureReason {
                    reason: reason.clone(),
                    jobs: *jobs,
                })
                .collect();
            failure_reasons.insert(kind.to_string(), reasons);
        }
    }
    Ok(StatusView {
        campaign_id: c.id,
        status: c.status.to_string(),
        progress: ProgressView {
            total_targets: total,
            completed: c.enriched_count,
            in_progress: c.in_progress_count,
            failed: c.failed_count,
            pending,
            percent_complete: percent,
            partial: c.partial_count,
            cancelled,
        },
        estimated_completion,
        total_cost_usd: nano_to_usd(c.cost_nano_usd),
        cost_usd: CostView {
            total: nano_to_usd(c.cost_nano_usd),
            completed_work: nano_to_usd(c.cost_nano_usd - c.failed_spend_nano_usd),
            failed_attempts: nano_to_usd(c.failed_spend_nano_usd),
            unknown_cost_results: c.unknown_cost_results,
            unknown_cost_attempts: c.unknown_cost_attempts,
        },
        failed_by_sub_agent,
        failure_reasons,
        avg_time_per_target_ms: avg,
        budget_usd: c.budget_nano_usd.map(nano_to_usd),
        budget_exhausted: c.budget_exhausted,
        started_at: c.started_at.map(rfc3339),
        completed_at: c.completed_at.map(rfc3339),
        elapsed_ms,
    })
}
