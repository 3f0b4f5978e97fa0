//! Running campaigns: the coordinator with the four real agents, quotes, resumption.

use crate::evidence_cache::StoreCache;
use crate::{AppError, Providers};
use atl_agents::{AgentKit, Freshness};
use atl_engine::{AgentRegistry, Coordinator, EngineConfig};
use atl_store::{Campaign, Store};
use std::sync::Arc;

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
