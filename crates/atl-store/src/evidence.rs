//! The evidence cache (`atl_evidence`): one row per (scope, kind, key), the latest
//! observation winning. The store keeps payloads as opaque JSON; what they mean belongs
//! to the agents.

use crate::db::{DbTime, args, with_pool};
use crate::{Store, StoreError};
use serde_json::Value;
use sqlx::types::Json;
use time::OffsetDateTime;

impl Store {
    /// The entry observed at or after `not_before`, when there is one.
    pub async fn get_evidence(
        &self,
        scope: &str,
        kind: &str,
        key: &str,
        not_before: OffsetDateTime,
    ) -> Result<Option<(Value, OffsetDateTime)>, StoreError> {
        let row: Option<(Json<Value>, OffsetDateTime)> = self
            .db
            .fetch_optional(
                "SELECT payload, observed_at FROM atl_evidence \
                 WHERE scope = $1 AND kind = $2 AND key = $3 AND observed_at >= $4",
                &args![scope, kind, key, DbTime(not_before)],
            )
            .await?;
        Ok(row.map(|(Json(v), at)| (v, at)))
    }

    /// Store an observation, replacing an older one of the same (scope, kind, key); an
    /// older observation never replaces a newer one.
    pub async fn put_evidence(
        &self,
        scope: &str,
        kind: &str,
        key: &str,
        payload: &Value,
        observed_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO atl_evidence (scope, kind, key, payload, observed_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (scope, kind, key) DO UPDATE \
                 SET payload = excluded.payload, observed_at = excluded.observed_at \
                 WHERE atl_evidence.observed_at <= excluded.observed_at",
            )
            .bind(scope)
            .bind(kind)
            .bind(key)
            .bind(Json(payload))
            .bind(DbTime(observed_at))
            .execute(pool)
            .await
            .map(|_| ())?
        });
        Ok(())
    }

    /// How many entries a scope holds (for tests and reports).
    pub async fn count_evidence(&self, scope: &str) -> Result<u64, StoreError> {
        self.db
            .count(
                "SELECT COUNT(*) FROM atl_evidence WHERE scope = $1",
                &args![scope],
            )
            .await
    }
}
