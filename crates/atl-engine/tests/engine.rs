//! The coordinator end to end with fake agents, every test on SQLite and PostgreSQL.

mod kit;

use atl_domain::{CampaignStatus, JobStatus, SubAgentKind};
use atl_engine::{Coordinator, EngineConfig, EngineError, RunSummary, StopReason};
use atl_store::Store;
use atl_testkit::seed;
use kit::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

// ---- tests -------------------------------------------------------------------------------

#[test]
fn every_target_gets_one_result_per_sub_agent_and_intel_and_voice_wait_for_their_inputs() {
    on_each_backend(async |backend, store, log| {
        let c = campaign(&store, 30, None).await;
        let coord = coordinator(&store, &Fakes::default(), &log, config(16));
        let mut events = coord.subscribe();
        let summary = run_to_end(&coord, c).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        assert_eq!(summary.completed, 120);
        let camp = seed::campaign_row(&store, c).await;
        assert_eq!(camp.status, CampaignStatus::Completed, "{backend}");
        assert_eq!((camp.enriched_count, camp.in_progress_count), (30, 0));
        assert_eq!(camp.cost_nano_usd, 120 * 1_000);
        assert_consistent(&store, c, backend).await;

        // Intel started only after research of its target ended, voice only after
        // research and enrichment.
        let runs = log.runs.lock().unwrap().clone();
        for (target, kind, start, _) in &runs {
            let deps: &[SubAgentKind] = match kind {
                SubAgentKind::Intel => &[SubAgentKind::Research],
                SubAgentKind::Voice => &[SubAgentKind::Research, SubAgentKind::Enrichment],
                _ => &[],
            };
            for dep in deps.iter().copied() {
                let (_, _, _, end) = runs
                    .iter()
                    .find(|(t, k, _, _)| t == target && *k == dep)
                    .unwrap();
                assert!(
                    end <= start,
                    "{backend}: {kind} of {target} began before {dep} ended"
                );
            }
        }
        // Voice saw its inputs, and the seller from the campaign's settings.
        let results = store.results_for_target(runs[0].0).await.unwrap();
        let voice = results
            .iter()
            .find(|r| r.kind == SubAgentKind::Voice)
            .unwrap();
        assert!(voice.data["prior"].as_u64().unwrap() >= 2, "{backend}");
        assert_eq!(voice.data["seller"], "Sam");
        let intel = results
            .iter()
            .find(|r| r.kind == SubAgentKind::Intel)
            .unwrap();
        assert!(
            intel.data["prior"].as_u64().unwrap() >= 1,
            "{backend}: intel saw the research"
        );
        let mut finished = 0;
        while let Ok(e) = events.try_recv() {
            if matches!(
                e,
                atl_engine::ProgressEvent::JobFinished {
                    outcome: atl_engine::JobOutcome::Completed,
                    ..
                }
            ) {
                finished += 1;
            }
        }
        assert_eq!(finished, 120, "{backend}: one completion event per job");
    });
}

#[test]
fn retryable_failures_are_retried_and_final_ones_say_which_sub_agent_failed() {
    on_each_backend(async |backend, store, log| {
        let c = campaign(&store, 6, None).await;
        let targets = store.list_targets(c, None, 100, 0).await.unwrap();
        let broken = targets[2].id;
        let fakes = Fakes {
            script: Arc::new(move |input, attempt| match input.target_id {
                _ if input.target_id == broken => Act::Fail { spent: 20 },
                t if t % 2 == 0 && attempt == 1 => Act::Retry { spent: 50 },
                _ => Act::Ok,
            }),
            ..Fakes::default()
        };
        let coord = coordinator(&store, &fakes, &log, config(8));
        let summary = run_to_end(&coord, c).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        assert!(summary.retried > 0, "{backend}");
        assert_eq!(
            summary.failed, 4,
            "{backend}: the broken target's four jobs"
        );

        let t = store.get_target(c, broken).await.unwrap().unwrap();
        assert_eq!(
            t.enrichment_status,
            atl_domain::TargetStatus::Failed,
            "{backend}"
        );
        let failed = t.failed_sub_agents.unwrap();
        assert_eq!(failed.len(), 4, "{backend}");
        assert!(
            failed
                .iter()
                .all(|m| m.reason.as_deref() == Some("401 bad key")),
            "{backend}: {failed:?}"
        );
        let jobs = store.jobs_for_target(broken).await.unwrap();
        assert!(
            jobs.iter()
                .all(|j| j.last_error.as_deref() == Some("401 bad key"))
        );
        for t in targets.iter().filter(|t| t.id % 2 == 0 && t.id != broken) {
            for j in store.jobs_for_target(t.id).await.unwrap() {
                assert_eq!(
                    (j.status, j.attempts),
                    (JobStatus::Completed, 2),
                    "{backend}"
                );
                assert_eq!(j.spent_nano_usd, 50);
            }
        }
        let camp = seed::campaign_row(&store, c).await;
        let results: i64 = store
            .list_jobs(c, 1000, 0)
            .await
            .unwrap()
            .iter()
            .filter(|j| j.status == JobStatus::Completed)
            .count() as i64
            * 1_000;
        let spent: i64 = store
            .list_jobs(c, 1000, 0)
            .await
            .unwrap()
            .iter()
            .map(|j| j.spent_nano_usd)
            .sum();
        assert_eq!(camp.cost_nano_usd, results + spent, "{backend}");
        assert!(spent > 4 * 20, "{backend}: both failures' spend counted");
        assert_consistent(&store, c, backend).await;
    });
}

