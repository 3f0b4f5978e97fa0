//! The agents' evidence cache kept in the store, so every worker on one database shares
//! what any of them bought.

use atl_agents::{CacheSlot, Cached, EvidenceCache};
use atl_store::Store;
use time::OffsetDateTime;

/// [`EvidenceCache`] over the store's `atl_evidence` table. A database error is logged and
/// read as a miss: the lookup is bought again rather than the run failing.
#[derive(Debug, Clone)]
pub struct StoreCache {
    store: Store,
}

impl StoreCache {
    pub fn new(store: Store) -> Self {
        StoreCache { store }
    }
}

#[async_trait::async_trait]
impl EvidenceCache for StoreCache {
    async fn get(&self, slot: CacheSlot<'_>, not_before: OffsetDateTime) -> Option<Cached> {
        let CacheSlot { scope, kind, key } = slot;
        match self
            .store
            .get_evidence(scope, kind.as_str(), key, not_before)
            .await
        {
            Ok(hit) => hit.map(|(value, observed_at)| Cached { value, observed_at }),
            Err(e) => {
                tracing::warn!(kind = kind.as_str(), error = %e, "evidence cache unreadable; buying again");
                None
            }
        }
    }

    async fn put(&self, slot: CacheSlot<'_>, entry: &Cached) {
        let CacheSlot { scope, kind, key } = slot;
        if let Err(e) = self
            .store
            .put_evidence(scope, kind.as_str(), key, &entry.value, entry.observed_at)
            .await
        {
            tracing::warn!(kind = kind.as_str(), error = %e, "evidence not cached");
        }
    }
}
