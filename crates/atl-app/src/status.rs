//! A campaign's status in the seed's format (section 3.5): the one view that
//! `atl status` prints and `GET /campaigns/{id}/status` serves.

use crate::AppError;
use atl_domain::{CampaignStatus, TargetStatus};
use atl_store::{CampaignTally, Store, nano_to_usd};
use serde::Serialize;
use time::OffsetDateTime;

/// The seed's progress block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressView {
    pub total: i64,
    pub completed: i64,
    pub failed: i64,
    pub in_progress: i64,
    pub pending: i64,
    /// Cancelled targets (only non-zero for a cancelled campaign).
    pub cancelled: i64,
    /// Finished (completed + failed + cancelled) / total × 100, one decimal.
    pub percent: f64,
}

/// The seed's fields first, then what a status page needs beside them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusView {
    pub campaign_id: i64,
    pub status: String,
    pub progress: ProgressView,
    /// RFC 3339, from the pace so far; null before the first target finishes or when done.
    pub estimated_completion: Option<String>,
    pub total_cost_usd: f64,
    /// Wall time per finished target so far (the campaign's pace, concurrency included).
    pub avg_time_per_target_ms: Option<u64>,
    pub budget_usd: Option<f64>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub elapsed_ms: u64,
}

/// RFC 3339 text of a timestamp, as every view prints it.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Status from the campaign row alone: its counters are kept by the ledger in the same
/// transaction as each result, so one primary-key read answers this (the hot polling path).
pub async fn status_view(store: &Store, c: &CampaignTally) -> Result<StatusView, AppError> {
    // Cancelled targets are not counted on the row; only a cancelled campaign has them.
    let cancelled = if c.status == CampaignStatus::Cancelled {
        i64::try_from(
            store
                .count_targets_with(c.id, Some(TargetStatus::Cancelled))
                .await?,
        )
        .unwrap_or(0)
    } else {
        0
    };
    let total = c.total_targets;
    let finished = c.enriched_count + c.failed_count + cancelled;
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
    Ok(StatusView {
        campaign_id: c.id,
        status: c.status.to_string(),
        progress: ProgressView {
            total,
            completed: c.enriched_count,
            failed: c.failed_count,
            in_progress: c.in_progress_count,
            pending,
            cancelled,
            percent,
        },
        estimated_completion,
        total_cost_usd: nano_to_usd(c.cost_nano_usd),
        avg_time_per_target_ms: avg,
        budget_usd: c.budget_nano_usd.map(nano_to_usd),
        started_at: c.started_at.map(rfc3339),
        completed_at: c.completed_at.map(rfc3339),
        elapsed_ms,
    })
}
