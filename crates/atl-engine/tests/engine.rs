//! The coordinator end to end with fake agents, every test on SQLite and PostgreSQL.

use async_trait::async_trait;
use atl_agents::{AgentError, AgentInput, CostEstimate, FailureKind, SubAgent};
use atl_domain::{AgentResult, CampaignStatus, JobStatus, NewTarget, SubAgentKind};
use atl_engine::{AgentRegistry, Coordinator, EngineConfig, StopReason};
use atl_store::testing::all_stores;
use atl_store::{NewCampaign, Store};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

// ---- fake agents -------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Act {
    Ok,
    Retry { spent: i64 },
    Fail { spent: i64 },
}

type Script = Arc<dyn Fn(&AgentInput, u32) -> Act + Send + Sync>;

/// Start and end instants of every run, by (target, kind).
#[derive(Default)]
struct Log {
    runs: Mutex<Vec<(i64, SubAgentKind, Instant, Instant)>>,
    attempts: Mutex<HashMap<(i64, SubAgentKind), u32>>,
}

struct FakeAgent {
    kind: SubAgentKind,
    latency_ms: (u64, u64),
    cost: Option<i64>,
    estimate: i64,
    script: Script,
    log: Arc<Log>,
    tag: &'static str,
}

#[async_trait]
impl SubAgent for FakeAgent {
    fn kind(&self) -> SubAgentKind {
        self.kind
    }
    fn estimate(&self, _: &AgentInput) -> CostEstimate {
        CostEstimate {
            low_nano_usd: self.estimate / 2,
            high_nano_usd: self.estimate,
            ..CostEstimate::default()
        }
    }
    async fn run(&self, input: &AgentInput) -> Result<AgentResult, AgentError> {
        let start = Instant::now();
        let attempt = {
            let mut a = self.log.attempts.lock().unwrap();
            let n = a.entry((input.target_id, self.kind)).or_default();
            *n += 1;
            *n
        };
        let (lo, hi) = self.latency_ms;
        tokio::time::sleep(Duration::from_millis(fastrand::u64(lo..=hi))).await;
        self.log
            .runs
            .lock()
            .unwrap()
            .push((input.target_id, self.kind, start, Instant::now()));
        match (self.script)(input, attempt) {
            Act::Ok => Ok(AgentResult {
                kind: self.kind,
                data: json!({"by": self.tag, "prior": input.prior.len(), "seller": input.options.seller.name}),
                sources: vec![],
                confidence: 0.9,
                cost_nano_usd: self.cost,
                latency_ms: start.elapsed().as_millis() as i64,
                provider: "fake".into(),
                model: "fake".into(),
                tokens_in: 1,
                tokens_out: 1,
                synthetic: true,
            }),
            Act::Retry { spent } => {
                Err(AgentError::new(FailureKind::Transient, "503 try again").with_spent(spent))
            }
            Act::Fail { spent } => Err(AgentError::final_error("401 bad key").with_spent(spent)),
        }
    }
}

struct Fakes {
    latency_ms: (u64, u64),
    cost: Option<i64>,
    estimate: i64,
    script: Script,
    tag: &'static str,
}

impl Default for Fakes {
    fn default() -> Self {
        Fakes {
            latency_ms: (2, 10),
            cost: Some(1_000),
            estimate: 1_000,
            script: Arc::new(|_, _| Act::Ok),
            tag: "a",
        }
    }
}

fn registry(f: &Fakes, log: &Arc<Log>) -> AgentRegistry {
    let mut r = AgentRegistry::new();
    for kind in SubAgentKind::ALL {
        r.register(Arc::new(FakeAgent {
            kind: *kind,
            latency_ms: f.latency_ms,
            cost: f.cost,
            estimate: f.estimate,
            script: f.script.clone(),
            log: log.clone(),
            tag: f.tag,
        }));
    }
    r
}

