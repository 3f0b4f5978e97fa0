//! The public records the store returns and accepts, and the raw rows they are decoded from.

use atl_domain::{CampaignStatus, JobStatus, SubAgentKind, TargetStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;
use std::str::FromStr;
use time::OffsetDateTime;

use crate::StoreError;

/// Nano-dollars per US dollar. Every money column holds integer nano-dollars so sums are
/// exact; convert only for display.
pub const NANOS_PER_USD: i64 = 1_000_000_000;

/// Nano-dollars → dollars, for display.
pub fn nano_to_usd(nano: i64) -> f64 {
    nano as f64 / NANOS_PER_USD as f64
}

/// Dollars → nano-dollars, rounded to the nearest nano. `None` for NaN, infinities, and
/// amounts outside ±9.2 billion dollars.
pub fn usd_to_nano(usd: f64) -> Option<i64> {
    let nano = (usd * NANOS_PER_USD as f64).round();
    // i64::MAX as f64 rounds up to 2^63, which is itself out of range: compare with <.
    (nano.is_finite() && nano >= i64::MIN as f64 && nano < i64::MAX as f64).then_some(nano as i64)
}

/// What [`crate::Store::begin_import`] needs to create a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCampaign {
    pub team_id: i64,
    pub name: String,
    pub uploaded_file: Option<String>,
    /// A JSON object (seller, pitch, route overrides, …); `null` is stored as `{}`.
    pub settings: Value,
    pub budget_nano_usd: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub team_id: i64,
    pub name: String,
    pub uploaded_file: Option<String>,
    pub total_targets: i64,
    /// Targets with every sub-agent's result.
    pub enriched_count: i64,
    /// Targets with some results and some sub-agents failed or skipped.
    pub partial_count: i64,
    pub in_progress_count: i64,
    /// Targets with no result although a sub-agent ran.
    pub failed_count: i64,
    pub status: CampaignStatus,
    pub settings: Value,
    pub import_report: Option<Value>,
    pub budget_nano_usd: Option<i64>,
    /// Everything spent: results' costs plus `failed_spend_nano_usd`.
    pub cost_nano_usd: i64,
    /// Spent by runs that left no result (failed, retried, waiting, lease lost, abandoned).
    pub failed_spend_nano_usd: i64,
    /// Dispatching stopped because the next step would have crossed the budget.
    pub budget_exhausted: bool,
    /// Results whose price was unknown (not in the cost, never counted as zero).
    pub unknown_cost_results: i64,
    /// Runs without a result that made a call of unknown price (not in the cost).
    pub unknown_cost_attempts: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Campaign {
    pub fn cost_usd(&self) -> f64 {
        nano_to_usd(self.cost_nano_usd)
    }

    pub fn budget_usd(&self) -> Option<f64> {
        self.budget_nano_usd.map(nano_to_usd)
    }
}

/// The part of a campaign row that its status is computed from: state, counters, money and
/// times, without the name, settings and import report. The status route is polled, and a
/// campaign whose import rejected many rows carries a large report that this read skips.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignTally {
    pub id: i64,
    pub team_id: i64,
    pub status: CampaignStatus,
    pub total_targets: i64,
    pub enriched_count: i64,
    pub partial_count: i64,
    pub in_progress_count: i64,
    pub failed_count: i64,
    pub budget_nano_usd: Option<i64>,
    pub budget_exhausted: bool,
    pub cost_nano_usd: i64,
    pub failed_spend_nano_usd: i64,
    /// Results whose price was unknown (not in the cost).
    pub unknown_cost_results: i64,
    /// Runs without a result that made a call of unknown price (not in the cost).
    pub unknown_cost_attempts: i64,
    pub started_at: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub id: i64,
    pub campaign_id: i64,
    pub row_number: i64,
    pub company_name: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_title: Option<String>,
    pub linkedin_url: Option<String>,
    pub website: Option<String>,
    pub domain: Option<String>,
    /// The CSV's other columns, `{header: value}`.
    pub extra: Value,
    pub dedup_key: String,
    pub enrichment_status: TargetStatus,
    pub enriched_data: Option<Value>,
    pub assigned_sub_agents: Vec<SubAgentKind>,
    /// The sub-agents without a result and why, once one failed or was skipped.
    pub failed_sub_agents: Option<Vec<MissingSubAgent>>,
    pub cost_nano_usd: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A sub-agent of a target that has no result: which, whether it failed or was skipped,
/// and why (the job's last error: "deepseek unavailable since 14:03 UTC", "budget of
/// $5.00 reached", "401 bad key").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingSubAgent {
    pub sub_agent: SubAgentKind,
    /// `failed` or `skipped`.
    pub status: JobStatus,
    pub reason: Option<String>,
}

