//! Per-provider statistics for `/_sandbox/stats`: requests, 429s and 5xx sent, rate
//! limits applied, and counts per endpoint and per API key, so a benchmark can compute
//! requests per target and check that a run met zero 429s.

use crate::provider::Provider;
use crate::synth;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Requests and refusals of one API key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyStats {
    pub requests: u64,
    pub rate_limited: u64,
}

/// One provider's counts since the sandbox started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderStats {
    pub requests: u64,
    /// Replies with status 429.
    pub responses_429: u64,
    /// Replies with a 5xx status (Anthropic's 529 included).
    pub responses_5xx: u64,
    /// Rate-limit refusals in whatever status the provider uses (Hunter: 403).
    pub rate_limited: u64,
    /// Requests per route (`/api/v1/people/match`, `/sites/{domain}/news`, …).
    pub endpoints: BTreeMap<String, u64>,
    /// Per API key, under [`key_fingerprint`] so no credential is echoed.
    pub keys: BTreeMap<String, KeyStats>,
}

/// How `/_sandbox/stats` names an API key: a short hash, never the key itself
/// (`anonymous` for a request that carried none).
pub fn key_fingerprint(key: &str) -> String {
    if key.is_empty() {
        "anonymous".into()
    } else {
        format!("key-{:08x}", synth::fnv1a(key.as_bytes()) as u32)
    }
}

#[derive(Default)]
pub(crate) struct ProviderCounters {
    table: Mutex<BTreeMap<Provider, ProviderStats>>,
}

impl ProviderCounters {
    pub(crate) fn record(
        &self,
        provider: Provider,
        endpoint: &str,
        key: &str,
        status: StatusCode,
        rate_limited: bool,
    ) {
        let mut t = self
            .table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let s = t.entry(provider).or_default();
        s.requests += 1;
        s.responses_429 += u64::from(status == StatusCode::TOO_MANY_REQUESTS);
        s.responses_5xx += u64::from(status.is_server_error());
        s.rate_limited += u64::from(rate_limited);
        match s.endpoints.get_mut(endpoint) {
            Some(n) => *n += 1,
            None => {
                s.endpoints.insert(endpoint.to_string(), 1);
            }
        }
        let k = s.keys.entry(key_fingerprint(key)).or_default();
        k.requests += 1;
        k.rate_limited += u64::from(rate_limited);
    }

    pub(crate) fn snapshot(&self) -> BTreeMap<String, ProviderStats> {
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|(p, s)| (p.as_str().to_string(), s.clone()))
            .collect()
    }
}
