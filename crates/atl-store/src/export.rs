//! Reads for the API and the exports: sorted target pages, keyset pages for streaming a
//! whole campaign, results and failed jobs of a page of targets at once, the union of the
//! `extra` keys, and the counts `/metrics` reports.
//!
//! Batch reads take the ids of one page (at most [`MAX_BATCH_IDS`]) so an export makes
//! three queries per 500 targets instead of three per target.

use atl_domain::{SubAgentKind, TargetStatus};
use sqlx::AssertSqlSafe;

use crate::db::{Db, args, with_pool};
use crate::model::{Target, TargetRow, parse_status, target_columns};
use crate::results::{ResultRow, stored_result};
use crate::{Store, StoreError, StoredResult, TargetFilter, TargetSort};

/// Most ids one batch read accepts (SQLite allows 32,766 bound parameters; PostgreSQL 65,535).
pub const MAX_BATCH_IDS: usize = 5_000;

/// A failed job's reason, for a target's detail and the export.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobFailure {
    pub target_id: i64,
    pub kind: SubAgentKind,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Where a keyset page of targets resumes: after this (row_number, id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetCursor {
    pub row_number: i64,
    pub id: i64,
}

impl TargetCursor {
    pub fn after(target: &Target) -> Self {
        TargetCursor {
            row_number: target.row_number,
            id: target.id,
        }
    }
}

/// `$first, $first+1, …` for an IN list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_batch(ids: &[i64]) -> Result<(), StoreError> {
    if ids.len() > MAX_BATCH_IDS {
        return Err(StoreError::InvalidInput(format!(
            "at most {MAX_BATCH_IDS} ids per batch read, got {}",
            ids.len()
        )));
    }
    Ok(())
}

impl Store {
    /// How many campaigns a team has (`None` = all teams), for paginated listings.
    pub async fn count_campaigns(&self, team_id: Option<i64>) -> Result<u64, StoreError> {
        self.db
            .count(
                "SELECT COUNT(*) FROM atl_campaigns WHERE ($1 IS NULL OR team_id = $1)",
                &args![team_id],
            )
            .await
    }

    /// How many of a campaign's targets are in `status` (all when `None`).
    pub async fn count_targets_with(
        &self,
        campaign_id: i64,
        status: Option<TargetStatus>,
    ) -> Result<u64, StoreError> {
        self.db
            .count(
                "SELECT COUNT(*) FROM atl_targets WHERE campaign_id = $1 \
                 AND ($2 IS NULL OR enrichment_status = $2)",
                &args![campaign_id, status.map(|s| s.as_str())],
            )
            .await
    }

