//! A campaign → CSV or JSONL, streamed: `atl export`, `atl enrich --out` and
//! `GET /campaigns/{id}/export` all use [`Exporter`].
//!
//! Two shapes ([`ExportKind`]): one row per target (the input columns, the file's other
//! columns, then the enriched fields with their sources, [`row`]), or one row per person
//! (the contact and every executive, the shape a CRM import wants, [`contacts`]).
//!
//! Targets are read [`PAGE`] at a time in file order (keyset pages), with the results and
//! failed jobs of each page fetched in one query each, and every page is turned into bytes
//! before the next is read: memory stays at one page whatever the campaign's size.
//!
//! CSV files start with a UTF-8 byte-order mark (Excel needs it to read accents; Google
//! Sheets and HubSpot ignore it), are written by the csv crate, and neutralise cells that
//! a spreadsheet would run as a formula ([`sanitize_cell`]).

mod cells;
mod contacts;
mod row;

pub use cells::sanitize_cell;
pub use contacts::CONTACT_COLUMNS;
pub use row::{INPUT_COLUMNS, enriched_columns};

use crate::AppError;
use crate::lookup::find_campaign;
use crate::record::TargetRecord;
use atl_store::{Campaign, JobFailure, Store, StoredResult, Target, TargetCursor};
use cells::{UTF8_BOM, cell_text, write_record};
use serde_json::{Map, Value};
use std::collections::HashMap;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Targets per page read from the store.
pub const PAGE: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

/// What one row of the export is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExportKind {
    /// One row per target.
    #[default]
    Targets,
    /// One row per person: the contact and every executive.
    Contacts,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown export format `{0}` (use csv or jsonl)")]
pub struct UnknownFormat(pub String);

impl std::str::FromStr for ExportFormat {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "jsonl" | "ndjson" => Ok(ExportFormat::Jsonl),
            other => Err(UnknownFormat(other.to_string())),
        }
    }
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Jsonl => "application/x-ndjson",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
        }
    }
}

/// How many rows an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    pub rows: u64,
    pub bytes: u64,
}

