//! `atl enrich`, `atl run`, `atl worker`, `atl estimate`, `atl export`: the commands that
//! drive the coordinator.

use crate::ImportFlags;
use crate::progress;
use anyhow::{Result, bail};
use atl_app::{
    AppError, EnrichEvent, EnrichOutcome, EnrichRequest, ExportFormat, ProviderMode, Providers,
    RetryOutcome, Settings,
};
use atl_engine::{Coordinator, EngineConfig, RunSummary, StopReason};
use atl_store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

#[derive(clap::Args)]
pub struct EnrichArgs {
    file: PathBuf,
    /// Import the file as a new campaign even if one for it exists (runs everything
    /// again, and pays for it again).
    #[arg(long)]
    fresh: bool,
    /// Where to write the enriched CSV (default: `<file stem>.enriched.csv`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Hard budget in USD: paid steps that would cross it are skipped, and said so.
    #[arg(long)]
    budget_usd: Option<f64>,
    /// Jobs in flight at once (per-provider limits still apply; default
    /// `[engine] concurrency` in `atl.toml`, else 64).
    #[arg(long)]
    concurrency: Option<usize>,
    #[command(flatten)]
    import: ImportFlags,
    /// Your name, for the call script.
    #[arg(long)]
    seller_name: Option<String>,
    /// Your company, for the call script.
    #[arg(long)]
    seller_company: Option<String>,
    /// One line on what you sell and to whom (intel and voice use it).
    #[arg(long)]
    pitch: Option<String>,
}

/// The providers of this process, counting rate limits with every other process on
/// `store`'s database (PostgreSQL) or in this process (SQLite).
async fn providers(store: &Store, settings: &Settings) -> Result<Providers, AppError> {
    let limiter = atl_app::rate_limiter_for(store);
    let providers = Providers::from_settings(settings, Some(limiter)).await?;
    eprintln!("{}", providers.mode.describe());
    Ok(providers)
}

/// What a run shows while it goes: the progress bar, and the Ctrl-C handler that stops
/// the run cleanly (a second Ctrl-C exits at once).
struct Watch {
    signal: tokio::task::JoinHandle<()>,
    bar: tokio::task::JoinHandle<()>,
    bar_stop: CancellationToken,
}

impl Watch {
    fn start(campaign_id: i64, coordinator: &Coordinator, cancel: CancellationToken) -> Watch {
        let signal = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\nstopping: running jobs finish or return their leases (Ctrl-C again to force)"
                );
                cancel.cancel();
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
        Watch {
            signal,
            bar,
            bar_stop,
        }
    }

    /// Stops drawing and handling Ctrl-C (the bar ends at once; [`Watch::finish`] waits
    /// for its last line).
    fn stop(&self) {
        self.bar_stop.cancel();
        self.signal.abort();
    }

    async fn finish(self) {
        self.stop();
        let _ = self.bar.await;
    }
}