#[test]
fn a_hung_worker_is_overtaken_after_its_lease_expires_and_its_late_result_is_refused() {
    on_each_backend(async |backend, store, log| {
        let c = campaign(&store, 1, None).await;
        let slow = Fakes {
            latency_ms: (1_500, 1_500),
            tag: "hung",
            ..Fakes::default()
        };
        // One permit: while its job hangs, the frozen worker cannot claim it again.
        let mut hung_cfg = config(1);
        hung_cfg.lease = Duration::from_millis(300);
        hung_cfg.commit_patience = Duration::from_millis(300);
        // Never renews in time: a frozen worker as seen from the database.
        hung_cfg.heartbeat_every = Duration::from_secs(30);
        let r = only(&slow, SubAgentKind::Research, &log);
        let hung = Coordinator::new(store.store(), r, hung_cfg);
        let hung_run = tokio::spawn(async move { run_to_end(&hung, c).await });
        // The frozen worker holds the job before the rescuer starts.
        wait_for_running_jobs(&store, c, 1, backend).await;
        let fast = Fakes {
            tag: "rescuer",
            ..Fakes::default()
        };
        let r = only(&fast, SubAgentKind::Research, &log);
        let rescuer = Coordinator::new(store.store(), r, config(4));
        let summary = run_to_end(&rescuer, c).await;
        assert_eq!(summary.completed, 1, "{backend}");
        let hung_summary = hung_run.await.unwrap();
        assert_eq!(
            hung_summary.lease_lost, 1,
            "{backend}: the late completion is fenced off"
        );
        assert_eq!(hung_summary.completed, 0);

        let target = store.list_targets(c, None, 1, 0).await.unwrap()[0].id;
        let results = store.results_for_target(target).await.unwrap();
        assert_eq!(results.len(), 1, "{backend}");
        assert_eq!(results[0].data["by"], "rescuer");
        assert_eq!(store.jobs_for_target(target).await.unwrap()[0].attempts, 2);
        assert_consistent(&store, c, backend).await;
    });
}

#[test]
fn a_campaign_capped_below_its_cost_stops_at_the_budget() {
    on_each_backend(async |backend, store, log| {
        // 10 targets × 4 jobs × 1,000 = 40,000 needed; 15,500 allowed.
        let c = campaign(&store, 10, Some(15_500)).await;
        let coord = coordinator(&store, &Fakes::default(), &log, config(8));
        let summary = run_to_end(&coord, c).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        let p = store.campaign_progress(c).await.unwrap();
        assert_eq!(p.status, CampaignStatus::Completed, "{backend}");
        assert!(p.budget_exhausted);
        assert!(
            p.cost_nano_usd <= 15_500,
            "{backend}: spent {}",
            p.cost_nano_usd
        );
        assert_eq!(p.jobs.completed, 15, "{backend}");
        assert_eq!(p.jobs.skipped, 25);
        let skipped = store.list_jobs(c, 100, 0).await.unwrap();
        assert!(
            skipped
                .iter()
                .filter(|j| j.status == JobStatus::Skipped)
                .all(|j| j.last_error.as_deref() == Some("budget of $0.0000155 reached"))
        );
        assert_consistent(&store, c, backend).await;
    });
}

