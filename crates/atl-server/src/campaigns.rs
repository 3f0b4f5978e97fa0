//! Campaigns: list, one, status (`atl_app::StatusView`), and the control verbs (start, pause,
//! resume, cancel, retry-failed, estimate). Transitions are the ledger's; a refused one is
//! the store's `Conflict` and answers 409 with its reason.

use atl_domain::SubAgentKind;
use atl_store::{Campaign, CampaignTally, Store, nano_to_usd};
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::IdRoute;
use crate::error::{ApiError, ApiQuery};
use crate::{ApiState, Team};
pub(crate) use atl_app::StatusView;

/// Default and largest page sizes of the list routes.
pub(crate) const DEFAULT_PAGE: u32 = 50;
pub(crate) const MAX_PAGE: u32 = 1_000;

/// `?limit&offset` or `?page&per_page` (1-based page); limit wins when both are given.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Paging {
    /// Items per page (default 50, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Items to skip.
    #[param(maximum = 9_223_372_036_854_775_807_u64)]
    pub offset: Option<u64>,
    /// 1-based page number (with `per_page`).
    #[param(minimum = 1, maximum = 9_223_372_036_854_775_807_u64)]
    pub page: Option<u64>,
    /// Items per page (with `page`).
    #[param(minimum = 1, maximum = 1000)]
    pub per_page: Option<u32>,
}

impl Paging {
    /// (limit, offset), validated.
    pub(crate) fn resolve(&self) -> Result<(u32, u64), ApiError> {
        let limit = self.limit.or(self.per_page).unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_PAGE}"
            )));
        }
        // The store counts rows in i64.
        const MAX: u64 = i64::MAX as u64;
        if self.offset.is_some_and(|o| o > MAX) || self.page.is_some_and(|p| p > MAX) {
            return Err(ApiError::bad_request(format!(
                "offset and page must be at most {MAX}"
            )));
        }
        let offset = match (self.offset, self.page) {
            (Some(o), _) => o,
            (None, Some(0)) => return Err(ApiError::bad_request("page starts at 1")),
            (None, Some(p)) => (p - 1).saturating_mul(u64::from(limit)),
            (None, None) => 0,
        };
        // A page past the last row is an empty page, however far past.
        Ok((limit, offset.min(MAX)))
    }
}

/// A campaign as the API shows it (money in USD).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignView {
    pub id: i64,
    pub name: String,
    pub uploaded_file: Option<String>,
    /// pending, processing, paused, completed, failed, cancelled.
    pub status: String,
    pub total_targets: i64,
    /// Targets with every sub-agent's result.
    pub enriched_count: i64,
    /// Targets with some results, the other sub-agents failed or skipped.
    pub partial_count: i64,
    pub in_progress_count: i64,
    pub failed_count: i64,
    pub budget_usd: Option<f64>,
    pub cost_usd: f64,
    #[schema(value_type = Object)]
    pub settings: Value,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

pub(crate) use atl_app::rfc3339;

