//! A campaign → CSV or JSONL, one row per target, streamed: `atl export`, `atl enrich --out`
//! and `GET /campaigns/{id}/export` all use [`Exporter`].
//!
//! Targets are read [`PAGE`] at a time in file order (keyset pages), with the results and
//! failed jobs of each page fetched in one query each, and every page is turned into bytes
//! before the next is read: memory stays at one page whatever the campaign's size.
//!
//! Columns: the input columns (company, contact, e-mail, title, LinkedIn, website, domain),
//! then the file's other columns (`extra`, in the file's header order, then any others
//! alphabetically), then the enriched fields. JSONL rows carry the same fields with their
//! JSON types, and the other columns under `"extra"` so they cannot collide with ours.
//!
//! CSV cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//! tab or CR) are prefixed with `'` ([`sanitize_cell`], OWASP "CSV injection").

use atl_domain::SubAgentKind;
use atl_store::{Campaign, JobFailure, Store, StoredResult, Target, TargetCursor, nano_to_usd};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::HashMap;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::AppError;

/// Targets per page read from the store.
pub const PAGE: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
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

/// The input columns, in order (CSV header names and JSONL keys).
pub const INPUT_COLUMNS: [&str; 8] = [
    "row_number",
    "company",
    "contact",
    "email",
    "title",
    "linkedin",
    "website",
    "domain",
];

/// The enriched columns, in order.
pub const ENRICHED_COLUMNS: [&str; 28] = [
    "overview",
    "industry",
    "headquarters",
    "employee_range",
    "market_position",
    "recent_news",
    "competitors",
    "positioning",
    "differentiation_opportunities",
    "contact_name",
    "contact_title",
    "contact_seniority",
    "contact_email",
    "contact_email_status",
    "contact_phone",
    "contact_linkedin",
    "executives",
    "script",
    "audio_path",
    "research_confidence",
    "intel_confidence",
    "enrichment_confidence",
    "voice_confidence",
    "cost_usd",
    "status",
    "failed_sub_agents",
    "errors",
    // true when any of the row's results was made through the sandbox (invented data),
    // false when all came from real providers, empty when nothing was found yet.
    "synthetic",
];

