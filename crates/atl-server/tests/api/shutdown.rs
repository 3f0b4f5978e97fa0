//! Graceful shutdown with a campaign running.

use crate::helpers::*;
use atl_server::{AppContext, serve_on};
use futures::StreamExt;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Graceful shutdown with a campaign running: event streams end, the server returns, and
/// no job is left leased (each finished or gave its lease back); a later run then
/// finishes the campaign with exactly one result per target and sub-agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_streams_and_returns_leases() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    for (backend, store) in all_stores().await {
        let data_dir_guard = atl_testkit::TempDir::new("shutdown");
        let data_dir = data_dir_guard.path().to_path_buf();
        // As `atl serve` does: the workers, their pool and the sandbox on a runtime of
        // their own, which the server must still stop cleanly.
        let workers = atl_server::WorkerRuntime::new().unwrap();
        let setup = {
            let store = store.store();
            let data_dir = data_dir.clone();
            async move {
                // Slow models: jobs are surely running when the shutdown comes.
                let mut slow = atl_sandbox::SandboxConfig::default();
                slow.chat.latency = atl_sandbox::Latency::Fixed { ms: 700 };
                slow.anthropic.latency = atl_sandbox::Latency::Fixed { ms: 700 };
                let providers = atl_app::Providers::embedded_sandbox(&data_dir, slow)
                    .await
                    .unwrap();
                let config = atl_engine::EngineConfig {
                    concurrency: 16,
                    data_dir: data_dir.clone(),
                    poll_idle: Duration::from_millis(20),
                    // Running jobs get little time to finish, so some must give their
                    // leases back.
                    shutdown_grace: Duration::from_millis(100),
                    ..Default::default()
                };
                let worker_store = store.with_own_pool().await.unwrap();
                let coordinator = atl_app::coordinator(&worker_store, &providers, config);
                (providers, coordinator)
            }
        };
        let (providers, coordinator) = workers.spawn(setup).await.unwrap();
        let mut ctx = AppContext::new(store.store(), &data_dir);
        ctx.event_poll = Duration::from_millis(50);
        ctx.providers = Some(Arc::new(providers));
        ctx.coordinator = Some(Arc::new(coordinator));
        ctx.worker_runtime = Some(workers.handle());
        let key = store.create_api_key("ops", None).await.unwrap().plaintext;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(serve_on(ctx, listener, shutdown.clone()));
        let client = reqwest::Client::new();
        let auth = format!("Bearer {key}");
        let authed =
            async |r: reqwest::RequestBuilder| r.header("authorization", &auth).sent().await;

        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(SMALL_CSV.as_bytes().to_vec()).file_name("s.csv"),
        );
        let up: Value = authed(
            client
                .post(format!("{base}/api/atl/upload"))
                .multipart(form),
        )
        .await
        .json()
        .await
        .unwrap();
        let id = up["campaign_id"].as_i64().unwrap();
        let started = authed(client.post(format!("{base}/api/atl/campaigns/{id}/start"))).await;
        assert_eq!(started.status(), 202, "{backend}");
        let events = authed(client.get(format!("{base}/api/atl/campaigns/{id}/events"))).await;
        assert_eq!(events.status(), 200, "{backend}");

        // Wait until the workers hold leases.
        let mut running = 0;
        for _ in 0..200 {
            running = store
                .list_jobs(id, 100, 0)
                .await
                .unwrap()
                .iter()
                .filter(|j| j.status == atl_domain::JobStatus::Running)
                .count();
            if running > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            running > 0,
            "{backend}: jobs were running when the shutdown came"
        );

        shutdown.cancel();
        // The event stream ends (instead of holding the drain forever)...
        let mut body = events.bytes_stream();
        tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(chunk) = body.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{backend}: the SSE stream did not end on shutdown"));
        // ...the server returns...
        tokio::time::timeout(Duration::from_secs(20), handle)
            .await
            .unwrap_or_else(|_| panic!("{backend}: the server did not stop"))
            .unwrap()
            .unwrap();
        // ...and no job is left leased: each finished or gave its lease back.
        drop(workers);
        let jobs = store.list_jobs(id, 100, 0).await.unwrap();
        assert!(
            jobs.iter()
                .all(|j| j.status != atl_domain::JobStatus::Running),
            "{backend}: {jobs:?}"
        );
        assert!(
            jobs.iter()
                .any(|j| j.status == atl_domain::JobStatus::Pending),
            "{backend}: the shutdown came before the campaign could finish"
        );

        // A later run finishes it: exactly one result per target and sub-agent.
        let fast =
            atl_app::Providers::embedded_sandbox(&data_dir, atl_sandbox::SandboxConfig::default())
                .await
                .unwrap();
        let again = atl_app::coordinator(
            &store,
            &fast,
            atl_engine::EngineConfig {
                data_dir: data_dir.clone(),
                poll_idle: Duration::from_millis(20),
                ..Default::default()
            },
        );
        again
            .run_campaign(id, CancellationToken::new())
            .await
            .unwrap();
        for t in store.list_targets(id, None, 10, 0).await.unwrap() {
            let results = store.results_for_target(t.id).await.unwrap();
            assert_eq!(results.len(), 4, "{backend}: {}", t.company_name);
        }
        store.cleanup().await;
    }
}