/// How many targets of a campaign are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TargetCounts {
    pub pending: u64,
    pub processing: u64,
    pub completed: u64,
    pub partial: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub total: u64,
}

impl TargetCounts {
    pub(crate) fn add(&mut self, status: TargetStatus, n: u64) {
        let slot = match status {
            TargetStatus::Pending => &mut self.pending,
            TargetStatus::Processing => &mut self.processing,
            TargetStatus::Completed => &mut self.completed,
            TargetStatus::Partial => &mut self.partial,
            TargetStatus::Failed => &mut self.failed,
            TargetStatus::Cancelled => &mut self.cancelled,
        };
        *slot += n;
        self.total += n;
    }
}

/// Declares a raw row struct and a `FromRow` for any backend whose rows can decode every
/// field: what `#[derive(sqlx::FromRow)]` generates, without the proc-macro build cost.
macro_rules! row_struct {
    ($name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        pub(crate) struct $name { $(pub(crate) $field: $ty),* }

        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $name
        where
            &'r str: sqlx::ColumnIndex<R>,
            $($ty: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,)*
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok(Self { $($field: row.try_get(stringify!($field))?),* })
            }
        }
    };
}

/// The columns of [`CampaignRow`], for `SELECT` and `RETURNING`.
macro_rules! campaign_columns {
    () => {
        "id, team_id, name, uploaded_file, total_targets, enriched_count, partial_count, \
         in_progress_count, failed_count, status, settings, import_report, budget_nano_usd, \
         cost_nano_usd, failed_spend_nano_usd, budget_exhausted, unknown_cost_results, \
         unknown_cost_attempts, started_at, completed_at, created_at, updated_at"
    };
}
pub(crate) use campaign_columns;

row_struct!(CampaignRow {
    id: i64,
    team_id: i64,
    name: String,
    uploaded_file: Option<String>,
    total_targets: i64,
    enriched_count: i64,
    partial_count: i64,
    in_progress_count: i64,
    failed_count: i64,
    status: String,
    settings: Json<Value>,
    import_report: Option<Json<Value>>,
    budget_nano_usd: Option<i64>,
    cost_nano_usd: i64,
    failed_spend_nano_usd: i64,
    budget_exhausted: bool,
    unknown_cost_results: i64,
    unknown_cost_attempts: i64,
    started_at: Option<OffsetDateTime>,
    completed_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
});

impl TryFrom<CampaignRow> for Campaign {
    type Error = StoreError;

