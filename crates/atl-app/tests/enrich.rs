//! End to end: the four real agents, the coordinator and the sandbox provider
//! APIs, on SQLite and PostgreSQL. Fault storms must end in results or recorded failures
//! (never a stuck or silently blank target), and a budget below the quote must stop the
//! campaign at the cap and say so.

mod support;

use atl_domain::{JobStatus, SubAgentKind, TargetStatus};
use atl_engine::{EngineConfig, StopReason};
use atl_sandbox::{Family, SandboxConfig, Trigger};
use atl_store::Store;
use std::time::Duration;
use support::{contact_list, import_list, named_seller, on_each_backend};
use tokio_util::sync::CancellationToken;

const LIST: &str = "Company,First Name,Last Name,Email,Website\n\
Acme Corp,Jo,Smith,jo@acme.example,https://acme.example\n\
Globex,,,,https://globex.example\n\
Initech,Peter,Gibbons,peter@initech.example,initech.example\n\
Umbrella,Alice,Abernathy,,https://umbrella.example\n\
Hooli,Gavin,Belson,gavin@hooli.example,https://hooli.example\n\
Stark Industries,Pepper,Potts,pepper@stark.example,https://stark.example\n\
Wayne Enterprises,,,,https://wayne.example\n\
Cyberdyne,Miles,Dyson,miles@cyberdyne.example,https://cyberdyne.example\n";

fn engine(data_dir: &std::path::Path) -> EngineConfig {
    EngineConfig {
        concurrency: 16,
        lease: Duration::from_secs(20),
        heartbeat_every: Duration::from_secs(5),
        retry: atl_domain::RetryPolicy {
            backoff_base: Duration::from_millis(50),
            backoff_cap: Duration::from_millis(300),
            ..Default::default()
        },
        poll_idle: Duration::from_millis(20),
        data_dir: data_dir.to_path_buf(),
        ..EngineConfig::default()
    }
}

async fn import(store: &Store, budget_nano_usd: Option<i64>) -> i64 {
    let list = LIST.as_bytes().to_vec();
    let outcome = import_list(store, "sales", list, |r| {
        r.name = Some("faults".into());
        r.settings = named_seller();
        r.budget_nano_usd = budget_nano_usd;
    });
    outcome.await.campaign_id
}

