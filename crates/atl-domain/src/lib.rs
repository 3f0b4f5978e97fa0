//! ATL's domain vocabulary: the words every other crate shares.
//!
//! This crate does no I/O and knows nothing of SQL, HTTP or providers. It holds the
//! status enums of the data model (campaigns, targets, jobs), the sub-agent kinds, the
//! shape of a target as it leaves the CSV importer and enters the store, and the
//! seniority of a contact (Apollo's vocabulary, and a classifier of job titles).

pub mod domain_name;
mod money;
pub mod person_name;
pub mod provenance;
pub mod records;
mod result;
mod retry;
pub mod seniority;
mod status;
mod target;

pub use money::Money;
pub use provenance::{Claim, Provenance, SourceKind, Sourced};
pub use result::{AgentResult, Artefact};
pub use retry::{FailedRun, FailureKind, RetryDecision, RetryPolicy};
pub use seniority::{APOLLO_SENIORITIES, Seniority};
pub use status::{CampaignStatus, JobStatus, ParseStatusError, SubAgentKind, TargetStatus};
pub use target::{NewTarget, dedup_key, normalise_company};

/// The team every campaign belongs to when no API key names another one (the CLI's).
pub const DEFAULT_TEAM: &str = "default";

/// Upload limits, enforced while reading an upload, not after: a file that breaks one is
/// refused before it is held whole.
pub mod limits {
    /// Largest accepted upload, in bytes (50 MB).
    pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;
    /// Most targets one campaign may hold.
    pub const MAX_TARGETS: usize = 10_000;
}
