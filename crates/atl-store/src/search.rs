//! Reads behind the dashboard's targets table and failure panel: a page of a campaign's
//! targets filtered by state and by a piece of text (company, contact, e-mail or domain,
//! case-insensitive; for non-ASCII letters only on PostgreSQL, whose LOWER folds them),
//! counted the same way, and the campaign's failed jobs grouped by
//! sub-agent and reason.
//!
//! The text is bound as a parameter, never spliced into SQL; `%`, `_` and `\` in it are
//! escaped so that they match themselves.

use atl_domain::TargetStatus;
use sqlx::AssertSqlSafe;

use crate::db::args;
use crate::model::{Target, TargetRow, target_columns};
use crate::{Store, StoreError, TargetSort};

/// Longest search text accepted (a company name is shorter; a pasted paragraph is not a
/// search).
pub const MAX_SEARCH_CHARS: usize = 200;

/// Which targets a page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetFilter {
    pub status: Option<TargetStatus>,
    /// Matched anywhere in the company name, contact name, contact e-mail or domain.
    pub text: Option<String>,
}

/// `LIKE` pattern for "contains `text`", lower-cased, wildcards escaped with `\`.
fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars().flat_map(char::to_lowercase) {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl TargetFilter {
    /// The pattern to bind, `None` for no text filter.
    fn pattern(&self) -> Result<Option<String>, StoreError> {
        let Some(text) = self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            return Ok(None);
        };
        if text.chars().count() > MAX_SEARCH_CHARS {
            return Err(StoreError::InvalidInput(format!(
                "search text is longer than {MAX_SEARCH_CHARS} characters"
            )));
        }
        Ok(Some(contains_pattern(text)))
    }
}

/// The WHERE clause shared by the page and its count ($1 campaign, $2 status, $3 pattern).
const FILTER: &str = "campaign_id = $1 AND ($2 IS NULL OR enrichment_status = $2) \
     AND ($3 IS NULL OR LOWER(company_name) LIKE $3 ESCAPE '\\' \
       OR LOWER(COALESCE(contact_name, '')) LIKE $3 ESCAPE '\\' \
       OR LOWER(COALESCE(contact_email, '')) LIKE $3 ESCAPE '\\' \
       OR LOWER(COALESCE(domain, '')) LIKE $3 ESCAPE '\\')";

impl Store {
    /// A page of the campaign's targets matching `filter`, in `sort` order.
    pub async fn search_targets(
        &self,
        campaign_id: i64,
        filter: &TargetFilter,
        sort: TargetSort,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Target>, StoreError> {
        let pattern = filter.pattern()?;
        let (limit, offset) = crate::queries::page(limit, offset)?;
        let sql = format!(
            "SELECT {} FROM atl_targets WHERE {FILTER} ORDER BY {} LIMIT $4 OFFSET $5",
            target_columns!(),
            sort.order_by()
        );
        let rows: Vec<TargetRow> = self
            .db
            .fetch_all(
                AssertSqlSafe(sql),
                &args![
                    campaign_id,
                    filter.status.map(|s| s.as_str()),
                    pattern.as_deref(),
                    limit,
                    offset
                ],
            )
            .await?;
        rows.into_iter().map(Target::try_from).collect()
    }

    /// How many of the campaign's targets match `filter`.
    pub async fn count_search(
        &self,
        campaign_id: i64,
        filter: &TargetFilter,
    ) -> Result<u64, StoreError> {
        let pattern = filter.pattern()?;
        let sql = format!("SELECT COUNT(*) FROM atl_targets WHERE {FILTER}");
        self.db
            .count(
                AssertSqlSafe(sql),
                &args![
                    campaign_id,
                    filter.status.map(|s| s.as_str()),
                    pattern.as_deref()
                ],
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_the_search_text_match_themselves() {
        for (text, pattern) in [("Acme", "%acme%"), ("50%_off\\", "%50\\%\\_off\\\\%")] {
            assert_eq!(contains_pattern(text), pattern, "{text}");
        }
        let long = TargetFilter {
            status: None,
            text: Some("x".repeat(MAX_SEARCH_CHARS + 1)),
        };
        assert!(long.pattern().is_err());
        let blank = TargetFilter {
            status: None,
            text: Some("   ".into()),
        };
        assert_eq!(blank.pattern().unwrap(), None);
    }
}
