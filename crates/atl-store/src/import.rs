//! Creating a campaign and bulk-loading its targets inside one transaction.

use atl_domain::NewTarget;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{Postgres, Sqlite, Transaction};
use std::collections::HashSet;
use std::sync::OnceLock;

use crate::db::{Db, DbTime, now};
use crate::model::{Campaign, CampaignRow, NewCampaign, campaign_columns};
use crate::{Store, StoreError};

/// An import in progress: a new campaign and its targets, invisible to everyone else until
/// [`CampaignImport::commit`]. Dropping it without committing rolls everything back.
///
/// On SQLite the transaction holds the database's write lock from the start (`BEGIN
/// IMMEDIATE`), so parse and validate the upload first and import only the finished rows.
pub struct CampaignImport {
    tx: ImportTx,
    campaign_id: i64,
}

enum ImportTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same body once per backend arm, with `$tx` bound to that arm's transaction
/// (as `with_pool!` does for pools): the import's statements are the same on both.
macro_rules! with_tx {
    ($import_tx:expr, |$($tx:ident)+| $body:expr) => {
        match $import_tx {
            ImportTx::Sqlite($($tx)+) => $body,
            ImportTx::Postgres($($tx)+) => $body,
        }
    };
}

impl std::fmt::Debug for CampaignImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CampaignImport")
            .field("campaign_id", &self.campaign_id)
            .finish_non_exhaustive()
    }
}

const INSERT_CAMPAIGN: &str = "INSERT INTO atl_campaigns \
    (team_id, name, uploaded_file, settings, budget_nano_usd, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";

impl Store {
    /// Opens a transaction and creates the campaign (status `pending`, no targets yet).
    pub async fn begin_import(&self, new: NewCampaign) -> Result<CampaignImport, StoreError> {
        if new.name.trim().is_empty() {
            return Err(StoreError::InvalidInput("campaign name is empty".into()));
        }
        let settings = match new.settings {
            Value::Null => Value::Object(Default::default()),
            Value::Object(map) => Value::Object(map),
            other => {
                return Err(StoreError::InvalidInput(format!(
                    "campaign settings must be a JSON object, not {other}"
                )));
            }
        };
        if new.budget_nano_usd.is_some_and(|b| b < 0) {
            return Err(StoreError::InvalidInput("budget is negative".into()));
        }
        let created = DbTime(now());
        let mut tx = match &self.db {
            // IMMEDIATE takes the write lock now; a deferred transaction that later
            // upgrades can fail with SQLITE_BUSY without waiting for busy_timeout.
            Db::Sqlite(pool) => ImportTx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => ImportTx::Postgres(pool.begin().await?),
        };
        let campaign_id = with_tx!(&mut tx, |tx| {
            sqlx::query_scalar(INSERT_CAMPAIGN)
                .bind(new.team_id)
                .bind(&new.name)
                .bind(&new.uploaded_file)
                .bind(Json(&settings))
                .bind(new.budget_nano_usd)
                .bind(created)
                .fetch_one(&mut **tx)
                .await?
        });
        Ok(CampaignImport { tx, campaign_id })
    }
}

/// The ON CONFLICT clause shared by both backends; only the JSON merge of `extra` differs.
/// A re-seen target keeps its stored values and first row number; blanks take the new
/// value; `extra` gains the keys it lacked (the stored side wins on a clash).
macro_rules! merge_clause {
    ($merge_extra:literal) => {
        concat!(
            " ON CONFLICT (campaign_id, dedup_key) DO UPDATE SET ",
            "contact_name = COALESCE(atl_targets.contact_name, excluded.contact_name), ",
            "contact_email = COALESCE(atl_targets.contact_email, excluded.contact_email), ",
            "contact_title = COALESCE(atl_targets.contact_title, excluded.contact_title), ",
            "linkedin_url = COALESCE(atl_targets.linkedin_url, excluded.linkedin_url), ",
            "website = COALESCE(atl_targets.website, excluded.website), ",
            "domain = COALESCE(atl_targets.domain, excluded.domain), ",
            "extra = ",
            $merge_extra,
            ", updated_at = excluded.updated_at"
        )
    };
}

const TARGET_INSERT_HEAD: &str = "INSERT INTO atl_targets (campaign_id, created_at, updated_at, \
    row_number, company_name, contact_name, contact_email, contact_title, linkedin_url, website, \
    domain, extra, dedup_key)";

/// PostgreSQL: one statement per batch, the columns sent as ten arrays.
const PG_INSERT_TARGETS: &str = concat!(
    "INSERT INTO atl_targets (campaign_id, created_at, updated_at, row_number, company_name, \
     contact_name, contact_email, contact_title, linkedin_url, website, domain, extra, dedup_key) \
     SELECT $1, $2, $2, t.row_number, t.company_name, t.contact_name, t.contact_email, \
     t.contact_title, t.linkedin_url, t.website, t.domain, t.extra::jsonb, t.dedup_key \
     FROM UNNEST($3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
     $9::text[], $10::text[], $11::text[], $12::text[]) \
     AS t(row_number, company_name, contact_name, contact_email, contact_title, linkedin_url, \
     website, domain, extra, dedup_key)",
    merge_clause!("excluded.extra || atl_targets.extra")
);

