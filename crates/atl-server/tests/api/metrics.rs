//! `/metrics`: Prometheus text with the jobs, the requests and the provider calls; the
//! ledger's series are the caller's team's only.

use crate::helpers::*;

/// Metrics see the jobs, the requests and the provider calls, in valid Prometheus text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_jobs_requests_and_provider_calls() {
    for (backend, _store, app, _id) in completed_campaigns().await {
        let metrics = app.text("/metrics").await;
        assert!(
            metrics.contains("atl_jobs{state=\"completed\"} 12"),
            "{backend}: {metrics}"
        );
        assert!(
            metrics.contains("route=\"/api/atl/campaigns/{id}/status\""),
            "{metrics}"
        );
        assert!(metrics.contains("atl_provider_calls_total"), "{metrics}");
        check_prometheus_text(&metrics);
        let status_labels =
            "method=\"GET\",route=\"/api/atl/campaigns/{id}/status\",status=\"200\"";
        let polls = sample(
            &metrics,
            &format!("atl_http_requests_total{{{status_labels}}}"),
        );
        assert!(polls >= 1.0, "{metrics}");
        assert_eq!(
            sample(
                &metrics,
                &format!("atl_http_request_duration_seconds_count{{{status_labels}}}")
            ),
            polls
        );
        assert_eq!(
            sample(
                &metrics,
                &format!("atl_http_request_duration_seconds_bucket{{{status_labels},le=\"+Inf\"}}")
            ),
            polls
        );
        let provider_calls = sum_of(&metrics, "atl_provider_latency_seconds_count");
        assert!(
            provider_calls > 0.0,
            "provider latency histograms: {metrics}"
        );
        let own_results = sum_of(&metrics, "atl_results_total");
        assert_eq!(own_results, 12.0, "{backend}: {metrics}");
        app.stop().await;
    }
}

/// Another team's key sees the process's series but none of this team's ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_metrics_hold_none_of_this_teams_ledger() {
    for (backend, store, app, _id) in completed_campaigns().await {
        let other = store.create_api_key("globex", None).await.unwrap();
        let theirs = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(&other.plaintext)
            .sent()
            .await
            .text()
            .await
            .unwrap();
        check_prometheus_text(&theirs);
        for series in [
            "atl_jobs{",
            "atl_campaigns{",
            "atl_results_total{",
            "atl_cost_usd_total{",
        ] {
            assert!(
                !theirs.lines().any(|l| l.starts_with(series)),
                "{backend}: {series} leaks across teams: {theirs}"
            );
        }
        assert!(theirs.contains("atl_provider_calls_total"), "{theirs}");
        app.stop().await;
    }
}
