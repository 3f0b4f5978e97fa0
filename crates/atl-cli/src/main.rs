//! `atl`: the command-line shell over `atl-app`. It parses arguments, opens the store,
//! calls one library function and prints the answer. `anyhow` lives here only.

mod commands;
mod output;
mod progress;
mod run;
mod sandbox;
mod seniority;

use clap::{Parser, Subcommand};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "atl",
    version,
    about = "Account research, intel, contacts and call scripts for a list of target accounts"
)]
struct Cli {
    /// Database: `sqlite://path` or a file path (default `atl.db` here), or `postgres://…`.
    /// Overrides `ATL_DATABASE_URL` and `[database] url` in `atl.toml`.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// How a campaign buys what it needs: when audio is rendered, whether cached evidence
/// may stand in for a new lookup. Stored in the campaign's settings.
#[derive(clap::Args, Debug, Clone)]
pub struct CampaignFlags {
    /// When call-script audio is rendered: `on-demand` (the first time someone plays or
    /// exports it; the default), `eager` (in the run, with the hosted TTS), `local` (in
    /// the run, with espeak-ng, free) or `none`.
    #[arg(long, default_value = "on-demand", value_parser = parse_audio)]
    pub audio: atl_agents::AudioMode,
    /// Buy every lookup again instead of using evidence cached by earlier campaigns.
    #[arg(long)]
    pub refresh: bool,
}

/// How a file becomes a campaign: its name, the header mapping, the owning team and the
/// campaign's flags (`atl import` and `atl enrich`).
#[derive(clap::Args, Debug, Clone)]
pub struct ImportFlags {
    /// Campaign name (default: the file name).
    #[arg(long)]
    pub name: Option<String>,
    /// Map a header to a field, e.g. `--map 'Company Legal Name=company_name'` (repeatable).
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub map: Vec<String>,
    /// Team that owns the campaign.
    #[arg(long, default_value = atl_domain::DEFAULT_TEAM)]
    pub team: String,
    #[command(flatten)]
    pub options: CampaignFlags,
}

impl ImportFlags {
    /// The import options the `--map` flags ask for.
    pub fn import_options(&self) -> Result<atl_import::ImportOptions, atl_import::ImportError> {
        let mut options = atl_import::ImportOptions::default();
        for spec in &self.map {
            options.column_map.push(atl_import::parse_column_map(spec)?);
        }
        Ok(options)
    }
}

fn parse_audio(s: &str) -> Result<atl_agents::AudioMode, String> {
    atl_agents::AudioMode::parse(s)
        .ok_or_else(|| format!("unknown audio mode `{s}` (eager, on-demand, local, none)"))
}

impl CampaignFlags {
    /// The settings these flags write into a campaign.
    pub fn settings(&self) -> serde_json::Value {
        serde_json::json!({"audio": self.audio.as_str(), "refresh": self.refresh})
    }
}

#[derive(Subcommand)]
enum Command {
    /// Import a CSV, research every target, and export the enriched list: the main job.
    /// With no provider keys set it runs on the built-in sandbox (synthetic data).
    /// Ctrl-C stops cleanly; the same command resumes where it stopped. On a file whose
    /// campaign has finished it exports that campaign again and buys nothing.
    Enrich(run::EnrichArgs),
    /// Run again only what failed or was skipped (partial and failed targets), after a
    /// quote; completed results are kept. Asks for confirmation (`--yes` when stdin is not
    /// a terminal).
    RetryFailed {
        id: i64,
        /// Do not ask: run the quoted work.
        #[arg(long)]
        yes: bool,
        /// Jobs in flight at once (default `[engine] concurrency`, else 64).
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Start or resume an imported campaign, with a progress bar.
    Run {
        id: i64,
        /// Jobs in flight at once (default `[engine] concurrency`, else 64).
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Quote a campaign before it runs, itemised: model tokens, web searches, contact-data
    /// credits and TTS characters, with a point estimate and a range.
    Estimate {
        id: i64,
        /// Print the quote as JSON (`expected_usd`, `low_usd`, `high_usd`, `items`, …).
        #[arg(long)]
        json: bool,
    },
    /// Export a campaign, one row per target with each field's source (CSV for Excel,
    /// Google Sheets and HubSpot, escaped against formula injection), or with
    /// `--contacts FILE` one row per person (the contact and every executive).
    Export {
        id: i64,
        #[arg(long, default_value = "csv")]
        format: String,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also (or only, without --out) write one row per person to this file.
        #[arg(long)]
        contacts: Option<PathBuf>,
        /// Render the call-script audio of every target that has none yet before
        /// exporting (audio is otherwise made when first played), and export its paths.
        #[arg(long)]
        with_audio: bool,
    },
    /// Run the team API (and the workers) in one process until Ctrl-C or SIGTERM.
    Serve {
        /// Where to listen (default `[server] addr` in `atl.toml`, else 127.0.0.1:8080).
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
        /// Jobs in flight at once (default `[engine] concurrency`, else 64).
        #[arg(long)]
        concurrency: Option<usize>,
        /// Serve requests without a key as team `default`. Only on a loopback address.
        #[arg(long)]
        no_auth: bool,
        /// A host name clients reach this server by (behind a proxy: its public name);
        /// requests naming any other Host are refused. Repeatable.
        #[arg(long = "public-name", value_name = "HOST")]
        public_names: Vec<String>,
        /// An origin whose web pages may call the API (CORS), e.g.
        /// `https://crm.example.com`. Repeatable; none by default.
        #[arg(long = "cors-origin", value_name = "ORIGIN")]
        cors_origins: Vec<String>,
    },
    /// Manage API keys (each belongs to a team and sees only that team's campaigns).
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Work on every processing campaign of this database until Ctrl-C (run several,
    /// on several machines, against one PostgreSQL).
    Worker {
        /// Jobs in flight at once (default `[engine] concurrency`, else 64).
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Import a CSV of target accounts as a new campaign (nothing runs yet).
    Import {
        file: PathBuf,
        #[command(flatten)]
        import: ImportFlags,
    },
    /// List campaigns, newest first.
    Campaigns {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one campaign's progress.
    Status {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Apply the database migrations (they also run on every start).
    Migrate,
    /// Print the Apollo seniority of job titles (owner … intern, or `none`), one
    /// `title<TAB>value` line each. Needs no database.
    Seniority {
        /// One title per line, optionally followed by a tab and the company's industry.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Titles to classify (with no industry).
        titles: Vec<String>,
    },
    /// Serve every provider's wire format on 127.0.0.1 with synthetic content, for demos,
    /// tests and benchmarks. Point ATL at it with `ATL_SANDBOX_URL=http://127.0.0.1:PORT`.
    Sandbox {
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// A JSON file of latency and fault knobs per provider family (see atl-sandbox's
        /// `SandboxConfig`); they can also be changed at runtime with POST /_sandbox/config.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Fixed latency for every route, in milliseconds (overrides the file's).
        #[arg(long)]
        latency_ms: Option<u64>,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Create a key for a team (created if new); the key is printed once, stored hashed.
    Create {
        #[arg(long)]
        team: String,
        #[arg(long)]
        label: Option<String>,
    },
    /// List keys (prefixes only; the secret is never stored).
    List {
        #[arg(long)]
        team: Option<String>,
    },
    /// Revoke a key by id or prefix.
    Revoke { id_or_prefix: String },
}

fn main() -> ExitCode {
    // The one read of the process environment; everything configurable comes from this map
    // and `atl.toml` through `atl_app::Settings::load`. Variables that are not Unicode
    // configure nothing of ours and are left out.
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let cli = Cli::parse();
    let filter = atl_app::settings::log_filter(&env)
        .and_then(|f| tracing_subscriber::EnvFilter::try_new(f).ok())
        // sqlx's pool warns about every connection a database restart closed under it;
        // the engine says it once ("database unreachable … retrying").
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("warn,sqlx_core::pool=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli, &env)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
