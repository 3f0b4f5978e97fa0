//! The four sub-agents of DESIGN.md and the trait the coordinator drives them through.
//!
//! Architecture invariant: a sub-agent knows the provider traits and its input, nothing
//! of SQL, leases or campaigns. It gets an [`AgentInput`] (the target and, for intel and
//! voice, what earlier sub-agents found) and returns an [`AgentResult`] or an
//! [`AgentError`] that says whether trying again later may help.
//!
//! Every agent holds an `Arc<Toolkit>` (atl-providers): all of its outbound calls go
//! through the toolkit's governed helpers or the router, and every call's metered cost is
//! summed into the result (`data.cost_breakdown` lists the parts). Errors carry the money
//! spent before the failure.
//!
//! | agent | route | prompt | reads |
//! |---|---|---|---|
//! | [`ResearchAgent`] | `research` | `research/1` | 2 web searches, the company's site |
//! | [`IntelAgent`] | `intel` | `intel/1` | research result, 1 web search |
//! | [`EnrichmentAgent`] | `enrichment` | `enrichment/1` | Apollo and Hunter through a bounded tool loop |
//! | [`VoiceAgent`] | `voice` | `voice/1` | research and enrichment results, then TTS |

mod agent;
pub mod confidence;
mod enrichment;
mod enrichment_tools;
mod estimate;
mod intel;
pub mod prompts;
mod research;
pub mod routes;
pub mod schemas;
pub mod seniority;
mod sources;
mod spend;
mod voice;

pub use agent::{AgentError, AgentInput, CostEstimate, Seller, SpendMeter, SubAgent};
pub use atl_domain::{AgentResult, FailureKind, RetryPolicy};
pub use enrichment::{EnrichmentAgent, EnrichmentOptions};
pub use intel::{IntelAgent, IntelOptions};
pub use research::{ResearchAgent, ResearchOptions};
pub use voice::{VoiceAgent, VoiceOptions};

use atl_domain::SubAgentKind;
use atl_providers::toolkit::Toolkit;
use std::sync::Arc;

/// The agent for `kind`, with default options.
pub fn agent_for(kind: SubAgentKind, toolkit: Arc<Toolkit>) -> Arc<dyn SubAgent> {
    match kind {
        SubAgentKind::Research => Arc::new(ResearchAgent::new(toolkit)),
        SubAgentKind::Intel => Arc::new(IntelAgent::new(toolkit)),
        SubAgentKind::Enrichment => Arc::new(EnrichmentAgent::new(toolkit)),
        SubAgentKind::Voice => Arc::new(VoiceAgent::new(toolkit)),
    }
}

/// All four agents, in DESIGN.md's order.
pub fn all_agents(toolkit: Arc<Toolkit>) -> Vec<Arc<dyn SubAgent>> {
    [
        SubAgentKind::Research,
        SubAgentKind::Intel,
        SubAgentKind::Enrichment,
        SubAgentKind::Voice,
    ]
    .into_iter()
    .map(|k| agent_for(k, Arc::clone(&toolkit)))
    .collect()
}