/// Prefixes `'` to a cell a spreadsheet would evaluate (OWASP CSV injection): one that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return.
pub fn sanitize_cell(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
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
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl Exporter {
    /// Prepares an export of `campaign_id`; `Some(team)` makes another team's campaign
    /// [`AppError::CampaignNotFound`]. Fails before any byte is produced, so a caller can
    /// still answer with an error status.
    pub async fn new(
        store: &Store,
        team_id: Option<i64>,
        campaign_id: i64,
        format: ExportFormat,
    ) -> Result<Exporter, AppError> {
        let campaign = store
            .get_campaign(team_id, campaign_id)
            .await?
            .ok_or(AppError::CampaignNotFound(campaign_id))?;
        let keys = store.extra_keys(campaign_id).await?;
        let extra_keys = order_extra_keys(keys, campaign.import_report.as_ref());
        Ok(Exporter {
            store: store.clone(),
            campaign,
            format,
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

    /// The CSV header (or, for JSONL, the keys of each object), in order.
    pub fn columns(&self) -> Vec<String> {
        INPUT_COLUMNS
            .iter()
            .map(|c| c.to_string())
            .chain(self.extra_keys.iter().map(|k| extra_header(k)))
            .chain(ENRICHED_COLUMNS.iter().map(|c| c.to_string()))
            .collect()
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
                let header = self.columns();
                // Extra columns are named after the uploaded file's own headers, which a
                // hostile file can make formulas just like its cells.
                write_csv_record(&mut out, header.iter().map(|h| sanitize_cell(h)));
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
        let ids: Vec<i64> = page.iter().map(|t| t.id).collect();
        let mut results: HashMap<i64, Vec<StoredResult>> = HashMap::new();
        for r in self.store.results_for_targets(&ids).await? {
            results.entry(r.target_id).or_default().push(r);
        }
        let mut failures: HashMap<i64, Vec<JobFailure>> = HashMap::new();
        for f in self.store.failed_jobs_for_targets(&ids).await? {
            failures.entry(f.target_id).or_default().push(f);
        }
        for target in &page {
            let row = build_row(
                target,
                results.get(&target.id).map(Vec::as_slice).unwrap_or(&[]),
                failures.get(&target.id).map(Vec::as_slice).unwrap_or(&[]),
            );
            match self.format {
                ExportFormat::Csv => self.write_csv_row(&mut out, target, &row),
                ExportFormat::Jsonl => self.write_json_row(&mut out, target, &row),
            }
            self.rows += 1;
        }
        if out.is_empty() && self.finished {
            return Ok(None);
        }
        Ok(Some(out))
    }

    fn write_csv_row(&self, out: &mut Vec<u8>, target: &Target, row: &Row) {
        let extra = self
            .extra_keys
            .iter()
            .map(|k| target.extra.get(k).map(cell_text).unwrap_or_default());
        let cells = row
            .input
            .iter()
            .map(cell_text)
            .chain(extra)
            .chain(row.enriched.iter().map(cell_text));
        let cells: Vec<String> = cells.collect();
        write_csv_record(out, cells.iter().map(|c| sanitize_cell(c)));
    }

    fn write_json_row(&self, out: &mut Vec<u8>, target: &Target, row: &Row) {
        let mut obj = Map::new();
        for (k, v) in INPUT_COLUMNS.iter().zip(&row.input) {
            obj.insert((*k).to_string(), v.clone());
        }
        obj.insert("extra".into(), target.extra.clone());
        for (k, v) in ENRICHED_COLUMNS.iter().zip(&row.enriched) {
            obj.insert((*k).to_string(), v.clone());
        }
        // Serialising a Map of Values cannot fail; an empty line would still be valid JSONL.
        if serde_json::to_writer(&mut *out, &Value::Object(obj)).is_ok() {
            out.push(b'\n');
        }
    }
}

/// Writes the whole export to `writer` (the CLI's file or stdout).
pub async fn export_to_writer<W: AsyncWrite + Unpin>(
    store: &Store,
    team_id: Option<i64>,
    campaign_id: i64,
    format: ExportFormat,
    writer: &mut W,
) -> Result<ExportStats, AppError> {
    let mut exporter = Exporter::new(store, team_id, campaign_id, format).await?;
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

/// The file's header order for the extra keys it had, then any other keys alphabetically
/// (`keys` comes sorted from the store).
/// The CSV header of one of the file's own extra columns. A name that is also one of
/// ours (a list with its own `industry` column, say) gets ` (input)` appended: two
/// columns with one name would leave a spreadsheet user unable to tell the file's value
/// from what research found, and tools that key rows by header would drop one of them.
fn extra_header(key: &str) -> String {
    let ours = INPUT_COLUMNS
        .iter()
        .chain(ENRICHED_COLUMNS.iter())
        .any(|c| c.eq_ignore_ascii_case(key.trim()));
    if ours {
        format!("{key} (input)")
    } else {
        key.to_string()
    }
}

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

struct Row {
    input: Vec<Value>,
    enriched: Vec<Value>,
}

fn build_row(target: &Target, results: &[StoredResult], failures: &[JobFailure]) -> Row {
    let opt = |s: &Option<String>| s.as_ref().map_or(Value::Null, |s| json!(s));
    let input = vec![
        json!(target.row_number),
        json!(target.company_name),
        opt(&target.contact_name),
        opt(&target.contact_email),
        opt(&target.contact_title),
        opt(&target.linkedin_url),
        opt(&target.website),
        opt(&target.domain),
    ];
    let of = |kind: SubAgentKind| results.iter().find(|r| r.kind == kind);
    let data = |kind: SubAgentKind| of(kind).map_or(&Value::Null, |r| &r.data);
    let research = data(SubAgentKind::Research);
    let intel = data(SubAgentKind::Intel);
    let enrichment = data(SubAgentKind::Enrichment);
    let voice = data(SubAgentKind::Voice);
    let contact = &enrichment["contact"];
    let confidence = |kind: SubAgentKind| {
        of(kind)
            .and_then(|r| r.confidence)
            // Two decimals: the score is a coarse evidence measure, and 0.8799999999999999
            // in a spreadsheet reads as false precision.
            .map_or(Value::Null, |c| json!((c * 100.0).round() / 100.0))
    };
    let failed: Vec<&str> = target
        .failed_sub_agents
        .iter()
        .flatten()
        .map(|m| m.sub_agent.as_str())
        .collect();
    let errors: Vec<String> = failures
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                f.kind,
                f.last_error.as_deref().unwrap_or("failed")
            )
        })
        .collect();
    let enriched = vec![
        research["overview"].clone(),
        research["industry"]
            .as_str()
            .map(|s| json!(s))
            .unwrap_or_else(|| enrichment["organization"]["industry"].clone()),
        research["headquarters"].clone(),
        research["employee_range"].clone(),
        research["market_position"].clone(),
        list_of(&research["recent_news"], "title"),
        list_of(&intel["competitors"], "name"),
        intel["positioning"].clone(),
        intel["differentiation_opportunities"].clone(),
        contact["name"].clone(),
        contact["title"].clone(),
        contact["seniority"].clone(),
        contact["email"].clone(),
        contact["email_status"].clone(),
        contact["phone"].clone(),
        contact["linkedin_url"].clone(),
        executives_text(&enrichment["executives"]),
        script_text(voice),
        voice["audio_path"].clone(),
        confidence(SubAgentKind::Research),
        confidence(SubAgentKind::Intel),
        confidence(SubAgentKind::Enrichment),
        confidence(SubAgentKind::Voice),
        json!(nano_to_usd(target.cost_nano_usd)),
        json!(target.enrichment_status.as_str()),
        if failed.is_empty() {
            Value::Null
        } else {
            json!(failed)
        },
        if errors.is_empty() {
            Value::Null
        } else {
            json!(errors)
        },
        if results.is_empty() {
            Value::Null
        } else {
            json!(results.iter().any(|r| r.synthetic))
        },
    ];
    debug_assert_eq!(enriched.len(), ENRICHED_COLUMNS.len());
    Row { input, enriched }
}

/// `[{"name": "A"}, {"name": "B"}]` → `["A", "B"]` (items without the field are skipped).
fn list_of(items: &Value, field: &str) -> Value {
    match items.as_array() {
        Some(a) => Value::Array(
            a.iter()
                .filter_map(|i| i.get(field).and_then(Value::as_str).map(|s| json!(s)))
                .collect(),
        ),
        None => Value::Null,
    }
}

/// Executives as one compact line each: `Name (Title, seniority, email)`.
fn executives_text(execs: &Value) -> Value {
    let Some(list) = execs.as_array() else {
        return Value::Null;
    };
    let lines: Vec<Value> = list
        .iter()
        .filter_map(|e| {
            let name = e.get("name").and_then(Value::as_str)?;
            let details: Vec<&str> = ["title", "seniority", "email"]
                .iter()
                .filter_map(|k| e.get(*k).and_then(Value::as_str))
                .filter(|s| !s.is_empty())
                .collect();
            Some(if details.is_empty() {
                json!(name)
            } else {
                json!(format!("{name} ({})", details.join(", ")))
            })
        })
        .collect();
    Value::Array(lines)
}

/// What is spoken (`text`), or the script's parts joined when the text is missing.
fn script_text(voice: &Value) -> Value {
    if let Some(t) = voice.get("text").and_then(Value::as_str) {
        return json!(t);
    }
    let script = &voice["script"];
    if script.is_null() {
        return Value::Null;
    }
    let mut parts: Vec<String> = Vec::new();
    for k in ["opener", "reason"] {
        if let Some(s) = script[k].as_str() {
            parts.push(s.to_string());
        }
    }
    if let Some(qs) = script["questions"].as_array() {
        parts.extend(qs.iter().filter_map(Value::as_str).map(str::to_string));
    }
    if let Some(s) = script["close"].as_str() {
        parts.push(s.to_string());
    }
    json!(parts.join(" "))
}

/// A JSON value as CSV text: strings as they are, lists joined with `; `, null empty,
/// anything else as compact JSON.
fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(_) => v.to_string(),
    }
}

