//! Running campaigns: the coordinator with the four real agents and one campaign's run.

use crate::evidence_cache::StoreCache;
use crate::{AppError, Providers};
use atl_agents::{AgentKit, Freshness};
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
