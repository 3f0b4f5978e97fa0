//! The server for `scripts/bench-api.sh`: a store (`ATL_DATABASE_URL`, default a fresh
//! SQLite file under `ATL_BENCH_DIR`, by default a new folder in the temp dir) with one
//! API key and a 10,000-target campaign imported and started, served on `--addr` (default
//! 127.0.0.1:8089) until Ctrl-C. The server runs its workers (concurrency 64) on an
//! in-process sandbox with the issue-4 latencies (LLM 200 ms, Apollo 50 ms, TTS 100 ms),
//! so the status route is measured while the campaign is really running: jobs complete
//! and the campaign row is written all the time.
//!
//! Prints `KEY=…`, `CAMPAIGN=…`, `ADDR=…` lines for the script. Stops on Ctrl-C (SIGINT)
//! and removes its folder.

use atl_app::{ImportRequest, Providers, import_csv};
use atl_domain::SubAgentKind;
use atl_sandbox::{Family, Latency, SandboxConfig};
use atl_server::{AppContext, WorkerRuntime, serve};
use atl_store::Store;
use std::io::Write;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .skip_while(|a| a != "--addr")
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8089".into());
    // Everything the run writes (the SQLite file, ~1 GB of audio per run) goes under one
    // directory, which the script removes: runs that each left theirs in /tmp once filled
    // the disk.
    let work_dir = std::env::var_os("ATL_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("atl-bench-api-{}", std::process::id()))
        });
    std::fs::create_dir_all(&work_dir)?;
    let url = std::env::var("ATL_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", work_dir.join("bench.db").display()));
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let key = store.create_api_key("bench", Some("bench-api.sh")).await?;
    let mut csv = String::from("Company,Contact,Email,Title,Website\n");
    for i in 0..10_000 {
        csv.push_str(&format!(
            "Company {i},Person {i},p{i}@company{i}.com,VP Sales,https://company{i}.com\n"
        ));
    }
    let outcome = import_csv(
        &store,
        csv.into_bytes(),
        ImportRequest {
            team_id: key.team_id,
            name: Some("bench".into()),
            file_name: Some("bench.csv".into()),
            options: Default::default(),
            settings: serde_json::Value::Null,
            budget_nano_usd: None,
        },
    )
    .await?;
    store
        .start_campaign(outcome.campaign_id, SubAgentKind::ALL, 3)
        .await?;
    println!("KEY={}", key.plaintext);
    println!("CAMPAIGN={}", outcome.campaign_id);
    println!("ADDR={addr}");
    std::io::stdout().flush()?;
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    let data_dir = work_dir.join("data");
    let mut sandbox = SandboxConfig::default();
    for family in Family::ALL {
        let ms = match family {
            Family::Chat | Family::Anthropic => 200,
            Family::Apollo => 50,
            Family::Cartesia => 100,
            _ => 0,
        };
        sandbox.family_mut(family).latency = Latency::Fixed { ms };
    }
    // As `atl serve` does: the sandbox and the workers on a runtime of their own.
    // `ATL_BENCH_ONE_RUNTIME=1` puts everything on one runtime, to measure the difference.
    let worker_rt = if std::env::var_os("ATL_BENCH_ONE_RUNTIME").is_none_or(|v| v.is_empty()) {
        Some(WorkerRuntime::new()?)
    } else {
        None
    };
    let setup = {
        let store = store.clone();
        let data_dir = data_dir.clone();
        async move {
            let providers = Arc::new(Providers::embedded_sandbox(&data_dir, sandbox).await?);
            // As `atl serve` does: the workers on a pool of their own.
            let worker_store = store.with_own_pool().await?;
            let coordinator = atl_app::coordinator(
                &worker_store,
                &providers,
                atl_engine::EngineConfig {
                    concurrency: 64,
                    data_dir: data_dir.clone(),
                    ..atl_engine::EngineConfig::default()
                },
            );
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((providers, coordinator))
        }
    };
    let (providers, coordinator) = match &worker_rt {
        Some(rt) => rt.spawn(setup).await?,
        None => setup.await,
    }
    .map_err(|e| e.to_string())?;
    let mut ctx = AppContext::new(store, data_dir);
    // The benchmarks measure how fast the server answers, thousands of requests a second
    // from one key and address: the request budgets would answer most of them 429.
    ctx.options.rate = atl_server::RateLimits::unlimited();
    ctx.providers = Some(providers);
    ctx.worker_runtime = worker_rt.as_ref().map(WorkerRuntime::handle);
    // `ATL_BENCH_NO_WORKERS=1` serves the same started campaign without running it, to
    // tell the request path's own cost from the cost of sharing the cores with workers.
    if std::env::var_os("ATL_BENCH_NO_WORKERS").is_none_or(|v| v.is_empty()) {
        ctx.coordinator = Some(Arc::new(coordinator));
    }
    serve(ctx, addr.parse()?, shutdown).await?;
    drop(worker_rt);
    let _ = std::fs::remove_dir_all(&work_dir);
    Ok(())
}
