//! The worker table (`atl_workers`): every coordinator that may hold leases registers,
//! stamps a heartbeat with the database's clock, and deregisters when it stops.
//!
//! PostgreSQL (any number of processes): a worker whose heartbeat is older than a claim's
//! `dead_worker_after` is dead; the next claim by anyone frees its leases at once instead
//! of waiting for each to expire. SQLite (embedded: one process per database file): no
//! other process can hold a lease, so a coordinator that registers frees at once every
//! lease not held by a coordinator registered in this process (a crashed run's).
//!
//! Freed leases go back to the queue like expired ones (the attempt counts). The late
//! worker, if it was only paused, finds its leases gone at its next heartbeat or commit:
//! fencing keeps it from writing anything.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use super::bookkeeping;
use super::claim::{ExpiredRow, expired_job, requeue_lost};
use super::sql;
use super::tx::{Sql, Tx, retry_transient};
use crate::db::args;
use crate::db::{Db, DbTime};
use crate::{Store, StoreError};

/// Who a worker is, as recorded in `atl_workers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    /// The lease owner its claims use.
    pub id: String,
    pub host: String,
    pub pid: u32,
}

/// Coordinators of this process that are registered (the SQLite takeover spares them).
static LIVE_HERE: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn live_here() -> BTreeSet<String> {
    LIVE_HERE.lock().map(|s| s.clone()).unwrap_or_default()
}

fn set_live(id: &str, live: bool) {
    if let Ok(mut s) = LIVE_HERE.lock() {
        if live {
            s.insert(id.to_string());
        } else {
            s.remove(id);
        }
    }
}

async fn upsert(tx: &mut Tx, w: &WorkerInfo) -> Result<(), StoreError> {
    let at = DbTime(tx.now());
    tx.execute(
        Sql::Both(sql::WORKER_UPSERT),
        &args![w.id.clone(), w.host.clone(), i64::from(w.pid), at],
    )
    .await?;
    Ok(())
}

/// Running jobs leased by `owner` (a batch of them).
async fn owned_rows(tx: &mut Tx, owner: &str) -> Result<Vec<ExpiredRow>, StoreError> {
    tx.fetch_all(
        Sql::Split {
            sqlite: sql::OWNED_SQLITE,
            postgres: sql::OWNED_PG,
        },
        &args![owner],
    )
    .await
}

/// Sends every running job of `owner` back to the queue; returns how many.
async fn free_leases_of(tx: &mut Tx, owner: &str, why: &str) -> Result<usize, StoreError> {
    let at = tx.now();
    let mut freed = 0;
    loop {
        let rows = owned_rows(tx, owner).await?;
        let n = rows.len();
        freed += requeue_lost(tx, rows, why, at).await?;
        if n < 256 {
            return Ok(freed);
        }
    }
}

impl Store {
    /// Registers (or re-registers) a worker with a fresh heartbeat. On SQLite this also
    /// takes back, at once, every lease that no coordinator of this process holds (see the
    /// module docs); returns how many leases that freed.
    pub async fn register_worker(&self, worker: &WorkerInfo) -> Result<usize, StoreError> {
        set_live(&worker.id, true);
        retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            upsert(&mut tx, worker).await?;
            let mut freed = 0;
            if !tx.is_postgres() {
                let live = live_here();
                let owners: Vec<(String,)> =
                    tx.fetch_all(Sql::Both(sql::LEASE_OWNERS), &[]).await?;
                for (owner,) in owners.into_iter().filter(|(o,)| !live.contains(o)) {
                    let why = format!("orphaned lease of {owner} (its process is gone)");
                    freed += free_leases_of(&mut tx, &owner, &why).await?;
                }
                let rows: Vec<(String,)> = tx.fetch_all(Sql::Both(sql::OTHER_WORKERS), &[]).await?;
                for (id,) in rows.into_iter().filter(|(id,)| !live.contains(id)) {
                    tx.execute(Sql::Both(sql::WORKER_DELETE), &args![id])
                        .await?;
                }
            }
            tx.commit().await?;
            if freed > 0 {
                tracing::warn!(freed, "took back leases of a process that is gone");
            }
            Ok(freed)
        })
        .await
    }

    /// Stamps the worker's heartbeat with the database's time (re-registering it if it had
    /// been declared dead meanwhile: its old leases are gone, new claims are its own).
    pub async fn worker_heartbeat(&self, worker: &WorkerInfo) -> Result<(), StoreError> {
        retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let at = DbTime(tx.now());
            let n = tx
                .execute(Sql::Both(sql::WORKER_HEARTBEAT), &args![worker.id.clone(), at])
                .await?;
            if n == 0 {
                tracing::warn!(worker = %worker.id, "this worker had been declared dead; registered again");
                upsert(&mut tx, worker).await?;
            }
            tx.commit().await
        })
        .await
    }

    /// A graceful stop: gives back the leases the worker still holds (uncounted: they did
    /// not fail) and removes its row. Returns how many leases it gave back.
    pub async fn deregister_worker(&self, worker_id: &str) -> Result<usize, StoreError> {
        let released = retry_transient(|| async {
            let mut tx = Tx::begin(&self.db).await?;
            let at = tx.now();
            let rows = owned_rows(&mut tx, worker_id).await?;
            let n = rows.len();
            for row in rows {
                let (job, _) = expired_job(row)?;
                bookkeeping::release_job(&mut tx, &job, at).await?;
            }
            tx.execute(Sql::Both(sql::WORKER_DELETE), &args![worker_id])
                .await?;
            tx.commit().await?;
            Ok(n)
        })
        .await?;
        set_live(worker_id, false);
        Ok(released)
    }

    /// Registered workers: (id, host, pid, seconds since their last heartbeat by the
    /// database's clock).
    pub async fn list_workers(&self) -> Result<Vec<(String, String, i64, f64)>, StoreError> {
        let now = self.database_now().await?;
        let rows: Vec<(String, String, i64, time::OffsetDateTime)> =
            crate::db::with_pool!(&self.db, |pool| {
                sqlx::query_as("SELECT id, host, pid, heartbeat_at FROM atl_workers ORDER BY id")
                    .fetch_all(pool)
                    .await?
            });
        Ok(rows
            .into_iter()
            .map(|(id, host, pid, hb)| (id, host, pid, (now - hb).as_seconds_f64()))
            .collect())
    }
}

/// Frees the leases of every worker whose heartbeat is older than `dead_after` and
/// removes its row.
pub(super) async fn free_dead_workers(db: &Db, dead_after: Duration) -> Result<(), StoreError> {
    let mut tx = Tx::begin(db).await?;
    let cutoff = super::before(tx.now(), dead_after);
    let dead: Vec<(String,)> = tx
        .fetch_all(Sql::Both(sql::DEAD_WORKERS), &args![DbTime(cutoff)])
        .await?;
    for (id,) in dead {
        let why = format!("worker {id} stopped sending heartbeats");
        let freed = free_leases_of(&mut tx, &id, &why).await?;
        tx.execute(Sql::Both(sql::WORKER_DELETE), &args![id.clone()])
            .await?;
        tracing::warn!(worker = %id, freed, "worker is dead (no heartbeat): its leases were freed");
    }
    tx.commit().await
}
