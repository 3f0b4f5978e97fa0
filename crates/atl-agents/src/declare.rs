//! The skeleton every sub-agent shares, written once: its type over the kit and its
//! options, the constructors, and the `SubAgent` impl that runs the agent's own `work`
//! under one spend record. Kept apart from `agent.rs` (the contract) because it needs the
//! kit and the spend meter, which themselves speak the contract's types.

/// Declares a sub-agent: a type over the kit and its options, built with `new` (default
/// options) or `with_options`, and its [`SubAgent`](crate::agent::SubAgent) impl. The agent's own `quote` prices a
/// run and its own `work` does one; the run's spend record and the result made from the
/// [`crate::spend::Outcome`] are the same for every agent, so they are written here once.
macro_rules! sub_agent {
    ($agent:ident, $options:ident, $kind:expr) => {
        pub struct $agent {
            kit: $crate::kit::AgentKit,
            options: $options,
        }

        impl $agent {
            pub fn new(kit: $crate::kit::AgentKit) -> Self {
                Self::with_options(kit, $options::default())
            }

            pub fn with_options(kit: $crate::kit::AgentKit, options: $options) -> Self {
                $agent { kit, options }
            }
        }

        #[async_trait::async_trait]
        impl $crate::agent::SubAgent for $agent {
            fn kind(&self) -> atl_domain::SubAgentKind {
                $kind
            }

            fn estimate(&self, input: &$crate::agent::AgentInput) -> $crate::agent::CostEstimate {
                self.quote(input)
            }

            async fn run(
                &self,
                input: &$crate::agent::AgentInput,
            ) -> Result<atl_domain::AgentResult, $crate::agent::AgentError> {
                let spend = $crate::spend::Spend::start(&input.meter);
                let outcome = self.work(input, &spend).await?;
                Ok(outcome.into_result($kind, self.kit.toolkit.synthetic, &spend))
            }
        }
    };
}
pub(crate) use sub_agent;

/// Declares the options of an agent whose one model call is capped at `max_tokens` reply
/// tokens (`$default` unless set).
macro_rules! model_options {
    ($options:ident, $default:expr) => {
        #[derive(Debug, Clone)]
        pub struct $options {
            pub max_tokens: u32,
        }

        impl Default for $options {
            fn default() -> Self {
                $options {
                    max_tokens: $default,
                }
            }
        }
    };
}
pub(crate) use model_options;
