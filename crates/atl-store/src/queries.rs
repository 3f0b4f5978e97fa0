//! Reads, and the small writes that need no transaction: teams, campaigns, targets.

use atl_domain::TargetStatus;

use crate::db::{DbTime, args, now, with_pool};
use crate::model::{
    Campaign, CampaignRow, CampaignTally, CampaignTallyRow, Target, TargetCounts, TargetRow,
    campaign_columns, campaign_tally_columns, parse_status, target_columns,
};
use crate::{Store, StoreError};

/// Largest page a list call returns, whatever the caller asks for.
pub const MAX_PAGE: u32 = 10_000;

/// A page's LIMIT and OFFSET as bound: the limit capped at [`MAX_PAGE`].
pub(crate) fn page(limit: u32, offset: u64) -> Result<(i64, i64), StoreError> {
    let offset = i64::try_from(offset)
        .map_err(|_| StoreError::InvalidInput(format!("offset {offset} is too large")))?;
    Ok((i64::from(limit.min(MAX_PAGE)), offset))
}

/// Every campaign, as a `Campaign` reads it (the statement's head).
macro_rules! campaigns {
    () => {
        concat!("SELECT ", campaign_columns!(), " FROM atl_campaigns")
    };
}

/// The tail of a read of campaign `$1`, hidden when `$2` is another team (`NULL`: any).
macro_rules! campaign_of_team {
    () => {
        " FROM atl_campaigns WHERE id = $1 AND ($2 IS NULL OR team_id = $2)"
    };
}

