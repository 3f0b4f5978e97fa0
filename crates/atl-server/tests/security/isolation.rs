//! One team cannot switch off another's website research: the fetcher's breakers and
//! concurrency are kept per site, so ten dead domains of one team's campaign leave the
//! other team's sites read as if it ran alone.

use std::time::Duration;

use atl_providers::governor::BreakerState;
use atl_server::ServerOptions;
use atl_testkit::all_stores;

use crate::{App, Sent, key};

fn csv(prefix: &str) -> Vec<u8> {
    let mut out = String::from("Company,Website\n");
    for i in 0..10 {
        out.push_str(&format!("{prefix} Company {i},https://{prefix}{i}.com\n"));
    }
    out.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_dead_domains_of_one_team_leave_the_other_teams_fetches_alone() {
    for (backend, store) in all_stores().await {
        let mut sandbox = atl_sandbox::SandboxConfig::default();
        sandbox.dead_domains.domains = (0..10).map(|i| format!("dead{i}.com")).collect();
        sandbox.dead_domains.timeout_ms = 300;
        let (app, providers) =
            App::with_engine(store.store(), ServerOptions::default(), sandbox).await;
        let alpha = key(&store, "alpha").await;
        let beta = key(&store, "beta").await;
        let (s, a) = app.upload(&alpha, "dead sites", csv("dead")).await;
        assert_eq!(s, 201, "{backend}: {a}");
        let (s, b) = app.upload(&beta, "live sites", csv("live")).await;
        assert_eq!(s, 201, "{backend}: {b}");
        let ids = [
            (a["campaign_id"].as_i64().unwrap(), &alpha),
            (b["campaign_id"].as_i64().unwrap(), &beta),
        ];
        for (id, key) in ids {
            let r = app
                .post(&format!("/api/atl/campaigns/{id}/start"), key)
                .sent()
                .await;
            assert_eq!(r.status(), 202, "{backend}");
        }
        for (id, _) in ids {
            let mut done = false;
            for _ in 0..600 {
                let c = store.get_campaign(None, id).await.unwrap().unwrap();
                if c.status.is_final() {
                    done = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(done, "{backend}: campaign {id} ends");
        }

        let sites = providers.toolkit.governors.sites();
        let mut dead_failures = 0;
        for i in 0..10 {
            dead_failures += sites.get(&format!("dead{i}.com")).snapshot().failures;
        }
        assert!(
            dead_failures >= 10,
            "{backend}: the dead sites did fail ({dead_failures})"
        );
        for i in 0..10 {
            let site = format!("live{i}.com");
            let s = sites.get(&site).snapshot();
            assert!(s.calls > 0, "{backend}: {site} was read");
            assert_eq!(
                (s.successes, s.failures, s.circuit_rejections),
                (s.calls, 0, 0),
                "{backend}: every fetch of {site} succeeded"
            );
            assert!(
                matches!(s.breaker, BreakerState::Closed { .. }),
                "{backend}: {site}"
            );
        }
        app.stop().await;
    }
}
