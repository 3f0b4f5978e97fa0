//! `/healthz` (no key: load balancers call it) and `/metrics` (Prometheus text format).

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

use atl_providers::governor::{GovernorSnapshot, HistogramSnapshot};

use crate::error::ApiError;
use crate::{ApiState, Team};

/// `ok` (plain text) when the database answers a query, 503 when it does not. It answers
/// without a key, so it says nothing else (not even which database).
pub(crate) async fn healthz(State(state): State<ApiState>) -> Response {
    match state.ctx.store.ping().await {
        Ok(()) => {
            let mut r = "ok".into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            r
        }
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
            )
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

/// `# HELP` and `# TYPE` of one metric family; its samples must follow as one group.
/// (`write!` into a String cannot fail; here and below the results are ignored.)
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A family (name, type, help) whose samples differ by one label: `name{key="v"} n`.
fn one_label_family<'a, N: std::fmt::Display>(
    out: &mut String,
    (name, kind, help): (&str, &str, &str),
    key: &str,
    samples: impl Iterator<Item = (&'a str, N)>,
) {
    family(out, name, kind, help);
    for (value, n) in samples {
        let _ = writeln!(out, "{name}{{{key}=\"{}\"}} {n}", label(value));
    }
}

/// The `_bucket`, `_sum` and `_count` samples of one histogram series; `labels` are the
/// series' own, already escaped (`a="x",b="y"`).
fn histogram(out: &mut String, name: &str, labels: &str, h: &HistogramSnapshot) {
    for (le, n) in h.cumulative() {
        let le = le.map_or_else(|| "+Inf".to_string(), |v| v.to_string());
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum.as_secs_f64());
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count());
}

/// Jobs by state, campaigns by status, HTTP requests by route and status with latency
/// histograms, provider calls, 429s and latency histograms from the governors, and money
/// per provider from the ledger.
pub(crate) async fn metrics(
    State(state): State<ApiState>,
    Extension(team): Extension<Team>,
) -> Result<Response, ApiError> {
    let store = &state.ctx.store;
    // The ledger's series are the caller's team's, like everything a key reads; the
    // process's own series (HTTP, provider calls, 429s, latencies) carry no team data.
    let team = Some(team.0);
    let mut out = String::with_capacity(8192);
    let jobs = store.jobs_by_status(team).await?;
    one_label_family(
        &mut out,
        (
            "atl_jobs",
            "gauge",
            "This team's jobs in the ledger by state.",
        ),
        "state",
        jobs.iter().map(|(status, n)| (status.as_str(), n)),
    );
    let campaigns = store.campaigns_by_status(team).await?;
    one_label_family(
        &mut out,
        ("atl_campaigns", "gauge", "This team's campaigns by status."),
        "status",
        campaigns.iter().map(|(status, n)| (status.as_str(), n)),
    );
    let costs = store.cost_by_provider(team).await?;
    one_label_family(
        &mut out,
        (
            "atl_cost_usd_total",
            "counter",
            "Money this team spent per provider (from stored results).",
        ),
        "provider",
        costs
            .iter()
            .map(|(provider, nano, _)| (provider.as_str(), atl_store::nano_to_usd(*nano))),
    );
    one_label_family(
        &mut out,
        (
            "atl_results_total",
            "counter",
            "This team's stored results per provider.",
        ),
        "provider",
        costs.iter().map(|(provider, _, n)| (provider.as_str(), n)),
    );

    // Both families read the same series, each family's samples written as one group.
    let (mut requests, mut durations) = (String::new(), String::new());
    for ((method, route, status), h) in &state.http.snapshot() {
        let labels = format!(
            "method=\"{}\",route=\"{}\",status=\"{status}\"",
            label(method),
            label(route)
        );
        let _ = writeln!(
            requests,
            "atl_http_requests_total{{{labels}}} {}",
            h.count()
        );
        histogram(
            &mut durations,
            "atl_http_request_duration_seconds",
            &labels,
            h,
        );
    }
    for (name, kind, help, samples) in [
        (
            "atl_http_requests_total",
            "counter",
            "HTTP requests by route and status.",
            requests,
        ),
        (
            "atl_http_request_duration_seconds",
            "histogram",
            "Time spent answering, by route and status.",
            durations,
        ),
    ] {
        family(&mut out, name, kind, help);
        out.push_str(&samples);
    }

    if let Some(providers) = &state.ctx.providers {
        let snaps = providers.toolkit.governors.snapshot();
        type Counter = (
            &'static str,
            &'static str,
            &'static str,
            fn(&GovernorSnapshot) -> u64,
        );
        let counters: [Counter; 5] = [
            (
                "atl_provider_calls_total",
                "counter",
                "Calls started per provider and model.",
                |s| s.calls,
            ),
            (
                "atl_provider_attempts_total",
                "counter",
                "Attempts sent (retries included).",
                |s| s.attempts,
            ),
            (
                "atl_provider_failures_total",
                "counter",
                "Calls that ended in an error.",
                |s| s.failures,
            ),
            (
                "atl_provider_rate_limited_total",
                "counter",
                "429 answers seen.",
                |s| s.rate_limited,
            ),
            (
                "atl_provider_in_flight",
                "gauge",
                "Attempts in flight.",
                |s| s.in_flight,
            ),
        ];
        let series_labels = |s: &GovernorSnapshot| {
            format!(
                "provider=\"{}\",model=\"{}\"",
                label(&s.provider),
                label(&s.model)
            )
        };
        for (name, kind, help, value) in counters {
            family(&mut out, name, kind, help);
            for s in &snaps {
                let _ = writeln!(out, "{name}{{{}}} {}", series_labels(s), value(s));
            }
        }
        family(
            &mut out,
            "atl_provider_latency_seconds",
            "histogram",
            "Wall time of finished calls, waits and retries included.",
        );
        for s in &snaps {
            histogram(
                &mut out,
                "atl_provider_latency_seconds",
                &series_labels(s),
                &s.latency,
            );
        }
    }
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