impl From<&Campaign> for CampaignView {
    fn from(c: &Campaign) -> Self {
        CampaignView {
            id: c.id,
            name: c.name.clone(),
            uploaded_file: c.uploaded_file.clone(),
            status: c.status.to_string(),
            total_targets: c.total_targets,
            enriched_count: c.enriched_count,
            partial_count: c.partial_count,
            in_progress_count: c.in_progress_count,
            failed_count: c.failed_count,
            budget_usd: c.budget_usd(),
            cost_usd: c.cost_usd(),
            settings: c.settings.clone(),
            created_at: rfc3339(c.created_at),
            started_at: c.started_at.map(rfc3339),
            completed_at: c.completed_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignList {
    pub campaigns: Vec<CampaignView>,
    /// All of the team's campaigns, not just this page.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// The team's campaign, or 404 whether it is missing or another team's.
pub(crate) async fn campaign_of(store: &Store, team: Team, id: i64) -> Result<Campaign, ApiError> {
    store
        .get_campaign(Some(team.0), id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("campaign {id} not found")))
}

/// The team's campaigns, newest first.
#[utoipa::path(get, path = "/campaigns", tag = "campaigns", params(Paging),
    responses((status = 200, body = CampaignList), (status = 401, body = crate::ErrorBody)))]
pub(crate) async fn list_campaigns(
    State(state): State<ApiState>,
    Extension(team): Extension<Team>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<axum::Json<CampaignList>, ApiError> {
    let (limit, offset) = paging.resolve()?;
    let store = &state.ctx.store;
    let campaigns = store.list_campaigns(Some(team.0), limit, offset).await?;
    let total = store.count_campaigns(Some(team.0)).await?;
    Ok(axum::Json(CampaignList {
        campaigns: campaigns.iter().map(CampaignView::from).collect(),
        total,
        limit,
        offset,
    }))
}

/// One campaign, with its import report.
#[utoipa::path(get, path = "/campaigns/{id}", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = CampaignView), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_campaign(
    IdRoute(state, team, id): IdRoute<Team>,
) -> Result<axum::Json<Value>, ApiError> {
    let campaign = campaign_of(&state.ctx.store, team, id).await?;
    let mut view = serde_json::to_value(CampaignView::from(&campaign))
        .map_err(|e| ApiError::internal("campaign view", &e))?;
    view["import_report"] = campaign.import_report.clone().unwrap_or(Value::Null);
    Ok(axum::Json(view))
}

/// The shared seed-format view, with the API's error type.
pub(crate) async fn status_view(store: &Store, c: &Campaign) -> Result<StatusView, ApiError> {
    Ok(atl_app::status_view(store, &c.into()).await?)
}

/// Status reads, shared by concurrent readers of the same (team, campaign).
pub(crate) type Tallies = crate::coalesce::Coalescer<(i64, i64), Option<CampaignTally>>;

/// What the team's campaign's status is computed from, read together with the concurrent
/// polls of the same campaign (never older than the request: see `coalesce`).
pub(crate) async fn tally_of(
    store: &Store,
    tallies: &Tallies,
    team: Team,
    id: i64,
) -> Result<CampaignTally, ApiError> {
    let store = store.clone();
    let read = move || {
        let store = store.clone();
        async move { store.get_campaign_tally(Some(team.0), id).await }
    };
    tallies
        .get((team.0, id), read)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("campaign {id} not found")))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StatusQuery {
    /// `true` adds `detail`: target and job counts by state, reserved money, unknown costs.
    pub detail: Option<bool>,
}

/// Progress as `atl_app::StatusView`: the `progress` block (total, completed, partial,
/// failed, in progress, percent), cost and failures per sub-agent.
#[utoipa::path(get, path = "/campaigns/{id}/status", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), StatusQuery),
    responses((status = 200, body = StatusView), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn campaign_status(
    IdRoute(state, team, id): IdRoute<Team>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Response, ApiError> {
    let store = &state.ctx.store;
    let tally = tally_of(store, &state.tallies, team, id).await?;
    let view = atl_app::status_view(store, &tally).await?;
    if !q.detail.unwrap_or(false) {
        return Ok(axum::Json(view).into_response());
    }
    let mut body = serde_json::to_value(view).map_err(|e| ApiError::internal("status", &e))?;
    let progress = store.campaign_progress(id).await?;
    body["detail"] = serde_json::json!({
        "targets": progress.targets,
        "jobs": progress.jobs,
        "reserved_usd": nano_to_usd(progress.reserved_nano_usd),
        "budget_exhausted": progress.budget_exhausted,
        "unknown_cost_results": progress.unknown_cost_results,
    });
    Ok(axum::Json(body).into_response())
}

/// Answer of the control verbs: the campaign's status after the transition.
async fn after_transition(
    store: &Store,
    campaign: &Campaign,
) -> Result<axum::Json<StatusView>, ApiError> {
    Ok(axum::Json(status_view(store, campaign).await?))
}

/// The jobs a start creates: each sub-agent's get the attempts its retry policy allows.
pub(crate) fn start_plan(state: &ApiState) -> Vec<(SubAgentKind, u32)> {
    state.ctx.coordinator.as_ref().map_or_else(
        || {
            SubAgentKind::ALL
                .iter()
                .map(|k| (*k, state.ctx.max_attempts))
                .collect()
        },
        |c| c.job_plan(),
    )
}

/// Creates the jobs (target × sub-agent) and moves the campaign to `processing`; the
/// workers pick them up. Only a pending campaign can be started.
#[utoipa::path(post, path = "/campaigns/{id}/start", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 202, body = StatusView), (status = 404, body = crate::ErrorBody),
        (status = 409, body = crate::ErrorBody)))]
