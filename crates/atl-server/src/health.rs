//! `/healthz` (no key: load balancers call it) and `/metrics` (Prometheus text format).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

use crate::ApiState;
use crate::error::ApiError;

/// 200 when the database answers a query, 503 when it does not.
pub(crate) async fn healthz(State(state): State<ApiState>) -> Response {
    let backend = state.ctx.store.backend().as_str();
    match state.ctx.store.ping().await {
        Ok(()) => {
            axum::Json(serde_json::json!({"status": "ok", "database": backend})).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
            )
            .with_details(serde_json::json!({"database": backend}))
            .into_response()
        }
    }
}

/// Escapes a Prometheus label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Jobs by state, campaigns by status, HTTP requests by route and status, provider calls,
/// 429s and latency from the governors, and money per provider from the ledger.
pub(crate) async fn metrics(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let store = &state.ctx.store;
    let mut out = String::with_capacity(4096);
    // write! into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        out,
        "# HELP atl_jobs Jobs in the ledger by state.\n# TYPE atl_jobs gauge"
    );
    for (status, n) in store.jobs_by_status().await? {
        let _ = writeln!(out, "atl_jobs{{state=\"{}\"}} {n}", label(&status));
    }
    let _ = writeln!(
        out,
        "# HELP atl_campaigns Campaigns by status.\n# TYPE atl_campaigns gauge"
    );
    for (status, n) in store.campaigns_by_status().await? {
        let _ = writeln!(out, "atl_campaigns{{status=\"{}\"}} {n}", label(&status));
    }
    let _ = writeln!(
        out,
        "# HELP atl_cost_usd_total Money spent per provider (from stored results).\n# TYPE atl_cost_usd_total counter"
    );
    let _ = writeln!(
        out,
        "# HELP atl_results_total Stored results per provider.\n# TYPE atl_results_total counter"
    );
    for (provider, nano, n) in store.cost_by_provider().await? {
        let p = label(&provider);
        let _ = writeln!(
            out,
            "atl_cost_usd_total{{provider=\"{p}\"}} {}",
            atl_store::nano_to_usd(nano)
        );
        let _ = writeln!(out, "atl_results_total{{provider=\"{p}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP atl_http_requests_total HTTP requests by route and status.\n# TYPE atl_http_requests_total counter"
    );
    let http = state.http.snapshot();
    for ((method, route, status), s) in &http {
        let _ = writeln!(
            out,
            "atl_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {}",
            label(method),
            label(route),
            s.count
        );
    }
    let _ = writeln!(
        out,
        "# HELP atl_http_request_duration_seconds_sum Time spent answering, by route.\n# TYPE atl_http_request_duration_seconds_sum counter"
    );
    for ((method, route, status), s) in &http {
        let _ = writeln!(
            out,
            "atl_http_request_duration_seconds_sum{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {}",
            label(method),
            label(route),
            s.seconds
        );
    }
    if let Some(providers) = &state.ctx.providers {
        let snaps = providers.toolkit.governors.snapshot();
        let series: [(&str, &str, &str); 6] = [
            (
                "atl_provider_calls_total",
                "counter",
                "Calls started per provider and model.",
            ),
            (
                "atl_provider_attempts_total",
                "counter",
                "Attempts sent (retries included).",
            ),
            (
                "atl_provider_failures_total",
                "counter",
                "Calls that ended in an error.",
            ),
            (
                "atl_provider_rate_limited_total",
                "counter",
                "429 answers seen.",
            ),
            (
                "atl_provider_latency_seconds_sum",
                "counter",
                "Wall time of finished calls.",
            ),
            ("atl_provider_in_flight", "gauge", "Attempts in flight."),
        ];
        for (name, kind, help) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for s in &snaps {
                let value = match name {
                    "atl_provider_calls_total" => s.calls as f64,
                    "atl_provider_attempts_total" => s.attempts as f64,
                    "atl_provider_failures_total" => s.failures as f64,
                    "atl_provider_rate_limited_total" => s.rate_limited as f64,
                    "atl_provider_latency_seconds_sum" => s.total_latency.as_secs_f64(),
                    _ => s.in_flight as f64,
                };
                let _ = writeln!(
                    out,
                    "{name}{{provider=\"{}\",model=\"{}\"}} {value}",
                    label(&s.provider),
                    label(&s.model)
                );
            }
        }
    }
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
