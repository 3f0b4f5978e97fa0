//! The live progress panel of a campaign: rendered into the campaign page, and again for
//! every `progress` item of its live stream, from the one status view the API and the
//! CLI print (`atl_app::StatusView`: counts with partial targets, failed jobs per
//! sub-agent with their commonest reasons, cost split into work and failed attempts).

use askama::Template;
use atl_app::StatusView;
use atl_domain::SubAgentKind;

use super::format::{count, duration_ms, usd, when_text};
use super::words::{agent_label, campaign_status_label, plain_reason};

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
    /// Spent on attempts that left no result (failed, retried).
    pub failed_spend: Option<String>,
    pub budget: Option<String>,
    pub budget_percent: Option<f64>,
    pub over_budget: bool,
    pub failures: Vec<FailureLine>,
    /// Failed jobs in all (0: no retry to offer).
    pub failed_jobs: u64,
}

impl ProgressPanel {
    pub(crate) fn from_view(view: &StatusView) -> ProgressPanel {
        let p = &view.progress;
        let failed_jobs = view.failed_by_sub_agent.values().sum();
        let mut failures = Vec::new();
        for kind in SubAgentKind::ALL {
            for r in view
                .failure_reasons
                .get(kind.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                failures.push(FailureLine {
                    agent: agent_label(*kind),
                    jobs: count(i128::from(r.jobs)),
                    reason: plain_reason(&r.reason),
                    detail: r.reason.clone(),
                });
            }
        }
        let status = view.status.clone();
        let final_state = matches!(status.as_str(), "completed" | "failed" | "cancelled");
        let percent = p.percent_complete;
        ProgressPanel {
            status_label: campaign_status_label(&status),
            status,
            final_state,
            percent,
            percent_text: format!("{percent:.1}%"),
            total: count(p.total_targets),
            completed: count(p.completed),
            partial: (p.partial > 0).then(|| count(p.partial)),
            failed: count(p.failed),
            in_progress: count(p.in_progress),
            pending: count(p.pending),
            cancelled: (p.cancelled > 0).then(|| count(p.cancelled)),
            eta: view.estimated_completion.as_deref().map(when_text),
            elapsed: (view.elapsed_ms > 0).then(|| duration_ms(view.elapsed_ms)),
            cost: usd(view.total_cost_usd),
            failed_spend: (view.cost_usd.failed_attempts > 0.0)
                .then(|| usd(view.cost_usd.failed_attempts)),
            budget: view.budget_usd.map(usd),
            budget_percent: view
                .budget_usd
                .filter(|b| *b > 0.0)
                .map(|b| (view.total_cost_usd / b * 100.0).min(100.0)),
            over_budget: view.budget_exhausted,
            failures,
            failed_jobs,
        }
    }
}