impl Store {
    /// The id of the team called `name`, created on first use.
    pub async fn team_id(&self, name: &str) -> Result<i64, StoreError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::InvalidInput("team name is empty".into()));
        }
        const SELECT: &str = "SELECT id FROM atl_teams WHERE name = $1";
        with_pool!(&self.db, |pool| {
            // Select first: the common case is an existing team, and on PostgreSQL a
            // conflicting insert would still burn an identity value.
            if let Some(id) = sqlx::query_scalar::<_, i64>(SELECT)
                .bind(name)
                .fetch_optional(pool)
                .await?
            {
                return Ok(id);
            }
            // Two callers may race here; DO NOTHING lets the loser read the winner's row.
            sqlx::query(
                "INSERT INTO atl_teams (name, created_at) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(DbTime(now()))
            .execute(pool)
            .await?;
            Ok(sqlx::query_scalar::<_, i64>(SELECT)
                .bind(name)
                .fetch_one(pool)
                .await?)
        })
    }

    /// Campaigns, newest first; `Some(team)` restricts to that team's.
    pub async fn list_campaigns(
        &self,
        team_id: Option<i64>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Campaign>, StoreError> {
        let (limit, offset) = page(limit, offset)?;
        // Two texts rather than `($1 IS NULL OR team_id = $1)` so each gets the right index.
        let (sql, args) = match team_id {
            Some(team) => (
                concat!(
                    campaigns!(),
                    " WHERE team_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
                ),
                args![team, limit, offset].to_vec(),
            ),
            None => (
                concat!(campaigns!(), " ORDER BY id DESC LIMIT $1 OFFSET $2"),
                args![limit, offset].to_vec(),
            ),
        };
        let rows: Vec<CampaignRow> = self.db.fetch_all(sql, &args).await?;
        rows.into_iter().map(Campaign::try_from).collect()
    }

    /// One campaign; `Some(team)` returns `None` for another team's campaign, so a caller
    /// cannot tell it from a missing one.
    pub async fn get_campaign(
        &self,
        team_id: Option<i64>,
        id: i64,
    ) -> Result<Option<Campaign>, StoreError> {
        const SQL: &str = concat!("SELECT ", campaign_columns!(), campaign_of_team!());
        let row: Option<CampaignRow> = self.db.fetch_optional(SQL, &args![id, team_id]).await?;
        row.map(Campaign::try_from).transpose()
    }

    /// What a campaign's status is computed from, by primary key; `Some(team)` hides
    /// another team's campaign as [`Store::get_campaign`] does.
    pub async fn get_campaign_tally(
        &self,
        team_id: Option<i64>,
        id: i64,
    ) -> Result<Option<CampaignTally>, StoreError> {
        const SQL: &str = concat!("SELECT ", campaign_tally_columns!(), campaign_of_team!());
        let row: Option<CampaignTallyRow> =
            self.db.fetch_optional(SQL, &args![id, team_id]).await?;
        row.map(CampaignTally::try_from).transpose()
    }

    /// Deletes a campaign with its targets, jobs, results and events. Returns whether it
    /// existed (and, with `Some(team)`, belonged to that team).
    pub async fn delete_campaign(&self, team_id: Option<i64>, id: i64) -> Result<bool, StoreError> {
        let deleted = with_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM atl_campaigns WHERE id = $1 AND ($2 IS NULL OR team_id = $2)")
                .bind(id)
                .bind(team_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// How many of a campaign's targets are in each state.
    pub async fn target_status_counts(&self, campaign_id: i64) -> Result<TargetCounts, StoreError> {
        let rows: Vec<(String, i64)> = self
            .db
            .fetch_all(
                "SELECT enrichment_status, COUNT(*) FROM atl_targets \
                 WHERE campaign_id = $1 GROUP BY enrichment_status",
                &args![campaign_id],
            )
            .await?;
        let mut counts = TargetCounts::default();
        for (status, n) in rows {
            let status: TargetStatus = parse_status("atl_targets.enrichment_status", &status)?;
            counts.add(status, u64::try_from(n).unwrap_or(0));
        }
        Ok(counts)
    }

    /// A campaign's targets in file order (`row_number`), optionally only those in `status`.
    pub async fn list_targets(
        &self,
        campaign_id: i64,
        status: Option<TargetStatus>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Target>, StoreError> {
        self.list_targets_sorted(campaign_id, status, TargetSort::default(), limit, offset)
            .await
    }

    /// One target of a campaign.
    pub async fn get_target(
        &self,
        campaign_id: i64,
        target_id: i64,
    ) -> Result<Option<Target>, StoreError> {
        let row: Option<TargetRow> = self
            .db
            .fetch_optional(
                concat!(
                    "SELECT ",
                    target_columns!(),
                    " FROM atl_targets WHERE campaign_id = $1 AND id = $2"
                ),
                &args![campaign_id, target_id],
            )
            .await?;
        row.map(Target::try_from).transpose()
    }

    pub async fn count_targets(&self, campaign_id: i64) -> Result<u64, StoreError> {
        self.count_targets_with(campaign_id, None).await
    }
}

/// A sortable column of `atl_targets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSortKey {
    RowNumber,
    Company,
    Status,
    Updated,
    Id,
}

/// How a target listing is ordered: a column and a direction; ties always break by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSort {
    pub key: TargetSortKey,
    pub descending: bool,
}

impl Default for TargetSort {
    fn default() -> Self {
        TargetSort {
            key: TargetSortKey::RowNumber,
            descending: false,
        }
    }
}

impl std::str::FromStr for TargetSort {
    type Err = StoreError;

    /// `row_number`, `company`, `status`, `updated_at`, `id`; a leading `-` sorts descending.
    fn from_str(s: &str) -> Result<Self, StoreError> {
        let (descending, name) = match s.trim().strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.trim()),
        };
        let key = match name {
            "row_number" | "row" => TargetSortKey::RowNumber,
            "company" | "company_name" => TargetSortKey::Company,
            "status" | "enrichment_status" => TargetSortKey::Status,
            "updated_at" | "updated" => TargetSortKey::Updated,
            "id" => TargetSortKey::Id,
            other => {
                return Err(StoreError::InvalidInput(format!(
                    "unknown sort `{other}` (use row_number, company, status, updated_at or id, \
                     with a leading - for descending)"
                )));
            }
        };
        Ok(TargetSort { key, descending })
    }
}

impl TargetSort {
    /// The ORDER BY clause: built only from this enum, never from user text.
    pub(crate) fn order_by(self) -> String {
        let column = match self.key {
            TargetSortKey::RowNumber => "row_number",
            // Case-insensitive on both backends, so "acme" and "Acme" sort together.
            TargetSortKey::Company => "LOWER(company_name)",
            TargetSortKey::Status => "enrichment_status",
            TargetSortKey::Updated => "updated_at",
            TargetSortKey::Id => "id",
        };
        let dir = if self.descending { "DESC" } else { "ASC" };
        format!("{column} {dir}, id {dir}")
    }
}
