//! CSV upload → campaign, in one transaction.

use crate::AppError;
use atl_domain::NewTarget;
use atl_import::{ImportOptions, ImportSummary, Importer, RowOutcome};
use atl_store::{Campaign, NewCampaign, Store};
use serde::Serialize;
use std::collections::HashMap;

/// Rows are written in batches of this many: large enough that per-statement overhead
/// vanishes, small enough that memory stays a fraction of the file.
const BATCH: usize = 1000;

/// What a caller asks of an import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub team_id: i64,
    /// The campaign's name; defaults to the file name.
    pub name: Option<String>,
    pub file_name: Option<String>,
    pub options: ImportOptions,
    pub settings: serde_json::Value,
    pub budget_nano_usd: Option<i64>,
}

/// The answer of `atl import` and `POST /upload`: `campaign_id`, `total_targets` and
/// `status` first, the fields every client reads.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub campaign_id: i64,
    pub total_targets: u64,
    pub status: String,
    pub rows_rejected: u64,
    pub duplicates_merged: u64,
    pub warnings: u64,
    pub report: ImportSummary,
    #[serde(skip)]
    pub campaign: Campaign,
}

/// Imports `bytes` as a new campaign. Nothing is written unless the whole file is
/// accepted: any refusal (too large, too many targets, no company column, no usable row,
/// a database error) rolls the transaction back.
pub async fn import_csv(
    store: &Store,
    bytes: Vec<u8>,
    request: ImportRequest,
) -> Result<ImportOutcome, AppError> {
    if bytes.len() as u64 > request.options.max_bytes {
        return Err(atl_import::ImportError::TooLarge {
            limit_bytes: request.options.max_bytes,
        }
        .into());
    }
    // Valid UTF-8 is reused in place; anything else is decoded once and the raw bytes
    // dropped, so the file is held once, not twice.
    let decoded = atl_import::decode(&bytes)?;
    let encoding = decoded.encoding;
    let text: String = match decoded.text {
        std::borrow::Cow::Borrowed(s) => {
            let skip = bytes.len() - s.len(); // a UTF-8 BOM
            let mut bytes = bytes;
            bytes.drain(..skip);
            String::from_utf8(bytes).map_err(|_| atl_import::ImportError::NotText)?
        }
        std::borrow::Cow::Owned(s) => s,
    };
    let mut importer = Importer::new(&text, &request.options)?.with_encoding(encoding);

    // Whatever the client sent as a file name (a path, a megabyte, escapes) is stored as
    // its last component, capped; the campaign is named after that, not the raw text.
    let uploaded_file = request
        .file_name
        .as_deref()
        .map(atl_import::sanitize_file_name);
    let name = request
        .name
        .clone()
        .or_else(|| uploaded_file.clone())
        .unwrap_or_else(|| "Untitled campaign".to_string());
    let mut tx = store
        .begin_import(NewCampaign {
            team_id: request.team_id,
            name,
            uploaded_file,
            settings: request.settings.clone(),
            budget_nano_usd: request.budget_nano_usd,
        })
        .await?;

    let mut batch = Batch::default();
    for outcome in importer.by_ref() {
        match outcome? {
            RowOutcome::Target(t) => batch.push(t),
            RowOutcome::Duplicate { target, .. } => batch.merge_or_push(target),
            RowOutcome::Rejected(_) => {}
        }
        if batch.rows.len() >= BATCH {
            tx.insert_targets(&batch.rows).await?;
            batch.clear();
        }
    }
    if !batch.rows.is_empty() {
        tx.insert_targets(&batch.rows).await?;
    }
    let summary = importer.summary().clone();
    let report = serde_json::to_value(&summary).unwrap_or(serde_json::Value::Null);
    if summary.targets == 0 {
        tx.rollback().await?;
        return Err(AppError::NoTargets {
            rejected: summary.rejected_count,
            report: Box::new(report),
        });
    }
    let campaign = tx.commit(&report).await?;
    Ok(ImportOutcome {
        campaign_id: campaign.id,
        total_targets: campaign.total_targets as u64,
        status: campaign.status.to_string(),
        rows_rejected: summary.rejected_count,
        duplicates_merged: summary.duplicates,
        warnings: summary.warning_count,
        report: summary,
        campaign,
    })
}

/// One batch of rows about to be written. A duplicate of a row still in the batch is
/// merged here, because PostgreSQL's upsert cannot touch one row twice in a statement;
/// a duplicate of a row already written is merged by the store's upsert.
#[derive(Default)]
struct Batch {
    rows: Vec<NewTarget>,
    index: HashMap<String, usize>,
}

impl Batch {
    fn push(&mut self, target: NewTarget) {
        self.index.insert(target.dedup_key.clone(), self.rows.len());
        self.rows.push(target);
    }

    fn merge_or_push(&mut self, dup: NewTarget) {
        match self.index.get(&dup.dedup_key) {
            Some(&i) => atl_import::merge_duplicate(&mut self.rows[i], dup),
            None => self.push(dup),
        }
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.index.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(key: &str, email: Option<&str>, extra: &str) -> NewTarget {
        NewTarget {
            company_name: "Acme".into(),
            contact_email: email.map(str::to_string),
            extra: extra.into(),
            dedup_key: key.into(),
            ..Default::default()
        }
    }

    #[test]
    fn duplicate_in_batch_fills_blanks_and_keeps_first_values() {
        let mut b = Batch::default();
        b.push(target("k", None, r#"{"a":"1"}"#));
        b.merge_or_push(target("k", Some("x@acme.com"), r#"{"a":"2","b":"3"}"#));
        assert_eq!(b.rows.len(), 1);
        assert_eq!(b.rows[0].contact_email.as_deref(), Some("x@acme.com"));
        let extra: serde_json::Value = serde_json::from_str(&b.rows[0].extra).unwrap();
        assert_eq!(extra, serde_json::json!({"a": "1", "b": "3"}));
        b.merge_or_push(target("other", None, "{}"));
        assert_eq!(b.rows.len(), 2);
    }
}