    fn try_from(r: CampaignRow) -> Result<Self, StoreError> {
        Ok(Campaign {
            id: r.id,
            team_id: r.team_id,
            name: r.name,
            uploaded_file: r.uploaded_file,
            total_targets: r.total_targets,
            enriched_count: r.enriched_count,
            partial_count: r.partial_count,
            in_progress_count: r.in_progress_count,
            failed_count: r.failed_count,
            status: parse_status("atl_campaigns.status", &r.status)?,
            settings: r.settings.0,
            import_report: r.import_report.map(|j| j.0),
            budget_nano_usd: r.budget_nano_usd,
            cost_nano_usd: r.cost_nano_usd,
            failed_spend_nano_usd: r.failed_spend_nano_usd,
            budget_exhausted: r.budget_exhausted,
            unknown_cost_results: r.unknown_cost_results,
            unknown_cost_attempts: r.unknown_cost_attempts,
            started_at: r.started_at,
            completed_at: r.completed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

impl From<&Campaign> for CampaignTally {
    fn from(c: &Campaign) -> Self {
        CampaignTally {
            id: c.id,
            team_id: c.team_id,
            status: c.status,
            total_targets: c.total_targets,
            enriched_count: c.enriched_count,
            partial_count: c.partial_count,
            in_progress_count: c.in_progress_count,
            failed_count: c.failed_count,
            budget_nano_usd: c.budget_nano_usd,
            budget_exhausted: c.budget_exhausted,
            cost_nano_usd: c.cost_nano_usd,
            failed_spend_nano_usd: c.failed_spend_nano_usd,
            unknown_cost_results: c.unknown_cost_results,
            unknown_cost_attempts: c.unknown_cost_attempts,
            started_at: c.started_at,
            completed_at: c.completed_at,
        }
    }
}

/// The columns of [`CampaignTallyRow`].
macro_rules! campaign_tally_columns {
    () => {
        "id, team_id, status, total_targets, enriched_count, partial_count, in_progress_count, \
         failed_count, budget_nano_usd, budget_exhausted, cost_nano_usd, failed_spend_nano_usd, \
         unknown_cost_results, unknown_cost_attempts, started_at, completed_at"
    };
}
pub(crate) use campaign_tally_columns;

row_struct!(CampaignTallyRow {
    id: i64,
    team_id: i64,
    status: String,
    total_targets: i64,
    enriched_count: i64,
    partial_count: i64,
    in_progress_count: i64,
    failed_count: i64,
    budget_nano_usd: Option<i64>,
    budget_exhausted: bool,
    cost_nano_usd: i64,
    failed_spend_nano_usd: i64,
    unknown_cost_results: i64,
    unknown_cost_attempts: i64,
    started_at: Option<OffsetDateTime>,
    completed_at: Option<OffsetDateTime>,
});

impl TryFrom<CampaignTallyRow> for CampaignTally {
    type Error = StoreError;

    fn try_from(r: CampaignTallyRow) -> Result<Self, StoreError> {
        Ok(CampaignTally {
            id: r.id,
            team_id: r.team_id,
            status: parse_status("atl_campaigns.status", &r.status)?,
            total_targets: r.total_targets,
            enriched_count: r.enriched_count,
            partial_count: r.partial_count,
            in_progress_count: r.in_progress_count,
            failed_count: r.failed_count,
            budget_nano_usd: r.budget_nano_usd,
            budget_exhausted: r.budget_exhausted,
            cost_nano_usd: r.cost_nano_usd,
            failed_spend_nano_usd: r.failed_spend_nano_usd,
            unknown_cost_results: r.unknown_cost_results,
            unknown_cost_attempts: r.unknown_cost_attempts,
            started_at: r.started_at,
            completed_at: r.completed_at,
        })
    }
}

/// The columns of [`TargetRow`].
macro_rules! target_columns {
    () => {
        "id, campaign_id, row_number, company_name, contact_name, contact_email, contact_title, \
         linkedin_url, website, domain, extra, dedup_key, enrichment_status, enriched_data, \
         assigned_sub_agents, failed_sub_agents, cost_nano_usd, created_at, updated_at"
    };
}
pub(crate) use target_columns;

row_struct!(TargetRow {
    id: i64,
    campaign_id: i64,
    row_number: i64,
    company_name: String,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_title: Option<String>,
    linkedin_url: Option<String>,
    website: Option<String>,
    domain: Option<String>,
    extra: Json<Value>,
    dedup_key: String,
    enrichment_status: String,
    enriched_data: Option<Json<Value>>,
    assigned_sub_agents: Json<Vec<String>>,
    failed_sub_agents: Option<Json<Vec<MissingSubAgent>>>,
    cost_nano_usd: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
});

impl TryFrom<TargetRow> for Target {
    type Error = StoreError;

    fn try_from(r: TargetRow) -> Result<Self, StoreError> {
        let kinds = |column: &str, names: Vec<String>| {
            names
                .iter()
                .map(|n| parse_status::<SubAgentKind>(column, n))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Target {
            id: r.id,
            campaign_id: r.campaign_id,
            row_number: r.row_number,
            company_name: r.company_name,
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            contact_title: r.contact_title,
            linkedin_url: r.linkedin_url,
            website: r.website,
            domain: r.domain,
            extra: r.extra.0,
            dedup_key: r.dedup_key,
            enrichment_status: parse_status("atl_targets.enrichment_status", &r.enrichment_status)?,
            enriched_data: r.enriched_data.map(|j| j.0),
            assigned_sub_agents: kinds("atl_targets.assigned_sub_agents", r.assigned_sub_agents.0)?,
            failed_sub_agents: r.failed_sub_agents.map(|j| j.0),
            cost_nano_usd: r.cost_nano_usd,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Parses a stored enum string; an unknown one means the row was not written by us.
pub(crate) fn parse_status<T: FromStr>(column: &str, value: &str) -> Result<T, StoreError> {
    value.parse().map_err(|_| StoreError::Corrupt {
        column: column.to_string(),
        value: value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_round_trips_through_dollars() {
        assert_eq!(usd_to_nano(1.25), Some(1_250_000_000));
        assert_eq!(usd_to_nano(0.000_000_001), Some(1));
        assert_eq!(nano_to_usd(2_500_000_000), 2.5);
        assert_eq!(usd_to_nano(f64::NAN), None);
        assert_eq!(usd_to_nano(1e12), None);
    }

    #[test]
    fn counts_add_up() {
        let mut c = TargetCounts::default();
        c.add(TargetStatus::Pending, 3);
        c.add(TargetStatus::Failed, 2);
        assert_eq!((c.pending, c.failed, c.total), (3, 2, 5));
    }
}
