//! Campaigns: upload, list, status, estimate, and the control verbs.

use crate::helpers::*;
use serde_json::Value;
use std::time::Duration;

/// An upload is listed, pending, and quoted by the agents before it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_listed_pending_and_quoted() {
    for (backend, store) in all_stores().await {
        let app = spawn_app(store.store(), true).await;
        // Upload.
        let body = upload_small(&app, backend).await;
        assert_eq!(body["status"], "pending");
        assert_eq!(body["total_targets"], 3);
        assert_eq!(body["rows_rejected"], 0);
        let id = body["campaign_id"].as_i64().unwrap();

        // Listed, readable, status before start.
        let (_, list) = app.get("/api/atl/campaigns?limit=10").await;
        assert_eq!(list["total"], 1, "{backend}");
        assert_eq!(list["campaigns"][0]["id"], id);
        let (s, st) = app.get(&format!("/api/atl/campaigns/{id}/status")).await;
        assert_eq!(s, 200);
        assert_eq!(st["progress"]["pending"], 3, "{backend}: {st}");
        assert_eq!(st["estimated_completion"], Value::Null);

        // Estimate from the agents.
        let (s, est) = app.post(&format!("/api/atl/campaigns/{id}/estimate")).await;
        assert_eq!(s, 200, "{backend}: {est}");
        assert_eq!(est["targets"], 3);
        assert!(est["high_usd"].as_f64().unwrap() >= est["low_usd"].as_f64().unwrap());

        app.stop().await;
    }
}

/// A completed campaign's status has the agreed fields, named exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_campaign_reports_the_agreed_status_fields() {
    for (backend, _store, app, id) in completed_campaigns().await {
        // Status: done, in the status view's shape (`campaign_id`, `status`, `progress`).
        let (_, st) = app.get(&format!("/api/atl/campaigns/{id}/status")).await;
        assert_eq!(st["status"], "completed", "{backend}: {st}");
        // The agreed fields, named exactly.
        assert_eq!(st["progress"]["total_targets"], 3);
        assert_eq!(st["progress"]["completed"], 3, "{backend}: {st}");
        assert_eq!(st["progress"]["percent_complete"], 100.0);
        for k in ["in_progress", "failed", "pending", "partial", "cancelled"] {
            assert_eq!(st["progress"][k], 0, "{backend}: {k} in {st}");
        }
        assert_eq!(st["failed_by_sub_agent"]["research"], 0, "{backend}: {st}");
        assert!(st["cost_usd"]["completed_work"].as_f64().unwrap() > 0.0);
        for k in [
            "total_cost_usd",
            "avg_time_per_target_ms",
            "estimated_completion",
        ] {
            assert!(st.get(k).is_some(), "{k} missing: {st}");
        }
        app.stop().await;
    }
}

/// Transitions that are not allowed answer 409 with the reason; cancelling a pending
/// campaign cancels its targets; without providers the server cannot quote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_transitions_answer_409_and_quotes_need_providers() {
    on_keyed_app(async |backend, store, app, id, _other_key| {
        let untouched = fingerprint(store).await;
        let count = || async { store.count_campaigns(None).await.unwrap() };
        // Transitions that are not allowed answer 409 with the reason.
        let (s, body) = app.post(&format!("/api/atl/campaigns/{id}/pause")).await;
        assert_eq!(s, 409, "{backend}: pausing a pending campaign: {body}");
        assert_error(&body, "conflict");
        let (s, body) = app.post(&format!("/api/atl/campaigns/{id}/cancel")).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["status"], "cancelled");
        assert_eq!(body["progress"]["cancelled"], 3, "{body}");
        let (s, body) = app.post(&format!("/api/atl/campaigns/{id}/start")).await;
        assert_eq!(s, 409, "{body}");
        // Without providers the server cannot quote.
        let (s, body) = app.post(&format!("/api/atl/campaigns/{id}/estimate")).await;
        assert_eq!(s, 503, "{body}");
        assert_eq!(count().await, 1);
        // Sanity of the fingerprint itself: the cancel above did change it.
        assert_ne!(fingerprint(store).await, untouched, "{backend}");
    })
    .await;
}

/// The control verbs that succeed: each answers the campaign's status after the move, and
/// retry-failed sends a failed job back to the queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_verbs_move_the_campaign_and_answer_its_status() {
    for (backend, store) in all_stores().await {
        let key = store.create_api_key("acme", None).await.unwrap();
        let mut app = spawn_app(store.store(), false).await;
        app.key = Some(key.plaintext.clone());
        let (_, ok) = app.upload("verbs", SMALL_CSV.as_bytes().to_vec()).await;
        let id = ok["campaign_id"].as_i64().unwrap();
        let verb = |v: &str| format!("/api/atl/campaigns/{id}/{v}");

        moved(&app, &verb("start"), 202, "processing", backend).await;
        moved(&app, &verb("pause"), 200, "paused", backend).await;
        let (s, body) = app.post(&verb("pause")).await;
        assert_eq!(s, 409, "{backend}: already paused: {body}");
        moved(&app, &verb("resume"), 200, "processing", backend).await;

        // A job fails for good (as a worker would record it), then is retried.
        let claimed = store
            .claim_jobs(&atl_store::ClaimRequest {
                owner: "test",
                lease: Duration::from_secs(60),
                limit: 1,
                campaign_id: Some(id),
                estimates: Default::default(),
                dead_worker_after: Duration::from_secs(3600),
            })
            .await
            .unwrap();
        let job = &claimed[0];
        let outcome = store
            .fail_job(
                job.job_id,
                &job.lease_token,
                "provider said no",
                atl_store::FailNext::Fail,
                &atl_store::AttemptSpend {
                    run: job.run,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(outcome, atl_store::FailOutcome::Failed, "{backend}");
        let progress = store.campaign_progress(id).await.unwrap();
        assert_eq!(progress.jobs.failed, 1, "{backend}: {progress:?}");
        moved(&app, &verb("retry-failed"), 200, "processing", backend).await;
        let progress = store.campaign_progress(id).await.unwrap();
        assert_eq!(progress.jobs.failed, 0, "{backend}: {progress:?}");
        assert_eq!(
            progress.jobs.pending, 12,
            "{backend}: back in the queue: {progress:?}"
        );

        moved(&app, &verb("cancel"), 200, "cancelled", backend).await;
        let (s, body) = app.post(&verb("retry-failed")).await;
        assert_eq!(s, 409, "{backend}: nothing to retry once cancelled: {body}");
        assert_error(&body, "conflict");

        // The list pages newest first.
        let (_, newer) = app.upload("newer", SMALL_CSV.as_bytes().to_vec()).await;
        let newer = newer["campaign_id"].as_i64().unwrap();
        let (s, first) = app.get("/api/atl/campaigns?limit=1").await;
        assert_eq!(s, 200, "{backend}: {first}");
        assert_eq!(first["total"], 2, "{backend}: {first}");
        assert_eq!(first["campaigns"][0]["id"], newer, "{backend}: {first}");
        let (_, second) = app.get("/api/atl/campaigns?page=2&per_page=1").await;
        assert_eq!(second["campaigns"][0]["id"], id, "{backend}: {second}");
        assert_eq!(second["campaigns"].as_array().map(Vec::len), Some(1));
        app.stop().await;
    }
}
