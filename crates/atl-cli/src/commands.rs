//! One function per subcommand; each is a thin call into `atl-app`/`atl-store`.

use crate::output;
use crate::run;
use crate::sandbox;
use crate::seniority;
use crate::{Cli, Command, ImportFlags, KeysAction};
use anyhow::{Context, Result};
use atl_app::settings::DatabaseSettings;
use atl_app::{AppError, ImportRequest, Settings};
use atl_store::Store;
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

pub async fn run(cli: Cli, env: &HashMap<String, String>) -> Result<ExitCode> {
    if let Command::Sandbox {
        port,
        config,
        latency_ms,
    } = cli.command
    {
        return sandbox::serve(port, config, latency_ms).await;
    }
    if let Command::Seniority { file, titles } = cli.command {
        return seniority::run(file.as_deref(), &titles);
    }
    let file = atl_app::settings::read_settings_file(Path::new(atl_app::settings::SETTINGS_FILE))?;
    let mut settings = Settings::load(env, file.as_deref()).map_err(AppError::from)?;
    if let Some(url) = cli.database_url {
        settings.database.url = url;
    }
    let store = open_store(&settings.database).await?;
    let settings = &settings;
    let code = match cli.command {
        Command::Migrate => {
            // open_store already migrated; say what we are on.
            println!("migrations applied ({:?})", store.backend());
            ExitCode::SUCCESS
        }
        Command::Import {
            file,
            import: flags,
        } => import(&store, file, flags).await?,
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
        Command::Sandbox { .. } | Command::Seniority { .. } => {
            unreachable!("handled before the store is opened")
        }
        Command::Enrich(args) => match run::enrich(&store, settings, args).await {
            Ok(code) => code,
            Err(e) => match e.downcast::<AppError>() {
                Ok(app) => refuse(app)?,
                Err(e) => return Err(e),
            },
        },
        Command::Run { id, concurrency } => run::run(&store, settings, id, concurrency).await?,
        Command::RetryFailed {
            id,
            yes,
            concurrency,
        } => run::retry_failed(&store, settings, id, yes, concurrency).await?,
        Command::Estimate { id, json } => run::estimate(&store, settings, id, json).await?,
        Command::Export {
            id,
            format,
            out,
            contacts,
            with_audio,
        } => {
            let format: atl_app::ExportFormat = format.parse()?;
            if with_audio {
                run::render_audio(&store, settings, id).await?;
            }
            if out.is_some() || contacts.is_none() {
                run::export(&store, id, format, atl_app::ExportKind::Targets, out).await?;
            }
            if let Some(path) = contacts {
                run::export(
                    &store,
                    id,
                    format,
                    atl_app::ExportKind::Contacts,
                    Some(path),
                )
                .await?;
            }
            ExitCode::SUCCESS
        }
        Command::Worker { concurrency } => run::worker(&store, settings, concurrency).await?,
        Command::Serve {
            addr,
            concurrency,
            no_auth,
            public_names,
            cors_origins,
        } => {
            let addr = addr.unwrap_or(settings.server.addr);
            // The file's names and origins, then the flags' (which add to them).
            let mut names = settings.server.public_names.clone();
            names.extend(public_names);
            let mut origins = settings.server.cors_origins.clone();
            origins.extend(cors_origins);
            let options = atl_server::ServerOptions {
                no_auth,
                public_names: names,
                cors_origins: origins,
                ..Default::default()
            };
            run::serve(&store, settings, addr, concurrency, options).await?
        }
        Command::Keys { action } => keys(&store, action).await?,
        Command::Status { id, json } => {
            let Some(campaign) = store.get_campaign(None, id).await? else {
                eprintln!("error: campaign {id} not found");
                store.close().await;
                return Ok(ExitCode::from(2));
            };
            let view = atl_app::status_view(&store, &(&campaign).into()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print!("{}", output::status_text(&campaign, &view));
            }
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}

async fn open_store(database: &DatabaseSettings) -> Result<Store> {
    let store = Store::connect_with(&database.url, database.store_options())
        .await
        .context("cannot open the database")?;
    store.migrate().await.context("cannot apply migrations")?;
    Ok(store)
}

async fn import(store: &Store, file: std::path::PathBuf, flags: ImportFlags) -> Result<ExitCode> {
    let options = flags.import_options()?;
    let bytes = match atl_app::read_upload_file(&file, options.max_bytes) {
        Ok(b) => b,
        Err(e) => return refuse(e),
    };
    let team_id = store.team_id(&flags.team).await?;
    let request = ImportRequest {
        team_id,
        name: flags.name,
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
        options,
        settings: flags.options.settings(),
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
        // Not the file's fault: the database, the engine or the output.
        e @ (AppError::Engine(_) | AppError::Write { .. }) => Err(e.into()),
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

async fn keys(store: &Store, action: KeysAction) -> Result<ExitCode> {
    match action {
        KeysAction::Create { team, label } => {
            let key = store.create_api_key(&team, label.as_deref()).await?;
            println!("{}", key.plaintext);
            eprintln!(
                "created key {} (id {}) for team \"{}\"; it is shown only now, store it safely",
                key.prefix, key.id, key.team
            );
        }
        KeysAction::List { team } => {
            let team_id = match team {
                Some(t) => Some(store.team_id(&t).await?),
                None => None,
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&store.list_api_keys(team_id).await?)?
            );
        }
        KeysAction::Revoke { id_or_prefix } => {
            let n = store.revoke_api_key(None, &id_or_prefix).await?;
            if n == 0 {
                eprintln!("error: no active key matches `{id_or_prefix}`");
                return Ok(ExitCode::from(2));
            }
            eprintln!("revoked {n} key(s)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
