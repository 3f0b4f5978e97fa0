//! What every agent is built with: the provider toolkit, the evidence cache, the clock,
//! and the batchers that let concurrent jobs share one bulk call.

use crate::agent::AgentInput;
use crate::batch::ApolloBatcher;
use crate::cache::{CacheKind, CacheSlot, Cached, EvidenceCache, Freshness, MemoryCache};
use atl_providers::toolkit::Toolkit;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The clock agents read ("today" in prompts, observation times, news age).
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Shared by the four agents of one process.
#[derive(Clone)]
pub struct AgentKit {
    pub toolkit: Arc<Toolkit>,
    pub cache: Arc<dyn EvidenceCache>,
    pub freshness: Freshness,
    pub clock: Clock,
    pub(crate) apollo: Arc<ApolloBatcher>,
}

impl std::fmt::Debug for AgentKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentKit")
            .field("toolkit", &self.toolkit)
            .field("freshness", &self.freshness)
            .finish_non_exhaustive()
    }
}

/// How long the Apollo batcher waits for more requests before it sends a partial batch.
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(150);

impl AgentKit {
    /// A kit with a process-local cache (tests, runs without a store).
    pub fn new(toolkit: Arc<Toolkit>) -> AgentKit {
        AgentKit::with_cache(
            toolkit,
            Arc::new(MemoryCache::default()),
            Freshness::default(),
        )
    }

    pub fn with_cache(
        toolkit: Arc<Toolkit>,
        cache: Arc<dyn EvidenceCache>,
        freshness: Freshness,
    ) -> AgentKit {
        let apollo = Arc::new(ApolloBatcher::new(
            Arc::clone(&toolkit),
            DEFAULT_BATCH_WINDOW,
        ));
        AgentKit {
            toolkit,
            cache,
            freshness,
            clock: Arc::new(OffsetDateTime::now_utc),
            apollo,
        }
    }

    /// The same kit reading another clock (tests fix "today").
    pub fn with_clock(mut self, clock: Clock) -> AgentKit {
        self.clock = clock;
        self
    }

    /// The same kit with another batching window (zero sends every request at once).
    pub fn with_batch_window(mut self, window: Duration) -> AgentKit {
        self.apollo = Arc::new(ApolloBatcher::new(Arc::clone(&self.toolkit), window));
        self
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// A fresh cached value for this run, unless the campaign asked to refresh.
    pub(crate) async fn recall<T: DeserializeOwned>(
        &self,
        input: &AgentInput,
        kind: CacheKind,
        key: &str,
    ) -> Option<(T, OffsetDateTime)> {
        if input.options.refresh {
            return None;
        }
        let not_before = self.freshness.oldest_fresh(kind, self.now());
        let hit = self
            .cache
            .get(CacheSlot::new(&input.cache_scope, kind, key), not_before)
            .await?;
        match serde_json::from_value(hit.value) {
            Ok(v) => Some((v, hit.observed_at)),
            Err(e) => {
                tracing::warn!(kind = kind.as_str(), key, error = %e, "cached evidence unreadable; buying it again");
                None
            }
        }
    }

    /// Keep a value for later runs.
    pub(crate) async fn remember<T: Serialize>(
        &self,
        input: &AgentInput,
        kind: CacheKind,
        key: &str,
        value: &T,
        observed_at: OffsetDateTime,
    ) {
        match serde_json::to_value(value) {
            Ok(value) => {
                let entry = Cached { value, observed_at };
                let slot = CacheSlot::new(&input.cache_scope, kind, key);
                self.cache.put(slot, &entry).await;
            }
            Err(e) => tracing::warn!(kind = kind.as_str(), error = %e, "evidence not cached"),
        }
    }
}

/// RFC 3339 text of a time.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
