//! A quote a finance lead can read: what a campaign will buy, itemised, before it runs.
//!
//! Each sub-agent quotes each target from the target's own input (name length, whether
//! a contact and a domain exist) as low / expected / high, itemised by what is bought:
//! model tokens, web searches, contact-data credits, TTS characters. Evidence still fresh
//! in the cache (a company researched, a person matched, within the freshness window) is
//! not priced again. The quote says which audio mode it priced.

use crate::{AppError, Providers, agent_kit};
use atl_agents::{AgentInput, CacheHints, CacheKind, CampaignOptions, QuoteKind, SubAgent};
use atl_domain::{Money, SubAgentKind};
use atl_store::Store;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One line of a quote: a kind of purchase at one provider, summed over the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteLine {
    /// model_tokens, searches, contact_credits or tts_characters.
    pub kind: String,
    pub provider: String,
    /// The model or the endpoint.
    pub what: String,
    pub units_low: f64,
    pub units_expected: f64,
    pub units_high: f64,
    pub low_usd: f64,
    pub expected_usd: f64,
    pub high_usd: f64,
}

/// One sub-agent's share of the quote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentQuote {
    pub low_usd: f64,
    pub expected_usd: f64,
    pub high_usd: f64,
}

/// A campaign's quote before it runs: each sub-agent's estimate for each target, summed.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignEstimate {
    pub campaign_id: i64,
    pub targets: u64,
    /// The point estimate.
    pub expected_usd: f64,
    pub low_usd: f64,
    pub high_usd: f64,
    /// Contact-data credits (Apollo and Hunter), apart from the dollars.
    pub contact_credits_expected: f64,
    pub by_agent: BTreeMap<String, AgentQuote>,
    pub items: Vec<QuoteLine>,
    /// Targets whose company evidence is fresh in the cache (no search priced).
    pub cached_companies: u64,
    /// Targets whose contact's match is fresh in the cache (no credit priced).
    pub cached_contacts: u64,
    /// The audio mode priced (on_demand and none price no speech).
    pub audio_mode: String,
    /// Whether the quote is for the sandbox (synthetic, costs nothing real).
    pub synthetic: bool,
}

fn usd(n: i64) -> f64 {
    Money::from_nanos(n).usd()
}

