//! Itemised quotes: what running some sub-agents on some targets would buy (model
//! tokens, searches, contact credits, TTS characters) and cost, low / expected / high.
//!
//! Every figure is the sum of the agents' own `estimate(&AgentInput)`, line by line: a
//! line is one kind of purchase at one provider for one model or endpoint, so a quote for
//! 10,000 targets has a handful of lines, not 40,000. Money stays in integer nano-dollars
//! until it is shown.

use crate::lookup::find_campaign;
use crate::{AppError, Providers, agent_kit};
use atl_agents::{AgentInput, QuoteKind, SubAgent};
use atl_domain::SubAgentKind;
use atl_store::{Store, Target};
use std::collections::HashMap;
use std::sync::Arc;

/// One line of a quote: units of one thing at one provider, and their price.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemisedLine {
    pub kind: QuoteKind,
    pub provider: String,
    /// The model or the endpoint.
    pub what: String,
    pub units_low: f64,
    pub units_expected: f64,
    pub units_high: f64,
    pub low_nano_usd: i64,
    pub expected_nano_usd: i64,
    pub high_nano_usd: i64,
}

/// One sub-agent's share of a quote.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentShare {
    pub kind: SubAgentKind,
    pub jobs: u64,
    pub low_nano_usd: i64,
    pub expected_nano_usd: i64,
    pub high_nano_usd: i64,
}

/// A quote for some jobs: totals, lines and per-agent shares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemisedQuote {
    pub targets: u64,
    pub jobs: u64,
    pub low_nano_usd: i64,
    pub expected_nano_usd: i64,
    pub high_nano_usd: i64,
    /// Sorted by what they buy, then provider and model.
    pub lines: Vec<ItemisedLine>,
    /// In the agents' canonical order.
    pub by_agent: Vec<AgentShare>,
    /// Quoted on the sandbox: synthetic prices, nothing real is spent.
    pub synthetic: bool,
}

/// Adds up the agents' estimates job by job.
pub(crate) struct QuoteBuilder {
    agents: HashMap<SubAgentKind, Arc<dyn SubAgent>>,
    quote: ItemisedQuote,
    lines: HashMap<(QuoteKind, String, String), ItemisedLine>,
}

fn kind_order(k: QuoteKind) -> u8 {
    match k {
        QuoteKind::ModelTokens => 0,
        QuoteKind::Searches => 1,
        QuoteKind::ContactCredits => 2,
        QuoteKind::TtsCharacters => 3,
    }
}

impl QuoteBuilder {
    pub(crate) fn new(store: &Store, providers: &Providers) -> QuoteBuilder {
        let agents = atl_agents::all_agents(&agent_kit(store, providers))
            .into_iter()
            .map(|a| (a.kind(), a))
            .collect();
        QuoteBuilder {
            agents,
            quote: ItemisedQuote {
                synthetic: providers.toolkit.synthetic,
                ..ItemisedQuote::default()
            },
            lines: HashMap::new(),
        }
    }

    /// Quotes `kinds` for one target.
    pub(crate) fn add(&mut self, input: &AgentInput, kinds: &[SubAgentKind]) {
        if kinds.is_empty() {
            return;
        }
        self.quote.targets += 1;
        for kind in kinds {
            let Some(agent) = self.agents.get(kind) else {
                continue;
            };
            let e = agent.estimate(input);
            self.quote.jobs += 1;
            self.quote.low_nano_usd = self.quote.low_nano_usd.saturating_add(e.low_nano_usd);
            self.quote.expected_nano_usd = self
                .quote
                .expected_nano_usd
                .saturating_add(e.expected_nano_usd);
            self.quote.high_nano_usd = self.quote.high_nano_usd.saturating_add(e.high_nano_usd);
            let share = match self.quote.by_agent.iter_mut().find(|s| s.kind == *kind) {
                Some(s) => s,
                None => {
                    self.quote.by_agent.push(AgentShare {
                        kind: *kind,
                        jobs: 0,
                        low_nano_usd: 0,
                        expected_nano_usd: 0,
                        high_nano_usd: 0,
                    });
                    let last = self.quote.by_agent.len() - 1;
                    &mut self.quote.by_agent[last]
                }
            };
            share.jobs += 1;
            share.low_nano_usd = share.low_nano_usd.saturating_add(e.low_nano_usd);
            share.expected_nano_usd = share.expected_nano_usd.saturating_add(e.expected_nano_usd);
            share.high_nano_usd = share.high_nano_usd.saturating_add(e.high_nano_usd);
            for item in e.items {
                let key = (item.kind, item.provider.clone(), item.what.clone());
                let line = self.lines.entry(key).or_insert_with(|| ItemisedLine {
                    kind: item.kind,
                    provider: item.provider.clone(),
                    what: item.what.clone(),
                    units_low: 0.0,
                    units_expected: 0.0,
                    units_high: 0.0,
                    low_nano_usd: 0,
                    expected_nano_usd: 0,
                    high_nano_usd: 0,
                });
                line.units_low += item.units_low;
                line.units_expected += item.units_expected;
                line.units_high += item.units_high;
                line.low_nano_usd = line.low_nano_usd.saturating_add(item.low_nano_usd);
                line.expected_nano_usd = line
                    .expected_nano_usd
                    .saturating_add(item.expected_nano_usd);
                line.high_nano_usd = line.high_nano_usd.saturating_add(item.high_nano_usd);
            }
        }
    }

    pub(crate) fn finish(mut self) -> ItemisedQuote {
        let mut lines: Vec<ItemisedLine> = self.lines.into_values().collect();
        lines.sort_by(|a, b| {
            (kind_order(a.kind), &a.provider, &a.what).cmp(&(
                kind_order(b.kind),
                &b.provider,
                &b.what,
            ))
        });
        self.quote.lines = lines;
        self.quote
            .by_agent
            .sort_by_key(|s| SubAgentKind::ALL.iter().position(|k| *k == s.kind));
        self.quote
    }
}

/// The agents' input for a stored target, with the results it already has.
pub(crate) fn input_of(
    t: Target,
    prior: HashMap<SubAgentKind, serde_json::Value>,
    options: &atl_agents::CampaignOptions,
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

/// What `retry-failed` would run and cost: the failed and skipped jobs, each quoted for
/// its own target with the results it already has (completed jobs are not run again).
pub async fn retry_failed_quote(
    store: &Store,
    providers: &Providers,
    team_id: Option<i64>,
    campaign_id: i64,
) -> Result<ItemisedQuote, AppError> {
    let campaign = find_campaign(store, team_id, campaign_id).await?;
    let options = atl_agents::CampaignOptions::from_settings(&campaign.settings);
    let mut by_target: std::collections::BTreeMap<i64, Vec<SubAgentKind>> = Default::default();
    for job in store.retryable_jobs(campaign.id).await? {
        by_target.entry(job.target_id).or_default().push(job.kind);
    }
    let mut builder = QuoteBuilder::new(store, providers);
    for (target_id, kinds) in &by_target {
        let (target, prior) = store.job_input(*target_id).await?;
        builder.add(&input_of(target, prior, &options), kinds);
    }
    Ok(builder.finish())
}
