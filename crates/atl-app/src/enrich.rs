//! Running campaigns: the coordinator with the four real agents, quotes, resumption.

use crate::{AppError, Providers};
use atl_agents::{AgentInput, SubAgent};
use atl_domain::SubAgentKind;
use atl_engine::{AgentRegistry, Coordinator, EngineConfig};
use atl_store::{Campaign, Store, Target};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A coordinator that runs the four sub-agents on `providers`.
pub fn coordinator(store: &Store, providers: &Providers, config: EngineConfig) -> Coordinator {
    let mut registry = AgentRegistry::new();
    for agent in atl_agents::all_agents(providers.toolkit.clone()) {
        registry.register(agent);
    }
    Coordinator::new(store.clone(), registry, config)
}

/// A campaign's quote before it runs: each sub-agent's estimate for each target, summed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CampaignEstimate {
    pub campaign_id: i64,
    pub targets: u64,
    pub low_usd: f64,
    pub high_usd: f64,
    /// Per sub-agent: (low, high) in USD for the whole list.
    pub by_agent: BTreeMap<String, (f64, f64)>,
    /// Whether the quote is for the sandbox (synthetic, costs nothing real).
    pub synthetic: bool,
}

/// Quotes a campaign from its real targets (prompt sizes depend on them).
pub async fn estimate_campaign(
    store: &Store,
    providers: &Providers,
    team_id: Option<i64>,
    campaign_id: i64,
) -> Result<CampaignEstimate, AppError> {
    let campaign = store
        .get_campaign(team_id, campaign_id)
        .await?
        .ok_or(AppError::CampaignNotFound(campaign_id))?;
    let agents: Vec<Arc<dyn SubAgent>> = atl_agents::all_agents(providers.toolkit.clone());
    let mut by_agent: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut targets = 0u64;
    let page = 1000;
    let mut offset = 0u64;
    loop {
        let batch = store.list_targets(campaign.id, None, page, offset).await?;
        if batch.is_empty() {
            break;
        }
        offset += batch.len() as u64;
        for t in batch {
            targets += 1;
            let input = input_of(t, HashMap::new());
            for agent in &agents {
                let e = agent.estimate(&input);
                let slot = by_agent.entry(agent.kind().to_string()).or_default();
                slot.0 += e.low_nano_usd;
                slot.1 += e.high_nano_usd;
            }
        }
    }
    let usd = atl_store::nano_to_usd;
    Ok(CampaignEstimate {
        campaign_id: campaign.id,
        targets,
        low_usd: usd(by_agent.values().map(|v| v.0).sum()),
        high_usd: usd(by_agent.values().map(|v| v.1).sum()),
        by_agent: by_agent
            .into_iter()
            .map(|(k, (lo, hi))| (k, (usd(lo), usd(hi))))
            .collect(),
        synthetic: providers.toolkit.synthetic,
    })
}

/// What an agent gets for `target` (seller, data dir and meter are the engine's).
fn input_of(t: Target, prior: HashMap<SubAgentKind, Value>) -> AgentInput {
    AgentInput {
        target_id: t.id,
        company_name: t.company_name,
        contact_name: t.contact_name,
        contact_email: t.contact_email,
        contact_title: t.contact_title,
        linkedin_url: t.linkedin_url,
        website: t.website,
        domain: t.domain,
        extra: t.extra,
        prior,
        ..AgentInput::default()
    }
}

/// What `retry-failed` would run and cost: the agents' estimates for exactly the failed
/// and skipped jobs (completed ones are not run again), each for its own target with the
/// results it already has.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RetryQuote {
    pub campaign_id: i64,
    pub jobs: u64,
    pub targets: u64,
    pub low_usd: f64,
    pub high_usd: f64,
    /// Per sub-agent: (jobs, low USD, high USD).
    pub by_agent: BTreeMap<String, (u64, f64, f64)>,
    pub synthetic: bool,
}

pub async fn retry_quote(
    store: &Store,
    providers: &Providers,
    team_id: Option<i64>,
    campaign_id: i64,
) -> Result<RetryQuote, AppError> {
    let campaign = store
        .get_campaign(team_id, campaign_id)
        .await?
        .ok_or(AppError::CampaignNotFound(campaign_id))?;
    let agents: HashMap<SubAgentKind, Arc<dyn SubAgent>> =
        atl_agents::all_agents(providers.toolkit.clone())
            .into_iter()
            .map(|a| (a.kind(), a))
            .collect();
    let mut by_target: BTreeMap<i64, Vec<SubAgentKind>> = BTreeMap::new();
    for job in store.retryable_jobs(campaign.id).await? {
        by_target.entry(job.target_id).or_default().push(job.kind);
    }
    let mut by_agent: BTreeMap<String, (u64, i64, i64)> = BTreeMap::new();
    let mut jobs = 0;
    for (target_id, kinds) in &by_target {
        let (target, prior) = store.job_input(*target_id).await?;
        let input = input_of(target, prior);
        for kind in kinds {
            jobs += 1;
            let slot = by_agent.entry(kind.to_string()).or_default();
            slot.0 += 1;
            if let Some(agent) = agents.get(kind) {
                let e = agent.estimate(&input);
                slot.1 += e.low_nano_usd;
                slot.2 += e.high_nano_usd;
            }
        }
    }
    let usd = atl_store::nano_to_usd;
    Ok(RetryQuote {
        campaign_id: campaign.id,
        jobs,
        targets: by_target.len() as u64,
        low_usd: usd(by_agent.values().map(|v| v.1).sum()),
        high_usd: usd(by_agent.values().map(|v| v.2).sum()),
        by_agent: by_agent
            .into_iter()
            .map(|(k, (n, lo, hi))| (k, (n, usd(lo), usd(hi))))
            .collect(),
        synthetic: providers.toolkit.synthetic,
    })
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
