//! Fake agents and helpers shared by the engine's test binaries.
#![allow(dead_code)]

use async_trait::async_trait;
use atl_agents::{AgentError, AgentInput, CostEstimate, FailureKind, RetryPolicy, SubAgent};
use atl_domain::{AgentResult, Artefact, JobStatus, SubAgentKind};
use atl_engine::{AgentRegistry, Coordinator, EngineConfig, EngineError, RunSummary};
use atl_store::Store;
use atl_testkit::{TestStore, all_stores, seed};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What one run of a fake agent does (after its latency).
#[derive(Clone, Copy, Debug)]
pub enum Act {
    Ok,
    /// A transient failure (5xx) having spent this much.
    Retry {
        spent: i64,
    },
    /// A final failure (bad key).
    Fail {
        spent: i64,
    },
    /// The provider is unavailable (an open circuit), asking to wait `wait_ms`.
    Unavailable {
        spent: i64,
        wait_ms: u64,
    },
    /// A rate limit asking to wait `wait_ms`.
    Snooze {
        spent: i64,
        wait_ms: u64,
    },
    /// Spends, then never answers (the run is aborted when its lease is lost or the worker
    /// stops).
    Hang {
        spent: i64,
    },
}

pub type Script = Arc<dyn Fn(&AgentInput, u32) -> Act + Send + Sync>;

/// Start and end instants of every run, by (target, kind), and how often each ran.
#[derive(Default)]
pub struct Log {
    pub runs: Mutex<Vec<(i64, SubAgentKind, Instant, Instant)>>,
    pub attempts: Mutex<HashMap<(i64, SubAgentKind), u32>>,
}

impl Log {
    pub fn total_runs(&self) -> u32 {
        self.attempts.lock().unwrap().values().sum()
    }
}

pub struct FakeAgent {
    pub kind: SubAgentKind,
    pub latency_ms: (u64, u64),
    pub cost: Option<i64>,
    pub estimate: Estimate,
    pub script: Script,
    pub log: Arc<Log>,
    pub tag: &'static str,
    pub policy: RetryPolicy,
    /// Writes a file named after the run (as the voice agent does) and reports it.
    pub writes_file: bool,
}

/// A fake agent's quote.
#[derive(Clone, Copy, Debug)]
pub enum Estimate {
    Fixed(i64),
    /// This much per character of the company name: a large input costs more (and a run
    /// bills 3/4 of its quote).
    PerChar(i64),
}

