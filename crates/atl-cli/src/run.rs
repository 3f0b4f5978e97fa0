//! `atl enrich`, `atl run`, `atl worker`, `atl estimate`, `atl export`: the commands that
//! drive the coordinator.

use crate::progress;
use anyhow::{Context, Result, bail};
use atl_app::{ExportFormat, ImportRequest, Providers, SOURCE_DIGEST_KEY};
use atl_engine::{EngineConfig, RunSummary, StopReason};
use atl_import::ImportOptions;
use atl_store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

pub struct EnrichArgs {
    pub file: PathBuf,
    pub fresh: bool,
    pub out: Option<PathBuf>,
    pub budget_usd: Option<f64>,
    pub concurrency: usize,
    pub name: Option<String>,
    pub map: Vec<String>,
    pub team: String,
    pub seller: serde_json::Value,
    /// Further campaign settings (audio mode, refresh).
    pub settings: serde_json::Value,
}

async fn providers() -> Result<Providers> {
    let data_dir = atl_app::data_dir();
    let providers = Providers::from_env(&data_dir, Some(Path::new("atl.toml"))).await?;
    eprintln!("{}", providers.mode.describe());
    Ok(providers)
}

fn engine_config(concurrency: usize) -> EngineConfig {
    EngineConfig {
        concurrency: concurrency.max(1),
        data_dir: atl_app::data_dir(),
        ..EngineConfig::default()
    }
}

/// Import (or find the unfinished campaign of the same file), run with a progress bar,
/// export. Ctrl-C stops cleanly; the same command resumes.
pub async fn enrich(store: &Store, args: EnrichArgs) -> Result<ExitCode> {
    let mut options = ImportOptions::default();
    for spec in &args.map {
        options.column_map.push(atl_import::parse_column_map(spec)?);
    }
    let bytes = atl_app::read_upload_file(&args.file, options.max_bytes)?;
    let digest = atl_app::source_digest(&bytes);
    let team_id = store.team_id(&args.team).await?;
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.file));

    let known = match atl_app::find_resumable(store, team_id, &digest).await? {
        Some(c) if args.fresh => {
            eprintln!(
                "--fresh: importing a new campaign (campaign {} for this file is left as it is)",
                c.id
            );
            None
        }
        known => known,
    };
    if let Some(c) = known.as_ref().filter(|c| c.status.is_final()) {
        // Its results are bought: export them again rather than pay twice.
        export(
            store,
            c.id,
            ExportFormat::Csv,
            atl_app::ExportKind::Targets,
            Some(out),
        )
        .await?;
        let when = c
            .completed_at
            .map(progress::day_and_time)
            .unwrap_or_else(|| "an earlier run".into());
        eprintln!(
            "campaign {} for this file finished ({}) on {when}; exported again, nothing was \
             bought. Use --fresh to start over.",
            c.id, c.status
        );
        print_final(store, c.id, None).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let providers = providers().await?;

    let campaign_id = match known {
        Some(c) => {
            eprintln!(
                "resuming campaign {} \"{}\" ({} of {} targets done)",
                c.id,
                c.name,
                c.enriched_count + c.partial_count + c.failed_count,
                c.total_targets
            );
            c.id
        }
        None => {
            let mut settings = args.settings.clone();
            settings[SOURCE_DIGEST_KEY] = serde_json::json!(digest);
            if !args.seller.as_object().is_some_and(|o| o.is_empty()) {
                settings["seller"] = args.seller.clone();
            }
            let budget_nano_usd = match args.budget_usd {
                Some(b) if !(b.is_finite() && b >= 0.0) => {
                    bail!("--budget-usd must be a positive number")
                }
                Some(b) => Some((b * 1e9).round() as i64),
                None => None,
            };
            let outcome = atl_app::import_csv(
                store,
                bytes,
                ImportRequest {
                    team_id,
                    name: args.name.clone(),
                    file_name: args
                        .file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned()),
                    options,
                    settings,
                    budget_nano_usd,
                },
            )
            .await?;
            eprintln!(
                "imported campaign {}: {} targets ({} rows rejected, {} duplicates merged)",
                outcome.campaign_id,
                outcome.total_targets,
                outcome.rows_rejected,
                outcome.duplicates_merged
            );
            crate::output::print_row_issues(&outcome.report);
            outcome.campaign_id
        }
    };

    let summary = run_with_progress(store, &providers, campaign_id, args.concurrency).await?;
    if summary.stop == StopReason::Interrupted {
        eprintln!(
            "stopped. Nothing is lost: run the same command again (or `atl run {campaign_id}`) to resume."
        );
        return Ok(ExitCode::from(130));
    }
    export(
        store,
        campaign_id,
        ExportFormat::Csv,
        atl_app::ExportKind::Targets,
        Some(out),
    )
    .await?;
    print_final(store, campaign_id, Some(&providers)).await?;
    Ok(ExitCode::SUCCESS)
}

