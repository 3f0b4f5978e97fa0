//! A quote a finance lead can read: what a campaign will buy, itemised, before it runs.
//!
//! Each sub-agent quotes each target from the target's own input (name length, whether
//! a contact and a domain exist) as low / expected / high, itemised by what is bought:
//! model tokens, web searches, contact-data credits, TTS characters. Evidence still fresh
//! in the cache (a company researched, a person matched, within the freshness window) is
//! not priced again. The quote says which audio mode it priced.

use crate::itemised::{QuoteBuilder, input_of, retry_failed_quote};
use crate::lookup::find_campaign;
use crate::{AppError, Providers, agent_kit};
use atl_agents::{CacheHints, CacheKind, CacheSlot, CampaignOptions, QuoteKind};
use atl_domain::{Money, SubAgentKind};
use atl_store::Store;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

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
    let campaign = find_campaign(store, team_id, campaign_id).await?;
    let kit = agent_kit(store, providers);
    let options = CampaignOptions::from_settings(&campaign.settings);
    let scope = format!("team:{}", campaign.team_id);
    let now = time::OffsetDateTime::now_utc();
    let fresh = |kind: CacheKind| kit.freshness.oldest_fresh(kind, now);

    let mut builder = QuoteBuilder::new(store, providers);
    let (mut cached_companies, mut cached_contacts) = (0u64, 0u64);
    let mut offset = 0u64;
    loop {
        let batch = store.list_targets(campaign.id, None, 1000, offset).await?;
        if batch.is_empty() {
            break;
        }
        offset += batch.len() as u64;
        for t in batch {
            let mut input = input_of(t, HashMap::new(), &options);
            input.cache_scope = scope.clone();
            let mut hints = CacheHints::default();
            if !options.refresh {
                if let Some(k) = atl_agents::pack_key(&input) {
                    let cached = kit
                        .cache
                        .get(
                            CacheSlot::new(&scope, CacheKind::CompanyPack, &k),
                            fresh(CacheKind::CompanyPack),
                        )
                        .await;
                    hints.pack = cached.is_some();
                    hints.pack_tokens = cached.and_then(|c| atl_agents::pack_tokens(&c.value));
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
                            CacheSlot::new(&scope, CacheKind::PersonMatch, &k),
                            fresh(CacheKind::PersonMatch),
                        )
                        .await
                        .is_some();
                }
            }
            cached_companies += u64::from(hints.pack);
            cached_contacts += u64::from(hints.person);
            input.cached = hints;
            builder.add(&input, SubAgentKind::ALL);
        }
    }
    let q = builder.finish();
    let items: Vec<QuoteLine> = q
        .lines
        .iter()
        .map(|l| QuoteLine {
            kind: l.kind.as_str().to_string(),
            provider: l.provider.clone(),
            what: l.what.clone(),
            units_low: l.units_low,
            units_expected: l.units_expected,
            units_high: l.units_high,
            low_usd: usd(l.low_nano_usd),
            expected_usd: usd(l.expected_nano_usd),
            high_usd: usd(l.high_nano_usd),
        })
        .collect();
    Ok(CampaignEstimate {
        campaign_id: campaign.id,
        targets: q.targets,
        expected_usd: usd(q.expected_nano_usd),
        low_usd: usd(q.low_nano_usd),
        high_usd: usd(q.high_nano_usd),
        contact_credits_expected: q
            .lines
            .iter()
            .filter(|l| l.kind == QuoteKind::ContactCredits)
            .map(|l| l.units_expected)
            .sum(),
        by_agent: q
            .by_agent
            .iter()
            .map(|a| {
                (
                    a.kind.to_string(),
                    AgentQuote {
                        low_usd: usd(a.low_nano_usd),
                        expected_usd: usd(a.expected_nano_usd),
                        high_usd: usd(a.high_nano_usd),
                    },
                )
            })
            .collect(),
        items,
        cached_companies,
        cached_contacts,
        audio_mode: options.audio.as_str().to_string(),
        synthetic: q.synthetic,
    })
}

/// What `retry-failed` would run and cost, in dollars (see [`retry_failed_quote`], which
/// gives the same quote itemised).
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
    let q = retry_failed_quote(store, providers, team_id, campaign_id).await?;
    Ok(RetryQuote {
        campaign_id,
        jobs: q.jobs,
        targets: q.targets,
        expected_usd: usd(q.expected_nano_usd),
        low_usd: usd(q.low_nano_usd),
        high_usd: usd(q.high_nano_usd),
        by_agent: q
            .by_agent
            .iter()
            .map(|a| {
                (
                    a.kind.to_string(),
                    (a.jobs, usd(a.low_nano_usd), usd(a.high_nano_usd)),
                )
            })
            .collect(),
        synthetic: q.synthetic,
    })
}
