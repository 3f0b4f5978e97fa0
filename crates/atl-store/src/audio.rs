//! Audio rendered after its voice job: attached to the stored voice result, and its cost
//! booked to the result, the target and the campaign in one transaction.

use crate::db::Arg;
use crate::db::{DbTime, now};
use crate::ledger::tx::{Sql, Tx};
use crate::{Store, StoreError};
use serde_json::Value;
use sqlx::types::Json;

impl Store {
    /// Set the voice result's `audio` field of `target_id` to `audio` and book
    /// `cost_nano_usd`, unless the result already has audio (another render won the race).
    /// Returns whether this render's audio was kept.
    pub async fn attach_voice_audio(
        &self,
        target_id: i64,
        audio: &Value,
        cost_nano_usd: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = Tx::begin(&self.db).await?;
        let row: Option<(i64, i64, Json<Value>)> = tx
            .fetch_optional(
                Sql::Both(
                    "SELECT id, campaign_id, result_data FROM enrichment_results \
                     WHERE target_id = $1 AND sub_agent_type = 'voice'",
                ),
                &[Arg::I64(target_id)],
            )
            .await?;
        let Some((id, campaign_id, Json(mut data))) = row else {
            return Err(StoreError::NotFound);
        };
        if data.get("audio").is_some_and(|a| !a.is_null()) {
            return Ok(false);
        }
        if let Value::Object(map) = &mut data {
            map.insert("audio".into(), audio.clone());
        }
        tx.execute(
            Sql::Both(
                "UPDATE enrichment_results SET result_data = $2, \
                 cost_nano_usd = COALESCE(cost_nano_usd, 0) + $3 WHERE id = $1",
            ),
            &[Arg::I64(id), Arg::Json(data), Arg::I64(cost_nano_usd)],
        )
        .await?;
        book(&mut tx, target_id, campaign_id, cost_nano_usd).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Book money a render spent although its audio was refused: it counts in the
    /// target's and the campaign's cost like any other attempt.
    pub async fn book_refused_audio(
        &self,
        target_id: i64,
        cost_nano_usd: i64,
    ) -> Result<(), StoreError> {
        let mut tx = Tx::begin(&self.db).await?;
        let row: Option<(i64,)> = tx
            .fetch_optional(
                Sql::Both("SELECT campaign_id FROM atl_targets WHERE id = $1"),
                &[Arg::I64(target_id)],
            )
            .await?;
        let Some((campaign_id,)) = row else {
            return Err(StoreError::NotFound);
        };
        book(&mut tx, target_id, campaign_id, cost_nano_usd).await?;
        tx.commit().await
    }
}

async fn book(
    tx: &mut Tx,
    target_id: i64,
    campaign_id: i64,
    cost_nano_usd: i64,
) -> Result<(), StoreError> {
    let at = DbTime(now());
    tx.execute(
            Sql::Both(
                "UPDATE atl_targets SET cost_nano_usd = cost_nano_usd + $2, updated_at = $3 WHERE id = $1",
            ),
            &[Arg::I64(target_id), Arg::I64(cost_nano_usd), Arg::Time(at)],
        )
        .await?;
    tx.execute(
            Sql::Both(
                "UPDATE atl_campaigns SET cost_nano_usd = cost_nano_usd + $2, updated_at = $3 WHERE id = $1",
            ),
            &[Arg::I64(campaign_id), Arg::I64(cost_nano_usd), Arg::Time(at)],
        )
        .await?;
    Ok(())
}