/// `atl retry-failed ID`: quote the failed and skipped jobs, confirm, run only them.
pub async fn retry_failed(
    store: &Store,
    campaign_id: i64,
    yes: bool,
    concurrency: usize,
) -> Result<ExitCode> {
    let Some(campaign) = store.get_campaign(None, campaign_id).await? else {
        eprintln!("error: campaign {campaign_id} not found");
        return Ok(ExitCode::from(2));
    };
    let providers = providers().await?;
    let quote = atl_app::retry_quote(store, &providers, None, campaign_id).await?;
    if quote.jobs == 0 {
        eprintln!(
            "error: campaign {campaign_id} ({}) has no failed or skipped work to retry",
            campaign.status
        );
        return Ok(ExitCode::from(2));
    }
    let per_agent: Vec<String> = quote
        .by_agent
        .iter()
        .map(|(kind, (n, _, _))| format!("{kind} {n}"))
        .collect();
    eprintln!(
        "retry campaign {campaign_id}: {} jobs on {} targets ({}); estimated ${:.4}–${:.4}{}",
        quote.jobs,
        quote.targets,
        per_agent.join(", "),
        quote.low_usd,
        quote.high_usd,
        if quote.synthetic {
            " at real providers' prices (sandbox: nothing will be charged)"
        } else {
            ""
        }
    );
    if !yes && !confirmed()? {
        return Ok(ExitCode::from(2));
    }
    if let Err(e) = store.retry_failed(campaign_id).await {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(2));
    }
    let summary = run_with_progress(store, &providers, campaign_id, concurrency).await?;
    print_final(store, campaign_id, Some(&providers)).await?;
    Ok(if summary.stop == StopReason::Interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

/// Asks on the terminal; without one, says how to confirm and refuses.
fn confirmed() -> Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        eprintln!("nothing was run: pass --yes to confirm (stdin is not a terminal)");
        return Ok(false);
    }
    eprint!("run it? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let yes = matches!(answer.trim(), "y" | "Y" | "yes" | "Yes");
    if !yes {
        eprintln!("nothing was run");
    }
    Ok(yes)
}

/// `atl run ID`: start or resume an imported campaign.
pub async fn run(store: &Store, campaign_id: i64, concurrency: usize) -> Result<ExitCode> {
    let providers = providers().await?;
    let summary = run_with_progress(store, &providers, campaign_id, concurrency).await?;
    print_final(store, campaign_id, Some(&providers)).await?;
    Ok(if summary.stop == StopReason::Interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

/// `atl worker`: work on every processing campaign until Ctrl-C.
pub async fn worker(store: &Store, concurrency: usize) -> Result<ExitCode> {
    let providers = providers().await?;
    let coordinator = atl_app::coordinator(store, &providers, engine_config(concurrency));
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        interrupt_or_terminate().await;
        eprintln!("stopping: running jobs finish or return their leases");
        on_signal.cancel();
    });
    eprintln!(
        "worker {} waiting for jobs (Ctrl-C or SIGTERM to stop)",
        coordinator.config().owner
    );
    let summary = coordinator.run_worker(cancel).await?;
    eprintln!(
        "worker stopped: {} jobs completed, {} failed, {} retried, {} waited for a provider",
        summary.completed, summary.failed, summary.retried, summary.waited
    );
    Ok(ExitCode::SUCCESS)
}

async fn run_with_progress(
    store: &Store,
    providers: &Providers,
    campaign_id: i64,
    concurrency: usize,
) -> Result<RunSummary> {
    let coordinator = atl_app::coordinator(store, providers, engine_config(concurrency));
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "\nstopping: running jobs finish or return their leases (Ctrl-C again to force)"
            );
            on_signal.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let bar_stop = CancellationToken::new();
    let bar = tokio::spawn(progress::follow(
        campaign_id,
        coordinator.subscribe(),
        bar_stop.clone(),
    ));
    let result = coordinator.run_campaign(campaign_id, cancel).await;
    bar_stop.cancel();
    let _ = bar.await;
    signal.abort();
    Ok(result?)
}

