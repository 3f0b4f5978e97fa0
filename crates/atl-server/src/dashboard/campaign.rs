//! `/campaigns/{id}`: one campaign's live progress, its controls and its targets table.
//!
//! The table is paged, filtered and searched by the server (`?status=&q=&page=`), 50
//! rows at a time: a 10,000-target campaign's page costs the same as a 10-target one's.
//! `/campaigns/{id}/targets` renders the table alone, for the script to swap in as
//! targets finish or the filter changes; the full page works without the script.

use askama::Template;
use atl_domain::TargetStatus;
use atl_store::{Campaign, Target, TargetFilter, TargetSort};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::format::{count, nano_usd, percent_encode, units, when};
use super::page::{Layout, PageError, PageResult, Session, html};
use super::progress::ProgressPanel;
use super::words::{agent_label, target_status_label};
use crate::auth::IdRoute;
use crate::campaigns::{campaign_of, start_plan, tally_of};
use crate::targets::status_filter;
use crate::{ApiError, ApiState};

pub(crate) const TABLE_PAGE: u32 = 50;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TableQuery {
    pub status: Option<String>,
    pub q: Option<String>,
    pub page: Option<u64>,
}

pub(crate) struct TargetRow {
    pub id: i64,
    pub row_number: i64,
    pub company: String,
    pub contact: Option<String>,
    pub domain: Option<String>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub failed: Vec<&'static str>,
    pub cost: String,
}

