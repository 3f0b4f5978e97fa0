//! One function per subcommand; each is a thin call into `atl-app`/`atl-store`.

use crate::output;
use crate::sandbox;
use crate::{Cli, Command};
use anyhow::{Context, Result};
use atl_app::{AppError, ImportRequest};
use atl_import::ImportOptions;
use atl_store::Store;
use std::process::ExitCode;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    if let Command::Sandbox {
        port,
        config,
        latency_ms,
    } = cli.command
    {
        return sandbox::serve(port, config, latency_ms).await;
    }
    let store = open_store(cli.database_url.as_deref()).await?;
    let code = match cli.command {
        Command::Migrate => {
            // open_store already migrated; say what we are on.
            println!("migrations applied ({:?})", store.backend());
            ExitCode::SUCCESS
        }
        Command::Import {
            file,
            name,
            map,
            team,
        } => import(&store, file, name, map, team).await?,
        Command::Campaigns {
            limit,
            offset,
            json,
        } => {
            let campaigns = store.list_campaigns(None, limit, offset).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&campaigns)?);
            } else {
                print!("{}", output::campaign_table(&campaigns));
            }
            ExitCode::SUCCESS
        }
        Command::Sandbox { .. } => unreachable!("handled before the store is opened"),
        Command::Status { id, json } => {
            let Some(campaign) = store.get_campaign(None, id).await? else {
                eprintln!("error: campaign {id} not found");
                store.close().await;
                return Ok(ExitCode::from(2));
            };
            let counts = store.target_status_counts(id).await?;
            let view = output::status_view(&campaign, &counts);
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print!("{}", output::status_text(&campaign, &counts));
            }
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}

async fn open_store(url: Option<&str>) -> Result<Store> {
    let store = match url {
        Some(url) => Store::connect(url).await,
        None => Store::connect("sqlite://atl.db").await,
    }
    .context("cannot open the database")?;
    store.migrate().await.context("cannot apply migrations")?;
    Ok(store)
}

async fn import(
    store: &Store,
    file: std::path::PathBuf,
    name: Option<String>,
    map: Vec<String>,
    team: String,
) -> Result<ExitCode> {
    let mut options = ImportOptions::default();
    for spec in &map {
        options.column_map.push(atl_import::parse_column_map(spec)?);
    }
    let bytes = match atl_app::read_upload_file(&file, options.max_bytes) {
        Ok(b) => b,
        Err(e) => return refuse(e),
    };
    let team_id = store.team_id(&team).await?;
    let request = ImportRequest {
        team_id,
        name,
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
        options,
        settings: serde_json::json!({}),
        budget_nano_usd: None,
    };
    match atl_app::import_csv(store, bytes, request).await {
        Ok(outcome) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&output::import_json(&outcome))?
            );
            output::print_row_issues(&outcome.report);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refuse(e),
    }
}

/// A refused import is the user's file, not our bug: say why, print the row report when
/// there is one, exit 2, and (by construction of `import_csv`) nothing was written.
fn refuse(e: AppError) -> Result<ExitCode> {
    match e {
        AppError::Store(e) => Err(e.into()),
        AppError::NoTargets { ref report, .. } => {
            eprintln!("error: {e}; nothing was imported");
            eprintln!("{}", serde_json::to_string_pretty(report)?);
            Ok(ExitCode::from(2))
        }
        other => {
            eprintln!("error: {other}; nothing was imported");
            Ok(ExitCode::from(2))
        }
    }
}
