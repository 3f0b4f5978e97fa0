//! Rate windows shared by every worker process on one PostgreSQL (`atl_rate_slots` and
//! the `atl_rate_take` / `atl_rate_settle` functions of its migration): a sliding log
//! per counter, so processes that call with the same provider key never admit more than
//! its limit in any window between them. A SQLite database has one process, which keeps
//! its windows in memory; these calls refuse it.

use crate::db::Db;
use crate::{Store, StoreError};
use std::time::Duration;

/// Whether a shared rate window had room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateTake {
    /// The units were taken.
    Taken,
    /// Nothing was taken; they would fit after this long.
    Wait(Duration),
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX).max(1)
}

fn units(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn postgres_only() -> StoreError {
    StoreError::InvalidInput(
        "shared rate windows live in PostgreSQL; a SQLite process keeps its own".into(),
    )
}

impl Store {
    /// Whether this database shares rate windows between processes (PostgreSQL).
    pub fn shares_rate_windows(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// Take `n` units from `bucket`, which admits at most `cap` in any `window`, or say
    /// how long until they would fit (nothing is held for a caller told to wait). A
    /// request larger than `cap` is let through when the window is empty.
    pub async fn take_rate(
        &self,
        bucket: &str,
        n: u64,
        cap: u64,
        window: Duration,
    ) -> Result<RateTake, StoreError> {
        let Db::Postgres(pool) = &self.db else {
            return Err(postgres_only());
        };
        let wait_us: i64 = sqlx::query_scalar("SELECT atl_rate_take($1, $2, $3, $4)")
            .bind(bucket)
            .bind(units(n))
            .bind(units(cap))
            .bind(micros(window))
            .fetch_one(pool)
            .await?;
        Ok(if wait_us <= 0 {
            RateTake::Taken
        } else {
            RateTake::Wait(Duration::from_micros(u64::try_from(wait_us).unwrap_or(0)))
        })
    }

    /// Correct a reservation of `taken` units once `used` is known: the difference goes
    /// back into (or comes out of) `bucket`.
    pub async fn settle_rate(&self, bucket: &str, taken: u64, used: u64) -> Result<(), StoreError> {
        if taken == used {
            return Ok(());
        }
        let Db::Postgres(pool) = &self.db else {
            return Err(postgres_only());
        };
        sqlx::query("SELECT atl_rate_settle($1, $2, $3)")
            .bind(bucket)
            .bind(units(taken))
            .bind(units(used))
            .execute(pool)
            .await?;
        Ok(())
    }
}
