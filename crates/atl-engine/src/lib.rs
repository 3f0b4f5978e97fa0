//! The coordinator (DESIGN.md, "Flow"): workers claim ready jobs from the ledger under
//! leases, run the sub-agents with bounded concurrency, keep their leases alive with
//! heartbeats, retry with jittered backoff, and commit each result with its cost in one
//! transaction. All state that matters is in the database, so any number of coordinators
//! (processes, machines) can share a campaign, and a killed one loses nothing.

mod backoff;
mod config;
mod coordinator;
mod error;
mod job;
mod progress;
mod registry;

pub use backoff::retry_delay;
pub use config::{EngineConfig, default_owner_id};
pub use coordinator::{Coordinator, RunSummary, StopReason};
pub use error::EngineError;
pub use progress::{JobOutcome, ProgressEvent};
pub use registry::AgentRegistry;
