//! How close the coordinator gets to the ideal schedule, with fake agents that only sleep.
//!
//! `cargo run --release -p atl-engine --example engine_ideal -- [targets] [scale]`
//! (defaults: 1,000 targets, scale 1.0). Latencies per target at scale 1: research 200 ms,
//! intel 200 ms, enrichment 300 ms (LLM 200 + Apollo 50 × 2), voice 300 ms (LLM 200 + TTS
//! 100); concurrency 64.
//!
//! Ideal wall time = max(total job time / concurrency, per-target critical path
//! max(research + intel, max(research, enrichment) + voice)): intel waits for research,
//! voice for research and enrichment. Runs on SQLite, and on PostgreSQL when
//! `ATL_TEST_POSTGRES_URL` (default 127.0.0.1:5432) is reachable. Prints peak RSS
//! (VmHWM) at the end.

use async_trait::async_trait;
use atl_agents::{AgentError, AgentInput, CostEstimate, SubAgent};
use atl_domain::{AgentResult, SubAgentKind};
use atl_engine::{AgentRegistry, Coordinator, EngineConfig};
use atl_store::Store;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

struct Sleeper {
    kind: SubAgentKind,
    latency: Duration,
}

#[async_trait]
impl SubAgent for Sleeper {
    fn kind(&self) -> SubAgentKind {
        self.kind
    }
    fn estimate(&self, _: &AgentInput) -> CostEstimate {
        CostEstimate::default()
    }
    async fn run(&self, _: &AgentInput) -> Result<AgentResult, AgentError> {
        tokio::time::sleep(self.latency).await;
        Ok(AgentResult {
            data: json!({"ok": true}),
            latency_ms: self.latency.as_millis() as i64,
            ..atl_testkit::seed::agent_result(self.kind, Some(1_000))
        })
    }
}

fn latencies(scale: f64) -> [(SubAgentKind, Duration); 4] {
    let ms = |m: f64| Duration::from_secs_f64(m * scale / 1000.0);
    [
        (SubAgentKind::Research, ms(200.0)),
        (SubAgentKind::Intel, ms(200.0)),
        (SubAgentKind::Enrichment, ms(300.0)),
        (SubAgentKind::Voice, ms(300.0)),
    ]
}

async fn run(backend: &str, store: &Store, targets: u64, scale: f64) {
    let concurrency: u32 = 64;
    let campaign = atl_testkit::seed::campaign(store, targets, None).await;

    let lat = latencies(scale);
    let mut registry = AgentRegistry::new();
    for (kind, latency) in lat {
        registry.register(Arc::new(Sleeper { kind, latency }));
    }
    let config = EngineConfig {
        concurrency: concurrency as usize,
        poll_idle: Duration::from_millis(100),
        ..EngineConfig::default()
    };
    let coordinator = Coordinator::new(store.clone(), registry, config);
    let started = Instant::now();
    let summary = coordinator
        .run_campaign(campaign, CancellationToken::new())
        .await
        .unwrap();
    let wall = started.elapsed();

    let per_target: Duration = lat.iter().map(|(_, d)| *d).sum();
    let throughput_bound = per_target * u32::try_from(targets).unwrap() / concurrency;
    let critical_path = (lat[0].1 + lat[1].1).max(lat[0].1.max(lat[2].1) + lat[3].1);
    let ideal = throughput_bound.max(critical_path);
    println!(
        "{backend}: {targets} targets, scale {scale}: wall {:.2} s, ideal {:.2} s \
         (total job time / {concurrency} = {:.2} s, critical path {:.2} s), ratio {:.3}; \
         {} jobs completed, status {:?}",
        wall.as_secs_f64(),
        ideal.as_secs_f64(),
        throughput_bound.as_secs_f64(),
        critical_path.as_secs_f64(),
        wall.as_secs_f64() / ideal.as_secs_f64(),
        summary.completed,
        summary.status,
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let targets: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let scale: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1.0);
    atl_testkit::bench::each_backend(async |backend, store| {
        run(backend, store, targets, scale).await
    })
    .await;
    if let Some(mb) = atl_testkit::bench::peak_rss_mb() {
        println!("peak RSS (VmHWM): {mb:.1} MB");
    }
}