/// The run's last line, from the same status view `atl status` and the API show:
/// completed, partial and failed targets, where the money went, and which sub-agents
/// failed and why. `providers` says whether the costs are the sandbox's (real providers'
/// prices, nothing charged); `None` when nothing ran now.
async fn print_final(store: &Store, campaign_id: i64, providers: Option<&Providers>) -> Result<()> {
    let Some(c) = store.get_campaign_tally(None, campaign_id).await? else {
        bail!("campaign {campaign_id} not found");
    };
    let view = atl_app::status_view(store, &c).await?;
    let p = &view.progress;
    let elapsed = progress::human(std::time::Duration::from_millis(view.elapsed_ms));
    let mut line = format!(
        "campaign {campaign_id} {}: {} completed, {} partial, {} failed",
        view.status, p.completed, p.partial, p.failed
    );
    if p.cancelled > 0 {
        line.push_str(&format!(", {} cancelled", p.cancelled));
    }
    line.push_str(&format!(
        " of {} targets in {elapsed}; cost {}",
        p.total_targets,
        crate::output::cost_text(&view)
    ));
    if providers.is_some_and(|p| p.mode.is_sandbox()) {
        line.push_str(" at real providers' prices (sandbox: nothing was charged)");
    }
    if view.budget_exhausted {
        line.push_str(" (budget reached: remaining steps skipped)");
    }
    eprintln!("{line}");
    if let Some(failures) = crate::output::failures_text(&view) {
        eprintln!("  failed sub-agents: {failures}");
        eprintln!("  `atl retry-failed {campaign_id}` runs only those again");
    }
    Ok(())
}

fn default_out(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "targets".into());
    PathBuf::from(format!("{stem}.enriched.csv"))
}

/// `atl export ID`: the campaign as CSV or JSONL, to a file or stdout.
pub async fn export(
    store: &Store,
    campaign_id: i64,
    format: ExportFormat,
    kind: atl_app::ExportKind,
    out: Option<PathBuf>,
) -> Result<()> {
    match out {
        Some(path) => {
            // Write beside, then rename: an interrupted export never leaves half a file
            // where the user expects a whole one.
            let tmp = path.with_extension("partial");
            let mut file = tokio::fs::File::create(&tmp)
                .await
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            let stats =
                atl_app::export_to_writer(store, None, campaign_id, format, kind, &mut file)
                    .await?;
            tokio::io::AsyncWriteExt::flush(&mut file).await?;
            drop(file);
            std::fs::rename(&tmp, &path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} rows to {}", stats.rows, path.display());
        }
        None => {
            let mut stdout = tokio::io::stdout();
            atl_app::export_to_writer(store, None, campaign_id, format, kind, &mut stdout).await?;
            tokio::io::AsyncWriteExt::flush(&mut stdout).await?;
        }
    }
    Ok(())
}

/// `atl export --with-audio`: renders the audio the campaign has not rendered yet.
pub async fn render_audio(store: &Store, campaign_id: i64) -> Result<()> {
    let providers = providers().await?;
    let sweep =
        atl_app::render_missing_audio(store, &providers, &atl_app::data_dir(), campaign_id).await?;
    eprintln!(
        "audio: {} rendered now, {} already there, {} failed",
        sweep.rendered, sweep.already, sweep.failed
    );
    Ok(())
}

/// `atl estimate ID`
pub async fn estimate(store: &Store, campaign_id: i64, json: bool) -> Result<ExitCode> {
    let providers = providers().await?;
    let e = atl_app::estimate_campaign(store, &providers, None, campaign_id).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        print!("{}", crate::output::quote_text(&e));
    }
    Ok(ExitCode::SUCCESS)
}

/// `atl serve`: the team API and the workers in one process. SIGTERM or Ctrl-C stops
/// taking requests, ends event streams, lets running jobs finish or return their leases.
pub async fn serve(
    store: &Store,
    addr: std::net::SocketAddr,
    concurrency: usize,
) -> Result<ExitCode> {
    // The workers run on a runtime of their own, so requests never wait in the same run
    // queues as their jobs; what they own is built there. They also get their own
    // PostgreSQL pool: API reads never wait for a connection behind 64 jobs' transactions.
    let workers = atl_server::WorkerRuntime::new()?;
    let setup = {
        let store = store.clone();
        async move {
            let providers = std::sync::Arc::new(providers().await?);
            let worker_store = store.with_own_pool().await?;
            let coordinator =
                atl_app::coordinator(&worker_store, &providers, engine_config(concurrency));
            anyhow::Ok((providers, coordinator))
        }
    };
    let (providers, coordinator) = workers.spawn(setup).await??;
    let mut ctx = atl_server::AppContext::new(store.clone(), atl_app::data_dir());
    ctx.providers = Some(providers);
    ctx.coordinator = Some(std::sync::Arc::new(coordinator));
    ctx.worker_runtime = Some(workers.handle());
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        interrupt_or_terminate().await;
        eprintln!("shutting down: no new requests; running jobs finish or return their leases");
        on_signal.cancel();
    });
    eprintln!("atl serve: http://{addr}/api/atl (docs at http://{addr}/docs)");
    atl_server::serve(ctx, addr, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// Returns on Ctrl-C (SIGINT) or SIGTERM, what a terminal and a process manager
/// (systemd, Kubernetes, `docker stop`) each send to stop a long-running command.
async fn interrupt_or_terminate() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