#[async_trait]
impl SubAgent for FakeAgent {
    fn kind(&self) -> SubAgentKind {
        self.kind
    }
    fn estimate(&self, input: &AgentInput) -> CostEstimate {
        let high = match self.estimate {
            Estimate::Fixed(n) => n,
            Estimate::PerChar(n) => n * input.company_name.chars().count().max(1) as i64,
        };
        CostEstimate {
            low_nano_usd: high / 2,
            expected_nano_usd: high * 3 / 4,
            high_nano_usd: high,
            ..CostEstimate::default()
        }
    }
    fn retry_policy(&self) -> RetryPolicy {
        self.policy
    }
    async fn run(&self, input: &AgentInput) -> Result<AgentResult, AgentError> {
        let start = Instant::now();
        let attempt = {
            let mut a = self.log.attempts.lock().unwrap();
            let n = a.entry((input.target_id, self.kind)).or_default();
            *n += 1;
            *n
        };
        let act = (self.script)(input, attempt);
        let cost = match self.estimate {
            // A quote per character comes with a bill per character: 3/4 of the quote.
            Estimate::PerChar(_) => self
                .cost
                .map(|_| self.estimate(input).high_nano_usd * 3 / 4),
            Estimate::Fixed(_) => self.cost,
        };
        let spend = match act {
            Act::Ok => cost,
            Act::Retry { spent }
            | Act::Fail { spent }
            | Act::Unavailable { spent, .. }
            | Act::Snooze { spent, .. }
            | Act::Hang { spent } => Some(spent),
        };
        // Money is spent when the call is made, before anyone knows how the run ends.
        input.meter.add(spend);
        let (lo, hi) = self.latency_ms;
        tokio::time::sleep(Duration::from_millis(fastrand::u64(lo..=hi))).await;
        if let Act::Hang { .. } = act {
            std::future::pending::<()>().await;
        }
        let mut artefacts = Vec::new();
        if self.writes_file && matches!(act, Act::Ok) {
            let final_path = input
                .data_dir
                .join("audio")
                .join(format!("target-{}.wav", input.target_id));
            let temp_path = final_path.with_file_name(format!(
                "target-{}.run{}.tmp.wav",
                input.target_id, input.attempt
            ));
            std::fs::create_dir_all(final_path.parent().unwrap()).unwrap();
            std::fs::write(&temp_path, self.tag).unwrap();
            artefacts.push(Artefact {
                temp_path,
                final_path,
            });
        }
        self.log
            .runs
            .lock()
            .unwrap()
            .push((input.target_id, self.kind, start, Instant::now()));
        let provider = |e: AgentError| AgentError {
            provider: Some("fake-llm".into()),
            ..e
        };
        match act {
            Act::Ok | Act::Hang { .. } => Ok(AgentResult {
                kind: self.kind,
                data: json!({"by": self.tag, "prior": input.prior.len(), "seller": input.options.seller.name}),
                sources: vec![],
                confidence: 0.9,
                cost_nano_usd: cost,
                latency_ms: start.elapsed().as_millis() as i64,
                provider: "fake".into(),
                model: "fake".into(),
                tokens_in: 1,
                tokens_out: 1,
                synthetic: true,
                artefacts,
            }),
            Act::Retry { spent } => Err(provider(
                AgentError::new(FailureKind::Transient, "503 try again").with_spent(spent),
            )),
            Act::Fail { spent } => Err(AgentError::final_error("401 bad key").with_spent(spent)),
            Act::Unavailable { spent, wait_ms } => Err(provider(
                AgentError::new(FailureKind::Unavailable, "circuit open")
                    .with_spent(spent)
                    .with_retry_after(Some(Duration::from_millis(wait_ms))),
            )),
            Act::Snooze { spent, wait_ms } => Err(provider(
                AgentError::new(FailureKind::Snooze, "429 rate limited")
                    .with_spent(spent)
                    .with_retry_after(Some(Duration::from_millis(wait_ms))),
            )),
        }
    }
}

pub struct Fakes {
    pub latency_ms: (u64, u64),
    pub cost: Option<i64>,
    pub estimate: Estimate,
    pub script: Script,
    pub tag: &'static str,
    pub policy: RetryPolicy,
    pub writes_file: bool,
}

impl Default for Fakes {
    fn default() -> Self {
        Fakes {
            latency_ms: (2, 10),
            cost: Some(1_000),
            estimate: Estimate::Fixed(1_000),
            script: Arc::new(|_, _| Act::Ok),
            tag: "a",
            policy: RetryPolicy::default(),
            writes_file: false,
        }
    }
}

impl Fakes {
    pub fn agent(&self, kind: SubAgentKind, log: &Arc<Log>) -> Arc<FakeAgent> {
        Arc::new(FakeAgent {
            kind,
            latency_ms: self.latency_ms,
            cost: self.cost,
            estimate: self.estimate,
            script: self.script.clone(),
            log: log.clone(),
            tag: self.tag,
            policy: self.policy,
            writes_file: self.writes_file,
        })
    }
}

pub fn registry(f: &Fakes, log: &Arc<Log>) -> AgentRegistry {
    let mut r = AgentRegistry::new();
    for kind in SubAgentKind::ALL {
        r.register(f.agent(*kind, log));
    }
    r
}