/// Every target is completed, partial or failed, every (target, kind) has exactly one
/// result or a final job with its reason, and the books equal the rows.
async fn assert_accounted_for(backend: &str, store: &Store, campaign_id: i64) {
    let targets = store.list_targets(campaign_id, None, 100, 0).await.unwrap();
    assert_eq!(targets.len(), 8, "{backend}");
    let mut results_total = 0;
    let mut cost_sum = 0i64;
    for t in &targets {
        assert!(
            matches!(
                t.enrichment_status,
                TargetStatus::Completed | TargetStatus::Partial | TargetStatus::Failed
            ),
            "{backend}: target {} is {}",
            t.company_name,
            t.enrichment_status
        );
        let results = store.results_for_target(t.id).await.unwrap();
        let jobs = store.jobs_for_target(t.id).await.unwrap();
        assert_eq!(jobs.len(), 4, "{backend}: one job per sub-agent");
        for kind in SubAgentKind::ALL {
            let n = results.iter().filter(|r| r.kind == *kind).count();
            let job = jobs.iter().find(|j| j.kind == *kind).unwrap();
            match job.status {
                JobStatus::Completed => assert_eq!(n, 1, "{backend}: {kind} of {}", t.company_name),
                JobStatus::Failed | JobStatus::Skipped => {
                    assert_eq!(n, 0, "{backend}");
                    assert!(
                        job.last_error
                            .as_deref()
                            .is_some_and(|e| !e.trim().is_empty()),
                        "{backend}: a failed {kind} job must say why"
                    );
                }
                other => panic!("{backend}: {kind} job of {} left {other}", t.company_name),
            }
        }
        for r in &results {
            assert!(
                r.synthetic,
                "{backend}: sandbox results say they are synthetic"
            );
            assert!(
                r.data.as_object().is_some_and(|o| !o.is_empty()),
                "{backend}: no silently blank result"
            );
            cost_sum += r.cost_nano_usd.unwrap_or(0);
        }
        results_total += results.len();
        cost_sum += jobs.iter().map(|j| j.spent_nano_usd).sum::<i64>();
    }
    let stored = store.campaign_counters(campaign_id).await.unwrap();
    let recount = store.recount_campaign(campaign_id).await.unwrap();
    assert_eq!(stored, recount, "{backend}: counters equal the rows");
    assert_eq!(
        stored.cost_nano_usd, cost_sum,
        "{backend}: cost equals the sum of results and spent"
    );
    assert!(
        results_total > 0,
        "{backend}: the storm still lets work through"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_storms_end_in_results_or_recorded_failures() {
    let mut faults = SandboxConfig::default();
    for family in Family::ALL {
        let f = &mut faults.family_mut(family).faults;
        f.rate_limit = Trigger::probability(0.15);
        f.server_error = Trigger::probability(0.08);
        f.malformed = Trigger::probability(0.05);
        f.hang = Trigger::probability(0.02);
        f.retry_after_secs = 1;
        f.hang_ms = 1500;
    }
    // An Anthropic 529 storm on top: enrichment must fail over or fail with its reason.
    faults.anthropic.faults.overloaded = Trigger::probability(0.5);

    on_each_backend(
        "atl-faults",
        faults,
        async |backend, store, providers, dir| {
            let campaign_id = import(store, None).await;
            let coordinator = atl_app::coordinator(store, providers, engine(dir));
            let summary = tokio::time::timeout(
                Duration::from_secs(240),
                coordinator.run_campaign(campaign_id, CancellationToken::new()),
            )
            .await
            .unwrap_or_else(|_| panic!("{backend}: the campaign got stuck"))
            .unwrap();
            assert_eq!(summary.stop, StopReason::Finished, "{backend}");
            let stats = providers.sandbox().unwrap().stats();
            assert!(
                stats.families.values().map(|f| f.faults).sum::<u64>() > 0,
                "{backend}: the sandbox did inject faults: {stats:?}"
            );
            assert_accounted_for(backend, store, campaign_id).await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_below_the_quote_stops_at_the_cap_and_says_so() {
    on_each_backend(
        "atl-budget",
        SandboxConfig::default(),
        async |backend, store, providers, dir| {
            // Quote the list, then run it again with a budget of a third of the low quote.
            let quoted = import(store, None).await;
            let quote = atl_app::estimate_campaign(store, providers, None, quoted)
                .await
                .unwrap();
            assert!(
                quote.low_usd > 0.0 && quote.high_usd >= quote.low_usd,
                "{backend}: {quote:?}"
            );
            let budget = (quote.low_usd / 3.0 * 1e9) as i64;
            let campaign_id = import(store, Some(budget)).await;
            let coordinator = atl_app::coordinator(store, providers, engine(dir));
            coordinator
                .run_campaign(campaign_id, CancellationToken::new())
                .await
                .unwrap();
            let progress = store.campaign_progress(campaign_id).await.unwrap();
            assert!(
                progress.budget_exhausted,
                "{backend}: says the budget stopped it"
            );
            assert!(
                progress.cost_nano_usd <= budget,
                "{backend}: spent {} of a {} budget",
                progress.cost_nano_usd,
                budget
            );
            assert!(progress.jobs.skipped > 0, "{backend}: {progress:?}");
            let jobs = store.list_jobs(campaign_id, 1000, 0).await.unwrap();
            let skipped: Vec<_> = jobs
                .iter()
                .filter(|j| j.status == JobStatus::Skipped)
                .collect();
            assert!(
                skipped.iter().all(|j| j
                    .last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("budget"))),
                "{backend}: every skipped step says why"
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quote_lands_within_fifteen_percent_of_the_spend() {
    on_each_backend(
        "atl-quote",
        SandboxConfig::default(),
        async |backend, store, providers, dir| {
            let mut first_spend = 0.0;
            // The second campaign holds the same accounts: its quote prices the cache.
            for round in ["first", "same accounts again"] {
                let list = contact_list(60, "Quote Co", "Ann", "Lee").into_bytes();
                let campaign_id =
                    import_list(store, "sales", list, |r| r.name = Some(round.into()))
                        .await
                        .campaign_id;
                let quote = atl_app::estimate_campaign(store, providers, None, campaign_id)
                    .await
                    .unwrap();
                atl_app::coordinator(store, providers, engine(dir))
                    .run_campaign(campaign_id, CancellationToken::new())
                    .await
                    .unwrap();
                let booked = store
                    .campaign_progress(campaign_id)
                    .await
                    .unwrap()
                    .cost_nano_usd as f64
                    / 1e9;
                let ratio = quote.expected_usd / booked;
                assert!(
                    (0.85..=1.15).contains(&ratio),
                    "{backend}, {round}: quoted ${:.4}, booked ${booked:.4} (ratio {ratio:.3})",
                    quote.expected_usd
                );
                assert!(
                    quote.low_usd <= booked && booked <= quote.high_usd,
                    "{backend}: {quote:?}"
                );
                if round == "first" {
                    first_spend = booked;
                } else {
                    assert!(
                        booked <= 0.05 * first_spend,
                        "{backend}: the repeat costs ${booked:.4} of ${first_spend:.4}"
                    );
                }
            }
        },
    )
    .await;
}
