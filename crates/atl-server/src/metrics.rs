//! HTTP request counters by route template and status, for `/metrics`.
//!
//! Routes are recorded by their template (`/api/atl/campaigns/{id}`), never the concrete
//! path, so the number of series stays bounded whatever clients request.

use atl_providers::governor::{HistogramSnapshot, LatencyHistogram};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ApiState;

/// Upper bounds (seconds) of the request latency buckets: the API answers in
/// milliseconds; exports and uploads can take seconds.
const HTTP_LATENCY_BOUNDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

type SeriesKey = (String, String, u16);

/// (method, route, status) → latency histogram (its count is the request count).
#[derive(Debug, Default)]
pub(crate) struct HttpMetrics {
    series: Mutex<BTreeMap<SeriesKey, Arc<LatencyHistogram>>>,
}

/// The method as a label: the standard ones by name, anything else as `other`, so a client
/// inventing methods cannot grow the series without bound.
fn method_label(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "TRACE" | "CONNECT" => {
            method
        }
        _ => "other",
    }
}

impl HttpMetrics {
    fn record(&self, method: &str, route: &str, status: u16, took: Duration) {
        let method = method_label(method);
        let histogram = {
            // A poisoned lock only means another request panicked mid-update: the counts
            // are still usable, so keep counting rather than failing every later request.
            let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
            series
                .entry((method.to_string(), route.to_string(), status))
                .or_insert_with(|| Arc::new(LatencyHistogram::new(HTTP_LATENCY_BOUNDS)))
                .clone()
        };
        histogram.observe(took);
    }

    pub(crate) fn snapshot(&self) -> Vec<(SeriesKey, HistogramSnapshot)> {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        series
            .iter()
            .map(|(k, h)| (k.clone(), h.snapshot()))
            .collect()
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
        started.elapsed(),
    );
    response
}

/// The fallback for unknown paths: counted under the route `unmatched`, answered 404.
pub(crate) async fn unmatched(
    State(state): State<ApiState>,
    method: axum::http::Method,
) -> crate::ApiError {
    state
        .http
        .record(method.as_str(), "unmatched", 404, Duration::ZERO);
    crate::error::not_found().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_series() {
        let m = HttpMetrics::default();
        for method in ["GET", "BREW", "WHEN", "GET"] {
            m.record(method, "unmatched", 404, Duration::from_millis(1));
        }
        let series: Vec<(String, u64)> = m
            .snapshot()
            .into_iter()
            .map(|((method, _, _), h)| (method, h.count()))
            .collect();
        assert_eq!(series, vec![("GET".into(), 2), ("other".into(), 2)]);
    }
}