/// A 20-target campaign running on `coord` in a task of its own (until it stops or `token`
/// is cancelled), once 10 of its jobs have completed.
async fn running_midway(
    store: &Store,
    coord: &Arc<Coordinator>,
    token: CancellationToken,
) -> (i64, JoinHandle<Result<RunSummary, EngineError>>) {
    let c = campaign(store, 20, None).await;
    let run = spawn_run(coord, c, token);
    wait_for_completed_jobs(store, c, 10).await;
    (c, run)
}

#[test]
fn pause_resume_cancel_and_retry_failed_on_a_running_campaign() {
    on_each_backend(async |backend, store, log| {
        let fakes = Fakes {
            latency_ms: (10, 20),
            ..Fakes::default()
        };
        let coord = Arc::new(coordinator(&store, &fakes, &log, config(4)));

        // Pause: running jobs finish, nothing new starts; resume finishes the campaign.
        let (c, run) = running_midway(&store, &coord, CancellationToken::new()).await;
        store.pause_campaign(c).await.unwrap();
        let summary = run.await.unwrap().unwrap();
        assert_eq!(summary.stop, StopReason::Paused, "{backend}");
        let p = store.campaign_progress(c).await.unwrap();
        assert_eq!(p.jobs.running, 0, "{backend}");
        assert!(p.jobs.pending > 0);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            store.campaign_progress(c).await.unwrap().jobs.completed,
            p.jobs.completed
        );
        assert_consistent(&store, c, backend).await;
        store.resume_campaign(c).await.unwrap();
        let summary = run_to_end(&coord, c).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        assert_eq!(store.campaign_progress(c).await.unwrap().jobs.completed, 80);
        assert_consistent(&store, c, backend).await;

        // Cancel: pending jobs are skipped, the run returns.
        let (c, run) = running_midway(&store, &coord, CancellationToken::new()).await;
        store.cancel_campaign(c).await.unwrap();
        let summary = run.await.unwrap().unwrap();
        assert_eq!(summary.stop, StopReason::Cancelled, "{backend}");
        let p = store.campaign_progress(c).await.unwrap();
        assert_eq!((p.jobs.pending, p.jobs.running), (0, 0), "{backend}");
        assert!(p.jobs.skipped > 0);
        assert_consistent(&store, c, backend).await;

        // Interrupt (the caller's token): the run returns, the next one finishes.
        let token = CancellationToken::new();
        let (c, run) = running_midway(&store, &coord, token.clone()).await;
        token.cancel();
        let summary = run.await.unwrap().unwrap();
        assert_eq!(summary.stop, StopReason::Interrupted, "{backend}");
        assert_eq!(store.campaign_progress(c).await.unwrap().jobs.running, 0);
        let summary = run_to_end(&coord, c).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        assert_consistent(&store, c, backend).await;

        // Retry failed: intel fails while the switch is on; after retry_failed it works.
        let broken = Arc::new(AtomicBool::new(true));
        let b = broken.clone();
        let fakes = Fakes {
            script: Arc::new(move |_, _| {
                if b.load(Ordering::SeqCst) {
                    Act::Fail { spent: 0 }
                } else {
                    Act::Ok
                }
            }),
            ..Fakes::default()
        };
        let mut r = registry(&Fakes::default(), &log);
        r.register(fakes.agent(SubAgentKind::Intel, &log));
        let coord = Coordinator::new(store.store(), r, config(4));
        let c = campaign(&store, 5, None).await;
        run_to_end(&coord, c).await;
        let p = store.campaign_progress(c).await.unwrap();
        assert_eq!(
            (p.jobs.failed, p.targets.partial, p.targets.completed),
            (5, 5, 0),
            "{backend}: intel failed everywhere, so every target is partial"
        );
        assert_consistent(&store, c, backend).await;
        broken.store(false, Ordering::SeqCst);
        store.retry_failed(c).await.unwrap();
        run_to_end(&coord, c).await;
        let camp = seed::campaign_row(&store, c).await;
        assert_eq!(
            (camp.status, camp.enriched_count, camp.failed_count),
            (CampaignStatus::Completed, 5, 0),
            "{backend}"
        );
        assert_eq!(store.campaign_progress(c).await.unwrap().jobs.completed, 20);
        assert_consistent(&store, c, backend).await;
    });
}

