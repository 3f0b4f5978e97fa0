use atl_domain::{AgentResult, FailureKind, RetryPolicy, SubAgentKind};
use atl_providers::{ErrorKind, ProviderError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// The seller on whose behalf a campaign runs (from the campaign's settings); intel and
/// voice use it to find angles and write the pitch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seller {
    pub name: Option<String>,
    pub company: Option<String>,
    /// One line: what the seller sells and to whom.
    pub pitch: Option<String>,
}

/// Everything a sub-agent may use for one target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentInput {
    pub target_id: i64,
    pub company_name: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_title: Option<String>,
    pub linkedin_url: Option<String>,
    pub website: Option<String>,
    pub domain: Option<String>,
    /// The CSV's other columns.
    pub extra: serde_json::Value,
    pub seller: Seller,
    /// Results of sub-agents that finished before this one (voice reads research and
    /// enrichment; intel reads research when present). Failed ones are absent.
    /// A `HashMap`: `SubAgentKind` is `Hash` but not `Ord`, so a `BTreeMap` keyed by it
    /// cannot be deserialised or looked up.
    pub prior: HashMap<SubAgentKind, serde_json::Value>,
    /// Where the voice agent writes audio files.
    pub data_dir: std::path::PathBuf,
    /// The job's attempt number (1 for the first run). Files a run writes carry it in
    /// their names, so a late run can never overwrite a committed one.
    pub attempt: u32,
    /// Counts every provider call's cost as it is made, so the engine can book what a
    /// run spent even when the run is abandoned or its lease is lost mid-way.
    #[serde(skip)]
    pub meter: SpendMeter,
}

/// A running total of what one run has spent, shared between the agent (which adds each
/// call's cost as it is metered) and the engine (which books it whatever becomes of the
/// run). Cloning shares the total.
#[derive(Debug, Clone, Default)]
pub struct SpendMeter {
    inner: std::sync::Arc<MeterInner>,
}

#[derive(Debug, Default)]
struct MeterInner {
    nanos: std::sync::atomic::AtomicI64,
    unknown: std::sync::atomic::AtomicU64,
}

impl SpendMeter {
    /// Add one call's cost; `None` (no price known) is counted as unknown, not as zero.
    pub fn add(&self, nanos: Option<i64>) {
        use std::sync::atomic::Ordering::Relaxed;
        match nanos {
            Some(n) => {
                self.inner.nanos.fetch_add(n, Relaxed);
            }
            None => {
                self.inner.unknown.fetch_add(1, Relaxed);
            }
        }
    }

    /// Known spend so far, in nano-USD.
    pub fn nanos(&self) -> i64 {
        self.inner.nanos.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Calls whose price was unknown.
    pub fn unknown_calls(&self) -> u64 {
        self.inner
            .unknown
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl PartialEq for SpendMeter {
    /// Meters compare by identity: two inputs are equal when they share one total.
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl AgentInput {
    /// The company's own site as given: the website, else the domain.
    pub fn site(&self) -> Option<&str> {
        [self.website.as_deref(), self.domain.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .find(|s| !s.is_empty())
    }

    /// The bare domain (`acme.com`), from the domain, the website or the contact's
    /// e-mail, in that order.
    pub fn bare_domain(&self) -> Option<String> {
        let from_email = self
            .contact_email
            .as_deref()
            .and_then(|e| e.rsplit_once('@').map(|(_, d)| d));
        [self.domain.as_deref(), self.website.as_deref(), from_email]
            .into_iter()
            .flatten()
            .map(atl_providers::toolkit::bare_domain)
            .find(|d| d.contains('.') && !d.contains(' '))
    }

    /// An earlier agent's result data, when it finished.
    pub fn prior_of(&self, kind: SubAgentKind) -> Option<&serde_json::Value> {
        self.prior.get(&kind).filter(|v| !v.is_null())
    }
}

/// A sub-agent's quote for one target, used by `atl estimate` and the budget guard.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CostEstimate {
    pub low_nano_usd: i64,
    pub high_nano_usd: i64,
}

/// Why a run failed, what kind of failure it was (which decides whether and when the
/// engine runs it again, see [`atl_domain::RetryPolicy`]) and the money it spent.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("{message}")]
pub struct AgentError {
    pub kind: FailureKind,
    pub message: String,
    /// What the provider asked to wait, when it said.
    pub retry_after: Option<Duration>,
    /// The provider that failed, when one did (names the outage in "deepseek
    /// unavailable since 14:03").
    pub provider: Option<String>,
    /// Money already spent by the failed attempt (nano-USD), so it is still counted.
    pub spent_nano_usd: i64,
}

impl AgentError {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        AgentError {
            kind,
            message: message.into(),
            retry_after: None,
            provider: None,
            spent_nano_usd: 0,
        }
    }

    /// A failure that retrying cannot help (bad input, bad key).
    pub fn final_error(message: impl Into<String>) -> Self {
        AgentError::new(FailureKind::Final, message)
    }

    pub fn with_spent(mut self, spent_nano_usd: i64) -> Self {
        self.spent_nano_usd = spent_nano_usd;
        self
    }

    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Whether running the job again may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind != FailureKind::Final
    }

    pub fn spent_nano_usd(&self) -> i64 {
        self.spent_nano_usd
    }
}

impl From<ProviderError> for AgentError {
    fn from(e: ProviderError) -> Self {
        let kind = match e.kind {
            ErrorKind::RateLimited | ErrorKind::Pending => FailureKind::Snooze,
            ErrorKind::CircuitOpen => FailureKind::Unavailable,
            _ if e.is_retryable() => FailureKind::Transient,
            _ => FailureKind::Final,
        };
        AgentError {
            kind,
            retry_after: e.retry_after(),
            provider: provider_of(&e),
            message: e.to_string(),
            spent_nano_usd: 0,
        }
    }
}

fn provider_of(e: &ProviderError) -> Option<String> {
    (e.kind != ErrorKind::Blocked).then(|| e.provider.clone())
}

/// One of research, intel, enrichment, voice.
#[async_trait::async_trait]
pub trait SubAgent: Send + Sync {
    fn kind(&self) -> SubAgentKind;
    /// A range for what one run costs, from the prompt size, expected output and paid
    /// lookups at current prices.
    fn estimate(&self, input: &AgentInput) -> CostEstimate;
    async fn run(&self, input: &AgentInput) -> Result<AgentResult, AgentError>;
    /// How the engine retries this agent's failed runs.
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::default()
    }
}