/// A streaming export of one campaign: call [`Exporter::next_chunk`] until `None`.
pub struct Exporter {
    store: Store,
    campaign: Campaign,
    format: ExportFormat,
    kind: ExportKind,
    extra_keys: Vec<String>,
    cursor: Option<TargetCursor>,
    header_done: bool,
    finished: bool,
    rows: u64,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("campaign_id", &self.campaign.id)
            .field("format", &self.format)
            .field("kind", &self.kind)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl Exporter {
    /// Prepares a one-row-per-target export of `campaign_id`; `Some(team)` makes another
    /// team's campaign [`AppError::CampaignNotFound`]. Fails before any byte is produced,
    /// so a caller can still answer with an error status.
    pub async fn new(
        store: &Store,
        team_id: Option<i64>,
        campaign_id: i64,
        format: ExportFormat,
    ) -> Result<Exporter, AppError> {
        Exporter::of_kind(store, team_id, campaign_id, format, ExportKind::Targets).await
    }

    pub async fn of_kind(
        store: &Store,
        team_id: Option<i64>,
        campaign_id: i64,
        format: ExportFormat,
        kind: ExportKind,
    ) -> Result<Exporter, AppError> {
        let campaign = find_campaign(store, team_id, campaign_id).await?;
        let extra_keys = match kind {
            ExportKind::Targets => {
                let keys = store.extra_keys(campaign_id).await?;
                order_extra_keys(keys, campaign.import_report.as_ref())
            }
            ExportKind::Contacts => Vec::new(),
        };
        Ok(Exporter {
            store: store.clone(),
            campaign,
            format,
            kind,
            extra_keys,
            cursor: None,
            header_done: false,
            finished: false,
            rows: 0,
        })
    }

    pub fn campaign(&self) -> &Campaign {
        &self.campaign
    }

    pub fn format(&self) -> ExportFormat {
        self.format
    }

    pub fn kind(&self) -> ExportKind {
        self.kind
    }

    /// The CSV header (or, for JSONL targets, the top-level keys), in order.
    pub fn columns(&self) -> Vec<String> {
        match self.kind {
            ExportKind::Targets => INPUT_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .chain(self.extra_keys.iter().map(|k| extra_header(k)))
                .chain(enriched_columns().map(str::to_string))
                .collect(),
            ExportKind::Contacts => CONTACT_COLUMNS.iter().map(|c| c.to_string()).collect(),
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The next piece of the file: the header first (CSV), then one page of rows at a
    /// time; `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, AppError> {
        if self.finished {
            return Ok(None);
        }
        let mut out = Vec::new();
        if !self.header_done {
            self.header_done = true;
            if self.format == ExportFormat::Csv {
                out.extend_from_slice(UTF8_BOM);
                let header = self.columns();
                // Extra columns are named after the uploaded file's own headers, which a
                // hostile file can make formulas just like its cells.
                write_record(&mut out, header.iter().map(|h| sanitize_cell(h)));
            }
        }
        let page = self
            .store
            .targets_after(self.campaign.id, self.cursor, PAGE)
            .await?;
        if page.len() < PAGE as usize {
            self.finished = true;
        }
        if let Some(last) = page.last() {
            self.cursor = Some(TargetCursor::after(last));
        }
        for record in self.read_page(page).await? {
            match (self.kind, self.format) {
                (ExportKind::Targets, ExportFormat::Csv) => self.write_csv_row(&mut out, &record),
                (ExportKind::Targets, ExportFormat::Jsonl) => {
                    write_json_line(&mut out, &row::json_row(&record));
                }
                (ExportKind::Contacts, _) => {
                    for cells in contacts::contact_rows(&record) {
                        self.write_contact(&mut out, cells);
                    }
                    continue;
                }
            }
            self.rows += 1;
        }
        if out.is_empty() && self.finished {
            return Ok(None);
        }
        Ok(Some(out))
    }

    async fn read_page(&self, page: Vec<Target>) -> Result<Vec<TargetRecord>, AppError> {
        let ids: Vec<i64> = page.iter().map(|t| t.id).collect();
        let mut results: HashMap<i64, Vec<StoredResult>> = HashMap::new();
        for r in self.store.results_for_targets(&ids).await? {
            results.entry(r.target_id).or_default().push(r);
        }
        let mut failures: HashMap<i64, Vec<JobFailure>> = HashMap::new();
        for f in self.store.failed_jobs_for_targets(&ids).await? {
            failures.entry(f.target_id).or_default().push(f);
        }
        Ok(page
            .into_iter()
            .map(|t| {
                let id = t.id;
                TargetRecord::read(
                    t,
                    results.get(&id).map(Vec::as_slice).unwrap_or(&[]),
                    failures.get(&id).map(Vec::as_slice).unwrap_or(&[]),
                )
            })
            .collect())
    }

    fn write_csv_row(&self, out: &mut Vec<u8>, r: &TargetRecord) {
        let extra = self
            .extra_keys
            .iter()
            .map(|k| r.target.extra.get(k).map(cell_text).unwrap_or_default());
        let cells: Vec<String> = row::input_values(r)
            .iter()
            .map(cell_text)
            .chain(extra)
            .chain(row::ENRICHED.iter().map(|(_, c)| cell_text(&c.value(r))))
            .collect();
        write_record(out, cells.iter().map(|c| sanitize_cell(c)));
    }

    fn write_contact(&mut self, out: &mut Vec<u8>, cells: Vec<Value>) {
        match self.format {
            ExportFormat::Csv => {
                let text: Vec<String> = cells.iter().map(cell_text).collect();
                write_record(out, text.iter().map(|c| sanitize_cell(c)));
            }
            ExportFormat::Jsonl => {
                let obj: Map<String, Value> = CONTACT_COLUMNS
                    .iter()
                    .map(|c| c.to_string())
                    .zip(cells)
                    .collect();
                write_json_line(out, &Value::Object(obj));
            }
        }
        self.rows += 1;
    }
}

fn write_json_line(out: &mut Vec<u8>, v: &Value) {
    // Serialising a Value cannot fail; an empty line would still be valid JSONL.
    if serde_json::to_writer(&mut *out, v).is_ok() {
        out.push(b'\n');
    }
}

/// Writes the whole export to `writer` (the CLI's file or stdout).
pub async fn export_to_writer<W: AsyncWrite + Unpin>(
    store: &Store,
    team_id: Option<i64>,
    campaign_id: i64,
    format: ExportFormat,
    kind: ExportKind,
    writer: &mut W,
) -> Result<ExportStats, AppError> {
    let mut exporter = Exporter::of_kind(store, team_id, campaign_id, format, kind).await?;
    let mut bytes = 0u64;
    let io = |e: std::io::Error| AppError::Read {
        path: "export output".into(),
        message: e.to_string(),
    };
    while let Some(chunk) = exporter.next_chunk().await? {
        writer.write_all(&chunk).await.map_err(io)?;
        bytes += chunk.len() as u64;
    }
    writer.flush().await.map_err(io)?;
    Ok(ExportStats {
        rows: exporter.rows(),
        bytes,
    })
}

/// Writes the whole export to the file at `path`: beside it first, then renamed, so an
/// interrupted export never leaves half a file where the user expects a whole one.
pub async fn export_to_file(
    store: &Store,
    campaign_id: i64,
    format: ExportFormat,
    kind: ExportKind,
    path: &std::path::Path,
) -> Result<ExportStats, AppError> {
    let tmp = path.with_extension("partial");
    let mut file = tokio::fs::File::create(&tmp)
        .await
        .map_err(|e| AppError::Write {
            path: tmp.display().to_string(),
            message: e.to_string(),
        })?;
    let stats = export_to_writer(store, None, campaign_id, format, kind, &mut file).await?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| AppError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(stats)
}

/// The input and enriched column names: every header the export writes itself.
fn our_columns() -> impl Iterator<Item = &'static str> {
    INPUT_COLUMNS.iter().copied().chain(enriched_columns())
}

/// The CSV header of one of the file's own extra columns. A name that is also one of
/// ours (a list with its own `industry` column, say) gets ` (input)` appended: two
/// columns with one name would leave a spreadsheet user unable to tell the file's value
/// from what research found, and tools that key rows by header would drop one of them.
fn extra_header(key: &str) -> String {
    let ours = our_columns().any(|c| c.eq_ignore_ascii_case(key.trim()));
    if ours {
        format!("{key} (input)")
    } else {
        key.to_string()
    }
}

/// The file's header order for the extra keys it had, then any other keys alphabetically
/// (`keys` comes sorted from the store).
fn order_extra_keys(keys: Vec<String>, report: Option<&Value>) -> Vec<String> {
    let headers: Vec<&str> = report
        .and_then(|r| r.get("headers"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut ordered: Vec<String> = headers
        .iter()
        .filter(|h| keys.iter().any(|k| k == *h))
        .map(|h| h.to_string())
        .collect();
    ordered.dedup();
    for k in keys {
        if !ordered.contains(&k) {
            ordered.push(k);
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_columns_named_like_ours_are_marked_as_input() {
        assert_eq!(extra_header("industry"), "industry (input)");
        assert_eq!(extra_header("Overview"), "Overview (input)");
        assert_eq!(extra_header("sector"), "sector");
        let ours: Vec<&str> = our_columns().collect();
        for name in &ours {
            assert!(
                !ours.contains(&extra_header(name).as_str()),
                "{name} still collides"
            );
        }
        let mut sorted = ours.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ours.len(), "column names are unique");
    }

    #[test]
    fn extra_keys_follow_the_file_then_the_alphabet() {
        let report = serde_json::json!({"headers": ["Company", "Region", "Owner"]});
        let keys = vec![
            "Owner".into(),
            "Region".into(),
            "Zeta".into(),
            "alpha".into(),
        ];
        assert_eq!(
            order_extra_keys(keys, Some(&report)),
            ["Region", "Owner", "Zeta", "alpha"]
        );
    }
}