fn config(concurrency: usize) -> EngineConfig {
    EngineConfig {
        concurrency,
        lease: Duration::from_secs(5),
        heartbeat_every: Duration::from_secs(1),
        retry_base: Duration::from_millis(5),
        retry_cap: Duration::from_millis(20),
        poll_idle: Duration::from_millis(20),
        shutdown_grace: Duration::from_millis(200),
        ..EngineConfig::default()
    }
}

async fn campaign(store: &Store, n: u64, budget: Option<i64>) -> i64 {
    let team = store.team_id("engine").await.unwrap();
    let mut import = store
        .begin_import(NewCampaign {
            team_id: team,
            name: "engine test".into(),
            uploaded_file: None,
            settings: json!({"seller": {"name": "Sam", "company": "Us", "pitch": "We help."}}),
            budget_nano_usd: budget,
        })
        .await
        .unwrap();
    let targets: Vec<NewTarget> = (1..=n)
        .map(|i| NewTarget {
            row_number: i + 1,
            company_name: format!("Company {i}"),
            dedup_key: format!("company {i}"),
            ..Default::default()
        })
        .collect();
    import.insert_targets(&targets).await.unwrap();
    import.commit(&json!({})).await.unwrap().id
}

/// Exactly one result per (target, kind) for completed jobs, none for others; counters
/// equal the rows; the campaign's cost equals results plus failed attempts' spend.
async fn assert_consistent(store: &Store, campaign_id: i64, backend: &str) {
    let stored = store.campaign_counters(campaign_id).await.unwrap();
    let counted = store.recount_campaign(campaign_id).await.unwrap();
    assert_eq!(stored, counted, "{backend}: counters differ from rows");
    let jobs = store.list_jobs(campaign_id, 10_000, 0).await.unwrap();
    let mut by_target: HashMap<i64, Vec<_>> = HashMap::new();
    for j in &jobs {
        by_target.entry(j.target_id).or_default().push(j);
    }
    for (target, jobs) in by_target {
        let results = store.results_for_target(target).await.unwrap();
        for j in jobs {
            let n = results.iter().filter(|r| r.kind == j.kind).count();
            let want = usize::from(j.status == JobStatus::Completed);
            assert_eq!(
                n, want,
                "{backend}: target {target} {} is {:?}",
                j.kind, j.status
            );
        }
    }
}

fn multi() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ---- tests -------------------------------------------------------------------------------