/// Values bound per target row on SQLite: the 13 columns of `TARGET_INSERT_HEAD`.
///
/// Placeholders are anonymous `?`, not `$n`: sqlx-sqlite resolves each named parameter with
/// `sqlite3_bind_parameter_name`, a linear scan, so a statement with n named parameters
/// costs O(n²) to bind (measured in a debug build: 1.2 s for 10,000 targets, against
/// 0.25 s with `?`).
/// Anonymous ones are bound in order, which is also why the shared campaign id and
/// timestamps are repeated per row.
const SQLITE_PARAMS_PER_ROW: usize = 13;
/// Rows per SQLite statement: 512 × 13 = 6,656 parameters, far below SQLite's 32,766.
/// A batch is cut into power-of-two chunks (512, then 256, 128, … for the tail), so at most
/// ten distinct statements exist and each stays in sqlx's per-connection statement cache.
const SQLITE_MAX_CHUNK_LOG2: u32 = 9;
// SQLITE_MAX_VARIABLE_NUMBER of the bundled SQLite; checked at compile time.
const _: () = assert!((1usize << SQLITE_MAX_CHUNK_LOG2) * SQLITE_PARAMS_PER_ROW < 32_766);

/// The SQLite insert for a chunk of `2^log2` rows, built once from constants only.
fn sqlite_insert_sql(log2: u32) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        let row = format!("({})", vec!["?"; SQLITE_PARAMS_PER_ROW].join(","));
        (0..=SQLITE_MAX_CHUNK_LOG2)
            .map(|log2| {
                let rows = 1usize << log2;
                let mut sql = String::with_capacity(TARGET_INSERT_HEAD.len() + rows * 28 + 600);
                sql.push_str(TARGET_INSERT_HEAD);
                sql.push_str(" VALUES ");
                for r in 0..rows {
                    if r > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&row);
                }
                sql.push_str(merge_clause!(
                    "json_patch(excluded.extra, atl_targets.extra)"
                ));
                sql
            })
            .collect()
    });
    // `log2` never exceeds SQLITE_MAX_CHUNK_LOG2 (see `insert_sqlite`); fall back to the
    // last entry rather than panic if that ever changes.
    all.get(log2 as usize)
        .or(all.last())
        .map_or("", String::as_str)
}

/// A target's `extra`, with the empty string (the `Default` of `NewTarget`) meaning `{}`.
fn extra_of(t: &NewTarget) -> &str {
    if t.extra.trim().is_empty() {
        "{}"
    } else {
        &t.extra
    }
}

/// Refuses batches PostgreSQL could not upsert in one statement (the same key twice) and row
/// numbers that do not fit the column; checked up front so both backends behave the same.
fn validate_batch(batch: &[NewTarget]) -> Result<(), StoreError> {
    let mut keys = HashSet::with_capacity(batch.len());
    for t in batch {
        if !keys.insert(t.dedup_key.as_str()) {
            return Err(StoreError::InvalidInput(format!(
                "dedup key {:?} appears twice in one batch (row {}); merge duplicates before \
                 inserting",
                t.dedup_key, t.row_number
            )));
        }
        if i64::try_from(t.row_number).is_err() {
            return Err(StoreError::InvalidInput(format!(
                "row number {} is too large",
                t.row_number
            )));
        }
        if t.company_name.trim().is_empty() {
            return Err(StoreError::InvalidInput(format!(
                "row {} has no company name",
                t.row_number
            )));
        }
    }
    Ok(())
}

impl CampaignImport {
    pub fn campaign_id(&self) -> i64 {
        self.campaign_id
    }

    /// Inserts a batch of targets.
    ///
    /// A target whose `(campaign_id, dedup_key)` is already stored (from an earlier batch) is
    /// merged, not duplicated: its blank columns take the new values, its non-blank ones are
    /// kept, and `extra` gains the keys it lacked, the stored value winning on a clash.
    ///
    /// The batch itself must not contain one `dedup_key` twice: merge those in memory first
    /// (PostgreSQL cannot upsert one row twice in a statement). Such a batch is refused with
    /// [`StoreError::InvalidInput`] before anything is written, and the import stays usable.
    /// Any other error comes from the database (e.g. `extra` not a JSON object); after one,
    /// PostgreSQL has aborted the transaction, so roll the import back or drop it.
    pub async fn insert_targets(&mut self, batch: &[NewTarget]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        validate_batch(batch)?;
        let at = DbTime(now());
        match &mut self.tx {
            ImportTx::Sqlite(tx) => insert_sqlite(tx, self.campaign_id, at, batch).await,
            ImportTx::Postgres(tx) => insert_postgres(tx, self.campaign_id, at, batch).await,
        }
    }

