//! `enrich`, the main command: import a file (or find the campaign already made from it),
//! run it, export it. The same file resumes its unfinished campaign; a finished one is
//! exported again and nothing is bought twice.

use crate::export::{ExportFormat, ExportKind, ExportStats, export_to_file};
use crate::{AppError, ImportOutcome, ImportRequest, ProviderMode, Providers, import_csv};
use atl_engine::{Coordinator, EngineConfig, RunSummary, StopReason};
use atl_import::ImportOptions;
use atl_store::{Campaign, Store};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// The settings key under which a campaign remembers which file it was imported from, so
/// that running `atl enrich` on the same file again resumes instead of starting over.
pub const SOURCE_DIGEST_KEY: &str = "source_sha256";

/// SHA-256 of an uploaded file, hex.
pub fn source_digest(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The newest campaign of this team imported from a file with this digest, finished or
/// not. The caller resumes an unfinished one and exports a finished one (completed,
/// failed or cancelled) again instead of buying its results twice.
pub async fn find_resumable(
    store: &Store,
    team_id: i64,
    digest: &str,
) -> Result<Option<Campaign>, AppError> {
    let mut offset = 0;
    loop {
        let page = store.list_campaigns(Some(team_id), 200, offset).await?;
        if page.is_empty() {
            return Ok(None);
        }
        offset += page.len() as u64;
        if let Some(c) = page
            .into_iter()
            .find(|c| c.settings.get(SOURCE_DIGEST_KEY).and_then(|v| v.as_str()) == Some(digest))
        {
            return Ok(Some(c));
        }
    }
}

/// What `enrich` is asked to do.
#[derive(Debug, Clone)]
pub struct EnrichRequest {
    pub file: PathBuf,
    /// Import as a new campaign even if one for this file exists.
    pub fresh: bool,
    /// Where the enriched CSV goes.
    pub out: PathBuf,
    pub team: String,
    pub name: Option<String>,
    pub options: ImportOptions,
    /// The new campaign's settings (audio mode, refresh, seller …); the file's digest is
    /// added.
    pub settings: serde_json::Value,
    pub budget_nano_usd: Option<i64>,
    pub engine: EngineConfig,
}

/// What happened on the way, for the shell to tell.
pub enum EnrichEvent<'a> {
    /// `fresh` was asked although this campaign was made from the same file.
    FreshIgnored(&'a Campaign),
    /// The unfinished campaign of this file runs on.
    Resuming(&'a Campaign),
    Imported(&'a ImportOutcome),
    /// The run starts (follow its progress on the coordinator).
    Running {
        campaign_id: i64,
        coordinator: &'a Coordinator,
    },
    /// The run ended; the export follows.
    Ran(&'a RunSummary),
}

/// How `enrich` ended.
#[derive(Debug)]
pub enum EnrichOutcome {
    /// The file's campaign had finished: exported again, nothing bought.
    ExportedAgain {
        campaign: Box<Campaign>,
        stats: ExportStats,
    },
    /// `cancel` fired; the same request resumes the campaign.
    Interrupted { campaign_id: i64 },
    /// The campaign ran on providers in `mode` and was exported.
    Exported {
        campaign_id: i64,
        stats: ExportStats,
        mode: ProviderMode,
    },
}

/// Imports `request.file` (or finds its campaign), runs it and exports it to
/// `request.out`. `providers` is called only when something is to run; `on` hears each
/// step.
pub async fn enrich(
    store: &Store,
    request: EnrichRequest,
    providers: impl AsyncFnOnce() -> Result<Providers, AppError>,
    cancel: CancellationToken,
    on: &mut dyn FnMut(EnrichEvent<'_>),
) -> Result<EnrichOutcome, AppError> {
    let bytes = crate::read_upload_file(&request.file, request.options.max_bytes)?;
    let digest = source_digest(&bytes);
    let team_id = store.team_id(&request.team).await?;

    let known = match find_resumable(store, team_id, &digest).await? {
        Some(c) if request.fresh => {
            on(EnrichEvent::FreshIgnored(&c));
            None
        }
        known => known,
    };
    if let Some(c) = known.as_ref().filter(|c| c.status.is_final()) {
        // Its results are bought: export them again rather than pay twice.
        let stats = export_targets(store, c.id, &request.out).await?;
        return Ok(EnrichOutcome::ExportedAgain {
            campaign: Box::new(c.clone()),
            stats,
        });
    }
    let providers = providers().await?;

    let campaign_id = match known {
        Some(c) => {
            on(EnrichEvent::Resuming(&c));
            c.id
        }
        None => {
            let mut settings = request.settings;
            settings[SOURCE_DIGEST_KEY] = serde_json::json!(digest);
            let outcome = import_csv(
                store,
                bytes,
                ImportRequest {
                    team_id,
                    name: request.name,
                    file_name: request
                        .file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned()),
                    options: request.options,
                    settings,
                    budget_nano_usd: request.budget_nano_usd,
                },
            )
            .await?;
            on(EnrichEvent::Imported(&outcome));
            outcome.campaign_id
        }
    };

    let summary = crate::run_campaign(
        store,
        &providers,
        request.engine,
        campaign_id,
        cancel,
        |coordinator| {
            on(EnrichEvent::Running {
                campaign_id,
                coordinator,
            })
        },
    )
    .await?;
    on(EnrichEvent::Ran(&summary));
    if summary.stop == StopReason::Interrupted {
        return Ok(EnrichOutcome::Interrupted { campaign_id });
    }
    let stats = export_targets(store, campaign_id, &request.out).await?;
    Ok(EnrichOutcome::Exported {
        campaign_id,
        stats,
        mode: providers.mode.clone(),
    })
}

async fn export_targets(
    store: &Store,
    campaign_id: i64,
    out: &std::path::Path,
) -> Result<ExportStats, AppError> {
    export_to_file(
        store,
        campaign_id,
        ExportFormat::Csv,
        ExportKind::Targets,
        out,
    )
    .await
}