pub fn config(concurrency: usize) -> EngineConfig {
    EngineConfig {
        concurrency,
        lease: Duration::from_secs(5),
        heartbeat_every: Duration::from_secs(1),
        retry: RetryPolicy {
            backoff_base: Duration::from_millis(5),
            backoff_cap: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        poll_idle: Duration::from_millis(20),
        poll_idle_max: Duration::from_millis(200),
        shutdown_grace: Duration::from_millis(200),
        worker_heartbeat_every: Duration::from_millis(500),
        worker_dead_after: Duration::from_secs(3),
        ..EngineConfig::default()
    }
}

pub async fn campaign_named(store: &Store, names: &[String], budget: Option<i64>) -> i64 {
    let settings = json!({"seller": {"name": "Sam", "company": "Us", "pitch": "We help."}});
    seed::campaign_named(store, names, settings, budget).await
}

pub async fn campaign(store: &Store, n: u64, budget: Option<i64>) -> i64 {
    campaign_named(store, &seed::company_names(n), budget).await
}

/// A coordinator on `store` with every sub-agent played by `fakes`.
pub fn coordinator(
    store: &Store,
    fakes: &Fakes,
    log: &Arc<Log>,
    config: EngineConfig,
) -> Coordinator {
    Coordinator::new(store.clone(), registry(fakes, log), config)
}

/// A registry of the one sub-agent `kind`, played by `fakes`.
pub fn only(fakes: &Fakes, kind: SubAgentKind, log: &Arc<Log>) -> AgentRegistry {
    let mut r = AgentRegistry::new();
    r.register(fakes.agent(kind, log));
    r
}

/// Runs campaign `c` on `coord` until it stops by itself (nobody cancels its token).
pub async fn run_to_end(coord: &Coordinator, c: i64) -> RunSummary {
    coord
        .run_campaign(c, CancellationToken::new())
        .await
        .unwrap()
}

/// Runs campaign `c` on `coord` in a task of its own, until it stops or `token` is
/// cancelled.
pub fn spawn_run(
    coord: &Arc<Coordinator>,
    c: i64,
    token: CancellationToken,
) -> JoinHandle<Result<RunSummary, EngineError>> {
    let coord = coord.clone();
    tokio::spawn(async move { coord.run_campaign(c, token).await })
}

/// Waits until at least `n` of campaign `c`'s jobs are running (20 s at the most).
pub async fn wait_for_running_jobs(store: &Store, c: i64, n: u64, backend: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.campaign_progress(c).await.unwrap().jobs.running < n {
        assert!(Instant::now() < deadline, "{backend}: never claimed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Exactly one result per (target, kind) for completed jobs, none for others; counters
/// equal the rows; the campaign's cost equals results plus what runs without a result
/// spent, and that equals the booked runs' spend.
pub async fn assert_consistent(store: &Store, campaign_id: i64, backend: &str) {
    seed::assert_books(store, campaign_id, backend).await;
    let stored = store.campaign_counters(campaign_id).await.unwrap();
    let by_outcome = store.attempt_spend_by_outcome(campaign_id).await.unwrap();
    let without_result: i64 = by_outcome
        .iter()
        .filter(|(o, _)| o.as_str() != "completed")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        without_result, stored.failed_spend_nano_usd,
        "{backend}: every run without a result is booked: {by_outcome:?}"
    );
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

pub fn multi() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `test` once per backend (SQLite, then PostgreSQL when there is one) on a
/// two-thread runtime, with a fresh store and run log each time.
pub fn on_each_backend(test: impl AsyncFn(&'static str, TestStore, Arc<Log>)) {
    multi().block_on(async {
        for (backend, store) in all_stores().await {
            test(backend, store, Arc::new(Log::default())).await;
        }
    });
}

pub async fn wait_for_completed_jobs(store: &Store, c: i64, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.campaign_progress(c).await.unwrap().jobs.completed < n {
        assert!(Instant::now() < deadline, "timed out waiting for {n} jobs");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
