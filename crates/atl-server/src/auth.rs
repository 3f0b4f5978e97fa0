//! Bearer keys → team. Every route behind this layer sees a [`Team`] in its extensions and
//! reads only that team's campaigns (another team's id is a 404, never a 403, so ids do
//! not leak which campaigns exist).
//!
//! With no active key in the store and a loopback-bound server, requests without a key are
//! served as the team `default` (the zero-configuration local setup). `serve` refuses to
//! bind anything but loopback in that state, and this layer re-checks the key count per
//! request, so creating the first key while the server runs switches authentication on.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use crate::ApiState;
use crate::error::ApiError;

/// The team a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Team(pub i64);

pub async fn require_team(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let team = resolve(&state, request.headers().get(header::AUTHORIZATION)).await?;
    request.extensions_mut().insert(Team(team));
    Ok(next.run(request).await)
}

async fn resolve(
    state: &ApiState,
    authorization: Option<&axum::http::HeaderValue>,
) -> Result<i64, ApiError> {
    let store = &state.ctx.store;
    match authorization {
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::unauthorized("the Authorization header must be `Bearer <key>`")
                })?;
            match store.authenticate_api_key(key).await? {
                Some(owner) => Ok(owner.team_id),
                None => Err(ApiError::unauthorized("unknown or revoked API key")),
            }
        }
        None => {
            if state.ctx.allow_anonymous && store.count_active_api_keys().await? == 0 {
                state.default_team().await
            } else {
                Err(ApiError::unauthorized(
                    "an API key is required: send `Authorization: Bearer <key>` \
                     (create one with `atl keys create --team NAME`)",
                ))
            }
        }
    }
}
