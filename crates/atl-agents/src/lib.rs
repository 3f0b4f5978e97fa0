//! The four sub-agents of DESIGN.md and the trait the coordinator drives them through.
//!
//! Architecture invariant: a sub-agent knows the provider traits and its input, nothing
//! of SQL, leases or campaigns. It gets an [`AgentInput`] (the target and, for intel and
//! voice, what earlier sub-agents found) and returns an [`AgentResult`] or an
//! [`AgentError`] that says whether trying again later may help.

mod agent;

pub use agent::{AgentError, AgentInput, CostEstimate, Seller, SubAgent};
pub use atl_domain::AgentResult;
