//! One error type for every provider: what happened ([`ErrorKind`]), who said it, and
//! what the provider asked for (its status and the wait it named).

use std::fmt;
use std::time::Duration;

/// What went wrong with a provider call, split into what may be retried and what may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    // ---- retryable ----
    /// A 429 that is about rate (not quota), or a governor whose rate slot is further
    /// away than it may wait. `retry_after` comes from `Retry-After`, the vendor's reset
    /// headers or the governor's own window.
    RateLimited,
    /// 5xx, Anthropic's 529 overloaded, 408 and 409.
    Server,
    Timeout,
    /// Connection refused or reset, DNS failure, broken body.
    Connection,
    /// A 2xx whose body was not the documented shape (malformed JSON, an error inside a
    /// 200 stream).
    InvalidResponse,
    /// The provider accepted the request and is still working on it (Hunter's 202 while
    /// an SMTP check runs): ask again after `retry_after`. The provider is healthy and
    /// not throttling us.
    Pending,
    /// The provider's circuit breaker is open; another route may take over.
    CircuitOpen,

    // ---- final ----
    /// 401/403: the key is wrong or lacks the plan.
    Auth,
    /// No credits or quota left (OpenAI `insufficient_quota`, 402, Tavily 432/433,
    /// Hunter 429).
    Quota,
    /// 400/404/422 and other 4xx: the request itself is wrong; retrying cannot help.
    BadRequest,
    /// No key (or no base URL, or no client) configured for this provider.
    NotConfigured,
    /// The SSRF guard refused a URL.
    Blocked,
    /// A model's structured output could not be made to fit its schema.
    Schema,
}

impl ErrorKind {
    /// Whether calling again (after [`ProviderError::retry_after`] or a backoff) may
    /// succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::Server
                | ErrorKind::Timeout
                | ErrorKind::Connection
                | ErrorKind::InvalidResponse
                | ErrorKind::Pending
                | ErrorKind::CircuitOpen
        )
    }

    /// The words between the provider's name and the message in [`ProviderError`]'s
    /// `Display`.
    fn label(self) -> &'static str {
        match self {
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Server => "server error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Connection => "connection failed",
            ErrorKind::InvalidResponse => "unexpected response",
            ErrorKind::Pending => "not ready yet",
            ErrorKind::CircuitOpen => "circuit open",
            ErrorKind::Auth => "not authorised",
            ErrorKind::Quota => "quota exhausted",
            ErrorKind::BadRequest => "bad request",
            ErrorKind::NotConfigured => "not configured",
            ErrorKind::Blocked => "refused to fetch",
            ErrorKind::Schema => "output did not match the schema",
        }
    }
}