/// One RFC 4180 record: fields quoted when they hold a delimiter, quote or line break.
fn write_csv_record<'a>(out: &mut Vec<u8>, cells: impl Iterator<Item = Cow<'a, str>>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            out.push(b'"');
            for b in cell.bytes() {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(cell.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_prefixed_and_others_kept() {
        for bad in ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"] {
            assert_eq!(sanitize_cell(bad), format!("'{bad}"));
        }
        for ok in ["Acme", "", "1-2", " =x", "'=x"] {
            assert_eq!(sanitize_cell(ok), ok);
        }
    }

    #[test]
    fn records_are_quoted_only_when_needed() {
        let mut out = Vec::new();
        write_csv_record(
            &mut out,
            ["a", "b,c", "say \"hi\"", "two\nlines"]
                .into_iter()
                .map(Cow::Borrowed),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn extra_columns_named_like_ours_are_marked_as_input() {
        assert_eq!(extra_header("industry"), "industry (input)");
        assert_eq!(extra_header("Overview"), "Overview (input)");
        assert_eq!(extra_header("sector"), "sector");
        let ours: Vec<&str> = INPUT_COLUMNS
            .iter()
            .chain(ENRICHED_COLUMNS.iter())
            .copied()
            .collect();
        for name in &ours {
            assert!(
                !ours.contains(&extra_header(name).as_str()),
                "{name} still collides"
            );
        }
    }

    #[test]
    fn extra_keys_follow_the_file_then_the_alphabet() {
        let report = json!({"headers": ["Company", "Region", "Owner"]});
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

    #[test]
    fn executives_and_scripts_become_compact_text() {
        let execs = json!([{"name": "Ann", "title": "CEO", "seniority": "c_suite"}, {"title": "x"}, {"name": "Bo"}]);
        assert_eq!(
            cell_text(&executives_text(&execs)),
            "Ann (CEO, c_suite); Bo"
        );
        let voice =
            json!({"script": {"opener": "Hi.", "questions": ["Q1?", "Q2?"], "close": "Bye."}});
        assert_eq!(script_text(&voice), json!("Hi. Q1? Q2? Bye."));
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever the text, a sanitised cell never starts with a formula trigger, and
            /// removing the added quote gives the text back.
            #[test]
            fn sanitised_cells_never_start_a_formula(s in "\\PC*|[=+\\-@\t\r].*") {
                let out = sanitize_cell(&s);
                let first = out.as_bytes().first().copied();
                prop_assert!(!matches!(first, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')));
                let back = if out.len() == s.len() { out.to_string() } else { out[1..].to_string() };
                prop_assert_eq!(back, s);
            }

            /// A record written here reads back, field for field, with the csv crate. (The
            /// first cell is fixed: readers drop a BOM at the start of a file, and an export
            /// always starts with the `row_number` header.)
            #[test]
            fn records_round_trip_through_a_csv_reader(mut cells in proptest::collection::vec("[^\u{0}]{0,12}", 1..6)) {
                cells.insert(0, "row_number".to_string());
                let mut out = Vec::new();
                write_csv_record(&mut out, cells.iter().map(|c| Cow::Borrowed(c.as_str())));
                let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(out.as_slice());
                let record = reader.records().next().unwrap().unwrap();
                let got: Vec<String> = record.iter().map(str::to_string).collect();
                prop_assert_eq!(got, cells);
            }
        }
    }
}
