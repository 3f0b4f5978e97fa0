//! `atl`: the command-line shell over `atl-app`. It parses arguments, opens the store,
//! calls one library function and prints the answer. `anyhow` lives here only.

mod commands;
mod output;
mod sandbox;

use clap::{Parser, Subcommand};
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
    #[arg(long, env = "ATL_DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import a CSV of target accounts as a new campaign (nothing runs yet).
    Import {
        file: PathBuf,
        /// Campaign name (default: the file name).
        #[arg(long)]
        name: Option<String>,
        /// Map a header to a field, e.g. `--map 'Company Legal Name=company_name'` (repeatable).
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        map: Vec<String>,
        /// Team that owns the campaign.
        #[arg(long, default_value = atl_domain::DEFAULT_TEAM)]
        team: String,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ATL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
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
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
