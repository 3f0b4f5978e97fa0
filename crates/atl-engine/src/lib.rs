//! The coordinator: workers claim ready jobs from the ledger under
//! leases, run the sub-agents with bounded concurrency, keep their leases alive with
//! heartbeats, apply each sub-agent's retry policy (backoff for transient failures, waits
//! without attempts for a busy or unavailable provider, up to a patience), and commit each
//! result with its cost in one transaction; every run's spend is booked whatever becomes
//! of it. All state that matters is in the database, so any number of coordinators
//! (processes, machines) can share a campaign, and a killed one loses nothing.

mod config;
mod coordinator;
mod error;
mod health;
mod job;
mod policy;
mod presence;
mod progress;
mod registry;

pub use config::{Clock, EngineConfig, default_owner_id, host_name, owner_id};
pub use coordinator::{Coordinator, RunSummary, StopReason};
pub use error::EngineError;
pub use progress::{JobOutcome, ProgressEvent};
pub use registry::AgentRegistry;
