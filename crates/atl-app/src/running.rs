//! Running campaigns: the coordinator with the four real agents, one campaign's run, and
//! `retry-failed` (quote, confirm, reopen, run).

use crate::evidence_cache::StoreCache;
use crate::{AppError, ProviderMode, Providers, RetryQuote};
use atl_agents::{AgentKit, Freshness};
use atl_domain::CampaignStatus;
use atl_engine::{AgentRegistry, Coordinator, EngineConfig, RunSummary};
use atl_store::Store;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The agents' kit on `providers`, with the evidence cache kept in `store`.
pub fn agent_kit(store: &Store, providers: &Providers) -> AgentKit {
    AgentKit::with_cache(
        providers.toolkit.clone(),
        Arc::new(StoreCache::new(store.clone())),
        Freshness::default(),
    )
}

/// A coordinator that runs the four sub-agents on `providers`.
pub fn coordinator(store: &Store, providers: &Providers, config: EngineConfig) -> Coordinator {
    let mut registry = AgentRegistry::new();
    for agent in atl_agents::all_agents(&agent_kit(store, providers)) {
        registry.register(agent);
    }
    Coordinator::new(store.clone(), registry, config)
}

/// Runs one campaign until it is done, paused, cancelled or `cancel` fires.
/// `on_start` sees the coordinator before the first claim (to follow its progress).
pub async fn run_campaign(
    store: &Store,
    providers: &Providers,
    engine: EngineConfig,
    campaign_id: i64,
    cancel: CancellationToken,
    on_start: impl FnOnce(&Coordinator),
) -> Result<RunSummary, AppError> {
    let coordinator = coordinator(store, providers, engine);
    on_start(&coordinator);
    Ok(coordinator.run_campaign(campaign_id, cancel).await?)
}

/// What `retry_failed` did.
#[derive(Debug)]
pub enum RetryOutcome {
    NotFound,
    /// Nothing failed or was skipped: nothing to run.
    NothingToRetry {
        status: CampaignStatus,
    },
    /// The quote was not confirmed: nothing ran.
    Declined,
    /// The store refused to reopen the jobs (the campaign is running, say).
    Refused(String),
    /// It ran on providers in `mode`.
    Ran {
        summary: RunSummary,
        mode: ProviderMode,
    },
}

/// `retry-failed`: quotes exactly the failed and skipped jobs, asks `confirm`, reopens
/// them (completed results are kept) and runs the campaign. `providers` is called once
/// the campaign is known to exist; `on_start` as for [`run_campaign`].
#[allow(clippy::too_many_arguments)]
pub async fn retry_failed(
    store: &Store,
    providers: impl AsyncFnOnce() -> Result<Providers, AppError>,
    engine: EngineConfig,
    campaign_id: i64,
    confirm: impl FnOnce(&RetryQuote) -> Result<bool, AppError>,
    cancel: CancellationToken,
    on_start: impl FnOnce(&Coordinator),
) -> Result<RetryOutcome, AppError> {
    let Some(campaign) = store.get_campaign(None, campaign_id).await? else {
        return Ok(RetryOutcome::NotFound);
    };
    let providers = providers().await?;
    let quote = crate::retry_quote(store, &providers, None, campaign_id).await?;
    if quote.jobs == 0 {
        return Ok(RetryOutcome::NothingToRetry {
            status: campaign.status,
        });
    }
    if !confirm(&quote)? {
        return Ok(RetryOutcome::Declined);
    }
    if let Err(e) = store.retry_failed(campaign_id).await {
        return Ok(RetryOutcome::Refused(e.to_string()));
    }
    let summary = run_campaign(store, &providers, engine, campaign_id, cancel, on_start).await?;
    Ok(RetryOutcome::Ran {
        summary,
        mode: providers.mode.clone(),
    })
}
