//! One error type for every provider, split into what may be retried and what may not.

use std::time::Duration;

/// What went wrong with a provider call. Messages carry the provider's own words, never
/// a key: clients must build them from response bodies and status codes only.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ProviderError {
    // ---- retryable ----
    /// 429 that is about rate (not quota). `retry_after` comes from `Retry-After` or the
    /// vendor's reset headers when present.
    #[error("{provider}: rate limited: {message}")]
    RateLimited {
        provider: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// 5xx, and Anthropic's 529 overloaded.
    #[error("{provider}: server error {status}: {message}")]
    Server {
        provider: String,
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("{provider}: timed out after {after:?}")]
    Timeout { provider: String, after: Duration },
    /// Connection refused or reset, DNS failure, broken body.
    #[error("{provider}: connection failed: {message}")]
    Connection { provider: String, message: String },
    /// A 2xx whose body was not the documented shape (malformed JSON, an error inside a
    /// 200 stream). Retried once: it is usually transient.
    #[error("{provider}: unexpected response: {message}")]
    InvalidResponse { provider: String, message: String },
    /// The provider's circuit breaker is open; another route may take over.
    #[error("{provider}: circuit open after repeated failures; retry in {retry_after:?}")]
    CircuitOpen {
        provider: String,
        retry_after: Duration,
    },

    // ---- final ----
    /// 401/403: the key is wrong or lacks the plan.
    #[error("{provider}: not authorised ({status}): {message}")]
    Auth {
        provider: String,
        status: u16,
        message: String,
    },
    /// No credits or quota left (OpenAI `insufficient_quota`, 402, Tavily 432/433,
    /// Hunter 429).
    #[error("{provider}: quota exhausted: {message}")]
    Quota { provider: String, message: String },
    /// 400/404/422: the request itself is wrong; retrying cannot help.
    #[error("{provider}: bad request ({status}): {message}")]
    BadRequest {
        provider: String,
        status: u16,
        message: String,
    },
    /// No key (or no base URL) configured for this provider.
    #[error("{provider}: not configured: {message}")]
    NotConfigured { provider: String, message: String },
    /// The SSRF guard refused a URL.
    #[error("refused to fetch {url}: {reason}")]
    Blocked { url: String, reason: String },
    /// A model's structured output could not be made to fit its schema.
    #[error("{provider}: output did not match the schema: {message}")]
    Schema { provider: String, message: String },
}

impl ProviderError {
    /// Whether calling again (after [`Self::retry_after`] or a backoff) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::RateLimited { .. }
                | ProviderError::Server { .. }
                | ProviderError::Timeout { .. }
                | ProviderError::Connection { .. }
                | ProviderError::InvalidResponse { .. }
                | ProviderError::CircuitOpen { .. }
        )
    }

    /// The wait the provider asked for, when it said one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. }
            | ProviderError::Server { retry_after, .. } => *retry_after,
            ProviderError::CircuitOpen { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Whether this failure says the provider is unhealthy (counts toward its circuit
    /// breaker). A bad request or a blocked URL says nothing about the provider's health.
    pub fn counts_against_health(&self) -> bool {
        matches!(
            self,
            ProviderError::Server { .. }
                | ProviderError::Timeout { .. }
                | ProviderError::Connection { .. }
        )
    }

    /// Whether this is a 429 (the governor lowers its concurrency on these).
    pub fn is_rate_limit(&self) -> bool {
        matches!(self, ProviderError::RateLimited { .. })
    }
}
