use atl_agents::{AgentInput, SubAgent};
use atl_domain::{RetryPolicy, SubAgentKind};
use atl_store::KindCosts;
use std::collections::HashMap;
use std::sync::Arc;

/// The sub-agents a coordinator runs, by kind.
#[derive(Clone, Default)]
pub struct AgentRegistry {
    agents: HashMap<SubAgentKind, Arc<dyn SubAgent>>,
}

impl std::fmt::Debug for AgentRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRegistry")
            .field("kinds", &self.kinds())
            .finish()
    }
}

impl AgentRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `agent` under its own kind, replacing any earlier one.
    pub fn register(&mut self, agent: Arc<dyn SubAgent>) -> &mut Self {
        self.agents.insert(agent.kind(), agent);
        self
    }

    pub fn with(mut self, agent: Arc<dyn SubAgent>) -> Self {
        self.register(agent);
        self
    }

    pub fn get(&self, kind: SubAgentKind) -> Option<&Arc<dyn SubAgent>> {
        self.agents.get(&kind)
    }

    /// Registered kinds in the canonical order (research, intel, enrichment, voice).
    pub fn kinds(&self) -> Vec<SubAgentKind> {
        SubAgentKind::ALL
            .iter()
            .copied()
            .filter(|k| self.agents.contains_key(k))
            .collect()
    }

    /// Each registered kind with the attempts its retry policy allows (the agent's own
    /// policy, or `engine`'s when it keeps the default): what the jobs are created with.
    pub fn job_plan(&self, engine: &RetryPolicy) -> Vec<(SubAgentKind, u32)> {
        self.kinds()
            .into_iter()
            .filter_map(|k| self.get(k).map(|a| (k, a)))
            .map(|(k, a)| {
                let policy = crate::policy::effective(a.as_ref(), engine);
                (k, policy.max_attempts.max(1))
            })
            .collect()
    }

    /// Each agent's high estimate for a typical target: what the claim reserves from a
    /// budget until a job's own input has been priced (the engine then reserves that
    /// job's own estimate, see `Store::reserve_for_input`).
    pub fn reservations(&self) -> KindCosts {
        let typical = AgentInput::default();
        let mut costs = KindCosts::default();
        for (kind, agent) in &self.agents {
            costs.set(*kind, agent.estimate(&typical).high_nano_usd);
        }
        costs
    }
}