/// Quotes a campaign from its real targets.
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
    let kit = agent_kit(store, providers);
    let agents: Vec<Arc<dyn SubAgent>> = atl_agents::all_agents(&kit);
    let options = CampaignOptions::from_settings(&campaign.settings);
    let scope = format!("team:{}", campaign.team_id);
    let now = time::OffsetDateTime::now_utc();
    let fresh = |kind: CacheKind| kit.freshness.oldest_fresh(kind, now);

    let mut by_agent: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    let mut lines: BTreeMap<(String, String, String), QuoteLine> = BTreeMap::new();
    let (mut targets, mut cached_companies, mut cached_contacts) = (0u64, 0u64, 0u64);
    let mut offset = 0u64;
    loop {
        let batch = store.list_targets(campaign.id, None, 1000, offset).await?;
        if batch.is_empty() {
            break;
        }
        offset += batch.len() as u64;
        for t in batch {
            targets += 1;
            let mut input = input_of(t, HashMap::new(), &options);
            input.cache_scope = scope.clone();
            let mut hints = CacheHints::default();
            if !options.refresh {
                if let Some(k) = atl_agents::pack_key(&input) {
                    hints.pack = kit
                        .cache
                        .get(
                            &scope,
                            CacheKind::CompanyPack,
                            &k,
                            fresh(CacheKind::CompanyPack),
                        )
                        .await
                        .is_some();
                }
                let domain = input.registrable_domain();
                if let Some(k) = atl_agents::person_key(
                    input.contact_email.as_deref(),
                    input.contact(),
                    domain.as_deref(),
                ) {
                    hints.person = kit
                        .cache
                        .get(
                            &scope,
                            CacheKind::PersonMatch,
                            &k,
                            fresh(CacheKind::PersonMatch),
                        )
                        .await
                        .is_some();
                }
            }
            cached_companies += u64::from(hints.pack);
            cached_contacts += u64::from(hints.person);
            input.cached = hints;
            for agent in &agents {
                let e = agent.estimate(&input);
                let slot = by_agent.entry(agent.kind().to_string()).or_default();
                slot.0 += e.low_nano_usd;
                slot.1 += e.expected_nano_usd;
                slot.2 += e.high_nano_usd;
                for i in e.items {
                    let key = (
                        i.kind.as_str().to_string(),
                        i.provider.clone(),
                        i.what.clone(),
                    );
                    let line = lines.entry(key).or_insert_with(|| QuoteLine {
                        kind: i.kind.as_str().to_string(),
                        provider: i.provider.clone(),
                        what: i.what.clone(),
                        units_low: 0.0,
                        units_expected: 0.0,
                        units_high: 0.0,
                        low_usd: 0.0,
                        expected_usd: 0.0,
                        high_usd: 0.0,
                    });
                    line.units_low += i.units_low;
                    line.units_expected += i.units_expected;
                    line.units_high += i.units_high;
                    line.low_usd += usd(i.low_nano_usd);
                    line.expected_usd += usd(i.expected_nano_usd);
                    line.high_usd += usd(i.high_nano_usd);
                }
            }
        }
    }
    let items: Vec<QuoteLine> = lines.into_values().collect();
    let sum = |f: fn(&(i64, i64, i64)) -> i64| usd(by_agent.values().map(f).sum());
    Ok(CampaignEstimate {
        campaign_id: campaign.id,
        targets,
        expected_usd: sum(|v| v.1),
        low_usd: sum(|v| v.0),
        high_usd: sum(|v| v.2),
        contact_credits_expected: items
            .iter()
            .filter(|l| l.kind == QuoteKind::ContactCredits.as_str())
            .map(|l| l.units_expected)
            .sum(),
        by_agent: by_agent
            .into_iter()
            .map(|(k, (lo, ex, hi))| {
                (
                    k,
                    AgentQuote {
                        low_usd: usd(lo),
                        expected_usd: usd(ex),
                        high_usd: usd(hi),
                    },
                )
            })
            .collect(),
        items,
        cached_companies,
        cached_contacts,
        audio_mode: options.audio.as_str().to_string(),
        synthetic: providers.toolkit.synthetic,
    })
}

/// What an agent gets for `target` when quoting (the engine adds the run's own parts).
fn input_of(
    t: atl_store::Target,
    prior: HashMap<SubAgentKind, serde_json::Value>,
    options: &CampaignOptions,
) -> AgentInput {
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
        options: options.clone(),
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
    pub expected_usd: f64,
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
    let options = CampaignOptions::from_settings(&campaign.settings);
    let agents: HashMap<SubAgentKind, Arc<dyn SubAgent>> =
        atl_agents::all_agents(&agent_kit(store, providers))
            .into_iter()
            .map(|a| (a.kind(), a))
            .collect();
    let mut by_target: BTreeMap<i64, Vec<SubAgentKind>> = BTreeMap::new();
    for job in store.retryable_jobs(campaign.id).await? {
        by_target.entry(job.target_id).or_default().push(job.kind);
    }
    let mut by_agent: BTreeMap<String, (u64, i64, i64)> = BTreeMap::new();
    let mut expected = 0i64;
    let mut jobs = 0;
    for (target_id, kinds) in &by_target {
        let (target, prior) = store.job_input(*target_id).await?;
        let input = input_of(target, prior, &options);
        for kind in kinds {
            jobs += 1;
            let slot = by_agent.entry(kind.to_string()).or_default();
            slot.0 += 1;
            if let Some(agent) = agents.get(kind) {
                let e = agent.estimate(&input);
                slot.1 += e.low_nano_usd;
                slot.2 += e.high_nano_usd;
                expected += e.expected_nano_usd;
            }
        }
    }
    Ok(RetryQuote {
        campaign_id: campaign.id,
        jobs,
        targets: by_target.len() as u64,
        expected_usd: usd(expected),
        low_usd: usd(by_agent.values().map(|v| v.1).sum()),
        high_usd: usd(by_agent.values().map(|v| v.2).sum()),
        by_agent: by_agent
            .into_iter()
            .map(|(k, (n, lo, hi))| (k, (n, usd(lo), usd(hi))))
            .collect(),
        synthetic: providers.toolkit.synthetic,
    })
}