pub(crate) async fn start(
    IdRoute(state, team, id): IdRoute<Team>,
) -> Result<(StatusCode, axum::Json<StatusView>), ApiError> {
    let store = &state.ctx.store;
    campaign_of(store, team, id).await?;
    let campaign = store.start_campaign_with(id, &start_plan(&state)).await?;
    Ok((
        StatusCode::ACCEPTED,
        after_transition(store, &campaign).await?,
    ))
}

macro_rules! control_verb {
    ($name:ident, $method:ident, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "campaigns",
            params(("id" = i64, Path, description = "campaign id")),
            responses((status = 200, body = StatusView), (status = 404, body = crate::ErrorBody),
                (status = 409, description = "not allowed in the campaign's state", body = crate::ErrorBody)))]
        pub(crate) async fn $name(
            IdRoute(state, team, id): IdRoute<Team>,
        ) -> Result<axum::Json<StatusView>, ApiError> {
            let store = &state.ctx.store;
            campaign_of(store, team, id).await?;
            let campaign = store.$method(id).await?;
            after_transition(store, &campaign).await
        }
    };
}

control_verb!(
    pause,
    pause_campaign,
    "/campaigns/{id}/pause",
    "Stops handing out the campaign's jobs; running ones finish."
);
control_verb!(
    resume,
    resume_campaign,
    "/campaigns/{id}/resume",
    "Resumes a paused campaign."
);
control_verb!(
    cancel,
    cancel_campaign,
    "/campaigns/{id}/cancel",
    "Cancels a campaign: pending jobs are skipped, its targets not yet done are cancelled."
);
control_verb!(
    retry_failed,
    retry_failed,
    "/campaigns/{id}/retry-failed",
    "Puts the campaign's failed jobs back in the queue."
);

/// A quote for running the campaign: the sum of every sub-agent's own estimate per
/// target, itemised (model tokens, searches, contact credits, TTS), with the budget check.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EstimateView {
    #[serde(flatten)]
    pub quote: atl_app::CampaignEstimate,
    pub budget_usd: Option<f64>,
    /// Whether the high estimate fits the budget (null without a budget).
    pub within_budget: Option<bool>,
}

/// Quotes the campaign from the agents' estimates (prompt sizes, paid lookups, TTS).
#[utoipa::path(post, path = "/campaigns/{id}/estimate", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = EstimateView), (status = 404, body = crate::ErrorBody),
        (status = 503, description = "the server runs without providers", body = crate::ErrorBody)))]
pub(crate) async fn estimate(
    IdRoute(state, team, id): IdRoute<Team>,
) -> Result<axum::Json<EstimateView>, ApiError> {
    let store = &state.ctx.store;
    let campaign = campaign_of(store, team, id).await?;
    let Some(providers) = &state.ctx.providers else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "estimates need the providers, which this server was started without",
        ));
    };
    let quote = atl_app::estimate_campaign(store, providers, Some(team.0), id).await?;
    let high = atl_store::usd_to_nano(quote.high_usd).unwrap_or(i64::MAX);
    Ok(axum::Json(EstimateView {
        quote,
        budget_usd: campaign.budget_usd(),
        within_budget: campaign.budget_nano_usd.map(|b| high <= b),
    }))
}
