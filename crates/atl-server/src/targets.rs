//! A campaign's targets, one target with everything its sub-agents produced, and its audio.

use atl_domain::{SubAgentKind, TargetStatus};
use atl_store::{StoredResult, Target, TargetSort, nano_to_usd};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use utoipa::{IntoParams, ToSchema};

use crate::auth::IdRoute;
use crate::campaigns::{Paging, campaign_of, rfc3339};
use crate::error::{ApiError, ApiQuery};
use crate::{API_PREFIX, ApiState, Team};

/// A target as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TargetView {
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
    /// The CSV's other columns.
    #[schema(value_type = Object)]
    pub extra: Value,
    /// pending, processing, completed, partial, failed, cancelled.
    pub status: String,
    /// The sub-agents without a result (failed or skipped).
    pub failed_sub_agents: Vec<String>,
    /// The same with why: `{sub_agent, status, reason}`.
    #[schema(value_type = Vec<Object>)]
    pub missing_sub_agents: Vec<Value>,
    pub cost_usd: f64,
    /// The merged view of the results, when the ledger keeps one (else null).
    #[schema(value_type = Option<Object>)]
    pub enriched_data: Option<Value>,
    pub updated_at: String,
}

impl From<&Target> for TargetView {
    fn from(t: &Target) -> Self {
        TargetView {
            id: t.id,
            campaign_id: t.campaign_id,
            row_number: t.row_number,
            company_name: t.company_name.clone(),
            contact_name: t.contact_name.clone(),
            contact_email: t.contact_email.clone(),
            contact_title: t.contact_title.clone(),
            linkedin_url: t.linkedin_url.clone(),
            website: t.website.clone(),
            domain: t.domain.clone(),
            extra: t.extra.clone(),
            status: t.enrichment_status.to_string(),
            failed_sub_agents: t
                .failed_sub_agents
                .iter()
                .flatten()
                .map(|m| m.sub_agent.to_string())
                .collect(),
            missing_sub_agents: t
                .failed_sub_agents
                .iter()
                .flatten()
                .filter_map(|m| serde_json::to_value(m).ok())
                .collect(),
            cost_usd: nano_to_usd(t.cost_nano_usd),
            enriched_data: t.enriched_data.clone(),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TargetQuery {
    /// Only targets in this state (pending, processing, completed, partial, failed,
    /// cancelled); empty = all.
    #[param(pattern = "^(pending|processing|completed|partial|failed|cancelled)?$")]
    pub status: Option<String>,
    /// row_number (default), company, status, updated_at or id; `-` prefix = descending;
    /// empty = the default.
    #[param(pattern = "^(-?(row_number|company|status|updated_at|id))?$")]
    pub sort: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TargetList {
    pub targets: Vec<TargetView>,
    /// Matching targets in the campaign, not just this page.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// `?status=` as a target state: empty or absent = any state, anything else a 400.
pub(crate) fn status_filter(status: Option<&str>) -> Result<Option<TargetStatus>, ApiError> {
    status
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .transpose()
        .map_err(|e: atl_domain::ParseStatusError| ApiError::bad_request(e.to_string()))
}

/// A campaign's targets, paginated, filtered and sorted.
#[utoipa::path(get, path = "/campaigns/{id}/targets", tag = "targets",
    params(("id" = i64, Path, description = "campaign id"), TargetQuery, Paging),
    responses((status = 200, body = TargetList), (status = 400, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn list_targets(
    IdRoute(state, team, id): IdRoute<Team>,
    ApiQuery(q): ApiQuery<TargetQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<axum::Json<TargetList>, ApiError> {
    let (limit, offset) = paging.resolve()?;
    let status = status_filter(q.status.as_deref())?;
    let sort: TargetSort = match q.sort.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse()
            .map_err(|e: atl_store::StoreError| ApiError::bad_request(e.to_string()))?,
        None => TargetSort::default(),
    };
    let store = &state.ctx.store;
    campaign_of(store, team, id).await?;
    let targets = store
        .list_targets_sorted(id, status, sort, limit, offset)
        .await?;
    let total = store.count_targets_with(id, status).await?;
    Ok(axum::Json(TargetList {
        targets: targets.iter().map(TargetView::from).collect(),
        total,
        limit,
        offset,
    }))
}

/// One sub-agent's result.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResultView {
    /// research, intel, enrichment, voice.
    pub sub_agent: String,
    #[schema(value_type = Object)]
    pub data: Value,
    /// The URLs the result cites.
    #[schema(value_type = Vec<String>)]
    pub sources: Value,
    pub confidence: Option<f64>,
    /// Null when the provider reported no price (unknown is not zero).
    pub cost_usd: Option<f64>,
    pub latency_ms: Option<i64>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub tokens_in: i64,
    pub tokens_out: i64,
    /// True when made through the sandbox (synthetic content).
    pub synthetic: bool,
    pub completed_at: String,
}

impl From<&StoredResult> for ResultView {
    fn from(r: &StoredResult) -> Self {
        ResultView {
            sub_agent: r.kind.to_string(),
            data: r.data.clone(),
            sources: r.sources.clone(),
            confidence: r.confidence,
            cost_usd: r.cost_nano_usd.map(nano_to_usd),
            latency_ms: r.latency_ms,
            provider: r.provider.clone(),
            model: r.model.clone(),
            tokens_in: r.tokens_in,
            tokens_out: r.tokens_out,
            synthetic: r.synthetic,
            completed_at: rfc3339(r.completed_at),
        }
    }
}

/// One job of the target (for the sub-agents that have not produced a result).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobView {
    pub sub_agent: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// Why the last attempt failed (for failed jobs: why the sub-agent gave up).
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TargetDetail {
    pub target: TargetView,
    /// The four records of the typed contract (research brief, intel report, enrichment
    /// record, call script), each field with its provenance, plus what is missing and why.
    #[schema(value_type = Object)]
    pub record: atl_app::record::TargetRecord,
    pub results: Vec<ResultView>,
    pub jobs: Vec<JobView>,
    /// `/api/atl/targets/{id}/audio` once a call script exists: the audio is served from
    /// there, rendered on the first request when it was not rendered yet.
    pub audio_url: Option<String>,
}

/// The team's target by id, or 404.
async fn target_of(state: &ApiState, team: Team, id: i64) -> Result<Target, ApiError> {
    state
        .ctx
        .store
        .get_target_for_team(Some(team.0), id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("target {id} not found")))
}

/// A target with all its results (sources, confidence, cost, latency, provider and model)
/// and its jobs (errors of the failed ones).
#[utoipa::path(get, path = "/targets/{id}", tag = "targets",
    params(("id" = i64, Path, description = "target id")),
    responses((status = 200, body = TargetDetail), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_target(
    IdRoute(state, team, id): IdRoute<Team>,
) -> Result<axum::Json<TargetDetail>, ApiError> {
    let target = target_of(&state, team, id).await?;
    let store = &state.ctx.store;
    let results = store.results_for_target(id).await?;
    let jobs = store.jobs_for_target(id).await?;
    let failures = store.failed_jobs_for_targets(&[id]).await?;
    let has_script = results.iter().any(|r| r.kind == SubAgentKind::Voice);
    let view = TargetView::from(&target);
    let record = atl_app::record::TargetRecord::read(target, &results, &failures);
    Ok(axum::Json(TargetDetail {
        target: view,
        record,
        results: results.iter().map(ResultView::from).collect(),
        jobs: jobs
            .iter()
            .map(|j| JobView {
                sub_agent: j.kind.to_string(),
                status: j.status.to_string(),
                attempts: j.attempts,
                max_attempts: j.max_attempts,
                last_error: j.last_error.clone(),
            })
            .collect(),
        audio_url: has_script.then(|| format!("{API_PREFIX}/targets/{id}/audio")),
    }))
}

/// `path` (absolute, or relative to `data_dir`) if it resolves, symlinks followed, to a
/// file inside `data_dir`; `None` otherwise. A stored path is data the agents wrote, but
/// it is still checked: a traversal (`../`) or a link out of the directory is refused.
pub(crate) fn resolve_inside(data_dir: &Path, path: &str) -> Option<PathBuf> {
    let root = data_dir.canonicalize().ok()?;
    let candidate = Path::new(path);
    // `ensure_audio` answers paths already joined to the data directory; with the default
    // relative directory (`atl-data/audio/…`) joining again would look in
    // `atl-data/atl-data/…` and miss the file `audio_url` promised.
    let joined = if candidate.is_absolute() || candidate.starts_with(data_dir) {
        candidate.to_path_buf()
    } else {
        data_dir.join(candidate)
    };
    let real = joined.canonicalize().ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

/// The target's call-script audio as WAV, rendered on the first request (audio is made on
/// demand so nobody pays for audio nobody plays) and served from the data directory after.
#[utoipa::path(get, path = "/targets/{id}/audio", tag = "targets",
    params(("id" = i64, Path, description = "target id")),
    responses((status = 200, content_type = "audio/wav", description = "the WAV file"),
        (status = 404, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody),
        (status = 502, body = crate::ErrorBody), (status = 503, body = crate::ErrorBody)))]
pub(crate) async fn audio(IdRoute(state, team, id): IdRoute<Team>) -> Result<Response, ApiError> {
    target_of(&state, team, id).await?;
    let providers = state.ctx.providers.as_ref().ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "audio rendering is not configured on this server",
        )
    })?;
    let file = atl_app::ensure_audio(
        &state.ctx.store,
        providers,
        &state.ctx.data_dir,
        Some(team.0),
        id,
    )
    .await?;
    let data_dir = state.ctx.data_dir.clone();
    let stored = file.path.to_string_lossy().to_string();
    // canonicalize touches the file system: keep it off the async workers.
    let path = tokio::task::spawn_blocking(move || resolve_inside(&data_dir, &stored))
        .await
        .map_err(|e| ApiError::internal("audio path", &e))?
        .ok_or_else(|| {
            tracing::warn!(
                target_id = id,
                "audio path missing or outside the data directory"
            );
            ApiError::not_found(format!("target {id} has no audio"))
        })?;
    // WAVs of a cold-call script are a few hundred KB: read whole, no streaming needed.
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| ApiError::internal("reading audio", &e))?;
    let mut response = bytes.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_paths_outside_the_data_dir_are_refused() {
        // Under the workspace's target directory: a unit test reads no environment.
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/tmp")
            .join(format!("atl-audio-{}", std::process::id()));
        let data = base.join("data");
        std::fs::create_dir_all(data.join("audio")).unwrap();
        std::fs::write(data.join("audio/1.wav"), b"RIFF").unwrap();
        std::fs::write(base.join("secret.txt"), b"x").unwrap();
        assert!(resolve_inside(&data, "audio/1.wav").is_some());
        // A relative data directory, as the default `atl-data` is: `ensure_audio` answers
        // `atl-data/audio/…`, which must not be joined to the directory a second time.
        let relative = PathBuf::from(format!(".atl-audio-test-{}", std::process::id()));
        std::fs::create_dir_all(relative.join("audio")).unwrap();
        std::fs::write(relative.join("audio/2.wav"), b"RIFF").unwrap();
        let found = resolve_inside(&relative, &relative.join("audio/2.wav").to_string_lossy());
        let _ = std::fs::remove_dir_all(&relative);
        assert!(
            found.is_some(),
            "a path already inside the relative data directory"
        );
        let abs = data.join("audio/1.wav");
        assert!(resolve_inside(&data, abs.to_str().unwrap()).is_some());
        assert!(resolve_inside(&data, "../secret.txt").is_none());
        assert!(resolve_inside(&data, base.join("secret.txt").to_str().unwrap()).is_none());
        assert!(resolve_inside(&data, "audio/missing.wav").is_none());
        assert!(
            resolve_inside(&data, "audio").is_none(),
            "a directory is not a file"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
