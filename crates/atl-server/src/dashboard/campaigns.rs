//! `/campaigns`: the team's campaigns, newest first, a page at a time.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::format::{count, percent, usd, when};
use super::page::{Layout, PageResult, Session, html};
use super::words::campaign_status_label;
use crate::ApiState;

const PER_PAGE: u32 = 25;

pub(crate) async fn home() -> Response {
    Redirect::to("/campaigns").into_response()
}

pub(crate) struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub status_label: &'static str,
    pub created: String,
    pub total: String,
    pub completed: String,
    pub failed: String,
    pub in_progress: String,
    pub percent: f64,
    pub percent_text: String,
    pub cost: String,
    pub budget: Option<String>,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    layout: Layout,
    rows: Vec<CampaignRow>,
    total: String,
    page: u64,
    prev: Option<u64>,
    next: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    page: Option<u64>,
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    Extension(session): Extension<Session>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let page = q.page.unwrap_or(1).max(1);
    let store = &state.ctx.store;
    let team = Some(session.team.0);
    let offset = (page - 1).saturating_mul(u64::from(PER_PAGE));
    let campaigns = store.list_campaigns(team, PER_PAGE, offset).await?;
    let total = store.count_campaigns(team).await?;
    let rows = campaigns
        .iter()
        .map(|c| {
            let finished = c.enriched_count + c.failed_count;
            let pct = if c.status.is_final() {
                100.0
            } else {
                percent(finished, c.total_targets)
            };
            CampaignRow {
                id: c.id,
                name: c.name.clone(),
                status: c.status.to_string(),
                status_label: campaign_status_label(c.status.as_str()),
                created: when(c.created_at),
                total: count(c.total_targets),
                completed: count(c.enriched_count),
                failed: count(c.failed_count),
                in_progress: count(c.in_progress_count),
                percent: pct,
                percent_text: format!("{pct:.1}%"),
                cost: usd(c.cost_usd()),
                budget: c.budget_usd().map(usd),
            }
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &CampaignsPage {
            layout: Layout::new("Campaigns", "campaigns", session),
            rows,
            total: count(i128::from(total)),
            page,
            prev: (page > 1).then(|| page - 1),
            next: (offset + u64::from(PER_PAGE) < total).then(|| page + 1),
        },
    ))
}