// ---- crash test --------------------------------------------------------------------------

const CHILD_DB: &str = "ATL_ENGINE_CHILD_DB";
const CHILD_CAMPAIGN: &str = "ATL_ENGINE_CHILD_CAMPAIGN";

fn slow_fakes() -> Fakes {
    Fakes {
        latency_ms: (50, 150),
        ..Fakes::default()
    }
}

/// A long lease, so that a resume which waited for the killed worker's leases to expire
/// would take at least that long: on SQLite the resuming worker takes them back as it
/// starts (no other process can hold them), on PostgreSQL once the dead worker's
/// heartbeat is `worker_dead_after` old.
fn crash_config() -> EngineConfig {
    EngineConfig {
        lease: Duration::from_secs(40),
        heartbeat_every: Duration::from_secs(1),
        worker_heartbeat_every: Duration::from_millis(500),
        worker_dead_after: Duration::from_secs(3),
        ..config(8)
    }
}

/// Not a test on its own: the crash test runs this binary again with `--exact
/// child_worker_process` and the database in the environment, then SIGKILLs it.
#[test]
fn child_worker_process() {
    let (Ok(url), Ok(campaign_id)) = (std::env::var(CHILD_DB), std::env::var(CHILD_CAMPAIGN))
    else {
        return;
    };
    let campaign_id: i64 = campaign_id.parse().unwrap();
    multi().block_on(async {
        let store = Store::connect(&url).await.unwrap();
        let log = Arc::new(Log::default());
        let coord = Coordinator::new(store, registry(&slow_fakes(), &log), crash_config());
        run_to_end(&coord, campaign_id).await;
    });
}

#[test]
fn a_sigkilled_worker_loses_nothing_and_duplicates_nothing() {
    on_each_backend(async |backend, store, _log| {
        let c = campaign(&store, 40, None).await;
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_worker_process",
                "--nocapture",
                "--include-ignored",
            ])
            .env(CHILD_DB, store.url())
            .env(CHILD_CAMPAIGN, c.to_string())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        wait_for_completed_jobs(&store, c, 80).await;
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let at_kill = store.campaign_progress(c).await.unwrap();
        assert!(
            at_kill.jobs.completed < 160,
            "{backend}: killed before the end"
        );

        let orphaned = at_kill.jobs.running;
        assert!(orphaned > 0, "{backend}: the kill left leases behind");
        let log = Arc::new(Log::default());
        let coord = coordinator(&store, &slow_fakes(), &log, crash_config());
        let summary = run_to_end(&coord, c).await;
        assert_eq!(summary.stop, StopReason::Finished, "{backend}");
        // The killed worker's 40-second leases were not waited out.
        assert!(
            summary.elapsed < Duration::from_secs(20),
            "{backend}: resumed in {:?} with {orphaned} orphaned leases",
            summary.elapsed
        );
        let p = store.campaign_progress(c).await.unwrap();
        let odd: Vec<_> = store
            .list_jobs(c, 1000, 0)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.status != JobStatus::Completed)
            .collect();
        assert_eq!(p.jobs.completed, 160, "{backend}: {odd:?}");
        assert_eq!(p.targets.completed, 40);
        assert_eq!(
            p.cost_nano_usd,
            160 * 1_000,
            "{backend}: cost = sum of results"
        );
        let jobs = store.list_jobs(c, 1000, 0).await.unwrap();
        assert!(
            jobs.iter().any(|j| j.attempts >= 2),
            "{backend}: the kill interrupted jobs in flight, which ran again"
        );
        assert_consistent(&store, c, backend).await;
        let completed_events = store
            .events_since(c, 0, 10_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.kind == "campaign_completed")
            .count();
        assert_eq!(completed_events, 1, "{backend}");
        eprintln!(
            "{backend}: killed at {} of 160 jobs ({orphaned} leased); the second worker \
                 claimed after {:?} and finished the rest in {:?}",
            at_kill.jobs.completed, summary.first_claim_after, summary.elapsed
        );
    });
}