/// Import (or find the unfinished campaign of the same file), run with a progress bar,
/// export. Ctrl-C stops cleanly; the same command resumes.
pub async fn enrich(store: &Store, settings: &Settings, args: EnrichArgs) -> Result<ExitCode> {
    let EnrichArgs {
        file,
        fresh,
        out,
        budget_usd,
        concurrency,
        import,
        seller_name,
        seller_company,
        pitch,
    } = args;
    let options = import.import_options()?;
    let mut campaign_settings = import.options.settings();
    let mut seller = serde_json::Map::new();
    for (k, v) in [
        ("name", seller_name),
        ("company", seller_company),
        ("pitch", pitch),
    ] {
        if let Some(v) = v {
            seller.insert(k.into(), v.into());
        }
    }
    if !seller.is_empty() {
        campaign_settings["seller"] = serde_json::Value::Object(seller);
    }
    let budget_nano_usd = match budget_usd {
        Some(b) if !(b.is_finite() && b >= 0.0) => {
            bail!("--budget-usd must be a positive number")
        }
        Some(b) => Some((b * 1e9).round() as i64),
        None => None,
    };
    let out = out.unwrap_or_else(|| default_out(&file));
    let request = EnrichRequest {
        file,
        fresh,
        out: out.clone(),
        team: import.team,
        name: import.name,
        options,
        settings: campaign_settings,
        budget_nano_usd,
        engine: settings.engine_config(concurrency),
    };
    let cancel = CancellationToken::new();
    let mut watch: Option<Watch> = None;
    let outcome = atl_app::enrich(
        store,
        request,
        async || providers(store, settings).await,
        cancel.clone(),
        &mut |event| match event {
            EnrichEvent::FreshIgnored(c) => eprintln!(
                "--fresh: importing a new campaign (campaign {} for this file is left as it is)",
                c.id
            ),
            EnrichEvent::Resuming(c) => eprintln!(
                "resuming campaign {} \"{}\" ({} of {} targets done)",
                c.id,
                c.name,
                c.enriched_count + c.partial_count + c.failed_count,
                c.total_targets
            ),
            EnrichEvent::Imported(outcome) => {
                eprintln!(
                    "imported campaign {}: {} targets ({} rows rejected, {} duplicates merged)",
                    outcome.campaign_id,
                    outcome.total_targets,
                    outcome.rows_rejected,
                    outcome.duplicates_merged
                );
                crate::output::print_row_issues(&outcome.report);
            }
            EnrichEvent::Running {
                campaign_id,
                coordinator,
            } => watch = Some(Watch::start(campaign_id, coordinator, cancel.clone())),
            EnrichEvent::Ran(_) => {
                if let Some(w) = &watch {
                    w.stop();
                }
            }
        },
    )
    .await;
    if let Some(w) = watch {
        w.finish().await;
    }
    match outcome? {
        EnrichOutcome::ExportedAgain { campaign: c, stats } => {
            eprintln!("wrote {} rows to {}", stats.rows, out.display());
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
        }
        EnrichOutcome::Interrupted { campaign_id } => {
            eprintln!(
                "stopped. Nothing is lost: run the same command again (or `atl run {campaign_id}`) to resume."
            );
            return Ok(ExitCode::from(130));
        }
        EnrichOutcome::Exported {
            campaign_id,
            stats,
            mode,
        } => {
            eprintln!("wrote {} rows to {}", stats.rows, out.display());
            print_final(store, campaign_id, Some(&mode)).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `atl retry-failed ID`: quote the failed and skipped jobs, confirm, run only them.
pub async fn retry_failed(
    store: &Store,
    settings: &Settings,
    campaign_id: i64,
    yes: bool,
    concurrency: Option<usize>,
) -> Result<ExitCode> {
    let cancel = CancellationToken::new();
    let mut watch: Option<Watch> = None;
    let outcome = atl_app::retry_failed(
        store,
        async || providers(store, settings).await,
        settings.engine_config(concurrency),
        campaign_id,
        |quote| {
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
            Ok(yes || confirmed().map_err(|e| AppError::InvalidInput(e.to_string()))?)
        },
        cancel.clone(),
        |coordinator| watch = Some(Watch::start(campaign_id, coordinator, cancel.clone())),
    )
    .await;
    if let Some(w) = watch {
        w.finish().await;
    }
    match outcome? {
        RetryOutcome::NotFound => {
            eprintln!("error: campaign {campaign_id} not found");
            Ok(ExitCode::from(2))
        }
        RetryOutcome::NothingToRetry { status } => {
            eprintln!(
                "error: campaign {campaign_id} ({status}) has no failed or skipped work to retry"
            );
            Ok(ExitCode::from(2))
        }
        RetryOutcome::Declined => Ok(ExitCode::from(2)),
        RetryOutcome::Refused(why) => {
            eprintln!("error: {why}");
            Ok(ExitCode::from(2))
        }
        RetryOutcome::Ran { summary, mode } => {
            print_final(store, campaign_id, Some(&mode)).await?;
            Ok(if summary.stop == StopReason::Interrupted {
                ExitCode::from(130)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
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
pub async fn run(
    store: &Store,
    settings: &Settings,
    campaign_id: i64,
    concurrency: Option<usize>,
) -> Result<ExitCode> {
    let providers = providers(store, settings).await?;
    let engine = settings.engine_config(concurrency);
    let summary = run_with_progress(store, &providers, campaign_id, engine).await?;
    print_final(store, campaign_id, Some(&providers.mode)).await?;
    Ok(if summary.stop == StopReason::Interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

/// `atl worker`: work on every processing campaign until Ctrl-C.
pub async fn worker(
    store: &Store,
    settings: &Settings,
    concurrency: Option<usize>,
) -> Result<ExitCode> {
    let providers = providers(store, settings).await?;
    let coordinator = atl_app::coordinator(store, &providers, settings.engine_config(concurrency));
    let cancel = cancel_on_stop("stopping: running jobs finish or return their leases");
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
    engine: EngineConfig,
) -> Result<RunSummary> {
    let cancel = CancellationToken::new();
    let mut watch: Option<Watch> = None;
    let result =
        atl_app::run_campaign(store, providers, engine, campaign_id, cancel.clone(), |c| {
            watch = Some(Watch::start(campaign_id, c, cancel.clone()))
        })
        .await;
    if let Some(w) = watch {
        w.finish().await;
    }
    Ok(result?)
}

/// The run's last line, from the same status view `atl status` and the API show:
/// completed, partial and failed targets, where the money went, and which sub-agents
/// failed and why. `mode` says whether the costs are the sandbox's (real providers'
/// prices, nothing charged); `None` when nothing ran now.
async fn print_final(store: &Store, campaign_id: i64, mode: Option<&ProviderMode>) -> Result<()> {
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
    if mode.is_some_and(ProviderMode::is_sandbox) {
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
            let stats = atl_app::export_to_file(store, campaign_id, format, kind, &path).await?;
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
pub async fn render_audio(store: &Store, settings: &Settings, campaign_id: i64) -> Result<()> {
    let providers = providers(store, settings).await?;
    let sweep =
        atl_app::render_missing_audio(store, &providers, &settings.data_dir, campaign_id).await?;
    eprintln!(
        "audio: {} rendered now, {} already there, {} failed",
        sweep.rendered, sweep.already, sweep.failed
    );
    Ok(())
}

/// `atl estimate ID`
pub async fn estimate(
    store: &Store,
    settings: &Settings,
    campaign_id: i64,
    json: bool,
) -> Result<ExitCode> {
    let providers = providers(store, settings).await?;
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
    settings: &Settings,
    addr: std::net::SocketAddr,
    concurrency: Option<usize>,
    options: atl_server::ServerOptions,
) -> Result<ExitCode> {
    if options.no_auth {
        if !addr.ip().is_loopback() {
            anyhow::bail!(
                "--no-auth serves anyone who can connect, so it only listens on loopback \
                 (127.0.0.1 or ::1), not {addr}"
            );
        }
        eprintln!(
            "WARNING: authentication is OFF (--no-auth): requests without a key act as team \
             `default`; anything that can reach {addr} can read and change its campaigns"
        );
    } else if let Some(key) = atl_server::first_start_key(store).await? {
        // The one time this key is ever shown: stdout, so it can be captured.
        println!("{}", key.plaintext);
        eprintln!(
            "first start: created API key {} for team \"{}\" (printed above, shown only \
             now; it is stored hashed). Send it as `Authorization: Bearer <key>` or sign in \
             to the dashboard with it; more keys: atl keys create --team NAME",
            key.prefix, key.team
        );
    } else if store.count_active_api_keys().await? == 0 {
        eprintln!(
            "warning: every API key is revoked, so every request will be refused (401); \
             create one with `atl keys create --team NAME`"
        );
    }
    // The workers run on a runtime of their own, so requests never wait in the same run
    // queues as their jobs; what they own is built there. They also get their own
    // PostgreSQL pool: API reads never wait for a connection behind 64 jobs' transactions.
    let workers = atl_server::WorkerRuntime::new()?;
    let setup = {
        let store = store.clone();
        let settings = settings.clone();
        async move {
            let worker_store = store.with_own_pool().await?;
            let providers = std::sync::Arc::new(providers(&worker_store, &settings).await?);
            let engine = settings.engine_config(concurrency);
            let coordinator = atl_app::coordinator(&worker_store, &providers, engine);
            anyhow::Ok((providers, coordinator))
        }
    };
    let (providers, coordinator) = workers.spawn(setup).await??;
    // Absolute, so the paths stored for audio resolve wherever they are read from.
    let data_dir = std::path::absolute(&settings.data_dir)?;
    let mut ctx = atl_server::AppContext::new(store.clone(), data_dir);
    ctx.options = options;
    ctx.providers = Some(providers);
    ctx.coordinator = Some(std::sync::Arc::new(coordinator));
    ctx.worker_runtime = Some(workers.handle());
    let shutdown = cancel_on_stop(
        "shutting down: no new requests; running jobs finish or return their leases",
    );
    eprintln!("atl serve: http://{addr}/api/atl (docs at http://{addr}/docs)");
    atl_server::serve(ctx, addr, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// A token cancelled on the first Ctrl-C or SIGTERM, after saying `message`.
fn cancel_on_stop(message: &'static str) -> CancellationToken {
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        interrupt_or_terminate().await;
        eprintln!("{message}");
        on_signal.cancel();
    });
    cancel
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
