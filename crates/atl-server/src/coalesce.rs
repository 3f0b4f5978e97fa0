//! Concurrent reads of the same key share one database query, and none is ever answered
//! with data older than itself.
//!
//! A dashboard, or a whole team's dashboards, poll `/status` of one running campaign many
//! times a second; each poll is one primary-key read, and on a machine that also runs the
//! workers the database round trips are what the polls cost. A time-based cache would cut
//! them but could answer `processing` after the SSE stream said `campaign_completed`.
//! Coalescing keeps read-after-write: a request only joins a query that has **not started
//! yet**, so whatever committed before the request arrived is visible to the query that
//! answers it. While one query runs, the requests that arrive form the next batch, which
//! starts when the first ends: at most one query per key is in flight, and under load a
//! few dozen requests share each.
//!
//! Each batch's query runs in its own task, so a client that disconnects (and drops its
//! request future) never strands the others. A failed query answers no one: each waiter
//! then reads for itself and reports its own error.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// One batch's answer; `None` until its query has finished.
type Answer<V> = watch::Receiver<Option<V>>;

struct Slot<V> {
    /// Held while this key's query runs: the next batch waits for it.
    running: tokio::sync::Mutex<()>,
    /// The batch that has not started yet, which new requests join.
    pending: Mutex<Option<Answer<V>>>,
}

pub(crate) struct Coalescer<K, V> {
    slots: Arc<Mutex<HashMap<K, Arc<Slot<V>>>>>,
}

impl<K, V> Default for Coalescer<K, V> {
    fn default() -> Self {
        Coalescer {
            slots: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

impl<K, V> Coalescer<K, V>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// `fetch()`'s answer, from a call that started after this one was made, shared with
    /// the concurrent callers for the same key.
    pub(crate) async fn get<F, Fut, E>(&self, key: K, fetch: F) -> Result<V, E>
    where
        F: Fn() -> Fut + Clone + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send,
    {
        let Some(mut answer) = self.join(key, fetch.clone()) else {
            return fetch().await;
        };
        // `Err`: the batch's query failed (its sender is gone): read alone, to report
        // this caller's own error.
        let shared = answer
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|v| v.clone());
        match shared {
            Some(v) => Ok(v),
            None => fetch().await,
        }
    }

    /// The pending batch for `key`, started if there was none. `None` if the map is
    /// unusable (a poisoned lock), in which case the caller reads alone.
    fn join<F, Fut, E>(&self, key: K, fetch: F) -> Option<Answer<V>>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send,
    {
        let mut slots = self.slots.lock().ok()?;
        let slot = slots
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(Slot {
                    running: tokio::sync::Mutex::new(()),
                    pending: Mutex::new(None),
                })
            })
            .clone();
        let mut pending = slot.pending.lock().ok()?;
        if let Some(answer) = pending.as_ref() {
            return Some(answer.clone());
        }
        let (tx, rx) = watch::channel(None);
        *pending = Some(rx.clone());
        drop(pending);
        drop(slots);
        let slots = Arc::clone(&self.slots);
        tokio::spawn(async move {
            let running = slot.running.lock().await;
            // From here on, arrivals form the next batch: this query starts after all of
            // this batch's requests arrived.
            if let Ok(mut pending) = slot.pending.lock() {
                pending.take();
            }
            if let Ok(v) = fetch().await {
                let _ = tx.send(Some(v));
            }
            drop(tx);
            drop(running);
            // Forget the key once nobody else holds its slot (the map and this task hold
            // the only references), so the map does not grow with every campaign polled.
            if let Ok(mut slots) = slots.lock() {
                let idle = slot.pending.lock().is_ok_and(|p| p.is_none());
                if idle && Arc::strong_count(&slot) == 2 {
                    slots.remove(&key);
                }
            }
        });
        Some(rx)
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        self.slots.lock().map_or(0, |s| s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    /// A "database": a counter that only changes when written, and a count of reads.
    #[derive(Default)]
    struct Db {
        value: AtomicU64,
        reads: AtomicU64,
    }

    fn reader(
        db: &Arc<Db>,
    ) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<u64, String>> + Send>>
    + Clone
    + Send
    + 'static {
        let db = Arc::clone(db);
        move || {
            let db = Arc::clone(&db);
            Box::pin(async move {
                // The value is read when the query starts, as a statement's snapshot is.
                let v = db.value.load(Ordering::SeqCst);
                db.reads.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(v)
            })
        }
    }

    /// A read of key 1 through `c`, in a task of its own.
    fn spawn_read(
        c: &Arc<Coalescer<i64, u64>>,
        db: &Arc<Db>,
    ) -> tokio::task::JoinHandle<Result<u64, String>> {
        let (c, read) = (Arc::clone(c), reader(db));
        tokio::spawn(async move { c.get(1, read).await })
    }

    #[tokio::test]
    async fn concurrent_reads_share_queries() {
        let db = Arc::new(Db::default());
        let c = Arc::new(Coalescer::<i64, u64>::default());
        let mut tasks = Vec::new();
        for _ in 0..50 {
            tasks.push(spawn_read(&c, &db));
        }
        for t in tasks {
            assert_eq!(t.await.ok().and_then(Result::ok), Some(0));
        }
        let reads = db.reads.load(Ordering::SeqCst);
        assert!(
            (1..=2).contains(&reads),
            "50 concurrent reads took {reads} queries"
        );
        // Once idle, the key is forgotten.
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(c.keys(), 0);
    }

    #[tokio::test]
    async fn a_read_never_sees_data_older_than_itself() {
        let db = Arc::new(Db::default());
        let c = Arc::new(Coalescer::<i64, u64>::default());
        // A query is running with the old value...
        let first = spawn_read(&c, &db);
        tokio::time::sleep(Duration::from_millis(5)).await;
        // ...when a write commits and a new request arrives: it must see the write.
        db.value.store(7, Ordering::SeqCst);
        let second = c.get(1, reader(&db)).await;
        assert_eq!(second, Ok(7));
        assert_eq!(first.await.ok().and_then(Result::ok), Some(0));
        assert_eq!(db.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn keys_do_not_share_and_failures_are_each_callers_own() {
        let c = Coalescer::<i64, u64>::default();
        assert_eq!(c.get(1, || async { Ok::<u64, String>(1) }).await, Ok(1));
        assert_eq!(c.get(2, || async { Ok::<u64, String>(2) }).await, Ok(2));
        let failed = c
            .get(3, || async { Err::<u64, String>("down".into()) })
            .await;
        assert_eq!(failed, Err("down".to_string()));
    }

    #[tokio::test]
    async fn a_dropped_caller_does_not_strand_the_others() {
        let db = Arc::new(Db::default());
        let c = Arc::new(Coalescer::<i64, u64>::default());
        let dropped = spawn_read(&c, &db);
        let kept = spawn_read(&c, &db);
        dropped.abort();
        let answer = tokio::time::timeout(Duration::from_secs(5), kept).await;
        assert_eq!(answer.ok().and_then(Result::ok), Some(Ok(0)));
    }
}