/// A failed provider call. Messages carry the provider's own words, never a key: clients
/// build them from response bodies and status codes only, and the request helper
/// redacts the key from every message as a second guard.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ProviderError {
    /// The provider's name as in configuration (`deepseek`, `apollo`, `fetch`), or the
    /// chain's name when no route could be tried.
    pub provider: String,
    pub kind: ErrorKind,
    /// The HTTP status the provider answered with, when it answered.
    pub status: Option<u16>,
    pub message: String,
    /// The wait the provider (or the governor, or a breaker) asked for.
    pub retry_after: Option<Duration>,
    /// `Blocked` only: the URL refused, as errors may show it (no credentials, query or
    /// fragment).
    pub url: Option<String>,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, provider: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError {
            provider: provider.into(),
            kind,
            status: None,
            message: message.into(),
            retry_after: None,
            url: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    pub fn rate_limited(
        provider: impl Into<String>,
        message: impl Into<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        Self::new(ErrorKind::RateLimited, provider, message).with_retry_after(retry_after)
    }

    pub fn server(
        provider: impl Into<String>,
        status: u16,
        message: impl Into<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        Self::new(ErrorKind::Server, provider, message)
            .with_status(status)
            .with_retry_after(retry_after)
    }

    pub fn timeout(provider: impl Into<String>, after: Duration) -> Self {
        Self::new(ErrorKind::Timeout, provider, format!("after {after:?}"))
    }

    pub fn connection(provider: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Connection, provider, message)
    }

    pub fn invalid_response(provider: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidResponse, provider, message)
    }

    pub fn pending(
        provider: impl Into<String>,
        message: impl Into<String>,
        retry_after: Duration,
    ) -> Self {
        Self::new(ErrorKind::Pending, provider, message).with_retry_after(Some(retry_after))
    }

    pub fn circuit_open(provider: impl Into<String>, retry_after: Duration) -> Self {
        Self::new(
            ErrorKind::CircuitOpen,
            provider,
            format!("after repeated failures; retry in {retry_after:?}"),
        )
        .with_retry_after(Some(retry_after))
    }

    pub fn auth(provider: impl Into<String>, status: u16, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Auth, provider, message).with_status(status)
    }

    pub fn quota(provider: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Quota, provider, message)
    }

    pub fn bad_request(
        provider: impl Into<String>,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        Self::new(ErrorKind::BadRequest, provider, message).with_status(status)
    }

    pub fn not_configured(provider: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotConfigured, provider, message)
    }

    /// The SSRF-guarded fetcher refused `url` (already made safe to show).
    pub fn blocked(url: impl Into<String>, reason: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorKind::Blocked, "fetch", reason);
        e.url = Some(url.into());
        e
    }

    pub fn schema(provider: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Schema, provider, message)
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether calling again (after [`Self::retry_after`] or a backoff) may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    /// The wait the provider asked for, when it said one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether this failure says the provider is unhealthy (counts toward its circuit
    /// breaker). A bad request, a rate limit or a blocked URL says nothing about the
    /// provider's health.
    pub fn counts_against_health(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Connection
        )
    }

    /// Whether this is a 429 (the governor lowers its concurrency on these).
    pub fn is_rate_limit(&self) -> bool {
        self.kind == ErrorKind::RateLimited
    }

    /// Our own governor's rate slot is further away than it may wait: the request was
    /// never sent (so no status), the provider is healthy and nobody asked us to slow
    /// down. Waiting for such a slot is queueing, not a provider's trouble.
    pub fn throttled(
        provider: impl Into<String>,
        message: impl Into<String>,
        wait: Duration,
    ) -> Self {
        Self::rate_limited(provider, message, Some(wait))
    }

    /// Whether this is [`Self::throttled`]: a rate limit no provider answered with.
    pub fn is_queued(&self) -> bool {
        self.kind == ErrorKind::RateLimited && self.status.is_none()
    }

    fn describe(&self) -> String {
        let label = self.kind.label();
        if self.kind == ErrorKind::Blocked {
            let url = self.url.as_deref().unwrap_or("a URL");
            return format!("{label} {url}: {}", self.message);
        }
        let status = match (self.kind, self.status) {
            (ErrorKind::Server, Some(s)) => format!(" {s}"),
            (ErrorKind::Auth | ErrorKind::BadRequest, Some(s)) => format!(" ({s})"),
            _ => String::new(),
        };
        format!("{}: {label}{status}: {}", self.provider, self.message)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(e: ProviderError, shown: &str, retryable: bool, health: bool) {
        assert_eq!(e.to_string(), shown);
        assert_eq!(e.is_retryable(), retryable, "{shown}");
        assert_eq!(e.counts_against_health(), health, "{shown}");
    }

    #[test]
    fn each_kind_says_what_happened() {
        let s = Duration::from_secs;
        check(
            ProviderError::rate_limited("p", "slow down", Some(s(2))),
            "p: rate limited: slow down",
            true,
            false,
        );
        check(
            ProviderError::server("p", 503, "down", None),
            "p: server error 503: down",
            true,
            true,
        );
        check(
            ProviderError::timeout("p", s(2)),
            "p: timed out: after 2s",
            true,
            true,
        );
        check(
            ProviderError::pending("hunter", "still verifying", s(3)),
            "hunter: not ready yet: still verifying",
            true,
            false,
        );
        check(
            ProviderError::auth("p", 401, "bad key"),
            "p: not authorised (401): bad key",
            false,
            false,
        );
        check(
            ProviderError::bad_request("p", 422, "no"),
            "p: bad request (422): no",
            false,
            false,
        );
        check(
            ProviderError::blocked("http://10.0.0.1/", "address is private or reserved"),
            "refused to fetch http://10.0.0.1/: address is private or reserved",
            false,
            false,
        );
        let open = ProviderError::circuit_open("p", s(20));
        assert_eq!(open.retry_after(), Some(s(20)));
        assert_eq!(open.kind(), ErrorKind::CircuitOpen);
        assert!(open.is_retryable() && !open.is_rate_limit());
        assert!(ProviderError::rate_limited("p", "x", None).is_rate_limit());
    }
}