pub(crate) struct StatusOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "targets_table.html")]
pub(crate) struct TargetsTable {
    pub campaign_id: i64,
    pub rows: Vec<TargetRow>,
    pub statuses: Vec<StatusOption>,
    pub q: String,
    pub status: String,
    pub total: String,
    pub first: String,
    pub last: String,
    pub page: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

fn table_link(id: i64, status: &str, q: &str, page: u64) -> String {
    let mut url = format!("/campaigns/{id}?page={page}");
    if !status.is_empty() {
        url.push_str("&status=");
        url.push_str(status);
    }
    if !q.is_empty() {
        url.push_str("&q=");
        url.push_str(&percent_encode(q, b"-_.~"));
    }
    url
}

fn row_of(t: &Target) -> TargetRow {
    TargetRow {
        id: t.id,
        row_number: t.row_number,
        company: t.company_name.clone(),
        contact: t.contact_name.clone(),
        domain: t.domain.clone(),
        status: t.enrichment_status.as_str(),
        status_label: target_status_label(t.enrichment_status),
        failed: t
            .failed_sub_agents
            .iter()
            .flatten()
            .map(|m| agent_label(m.sub_agent))
            .collect(),
        cost: nano_usd(t.cost_nano_usd),
    }
}

/// The table for `q`, read from the store one page at a time.
pub(crate) async fn table(
    state: &ApiState,
    campaign: &Campaign,
    q: &TableQuery,
) -> Result<TargetsTable, ApiError> {
    let status = status_filter(q.status.as_deref())?;
    let text = q.q.as_deref().map(str::trim).unwrap_or("").to_string();
    let filter = TargetFilter {
        status,
        text: Some(text.clone()).filter(|t| !t.is_empty()),
    };
    let page = q.page.unwrap_or(1).max(1);
    let offset = (page - 1).saturating_mul(u64::from(TABLE_PAGE));
    let store = &state.ctx.store;
    let targets = store
        .search_targets(
            campaign.id,
            &filter,
            TargetSort::default(),
            TABLE_PAGE,
            offset,
        )
        .await?;
    let total = store.count_search(campaign.id, &filter).await?;
    let status_text = status.map_or("", TargetStatus::as_str);
    let mut statuses = vec![StatusOption {
        value: "",
        label: "Any state",
        selected: status.is_none(),
    }];
    statuses.extend(TargetStatus::ALL.iter().map(|s| StatusOption {
        value: s.as_str(),
        label: target_status_label(*s),
        selected: Some(*s) == status,
    }));
    let shown = targets.len() as u64;
    Ok(TargetsTable {
        campaign_id: campaign.id,
        rows: targets.iter().map(row_of).collect(),
        statuses,
        q: text.clone(),
        status: status_text.to_string(),
        total: count(i128::from(total)),
        first: count(i128::from(if shown == 0 { 0 } else { offset + 1 })),
        last: count(i128::from(offset + shown)),
        page,
        prev: (page > 1).then(|| table_link(campaign.id, status_text, &text, page - 1)),
        next: (offset + shown < total)
            .then(|| table_link(campaign.id, status_text, &text, page + 1)),
    })
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    layout: Layout,
    id: i64,
    name: String,
    file: Option<String>,
    created: String,
    synthetic_note: bool,
    panel_html: String,
    table_html: String,
    can_start: bool,
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
}

pub(crate) async fn page(
    IdRoute(state, session, id): IdRoute<Session>,
    Query(q): Query<TableQuery>,
) -> PageResult {
    let store = &state.ctx.store;
    let campaign = campaign_of(store, session.team, id).await?;
    let tally = tally_of(store, &state.tallies, session.team, id).await?;
    let view = atl_app::status_view(store, &tally).await?;
    let panel = ProgressPanel::from_view(&view);
    let table = table(&state, &campaign, &q).await?;
    let render = |r: Result<String, askama::Error>| {
        r.map_err(|e| PageError(ApiError::internal("dashboard template", &e)))
    };
    let status = campaign.status.as_str();
    let synthetic = state
        .ctx
        .providers
        .as_ref()
        .is_some_and(|p| p.toolkit.synthetic);
    Ok(html(
        StatusCode::OK,
        &CampaignPage {
            layout: Layout::new(campaign.name.clone(), "campaigns", session),
            id,
            name: campaign.name.clone(),
            file: campaign.uploaded_file.clone(),
            created: when(campaign.created_at),
            synthetic_note: synthetic,
            panel_html: render(panel.render())?,
            table_html: render(table.render())?,
            can_start: status == "pending",
            can_pause: status == "processing",
            can_resume: status == "paused",
            can_cancel: matches!(status, "pending" | "processing" | "paused"),
        },
    ))
}

pub(crate) async fn targets_fragment(
    IdRoute(state, session, id): IdRoute<Session>,
    Query(q): Query<TableQuery>,
) -> PageResult {
    let campaign = campaign_of(&state.ctx.store, session.team, id).await?;
    let table = table(&state, &campaign, &q).await?;
    Ok(html(StatusCode::OK, &table))
}

fn back_to(id: i64) -> Response {
    Redirect::to(&format!("/campaigns/{id}")).into_response()
}

pub(crate) async fn start(IdRoute(state, session, id): IdRoute<Session>) -> PageResult {
    let store = &state.ctx.store;
    campaign_of(store, session.team, id).await?;
    store.start_campaign_with(id, &start_plan(&state)).await?;
    Ok(back_to(id))
}

macro_rules! verb {
    ($name:ident, $method:ident) => {
        pub(crate) async fn $name(IdRoute(state, session, id): IdRoute<Session>) -> PageResult {
            let store = &state.ctx.store;
            campaign_of(store, session.team, id).await?;
            store.$method(id).await?;
            Ok(back_to(id))
        }
    };
}

verb!(pause, pause_campaign);
verb!(resume, resume_campaign);
verb!(cancel, cancel_campaign);
verb!(retry, retry_failed);

pub(crate) struct QuoteRow {
    pub what: &'static str,
    pub provider: String,
    pub model: String,
    pub units: String,
    pub expected: String,
    pub range: String,
}

/// A quote as table rows and totals.
pub(crate) struct QuoteView {
    pub targets: String,
    pub jobs: String,
    pub expected: String,
    pub low: String,
    pub high: String,
    pub rows: Vec<QuoteRow>,
    pub agents: Vec<QuoteRow>,
    pub synthetic: bool,
    pub high_nano: i64,
}

pub(crate) fn quote_view(q: &atl_app::ItemisedQuote) -> QuoteView {
    use atl_agents::QuoteKind;
    QuoteView {
        targets: count(i128::from(q.targets)),
        jobs: count(i128::from(q.jobs)),
        expected: nano_usd(q.expected_nano_usd),
        low: nano_usd(q.low_nano_usd),
        high: nano_usd(q.high_nano_usd),
        rows: q
            .lines
            .iter()
            .map(|l| QuoteRow {
                what: match l.kind {
                    QuoteKind::ModelTokens => "Model tokens",
                    QuoteKind::Searches => "Web searches",
                    QuoteKind::ContactCredits => "Contact credits",
                    QuoteKind::TtsCharacters => "Text-to-speech characters",
                },
                provider: l.provider.clone(),
                model: l.what.clone(),
                units: format!(
                    "{} ({}–{})",
                    units(l.units_expected),
                    units(l.units_low),
                    units(l.units_high)
                ),
                expected: nano_usd(l.expected_nano_usd),
                range: format!("{}–{}", nano_usd(l.low_nano_usd), nano_usd(l.high_nano_usd)),
            })
            .collect(),
        agents: q
            .by_agent
            .iter()
            .map(|a| QuoteRow {
                what: agent_label(a.kind),
                provider: String::new(),
                model: String::new(),
                units: format!("{} jobs", count(i128::from(a.jobs))),
                expected: nano_usd(a.expected_nano_usd),
                range: format!("{}–{}", nano_usd(a.low_nano_usd), nano_usd(a.high_nano_usd)),
            })
            .collect(),
        synthetic: q.synthetic,
        high_nano: q.high_nano_usd,
    }
}

#[derive(Template)]
#[template(path = "retry.html")]
struct RetryPage {
    layout: Layout,
    id: i64,
    name: String,
    quote: Option<QuoteView>,
}

/// The quote for retrying the failed jobs, with the button that does it.
pub(crate) async fn retry_page(IdRoute(state, session, id): IdRoute<Session>) -> PageResult {
    let store = &state.ctx.store;
    let campaign = campaign_of(store, session.team, id).await?;
    let quote = match &state.ctx.providers {
        Some(p) => Some(atl_app::retry_failed_quote(store, p, Some(session.team.0), id).await?),
        None => None,
    };
    Ok(html(
        StatusCode::OK,
        &RetryPage {
            layout: Layout::new(
                format!("Retry failed: {}", campaign.name),
                "campaigns",
                session,
            ),
            id,
            name: campaign.name,
            quote: quote.as_ref().map(quote_view),
        },
    ))
}
