//! The four sub-agents and the trait the coordinator drives them through.
//!
//! Architecture invariant: a sub-agent knows the provider traits and its input, nothing
//! of SQL, leases or campaigns. It gets an [`AgentInput`] (the target, the campaign's
//! options and, for intel and voice, what earlier sub-agents found) and returns an
//! [`AgentResult`] carrying one record of the typed contract (`atl_domain::records`) or an
//! [`AgentError`] that says what kind of failure it was and what it spent.
//!
//! Every agent holds an [`AgentKit`]: the provider toolkit (all outbound calls go
//! through its governed helpers or the router, and every call's cost is summed into the
//! result), the cross-campaign evidence cache, the clock and the Apollo batcher.
//!
//! | agent | route | reads | model calls |
//! |---|---|---|---|
//! | [`ResearchAgent`] | `research` | the evidence pack (site + one planned search, cached) | 1 |
//! | [`IntelAgent`] | `intel` | the same pack, from the cache, and the research brief | 1 |
//! | [`EnrichmentAgent`] | — | Apollo (batched, cached) then Hunter, a deterministic waterfall | 0 |
//! | [`VoiceAgent`] | `voice` | the research brief and the enrichment record | 1 (+ TTS when audio is rendered in the job) |
//!
//! **The provenance rule:** every field a user sees says where it came from (input,
//! apollo, hunter, website, search, model), its evidence URL and when it was observed; a
//! value no tool returned is never presented as fact — a model's own knowledge is marked
//! `model`, and a model never names the contact.

mod agent;
mod batch;
pub mod cache;
pub mod confidence;
mod declare;
mod enrichment;
mod estimate;
pub mod evidence;
mod intel;
mod kit;
pub mod options;
pub mod prompts;
mod research;
pub mod routes;
pub mod schemas;
pub mod seniority;
mod spend;
pub mod voice;

pub use agent::{
    AgentError, AgentInput, CacheHints, CostEstimate, QuoteItem, QuoteKind, SpendMeter, SubAgent,
};
pub use atl_domain::{AgentResult, FailureKind, RetryPolicy};
pub use cache::{
    CacheKind, CacheSlot, Cached, EvidenceCache, Freshness, MemoryCache, NoCache, person_key,
};
pub use enrichment::{EnrichmentAgent, EnrichmentOptions};
pub use evidence::{pack_key, pack_tokens};
pub use intel::{IntelAgent, IntelOptions, clean_intel};
pub use kit::{AgentKit, Clock};
pub use options::{AudioMode, CampaignOptions, Seller};
pub use research::{ResearchAgent, ResearchOptions, clean_brief, target_header as research_header};
pub use voice::{VoiceAgent, VoiceOptions};

use atl_domain::SubAgentKind;
use std::sync::Arc;

/// The agent for `kind`, with default options.
pub fn agent_for(kind: SubAgentKind, kit: &AgentKit) -> Arc<dyn SubAgent> {
    match kind {
        SubAgentKind::Research => Arc::new(ResearchAgent::new(kit.clone())),
        SubAgentKind::Intel => Arc::new(IntelAgent::new(kit.clone())),
        SubAgentKind::Enrichment => Arc::new(EnrichmentAgent::new(kit.clone())),
        SubAgentKind::Voice => Arc::new(VoiceAgent::new(kit.clone())),
    }
}

/// All four agents, in the canonical order.
pub fn all_agents(kit: &AgentKit) -> Vec<Arc<dyn SubAgent>> {
    SubAgentKind::ALL
        .iter()
        .map(|k| agent_for(*k, kit))
        .collect()
}
