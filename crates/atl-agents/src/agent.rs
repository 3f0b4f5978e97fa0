use crate::options::CampaignOptions;
use crate::prompts;
use atl_domain::records::{self, EnrichmentRecord, ResearchBrief};
use atl_domain::{AgentResult, FailureKind, RetryPolicy, SubAgentKind, domain_name};
use atl_providers::{ErrorKind, ProviderError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

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
    /// The CSV's other columns (industry, city, CEO, revenue …): context that tells
    /// same-name companies apart.
    pub extra: serde_json::Value,
    /// The campaign's options (seller, audio mode, cache use, news age).
    pub options: CampaignOptions,
    /// Whose evidence cache this run reads and fills (the campaign's team): one team
    /// never reads what another team's keys paid for.
    pub cache_scope: String,
    /// Results of sub-agents that finished before this one (voice reads research and
    /// enrichment; intel reads research). Failed ones are absent. Read them as records
    /// with [`AgentInput::research`] and [`AgentInput::enrichment`].
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
    /// What the evidence cache already holds for this target (quotes only: a run looks
    /// the cache up itself).
    #[serde(skip)]
    pub cached: CacheHints,
}

/// Which of a target's evidence is fresh in the cache, so a quote does not price it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheHints {
    /// The company's evidence pack (site and searches).
    pub pack: bool,
    /// The input contact's people match.
    pub person: bool,
    /// The cached pack's size in prompt tokens (see [`crate::pack_tokens`]), so research
    /// and intel price their prompts from the material they will be given.
    pub pack_tokens: Option<u64>,
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

    /// The registrable domain (`walmart.com` for `stock.walmart.com`), from the domain,
    /// the website or the contact's e-mail, in that order.
    pub fn registrable_domain(&self) -> Option<String> {
        [
            self.domain.as_deref(),
            self.website.as_deref(),
            self.contact_email.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(domain_name::registrable_domain)
    }

    /// A note when the site given is a sub-domain (investor relations and the like).
    pub fn domain_note(&self) -> Option<String> {
        [self.domain.as_deref(), self.website.as_deref()]
            .into_iter()
            .flatten()
            .find_map(domain_name::subdomain_note)
    }

    /// The company name, trimmed and capped for prompts and lookups.
    pub fn company(&self) -> String {
        prompts::clip_plain(self.company_name.trim(), prompts::MAX_NAME_CHARS)
    }

    /// The contact's name as given, trimmed, when there is one.
    pub fn contact(&self) -> Option<&str> {
        self.contact_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
    }

    /// An earlier agent's result data, when it finished.
    pub fn prior_of(&self, kind: SubAgentKind) -> Option<&serde_json::Value> {
        self.prior.get(&kind).filter(|v| !v.is_null())
    }

    /// The research brief, when research finished and its result reads as one.
    pub fn research(&self) -> Option<ResearchBrief> {
        self.prior_record(SubAgentKind::Research)
    }

    /// The enrichment record, when enrichment finished.
    pub fn enrichment(&self) -> Option<EnrichmentRecord> {
        self.prior_record(SubAgentKind::Enrichment)
    }

    fn prior_record<T: serde::de::DeserializeOwned>(&self, kind: SubAgentKind) -> Option<T> {
        let v = self.prior_of(kind)?;
        match records::decode::<T>(kind, v) {
            Ok(s) => Some(s.record),
            Err(e) => {
                tracing::warn!(target_id = self.target_id, error = %e, "earlier result unreadable");
                None
            }
        }
    }

    /// The input's own columns that tell same-name companies apart, as `label: value`
    /// lines (industry, city, state, country, CEO, revenue, ticker …), at most eight.
    pub fn context_lines(&self) -> Vec<String> {
        const KEYS: [&str; 12] = [
            "industry",
            "sector",
            "city",
            "state",
            "country",
            "hq",
            "headquarters",
            "ceo",
            "revenue",
            "ticker",
            "employees",
            "description",
        ];
        let Some(map) = self.extra.as_object() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in map {
            let key = k.trim().to_ascii_lowercase();
            let value = v.as_str().map(str::trim).unwrap_or_default();
            if KEYS.iter().any(|w| key.contains(w)) && !value.is_empty() && value != "-" {
                out.push(format!(
                    "{}: {}",
                    prompts::clip_plain(k.trim(), 40),
                    prompts::clip_plain(value, 160)
                ));
            }
        }
        out.truncate(8);
        out
    }
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

/// A sub-agent's quote for one target, used by `atl estimate` and the budget guard: a
/// range and a point estimate, itemised by what is bought.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostEstimate {
    pub low_nano_usd: i64,
    /// What the run is expected to cost (the quote's point estimate).
    pub expected_nano_usd: i64,
    /// The worst case: what a budget reservation must cover.
    pub high_nano_usd: i64,
    pub items: Vec<QuoteItem>,
}

/// What a quote line buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteKind {
    ModelTokens,
    Searches,
    ContactCredits,
    TtsCharacters,
}

impl QuoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteKind::ModelTokens => "model_tokens",
            QuoteKind::Searches => "searches",
            QuoteKind::ContactCredits => "contact_credits",
            QuoteKind::TtsCharacters => "tts_characters",
        }
    }
}

/// One line of a quote: units of something at a provider, and their price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteItem {
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
    /// The run stopped for a rate slot of our own limiter (no provider refused it): the
    /// job queues for the slot, which is no reason to give up on the provider.
    pub queued: bool,
}

impl AgentError {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        AgentError {
            kind,
            message: message.into(),
            retry_after: None,
            provider: None,
            spent_nano_usd: 0,
            queued: false,
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
            provider: Some(e.provider.clone()).filter(|p| !p.is_empty()),
            message: e.to_string(),
            spent_nano_usd: 0,
            queued: e.is_queued(),
        }
    }
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
