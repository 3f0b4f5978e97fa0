//! HTTP request counters by route template and status, for `/metrics`.
//!
//! Routes are recorded by their template (`/api/atl/campaigns/{id}`), never the concrete
//! path, so the number of series stays bounded whatever clients request.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::ApiState;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Series {
    pub(crate) count: u64,
    pub(crate) seconds: f64,
}

/// (method, route, status) → count and total seconds.
#[derive(Debug, Default)]
pub(crate) struct HttpMetrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl HttpMetrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        // A poisoned lock only means another request panicked mid-update: the counts are
        // still usable, so keep counting rather than failing every later request.
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let entry = series
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        entry.count += 1;
        entry.seconds += seconds;
    }

    pub(crate) fn snapshot(&self) -> Vec<((String, String, u16), Series)> {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        series.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

pub(crate) async fn track(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    state.http.record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The fallback for unknown paths: counted under the route `unmatched`, answered 404.
pub(crate) async fn unmatched(
    State(state): State<ApiState>,
    method: axum::http::Method,
) -> crate::ApiError {
    state.http.record(method.as_str(), "unmatched", 404, 0.0);
    crate::error::not_found().await
}
