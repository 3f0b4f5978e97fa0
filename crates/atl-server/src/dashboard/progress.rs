//! The live progress panel of a campaign: rendered into the campaign page, and again for
//! every `progress` item of its live stream, from the one status view the API and the
//! CLI print (`atl_app::StatusView`) plus the failed jobs grouped by sub-agent and reason.

use askama::Template;
use atl_app::StatusView;
use atl_store::Store;

use super::format::{count, duration_ms, usd, when_text};
use super::words::{agent_label, campaign_status_label, plain_reason};

/// Failure groups shown (the largest first).
const FAILURE_GROUPS: u32 = 12;

/// One reason some jobs of one sub-agent failed.
pub(crate) struct FailureLine {
    pub agent: &'static str,
    pub jobs: String,
    pub reason: String,
    /// The stored text, for the title tooltip and support.
    pub detail: String,
}

#[derive(Template)]
#[template(path = "progress_panel.html")]
pub(crate) struct ProgressPanel {
    pub status: String,
    pub status_label: &'static str,
    pub final_state: bool,
    pub percent: f64,
    pub percent_text: String,
    pub total: String,
    pub completed: String,
    pub partial: Option<String>,
    pub failed: String,
    pub in_progress: String,
    pub pending: String,
    pub cancelled: Option<String>,
    pub eta: Option<String>,
    pub elapsed: Option<String>,
    pub cost: String,
    pub budget: Option<String>,
    pub budget_percent: Option<f64>,
    pub over_budget: bool,
    pub failures: Vec<FailureLine>,
    /// Failed jobs in all (0: no retry to offer).
    pub failed_jobs: u64,
}

impl ProgressPanel {
    /// The panel for `view`, with the campaign's failed jobs read from the store.
    pub(crate) async fn build(
        store: &Store,
        view: &StatusView,
    ) -> Result<ProgressPanel, atl_store::StoreError> {
        let groups = if view.started_at.is_some() {
            store
                .failed_job_groups(view.campaign_id, FAILURE_GROUPS)
                .await?
        } else {
            Vec::new()
        };
        Ok(Self::from_view(view, groups))
    }

    fn from_view(view: &StatusView, groups: Vec<atl_store::FailureGroup>) -> ProgressPanel {
        let p = &view.progress;
        let failed_jobs = groups.iter().map(|g| g.jobs).sum();
        let failures = groups
            .into_iter()
            .map(|g| {
                let detail = g.reason.unwrap_or_else(|| "failed".into());
                FailureLine {
                    agent: agent_label(g.kind),
                    jobs: count(g.jobs),
                    reason: plain_reason(&detail),
                    detail,
                }
            })
            .collect();
        let status = view.status.clone();
        let final_state = matches!(status.as_str(), "completed" | "failed" | "cancelled");
        ProgressPanel {
            status_label: campaign_status_label(&status),
            status,
            final_state,
            percent: p.percent,
            percent_text: format!("{:.1}%", p.percent),
            total: count(p.total),
            completed: count(p.completed),
            partial: None,
            failed: count(p.failed),
            in_progress: count(p.in_progress),
            pending: count(p.pending),
            cancelled: (p.cancelled > 0).then(|| count(p.cancelled)),
            eta: view.estimated_completion.as_deref().map(when_text),
            elapsed: (view.elapsed_ms > 0).then(|| duration_ms(view.elapsed_ms)),
            cost: usd(view.total_cost_usd),
            budget: view.budget_usd.map(usd),
            budget_percent: view
                .budget_usd
                .filter(|b| *b > 0.0)
                .map(|b| (view.total_cost_usd / b * 100.0).min(100.0)),
            over_budget: view
                .budget_usd
                .is_some_and(|b| view.total_cost_usd >= b && b > 0.0),
            failures,
            failed_jobs,
        }
    }
}