    /// Sets `total_targets` to the number of stored targets, records the import report, and
    /// commits. Returns the campaign as stored.
    pub async fn commit(self, import_report: &Value) -> Result<Campaign, StoreError> {
        const SQL: &str = concat!(
            "UPDATE atl_campaigns SET ",
            "total_targets = (SELECT COUNT(*) FROM atl_targets WHERE campaign_id = $1), ",
            "import_report = $2, updated_at = $3 WHERE id = $1 RETURNING ",
            campaign_columns!()
        );
        let at = DbTime(now());
        let row: CampaignRow = with_tx!(self.tx, |mut tx| {
            let row = sqlx::query_as(SQL)
                .bind(self.campaign_id)
                .bind(Json(import_report))
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        });
        Campaign::try_from(row)
    }

    /// Discards the campaign and every target inserted so far.
    pub async fn rollback(self) -> Result<(), StoreError> {
        with_tx!(self.tx, |tx| tx.rollback().await?);
        Ok(())
    }
}

async fn insert_sqlite(
    tx: &mut Transaction<'static, Sqlite>,
    campaign_id: i64,
    at: DbTime,
    batch: &[NewTarget],
) -> Result<(), StoreError> {
    // Formatted once: DbTime would format it twice per row.
    let at = at
        .sqlite_text()
        .map_err(|e| StoreError::InvalidInput(format!("timestamp out of range: {e}")))?;
    let mut rest = batch;
    while !rest.is_empty() {
        // Largest power of two that fits both the remainder and the chunk cap.
        let log2 = rest.len().ilog2().min(SQLITE_MAX_CHUNK_LOG2);
        let (chunk, tail) = rest.split_at(1usize << log2);
        let mut q = sqlx::query(sqlite_insert_sql(log2));
        for t in chunk {
            // validate_batch checked that row numbers fit.
            let row_number = i64::try_from(t.row_number).unwrap_or(i64::MAX);
            // Same order as TARGET_INSERT_HEAD.
            q = q
                .bind(campaign_id)
                .bind(at.as_str())
                .bind(at.as_str())
                .bind(row_number)
                .bind(t.company_name.as_str())
                .bind(t.contact_name.as_deref())
                .bind(t.contact_email.as_deref())
                .bind(t.contact_title.as_deref())
                .bind(t.linkedin_url.as_deref())
                .bind(t.website.as_deref())
                .bind(t.domain.as_deref())
                .bind(extra_of(t))
                .bind(t.dedup_key.as_str());
        }
        q.execute(&mut **tx).await?;
        rest = tail;
    }
    Ok(())
}

async fn insert_postgres(
    tx: &mut Transaction<'static, Postgres>,
    campaign_id: i64,
    at: DbTime,
    batch: &[NewTarget],
) -> Result<(), StoreError> {
    let n = batch.len();
    let mut row_number = Vec::with_capacity(n);
    let mut company_name = Vec::with_capacity(n);
    let mut contact_name = Vec::with_capacity(n);
    let mut contact_email = Vec::with_capacity(n);
    let mut contact_title = Vec::with_capacity(n);
    let mut linkedin_url = Vec::with_capacity(n);
    let mut website = Vec::with_capacity(n);
    let mut domain = Vec::with_capacity(n);
    let mut extra = Vec::with_capacity(n);
    let mut dedup_key = Vec::with_capacity(n);
    for t in batch {
        row_number.push(i64::try_from(t.row_number).unwrap_or(i64::MAX));
        company_name.push(t.company_name.as_str());
        contact_name.push(t.contact_name.as_deref());
        contact_email.push(t.contact_email.as_deref());
        contact_title.push(t.contact_title.as_deref());
        linkedin_url.push(t.linkedin_url.as_deref());
        website.push(t.website.as_deref());
        domain.push(t.domain.as_deref());
        extra.push(extra_of(t));
        dedup_key.push(t.dedup_key.as_str());
    }
    sqlx::query(PG_INSERT_TARGETS)
        .bind(campaign_id)
        .bind(at)
        .bind(row_number)
        .bind(company_name)
        .bind(contact_name)
        .bind(contact_email)
        .bind(contact_title)
        .bind(linkedin_url)
        .bind(website)
        .bind(domain)
        .bind(extra)
        .bind(dedup_key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_chunks_have_one_placeholder_per_column_and_row() {
        let columns = TARGET_INSERT_HEAD.matches(',').count() + 1;
        assert_eq!(columns, SQLITE_PARAMS_PER_ROW);
        for log2 in 0..=SQLITE_MAX_CHUNK_LOG2 {
            let sql = sqlite_insert_sql(log2);
            let rows = 1usize << log2;
            assert_eq!(
                sql.matches('?').count(),
                rows * SQLITE_PARAMS_PER_ROW,
                "{log2}"
            );
            assert!(
                !sql.contains('$'),
                "named parameters are slow to bind: {sql}"
            );
        }
    }

    #[test]
    fn duplicate_keys_in_a_batch_are_refused() {
        let t = |key: &str| NewTarget {
            company_name: "Acme".into(),
            dedup_key: key.into(),
            ..Default::default()
        };
        assert!(validate_batch(&[t("a"), t("b")]).is_ok());
        let err = validate_batch(&[t("a"), t("b"), t("a")]).unwrap_err();
        assert!(matches!(err, StoreError::InvalidInput(_)), "{err}");
    }
}
