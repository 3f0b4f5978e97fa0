//! Bearer keys → team. Every route behind this layer sees a [`Team`] (and the [`Caller`])
//! in its extensions and reads only that team's campaigns (another team's id is a 404,
//! never a 403, so ids do not leak which campaigns exist).
//!
//! The door is closed by default: a request without a key is a 401 whether or not any key
//! exists, so revoking the last key closes the API rather than opening it. Only a server
//! started with `no_auth` (loopback only, see [`crate::serve`]) serves keyless requests,
//! as team `default`. Wrong keys count against the client address's failed-auth budget;
//! past it the address gets 429 for any key it has not used successfully before, without
//! the key being looked up. Every authenticated request takes one from its key's budget.

use axum::Extension;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ApiState;
use crate::error::{ApiError, ApiPath};

/// The team a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Team(pub i64);

/// What every route about one of the team's things (`/campaigns/{id}…`, `/targets/{id}…`)
/// starts from: the state, who asks (the API's [`Team`] or the dashboard's session, set
/// by the layer in front of the route) and the id in the path (one that is not a number
/// is the API's 400).
pub(crate) struct IdRoute<W>(pub ApiState, pub W, pub i64);

impl<W: Clone + Send + Sync + 'static> FromRequestParts<ApiState> for IdRoute<W> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Response> {
        let Extension(who) = Extension::<W>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let ApiPath(id) = ApiPath::<i64>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(IdRoute(state.clone(), who, id))
    }
}

/// Who is calling: the team and the key it came with (`None` on a `no_auth` server's
/// keyless requests). Streams keep it to re-check the key while they stay open.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub team: Team,
    pub key: Option<Arc<str>>,
}

/// The client's address, when the server was started with connection info.
pub(crate) fn client_ip(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub async fn require_team(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let ip = client_ip(&request);
    let caller = resolve(&state, ip, request.headers().get(header::AUTHORIZATION)).await?;
    request.extensions_mut().insert(caller.team);
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

fn rate_limited(what: &str, wait: Duration) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many {what}; retry after the time in Retry-After"),
    )
    .with_retry_after(wait)
}

/// The caller of a request with this `Authorization` header, from address `ip`.
pub(crate) async fn resolve(
    state: &ApiState,
    ip: Option<IpAddr>,
    authorization: Option<&HeaderValue>,
) -> Result<Caller, ApiError> {
    let limits = &state.limits;
    let shut_out = ip.and_then(|ip| limits.failed_auth.wait(ip));
    let failed = |error: ApiError| match ip.and_then(|ip| limits.failed_auth.failed(ip)) {
        Some(wait) => rate_limited("failed authentications from this address", wait),
        None => error,
    };
    let Some(value) = authorization else {
        if state.ctx.options.no_auth {
            return Ok(Caller {
                team: Team(state.default_team().await?),
                key: None,
            });
        }
        return Err(ApiError::unauthorized(
            "an API key is required: send `Authorization: Bearer <key>` \
             (create one with `atl keys create --team NAME`)",
        ));
    };
    let key = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            failed(ApiError::unauthorized(
                "the Authorization header must be `Bearer <key>`",
            ))
        })?;
    // A shut-out address is not asked about new keys (the database is not a guessing
    // oracle); a key that authenticated here before is still looked at, so the people
    // behind a shared address whose other client misbehaves keep working.
    if let Some(wait) = shut_out
        && !state.keys.known(key)
    {
        return Err(rate_limited(
            "failed authentications from this address",
            wait,
        ));
    }
    let Some(team) = lookup(state, key).await? else {
        return Err(failed(ApiError::unauthorized("unknown or revoked API key")));
    };
    if let Err(wait) = limits.per_key.take(&key.to_string()) {
        return Err(rate_limited("requests with this key", wait));
    }
    Ok(Caller {
        team: Team(team),
        key: Some(Arc::from(key)),
    })
}

/// The key `atl serve` makes on the first start of a database that has never had one
/// (team `default`), so a new server is never open; `None` when any key exists or ever
/// existed. Revoking every key therefore leaves the API closed, across restarts too.
pub async fn first_start_key(
    store: &atl_store::Store,
) -> Result<Option<atl_store::CreatedApiKey>, atl_store::StoreError> {
    if !store.list_api_keys(None).await?.is_empty() {
        return Ok(None);
    }
    store
        .create_api_key(
            atl_domain::DEFAULT_TEAM,
            Some("made by atl serve on first start"),
        )
        .await
        .map(Some)
}

/// The team of `key`, from the cache or the store; `None` when unknown or revoked.
pub(crate) async fn lookup(state: &ApiState, key: &str) -> Result<Option<i64>, ApiError> {
    if let Some(team) = state.keys.get(key) {
        return Ok(Some(team));
    }
    match state.ctx.store.authenticate_api_key(key).await? {
        Some(owner) => {
            state.keys.put(key, owner.team_id);
            Ok(Some(owner.team_id))
        }
        None => Ok(None),
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

    /// Whether `key` authenticated here recently enough to still be in the map (stale or
    /// not): a key the server has seen work, not a guess.
    fn known(&self, key: &str) -> bool {
        self.entries
            .lock()
            .is_ok_and(|entries| entries.contains_key(key))
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
