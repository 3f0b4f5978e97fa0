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
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

pub(crate) async fn resolve(
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
            if let Some(team) = state.keys.get(key) {
                return Ok(team);
            }
            match store.authenticate_api_key(key).await? {
                Some(owner) => {
                    state.keys.put(key, owner.team_id);
                    Ok(owner.team_id)
                }
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

/// How long a key that authenticated stays trusted without asking the store again. A
/// dashboard polling `/status` many times a second would otherwise spend half of its
/// database round trips on the key. The price: a key revoked from another process (`atl
/// keys revoke`) keeps working for at most this long here. Failed lookups are never
/// cached, so a wrong key always reaches the store and always fails.
pub(crate) const KEY_CACHE_TTL: Duration = Duration::from_secs(2);

/// Keys that authenticated recently, by plaintext (in memory only, never logged).
#[derive(Default)]
pub(crate) struct KeyCache {
    entries: Mutex<HashMap<String, (i64, Instant)>>,
}

impl KeyCache {
    fn get(&self, key: &str) -> Option<i64> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL)
            .map(|(team, _)| *team)
    }

    fn put(&self, key: &str, team: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            // Bounded: expired entries go whenever the map has grown.
            if entries.len() >= 1024 {
                entries.retain(|_, (_, at)| at.elapsed() < KEY_CACHE_TTL);
            }
            entries.insert(key.to_string(), (team, Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_key_expires() {
        let cache = KeyCache::default();
        assert_eq!(cache.get("k"), None);
        cache.put("k", 7);
        assert_eq!(cache.get("k"), Some(7));
        if let Ok(mut e) = cache.entries.lock() {
            e.insert("k".into(), (7, Instant::now() - KEY_CACHE_TTL));
        }
        assert_eq!(cache.get("k"), None, "an expired entry is asked again");
    }
}