    /// A page of a campaign's targets in any [`TargetSort`] order.
    pub async fn list_targets_sorted(
        &self,
        campaign_id: i64,
        status: Option<TargetStatus>,
        sort: TargetSort,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Target>, StoreError> {
        let filter = TargetFilter { status, text: None };
        self.search_targets(campaign_id, &filter, sort, limit, offset)
            .await
    }

    /// The next `limit` targets in file order after `after` (keyset pagination: each page
    /// costs the same however deep into the campaign it is, unlike OFFSET).
    pub async fn targets_after(
        &self,
        campaign_id: i64,
        after: Option<TargetCursor>,
        limit: u32,
    ) -> Result<Vec<Target>, StoreError> {
        let limit = i64::from(limit.min(crate::MAX_PAGE));
        let after = after.unwrap_or(TargetCursor {
            row_number: i64::MIN,
            id: i64::MIN,
        });
        let rows: Vec<TargetRow> = self
            .db
            .fetch_all(
                concat!(
                    "SELECT ",
                    target_columns!(),
                    " FROM atl_targets WHERE campaign_id = $1 \
                 AND (row_number > $2 OR (row_number = $2 AND id > $3)) \
                 ORDER BY row_number, id LIMIT $4"
                ),
                &args![campaign_id, after.row_number, after.id, limit],
            )
            .await?;
        rows.into_iter().map(Target::try_from).collect()
    }

    /// One target by id with the campaign it belongs to checked against `team_id`
    /// (`None` = any team): another team's target reads as missing.
    pub async fn get_target_for_team(
        &self,
        team_id: Option<i64>,
        target_id: i64,
    ) -> Result<Option<Target>, StoreError> {
        let row: Option<TargetRow> = self
            .db
            .fetch_optional(
                concat!(
                    "SELECT ",
                    target_columns!(),
                    " FROM atl_targets WHERE id = $1 AND ($2 IS NULL OR campaign_id IN \
                 (SELECT id FROM atl_campaigns WHERE team_id = $2))"
                ),
                &args![target_id, team_id],
            )
            .await?;
        row.map(Target::try_from).transpose()
    }

    /// The results of several targets (at most [`MAX_BATCH_IDS`]), by target then id.
    pub async fn results_for_targets(&self, ids: &[i64]) -> Result<Vec<StoredResult>, StoreError> {
        check_batch(ids)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, campaign_id, target_id, sub_agent_type, result_data, sources, \
             confidence_score, cost_nano_usd, latency_ms, provider, model, tokens_in, \
             tokens_out, synthetic, completed_at FROM enrichment_results \
             WHERE target_id IN ({}) ORDER BY target_id, id",
            placeholders(1, ids.len())
        );
        let rows: Vec<ResultRow> = with_pool!(&self.db, |pool| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter().map(stored_result).collect()
    }

    /// The failed jobs of several targets (at most [`MAX_BATCH_IDS`]) with their reasons.
    pub async fn failed_jobs_for_targets(
        &self,
        ids: &[i64],
    ) -> Result<Vec<JobFailure>, StoreError> {
        check_batch(ids)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT target_id, sub_agent_type, attempts, last_error FROM sub_agent_executions \
             WHERE status = 'failed' AND target_id IN ({}) ORDER BY target_id, id",
            placeholders(1, ids.len())
        );
        let rows: Vec<(i64, String, i64, Option<String>)> = with_pool!(&self.db, |pool| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.clone()));
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(target_id, kind, attempts, last_error)| {
                Ok(JobFailure {
                    target_id,
                    kind: parse_status("sub_agent_executions.sub_agent_type", &kind)?,
                    attempts,
                    last_error,
                })
            })
            .collect()
    }

    /// Every key that appears in any target's `extra` object, sorted (the export's extra
    /// columns; callers may reorder them, e.g. by the file's header order).
    pub async fn extra_keys(&self, campaign_id: i64) -> Result<Vec<String>, StoreError> {
        // The only backend-specific SQL here: SQLite walks JSON with json_each, PostgreSQL
        // with jsonb_object_keys.
        let keys: Vec<String> = match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_scalar(
                    "SELECT DISTINCT j.key FROM atl_targets t, json_each(t.extra) j \
                     WHERE t.campaign_id = $1 ORDER BY j.key",
                )
                .bind(campaign_id)
                .fetch_all(pool)
                .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT DISTINCT k FROM atl_targets t, jsonb_object_keys(t.extra) k \
                     WHERE t.campaign_id = $1 ORDER BY k",
                )
                .bind(campaign_id)
                .fetch_all(pool)
                .await?
            }
        };
        Ok(keys)
    }

    /// Campaigns per status, of one team or (`None`) of all (for `/metrics`).
    pub async fn campaigns_by_status(
        &self,
        team_id: Option<i64>,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.group_count(
            "SELECT status, COUNT(*) FROM atl_campaigns \
             WHERE ($1 IS NULL OR team_id = $1) GROUP BY status ORDER BY status",
            team_id,
        )
        .await
    }

    /// Jobs per status, of one team's campaigns or (`None`) of all (for `/metrics`).
    pub async fn jobs_by_status(
        &self,
        team_id: Option<i64>,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.group_count(
            "SELECT j.status, COUNT(*) FROM sub_agent_executions j \
             JOIN atl_campaigns c ON c.id = j.campaign_id \
             WHERE ($1 IS NULL OR c.team_id = $1) GROUP BY j.status ORDER BY j.status",
            team_id,
        )
        .await
    }

    /// Money spent per provider, in nano-USD, and how many results, over one team's
    /// campaigns or (`None`) all (for `/metrics`: the governors count calls, the ledger
    /// holds the money).
    pub async fn cost_by_provider(
        &self,
        team_id: Option<i64>,
    ) -> Result<Vec<(String, i64, u64)>, StoreError> {
        let rows: Vec<(Option<String>, i64, i64)> = self
            .db
            .fetch_all(
                "SELECT r.provider, CAST(COALESCE(SUM(r.cost_nano_usd), 0) AS BIGINT), COUNT(*) \
                 FROM enrichment_results r JOIN atl_campaigns c ON c.id = r.campaign_id \
                 WHERE ($1 IS NULL OR c.team_id = $1) GROUP BY r.provider ORDER BY r.provider",
                &args![team_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(p, cost, n)| {
                (
                    p.unwrap_or_else(|| "unknown".into()),
                    cost,
                    u64::try_from(n).unwrap_or(0),
                )
            })
            .collect())
    }

    async fn group_count(
        &self,
        sql: &'static str,
        team_id: Option<i64>,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = self.db.fetch_all(sql, &args![team_id]).await?;
        Ok(rows
            .into_iter()
            .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TargetSortKey;

    #[test]
    fn sort_parses_known_names_only() {
        let s: TargetSort = "-company".parse().unwrap();
        assert_eq!(s.key, TargetSortKey::Company);
        assert!(s.descending);
        assert_eq!(s.order_by(), "LOWER(company_name) DESC, id DESC");
        assert!("company; DROP TABLE x".parse::<TargetSort>().is_err());
    }
}
