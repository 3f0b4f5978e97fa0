//! The providers' rate limits shared by every worker process on one PostgreSQL: the
//! governor's [`RateLimiter`] over the store's shared windows. PostgreSQL is the only
//! coordinator (no other service); a SQLite process keeps its windows in memory.

use atl_providers::governor::{Admission, BucketKey, BucketLimit, LocalRateLimiter, RateLimiter};
use atl_store::{RateTake, Store};
use std::sync::Arc;
use std::time::Duration;

/// How long a caller is told to wait when the database cannot say: short, so a blip
/// costs little, and a wait rather than a pass, so an outage never lets calls past the
/// limit.
const UNKNOWN_WAIT: Duration = Duration::from_millis(500);

/// A [`RateLimiter`] whose windows live in the database, shared by every process on it.
#[derive(Debug, Clone)]
pub struct SharedRateLimiter {
    store: Store,
}

impl SharedRateLimiter {
    /// Windows in `store`; `None` when the store is one process's own (SQLite).
    pub fn new(store: &Store) -> Option<Self> {
        store.shares_rate_windows().then(|| SharedRateLimiter {
            store: store.clone(),
        })
    }
}

/// The limiter a process on `store` should admit its calls through: the shared one on
/// PostgreSQL, an in-process one on SQLite.
pub fn rate_limiter_for(store: &Store) -> Arc<dyn RateLimiter> {
    match SharedRateLimiter::new(store) {
        Some(shared) => Arc::new(shared),
        None => Arc::new(LocalRateLimiter::new()),
    }
}

/// The counter's name in the table: provider, key fingerprint, bucket and measure with
/// its window (`apollo/1a2b…/enrichment_bulk/requests/60s`); never a key.
fn name(bucket: &BucketKey) -> String {
    bucket.to_string()
}

#[async_trait::async_trait]
impl RateLimiter for SharedRateLimiter {
    async fn acquire(&self, bucket: &BucketKey, limit: &BucketLimit, units: u64) -> Admission {
        if units == 0 {
            return Admission::Go;
        }
        match self
            .store
            .take_rate(&name(bucket), units, limit.units, limit.window)
            .await
        {
            Ok(RateTake::Taken) => Admission::Go,
            Ok(RateTake::Wait(d)) => Admission::Wait(d),
            Err(e) => {
                tracing::warn!(bucket = %bucket, error = %e, "shared rate window unreadable; waiting");
                Admission::Wait(UNKNOWN_WAIT)
            }
        }
    }

    async fn settle(&self, bucket: &BucketKey, _limit: &BucketLimit, taken: u64, used: u64) {
        if let Err(e) = self.store.settle_rate(&name(bucket), taken, used).await {
            // The reservation stands as taken: the limit is under-used, never exceeded.
            tracing::warn!(bucket = %bucket, error = %e, "shared rate window not settled");
        }
    }
}
