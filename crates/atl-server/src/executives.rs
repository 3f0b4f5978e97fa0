//! `GET /campaigns/{id}/executives`: the people worth calling across the whole list
//! (`atl_app::executives`, which pages, de-duplicates and ranks).

use atl_app::{ExecutiveList, ExecutivesQuery, parse_levels};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::Team;
use crate::auth::IdRoute;
use crate::error::{ApiError, ApiQuery};

/// No account has more executives than this worth listing.
const MAX_PER_ACCOUNT: usize = 1000;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExecutivesParams {
    /// Keep at most this many (the most senior) per account (1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub per_account: Option<usize>,
    /// Comma-separated Apollo levels (owner, founder, c_suite, partner, vp, head, director,
    /// manager, senior, entry, intern); default: the executive levels owner…head.
    #[param(
        pattern = "^((owner|founder|c_suite|partner|vp|head|director|manager|senior|entry|intern)(,(owner|founder|c_suite|partner|vp|head|director|manager|senior|entry|intern))*)?$"
    )]
    pub seniority: Option<String>,
}

/// Executives across the campaign's enrichment results, most senior first per account.
#[utoipa::path(get, path = "/campaigns/{id}/executives", tag = "campaigns",
    params(("id" = i64, Path, description = "campaign id"), ExecutivesParams),
    responses((status = 200, body = ExecutiveList), (status = 400, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn executives(
    IdRoute(state, team, id): IdRoute<Team>,
    ApiQuery(q): ApiQuery<ExecutivesParams>,
) -> Result<axum::Json<ExecutiveList>, ApiError> {
    if q.per_account.is_some_and(|n| n > MAX_PER_ACCOUNT) {
        return Err(ApiError::bad_request(format!(
            "per_account must be between 1 and {MAX_PER_ACCOUNT}"
        )));
    }
    let query = ExecutivesQuery {
        levels: parse_levels(q.seniority.as_deref())?,
        per_account: q.per_account,
    };
    let list = atl_app::executives(&state.ctx.store, Some(team.0), id, &query).await?;
    Ok(axum::Json(list))
}
