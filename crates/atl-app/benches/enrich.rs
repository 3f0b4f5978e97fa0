//! Enrichment benchmark: the four real agents and the coordinator against the sandbox with
//! fixed latencies (LLM 200 ms, Apollo 50 ms, TTS 100 ms; search, Hunter and company
//! sites answer at once), concurrency 64.
//!
//! Ideal time: every job holds one of the 64 slots for at least the sum of the latencies
//! of the calls it makes (our agents make their calls one after another), so no schedule
//! can finish before `total call latency / 64`. The total is counted, not assumed: the
//! sandbox reports how many requests each provider family served in the run, and
//! `Σ requests × latency` is the work. The per-target critical path (research or
//! enrichment, then voice) is a second lower bound; the ideal is the larger.
//!
//! Run: `cargo bench -p atl-app --bench enrich -- [targets] [latency scale]`
//! (scripts/bench-enrich.sh runs 1,000 targets at full latency on both backends, then
//! 10,000 targets for peak memory).

#[path = "../tests/support/mod.rs"]
mod support;

use atl_app::Providers;
use atl_engine::EngineConfig;
use atl_sandbox::{Family, Latency, SandboxConfig};
use std::time::{Duration, Instant};
use support::{contact_list, import_list};
use tokio_util::sync::CancellationToken;

const CONCURRENCY: usize = 64;

fn latency_ms(family: Family, scale: f64) -> u64 {
    let ms = match family {
        Family::Chat | Family::Anthropic => 200.0,
        Family::Apollo => 50.0,
        Family::Cartesia => 100.0,
        _ => 0.0,
    };
    (ms * scale).round() as u64
}

async fn run(backend: &str, store: &atl_store::Store, targets: usize, scale: f64) {
    let dir = std::env::temp_dir().join(format!("atl-bench-enrich-{}", std::process::id()));
    let mut cfg = SandboxConfig::default();
    for family in Family::ALL {
        cfg.family_mut(family).latency = Latency::Fixed {
            ms: latency_ms(family, scale),
        };
    }
    let providers = Providers::embedded_sandbox(&dir, cfg)
        .await
        .expect("sandbox");
    let list = contact_list(targets, "Company", "Jo", "Smith").into_bytes();
    let campaign = import_list(store, "bench", list, |r| {
        r.name = Some(format!("bench {targets}"));
    })
    .await
    .campaign_id;
    let coordinator = atl_app::coordinator(
        store,
        &providers,
        EngineConfig {
            concurrency: CONCURRENCY,
            data_dir: dir.clone(),
            ..EngineConfig::default()
        },
    );
    let before = providers.sandbox().expect("embedded").stats();
    let started = Instant::now();
    let summary = coordinator
        .run_campaign(campaign, CancellationToken::new())
        .await
        .expect("run");
    let wall = started.elapsed();
    let after = providers.sandbox().expect("embedded").stats();

    let mut work_ms = 0u64;
    let mut calls = Vec::new();
    for family in Family::ALL {
        let name = family.as_str();
        let n = after.families.get(name).map_or(0, |f| f.requests)
            - before.families.get(name).map_or(0, |f| f.requests);
        work_ms += n * latency_ms(family, scale);
        if n > 0 {
            calls.push(format!("{name} {n}"));
        }
    }
    let throughput_bound = Duration::from_millis(work_ms / CONCURRENCY as u64);
    // research or enrichment (whichever is longer) then voice: LLM ≥ 1 call each, plus
    // the voice agent's TTS.
    let critical = Duration::from_millis(
        latency_ms(Family::Chat, scale) * 2 + latency_ms(Family::Cartesia, scale),
    );
    let ideal = throughput_bound.max(critical);
    let progress = store.campaign_progress(campaign).await.expect("progress");
    println!(
        "{backend}: {targets} targets, latency x{scale}: wall {:.2} s, ideal {:.2} s, ratio {:.3} \
         | {} completed, {} failed targets, {} jobs completed | calls: {} | simulated cost ${:.2} (${:.4}/target) | peak RSS {:.1} MB",
        wall.as_secs_f64(),
        ideal.as_secs_f64(),
        wall.as_secs_f64() / ideal.as_secs_f64(),
        progress.targets.completed,
        progress.targets.failed,
        summary.completed,
        calls.join(", "),
        progress.cost_nano_usd as f64 / 1e9,
        progress.cost_nano_usd as f64 / 1e9 / targets as f64,
        atl_testkit::bench::peak_rss_mb().unwrap_or(f64::NAN),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let targets: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let scale: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(atl_testkit::bench::each_backend(async |backend, store| {
        run(backend, store, targets, scale).await
    }));
}