#[test]
fn every_target_gets_one_result_per_sub_agent_and_voice_waits_for_its_inputs() {
    multi().block_on(async {
        for (backend, store) in all_stores().await {
            let log = Arc::new(Log::default());
            let c = campaign(&store, 30, None).await;
            let coord =
                Coordinator::new(store.store(), registry(&Fakes::default(), &log), config(16));
            let mut events = coord.subscribe();
            let summary = coord
                .run_campaign(c, CancellationToken::new())
                .await
                .unwrap();
            assert_eq!(summary.stop, StopReason::Finished, "{backend}");
            assert_eq!(summary.completed, 120);
            let camp = store.get_campaign(None, c).await.unwrap().unwrap();
            assert_eq!(camp.status, CampaignStatus::Completed, "{backend}");
            assert_eq!((camp.enriched_count, camp.in_progress_count), (30, 0));
            assert_eq!(camp.cost_nano_usd, 120 * 1_000);
            assert_consistent(&store, c, backend).await;

            // Voice started only after research and enrichment of its target ended.
            let runs = log.runs.lock().unwrap().clone();
            for (target, kind, start, _) in &runs {
                if *kind != SubAgentKind::Voice {
                    continue;
                }
                for dep in [SubAgentKind::Research, SubAgentKind::Enrichment] {
                    let (_, _, _, end) = runs
                        .iter()
                        .find(|(t, k, _, _)| t == target && *k == dep)
                        .unwrap();
                    assert!(
                        end <= start,
                        "{backend}: voice of {target} began before {dep} ended"
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
        }
    });
}

#[test]
fn retryable_failures_are_retried_and_final_ones_say_which_sub_agent_failed() {
    multi().block_on(async {
        for (backend, store) in all_stores().await {
            let log = Arc::new(Log::default());
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
            let coord = Coordinator::new(store.store(), registry(&fakes, &log), config(8));
            let summary = coord
                .run_campaign(c, CancellationToken::new())
                .await
                .unwrap();
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
            let mut failed = t.failed_sub_agents.unwrap();
            failed.sort_by_key(|k| k.as_str());
            assert_eq!(failed.len(), 4);
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
            let camp = store.get_campaign(None, c).await.unwrap().unwrap();
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
        }
    });
}

#[test]
fn a_hung_worker_is_overtaken_after_its_lease_expires_and_its_late_result_is_refused() {
    multi().block_on(async {
        for (backend, store) in all_stores().await {
            let c = campaign(&store, 1, None).await;
            let log = Arc::new(Log::default());
            let slow = Fakes {
                latency_ms: (1_500, 1_500),
                tag: "hung",
                ..Fakes::default()
            };
            // One permit: while its job hangs, the frozen worker cannot claim it again.
            let mut hung_cfg = config(1);
            hung_cfg.lease = Duration::from_millis(300);
            // Never renews in time: a frozen worker as seen from the database.
            hung_cfg.heartbeat_every = Duration::from_secs(30);
            let mut r = AgentRegistry::new();
            r.register(
                registry(&slow, &log)
                    .get(SubAgentKind::Research)
                    .unwrap()
                    .clone(),
            );
            let hung = Coordinator::new(store.store(), r, hung_cfg);
            let hung_run = tokio::spawn(async move {
                hung.run_campaign(c, CancellationToken::new())
                    .await
                    .unwrap()
            });
            // The frozen worker holds the job before the rescuer starts.
            let deadline = Instant::now() + Duration::from_secs(10);
            while store.campaign_progress(c).await.unwrap().jobs.running == 0 {
                assert!(
                    Instant::now() < deadline,
                    "{backend}: the job was never claimed"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let fast = Fakes {
                tag: "rescuer",
                ..Fakes::default()
            };
            let mut r = AgentRegistry::new();
            r.register(
                registry(&fast, &log)
                    .get(SubAgentKind::Research)
                    .unwrap()
                    .clone(),
            );
            let rescuer = Coordinator::new(store.store(), r, config(4));
            let summary = rescuer
                .run_campaign(c, CancellationToken::new())
                .await
                .unwrap();
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
        }
    });
}

#[test]
fn a_campaign_capped_below_its_cost_stops_at_the_budget() {
    multi().block_on(async {
        for (backend, store) in all_stores().await {
            let log = Arc::new(Log::default());
            // 10 targets × 4 jobs × 1,000 = 40,000 needed; 15,500 allowed.
            let c = campaign(&store, 10, Some(15_500)).await;
            let coord =
                Coordinator::new(store.store(), registry(&Fakes::default(), &log), config(8));
            let summary = coord
                .run_campaign(c, CancellationToken::new())
                .await
                .unwrap();
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
        }
    });
}

async fn wait_for_completed_jobs(store: &Store, c: i64, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.campaign_progress(c).await.unwrap().jobs.completed < n {
        assert!(Instant::now() < deadline, "timed out waiting for {n} jobs");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn pause_resume_cancel_and_retry_failed_on_a_running_campaign() {
    multi().block_on(async {
        for (backend, store) in all_stores().await {
            let log = Arc::new(Log::default());
            let fakes = Fakes {
                latency_ms: (10, 20),
                ..Fakes::default()
            };
            let coord = Arc::new(Coordinator::new(
                store.store(),
                registry(&fakes, &log),
                config(4),
            ));

            // Pause: running jobs finish, nothing new starts; resume finishes the campaign.
            let c = campaign(&store, 20, None).await;
            let run = {
                let coord = coord.clone();
                tokio::spawn(async move { coord.run_campaign(c, CancellationToken::new()).await })
            };
            wait_for_completed_jobs(&store, c, 10).await;
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
            let summary = coord
                .run_campaign(c, CancellationToken::new())
                .await
                .unwrap();
            assert_eq!(summary.stop, StopReason::Finished, "{backend}");
            assert_eq!(store.campaign_progress(c).await.unwrap().jobs.completed, 80);
            assert_consistent(&store, c, backend).await;

            // Cancel: pending jobs are skipped, the run returns.
            let c = campaign(&store, 20, None).await;
            let run = {
                let coord = coord.clone();
                tokio::spawn(async move { coord.run_campaign(c, CancellationToken::new()).await })
            };
            wait_for_completed_jobs(&store, c, 10).await;
            store.cancel_campaign(c).await.unwrap();
            let summary = run.await.unwrap().unwrap();
            assert_eq!(summary.stop, StopReason::Cancelled, "{backend}");
            let p = store.campaign_progress(c).await.unwrap();
            assert_eq!((p.jobs.pending, p.jobs.running), (0, 0), "{backend}");
            assert!(p.jobs.skipped > 0);
            assert_consistent(&store, c, backend).await;

            // Interrupt (the caller's token): the run returns, the next one finishes.
            let c = campaign(&store, 20, None).await;
            let token = CancellationToken::new();
            let run = {
                let coord = coord.clone();
                let token = token.clone();
                tokio::spawn(async move { coord.run_campaign(c, token).await })
            };
            wait_for_completed_jobs(&store, c, 10).await;
            token.cancel();
            let summary = run.await.unwrap().unwrap();
            assert_eq!(summary.stop, StopReason::Interrupted, "{backend}");
            assert_eq!(store.campaign_progress(c).await.unwrap().jobs.running, 0);
            let summary = coord
                .run_campaign(c, CancellationToken::new())
                .await
                .unwrap();
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
            r.register(
                registry(&fakes, &log)
                    .get(SubAgentKind::Intel)
                    .unwrap()
                    .clone(),
            );
            let coord = Coordinator::new(store.store(), r, config(4));
            let c = campaign(&store, 5, None).await;
            coord
                .run_campaign(c, CancellationToken::new())
                .await
                .unwrap();
            assert_eq!(
                store.campaign_progress(c).await.unwrap().jobs.failed,
                5,
                "{backend}"
            );
            assert_consistent(&store, c, backend).await;
            broken.store(false, Ordering::SeqCst);
            store.retry_failed(c).await.unwrap();
            coord
                .run_campaign(c, CancellationToken::new())
                .await
                .unwrap();
            let camp = store.get_campaign(None, c).await.unwrap().unwrap();
            assert_eq!(
                (camp.status, camp.enriched_count, camp.failed_count),
                (CampaignStatus::Completed, 5, 0),
                "{backend}"
            );
            assert_eq!(store.campaign_progress(c).await.unwrap().jobs.completed, 20);
            assert_consistent(&store, c, backend).await;
        }
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

/// The lease is kept well above the ~1–2 s PostgreSQL needs to end the killed worker's
/// backends (they hold row locks until they notice their client is gone); shorter leases
/// make the survivor lose leases behind them and burn attempts.
fn crash_config() -> EngineConfig {
    EngineConfig {
        lease: Duration::from_secs(5),
        heartbeat_every: Duration::from_secs(1),
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
        coord
            .run_campaign(campaign_id, CancellationToken::new())
            .await
            .unwrap();
    });
}

#[test]
fn a_sigkilled_worker_loses_nothing_and_duplicates_nothing() {
    multi().block_on(async {
        for (backend, store) in all_stores().await {
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

            let log = Arc::new(Log::default());
            let coord =
                Coordinator::new(store.store(), registry(&slow_fakes(), &log), crash_config());
            let summary = coord
                .run_campaign(c, CancellationToken::new())
                .await
                .unwrap();
            assert_eq!(summary.stop, StopReason::Finished, "{backend}");
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
                "{backend}: killed at {} of 160 jobs; the second worker finished the rest in {:?}",
                at_kill.jobs.completed, summary.elapsed
            );
        }
    });
}
