//! A write transaction on either backend, with SQL that may differ per backend and bind
//! values carried as data, so the ledger's bookkeeping is written once as plain Rust.

use sqlx::{Postgres, Sqlite, Transaction};
use std::future::Future;
use std::time::Duration;
use time::OffsetDateTime;

use crate::StoreError;
use crate::db::{Arg, BothRow, Db, bind_all};

/// One statement: the same text on both backends, or one text per backend (the lease
/// claim's lock clause, JSON functions).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sql {
    Both(&'static str),
    Split {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

/// Runs the same body once per backend arm, with `$tx` that arm's transaction and `$text`
/// the statement in that backend's dialect; each arm type-checks on its own.
macro_rules! on_backend {
    ($inner:expr, $sql:expr, |$tx:ident, $text:ident| $body:expr) => {
        match $inner {
            Inner::Sqlite($tx) => {
                let $text = $sql.sqlite();
                $body
            }
            Inner::Postgres($tx) => {
                let $text = $sql.postgres();
                $body
            }
        }
    };
}

/// A `Tx` method running sqlx's `$fetch` of the same name on whichever backend it is on.
macro_rules! fetch_method {
    ($(#[$doc:meta])* $fetch:ident -> $out:ty) => {
        $(#[$doc])*
        pub(crate) async fn $fetch<R: BothRow>(
            &mut self,
            sql: Sql,
            args: &[Arg],
        ) -> Result<$out, StoreError> {
            Ok(on_backend!(&mut self.inner, sql, |tx, text| {
                bind_all!(sqlx::query_as(text), args)
                    .$fetch(&mut **tx)
                    .await?
            }))
        }
    };
}

/// The transaction's clock and the connection check in one round trip. `now()` is the
/// server's time at the start of the transaction: every lease, claim, heartbeat, retry time
/// and reap of a ledger transaction is stamped and compared with it, never with the
/// worker's own clock (which may be minutes off).
///
/// A worker killed mid-transaction leaves a backend that notices only when it next talks
/// to its client; blocked on a row lock, that can take long enough for other workers'
/// leases to expire behind it. PostgreSQL 14+ checks the socket every second while
/// waiting with `client_connection_check_interval` (set for this transaction only).
const BEGIN_PG: &str = "SELECT now(), set_config('client_connection_check_interval', '1000', true)";

enum Inner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

pub(crate) struct Tx {
    inner: Inner,
    now: OffsetDateTime,
}

impl Tx {
    /// Opens a write transaction. SQLite takes its single write lock up front (`BEGIN
    /// IMMEDIATE`): a deferred transaction that upgrades later fails with SQLITE_BUSY
    /// without waiting for the busy timeout.
    pub(crate) async fn begin(db: &Db) -> Result<Tx, StoreError> {
        Ok(match db {
            Db::Sqlite(pool) => {
                let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                // One process holds a SQLite file (embedded mode): its clock is the
                // database's. Read after the write lock is taken, so stamps of successive
                // transactions never go backwards between writers of this process.
                Tx {
                    inner: Inner::Sqlite(tx),
                    now: crate::db::now(),
                }
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let (now, _): (OffsetDateTime, String) =
                    sqlx::query_as(BEGIN_PG).fetch_one(&mut *tx).await?;
                Tx {
                    inner: Inner::Postgres(tx),
                    now,
                }
            }
        })
    }

    /// The database's time when this transaction began (see [`BEGIN_PG`]).
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.now
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.inner, Inner::Postgres(_))
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            Inner::Sqlite(tx) => tx.commit().await?,
            Inner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Rows changed.
    pub(crate) async fn execute(&mut self, sql: Sql, args: &[Arg]) -> Result<u64, StoreError> {
        Ok(on_backend!(&mut self.inner, sql, |tx, text| {
            bind_all!(sqlx::query(text), args)
                .execute(&mut **tx)
                .await?
                .rows_affected()
        }))
    }

    fetch_method!(
        /// Every row the statement answers.
        fetch_all -> Vec<R>
    );
    fetch_method!(
        /// The statement's first row, if any.
        fetch_optional -> Option<R>
    );

    pub(crate) async fn fetch_one<R: BothRow>(
        &mut self,
        sql: Sql,
        args: &[Arg],
    ) -> Result<R, StoreError> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

impl Sql {
    fn sqlite(self) -> &'static str {
        match self {
            Sql::Both(s) | Sql::Split { sqlite: s, .. } => s,
        }
    }
    fn postgres(self) -> &'static str {
        match self {
            Sql::Both(s) | Sql::Split { postgres: s, .. } => s,
        }
    }
}

/// How often a transaction that lost a deadlock or serialization race is tried again.
const TRANSIENT_RETRIES: u32 = 5;

/// Runs `op` (one whole transaction) again when it failed transiently: PostgreSQL aborts
/// one side of a deadlock (40P01), and SQLite may report BUSY after its timeout. Each try
/// is a fresh transaction, so nothing half-done survives a retry.
pub(crate) async fn retry_transient<T, F, Fut>(mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(e) if e.is_transient() && attempt < TRANSIENT_RETRIES => {
                attempt += 1;
                tracing::debug!(attempt, error = %e, "ledger transaction retried");
                tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
            }
            other => return other,
        }
    }
}
