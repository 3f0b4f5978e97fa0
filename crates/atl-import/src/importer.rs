//! The streaming importer: one csv record in, one [`RowOutcome`] out.
//!
//! It never copies the text and keeps only the current record, a scratch buffer and the
//! dedup keys seen so far (for first-occurrence line numbers), so memory stays flat
//! however long the file is.

use crate::caps::{CapKind, cap, over, truncate_chars};
use crate::clean::clean_cell;
use crate::controls::{refuse_controls, without_dos_eof};
use crate::decode::ensure_text;
use crate::error::{ImportError, thousands};
use crate::extra::ExtraWriter;
use crate::headers::{Plan, Role, normalise, plan};
use crate::lines::LineCounter;
use crate::locate::{csv_error, csv_reader, locate_header};
use crate::options::{Field, ImportOptions};
use crate::row::{Cells, Rejection, RowState, cap_of_extra};
use crate::sniff::sniff_delimiter;
use crate::summary::{
    ColumnMapping, DuplicateRow, ImportSummary, MAX_LISTED_ISSUES, RowIssue, Severity,
};
use atl_domain::{NewTarget, dedup_key};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// Data rows looked at to decide what a `URL` column holds.
const URL_PEEK_ROWS: usize = 50;
/// Columns named in the warning about a row's extra columns left out.
const DROPPED_NAMED: usize = 10;

/// How the file was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layout {
    pub delimiter: char,
    /// 1-based line of the header in the file (after any preamble).
    pub header_line: u64,
    /// Headers as found (trimmed).
    pub headers: Vec<String>,
    /// Columns that feed target fields, in file order.
    pub mapping: Vec<ColumnMapping>,
    /// Keys the other columns are stored under in `extra` (repeats numbered `Name (2)`).
    pub extra_headers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    Target(NewTarget),
    /// Same dedup key as an earlier row: still carries the row so the caller can merge
    /// blank fields (see [`crate::merge_duplicate`]).
    Duplicate {
        target: NewTarget,
        first_line: u64,
    },
    Rejected(RowIssue),
}

/// Streaming importer over decoded text. See the crate docs.
pub struct Importer<'a> {
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    lines: LineCounter<'a>,
    plan: Plan,
    layout: Layout,
    summary: ImportSummary,
    /// Dedup key -> line of its first occurrence.
    seen: HashMap<String, u64>,
    max_targets: usize,
    /// Reused for every row's `extra` before it is copied out at its exact size.
    scratch: String,
    done: bool,
}

impl<'a> Importer<'a> {
    /// Sniffs the delimiter, finds the header line and maps the headers.
    pub fn new(text: &'a str, options: &ImportOptions) -> Result<Self, ImportError> {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        if text.len() as u64 > options.max_bytes {
            return Err(ImportError::TooLarge {
                limit_bytes: options.max_bytes,
            });
        }
        if text.trim().is_empty() {
            return Err(ImportError::Empty);
        }
        let text = without_dos_eof(text);
        ensure_text(text)?;
        let delimiter = sniff_delimiter(text);
        refuse_controls(text, delimiter, &options.column_map)?;
        let location = locate_header(text, delimiter, &options.column_map)?;

        let mut reader = csv_reader(text, delimiter);
        let mut record = csv::StringRecord::new();
        for _ in 0..=location.records_before {
            reader.read_record(&mut record).map_err(|e| csv_error(&e))?;
        }
        let linkedin_urls =
            linkedin_url_columns(text, delimiter, &location.headers, location.records_before)?;
        let plan = plan(&location.headers, &options.column_map, &|i| {
            linkedin_urls.contains(&i)
        })?;
        if plan.column_of(Field::CompanyName).is_none() {
            return Err(ImportError::NoCompanyColumn {
                headers: location.headers,
            });
        }

        let mut lines = LineCounter::new(text);
        let header_line = lines.record_line(location.position);
        let layout = Layout {
            delimiter: char::from(delimiter),
            header_line,
            mapping: plan
                .columns
                .iter()
                .filter_map(|c| match c.role {
                    Role::Field(field) => Some(ColumnMapping {
                        header: c.header.clone(),
                        field,
                    }),
                    Role::Extra => None,
                })
                .collect(),
            extra_headers: plan
                .columns
                .iter()
                .filter(|c| c.role == Role::Extra)
                .map(|c| c.key.clone())
                .collect(),
            headers: location.headers,
        };
        let mut summary = ImportSummary::new(
            layout.delimiter,
            header_line,
            layout.headers.clone(),
            layout.mapping.clone(),
        );
        let header_cap = cap(CapKind::Header);
        for &(i, len) in &location.cut {
            summary.record(RowIssue::new(
                header_line,
                layout.headers.get(i).map(String::as_str),
                None,
                format!(
                    "the {} is {} characters long, over the {}-character limit; cut to {}",
                    header_cap.what,
                    thousands(len as u64),
                    thousands(header_cap.limit as u64),
                    thousands(header_cap.limit as u64)
                ),
                Severity::Warning,
            ));
        }
        Ok(Importer {
            reader,
            record,
            lines,
            plan,
            layout,
            summary,
            seen: HashMap::new(),
            max_targets: options.max_targets,
            scratch: String::new(),
            done: false,
        })
    }

    /// Names the encoding the text was decoded from, for the summary (the importer only
    /// sees text; [`crate::decode`] knows the encoding).
    pub fn with_encoding(mut self, encoding: &'static str) -> Self {
        self.summary.encoding = encoding;
        self
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The tally so far; complete once the iterator has returned `None`.
    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    /// The summary, closed (as it is once the iterator has ended).
    pub fn finish(mut self) -> ImportSummary {
        self.summary.close();
        self.summary
    }

    /// Turns the current record into an outcome.
    fn process(&mut self, line: u64) -> Result<RowOutcome, ImportError> {
        let mut row = RowState::default();
        let fields = match self.fields(line, &mut row) {
            Ok(fields) => fields,
            Err(rejection) => return Ok(self.reject(rejection)),
        };
        let Some(key) = dedup_key(
            &fields.company_name,
            fields.contact_email.as_deref(),
            fields.contact_name.as_deref(),
        ) else {
            // The company check rejects every name without letters first; this keeps a
            // keyless row out of the store even if that check changes.
            let column = self
                .plan
                .column_of(Field::CompanyName)
                .map(|c| c.header.as_str());
            let issue = RowIssue::new(
                line,
                column,
                Some(&fields.company_name),
                "the company name has no letters or digits".to_string(),
                Severity::Rejected,
            );
            return Ok(self.reject(issue.into()));
        };
        let extra = self.write_extra(line, &mut row);
        let target = NewTarget {
            row_number: line,
            extra,
            dedup_key: key,
            ..fields
        };
        for w in row.warnings {
            self.summary.record(w);
        }

        if let Some(&first_line) = self.seen.get(&target.dedup_key) {
            self.summary.duplicates += 1;
            if self.summary.duplicate_rows.len() < MAX_LISTED_ISSUES {
                self.summary.duplicate_rows.push(DuplicateRow {
                    line,
                    merged_into_line: first_line,
                    company_name: target.company_name.clone(),
                });
            }
            return Ok(RowOutcome::Duplicate { target, first_line });
        }
        if self.seen.len() >= self.max_targets {
            return Err(ImportError::TooManyTargets {
                limit: self.max_targets,
                line,
            });
        }
        self.seen.insert(target.dedup_key.clone(), line);
        self.summary.targets += 1;
        Ok(RowOutcome::Target(target))
    }

    /// The row's target fields (without `extra` and key), or why it is rejected.
    fn fields(&self, line: u64, row: &mut RowState) -> Result<NewTarget, Rejection> {
        let cells = Cells {
            record: &self.record,
            plan: &self.plan,
            line,
        };
        let company_name = cells.company(row)?;
        let contact_name = cells.contact_name(row)?;
        let contact_email = cells.email(row)?;
        let linkedin_url = cells.linkedin(row)?;
        let (website, website_domain) = cells.website(row)?;
        let domain = cells.domain(row)?.or(website_domain);
        let contact_title = cells.title(row)?;
        cells.ragged(row);
        Ok(NewTarget {
            row_number: line,
            company_name,
            contact_name,
            contact_email,
            contact_title,
            linkedin_url,
            website,
            domain,
            extra: String::new(),
            dedup_key: String::new(),
        })
    }

    fn reject(&mut self, rejection: Rejection) -> RowOutcome {
        if rejection.lost_name {
            self.summary.record_lost_name(rejection.issue.clone());
        } else {
            self.summary.record(rejection.issue.clone());
        }
        RowOutcome::Rejected(rejection.issue)
    }

    /// The row's `extra` JSON: unmapped columns, values set aside by validation, and
    /// fields beyond the header (`_extra_N`), in file order, empty values skipped; then
    /// the values the row moved (a second person). Each value is cut to its cap and the
    /// whole object kept under its own, with warnings (see [`crate::caps`]).
    fn write_extra(&mut self, line: u64, row: &mut RowState) -> String {
        let value_limit = cap_of_extra();
        let json_cap = cap(CapKind::ExtraJson);
        let mut writer = ExtraWriter::new(std::mem::take(&mut self.scratch));
        let mut dropped: Vec<Cow<'_, str>> = Vec::new();
        let header = |i: usize| self.plan.columns.get(i).map(|c| c.header.as_str());
        // A copy, so warnings can be pushed while it is read; most rows set nothing aside.
        let columns_set_aside = row.set_aside;
        let any_set_aside = columns_set_aside.iter().any(Option::is_some);
        let set_aside = |i: usize| any_set_aside && columns_set_aside.contains(&Some(i));
        for (i, raw) in self.record.iter().enumerate() {
            let value = clean_cell(raw);
            if value.is_empty() {
                continue;
            }
            let key: Cow<'_, str> = match self.plan.columns.get(i) {
                Some(column) if column.role == Role::Extra || set_aside(i) => {
                    Cow::Borrowed(&column.key)
                }
                Some(_) => continue,
                None => Cow::Owned(format!("_extra_{}", i + 1 - self.plan.columns.len())),
            };
            let value = match over(&value, value_limit) {
                None => &*value,
                Some(len) => {
                    // A value set aside for its length already has its warning.
                    if !set_aside(i) {
                        row.warnings.push(RowIssue::new(
                            line,
                            header(i).or(Some(&key)),
                            Some(&value),
                            format!(
                                "the value is {} characters long, over the {}-character \
                                 limit; cut to {}",
                                thousands(len as u64),
                                thousands(value_limit as u64),
                                thousands(value_limit as u64)
                            ),
                            Severity::Warning,
                        ));
                    }
                    truncate_chars(&value, value_limit)
                }
            };
            if !writer.push_within(&key, value, json_cap.limit) {
                dropped.push(key);
            }
        }
        for (key, value) in &row.moved {
            if !writer.push_within(key, value, json_cap.limit) {
                dropped.push(Cow::Borrowed(key));
            }
        }
        if !dropped.is_empty() {
            let named: Vec<String> = dropped
                .iter()
                .take(DROPPED_NAMED)
                .map(|k| format!("\"{}\"", truncate_chars(k, 40)))
                .collect();
            let more = dropped.len().saturating_sub(DROPPED_NAMED);
            row.warnings.push(RowIssue::new(
                line,
                None,
                None,
                format!(
                    "the row's other columns would take more than {} KB; {} left out: {}{}",
                    json_cap.limit / 1024,
                    if dropped.len() == 1 {
                        "this one is"
                    } else {
                        "these are"
                    },
                    named.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
                Severity::Warning,
            ));
        }
        let scratch = writer.finish();
        // Copy out at the exact size: the scratch buffer's capacity is reused, and targets
        // collected by a caller hold no slack.
        let extra = scratch.as_str().to_owned();
        self.scratch = scratch;
        extra
    }
}

/// Indexes of `URL` columns whose first non-empty values are mostly LinkedIn links.
fn linkedin_url_columns(
    text: &str,
    delimiter: u8,
    headers: &[String],
    records_before: usize,
) -> Result<Vec<usize>, ImportError> {
    let url_columns: Vec<usize> = (0..headers.len())
        .filter(|&i| normalise(&headers[i]) == "url")
        .collect();
    if url_columns.is_empty() {
        return Ok(Vec::new());
    }
    let mut reader = csv_reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    for _ in 0..=records_before {
        reader.read_record(&mut record).map_err(|e| csv_error(&e))?;
    }
    let mut tally = vec![(0usize, 0usize); url_columns.len()];
    for _ in 0..URL_PEEK_ROWS {
        if !reader.read_record(&mut record).map_err(|e| csv_error(&e))? {
            break;
        }
        for (slot, &i) in url_columns.iter().enumerate() {
            let v = record.get(i).map(str::trim).unwrap_or("");
            if !v.is_empty() {
                tally[slot].0 += 1;
                if v.to_ascii_lowercase().contains("linkedin.com/") {
                    tally[slot].1 += 1;
                }
            }
        }
    }
    Ok(url_columns
        .into_iter()
        .zip(tally)
        .filter(|&(_, (values, linkedin))| linkedin > 0 && linkedin * 2 >= values)
        .map(|(i, _)| i)
        .collect())
}

impl Iterator for Importer<'_> {
    type Item = Result<RowOutcome, ImportError>;

    /// A fatal error (too many targets, unreadable CSV) is yielded once; then `None`.
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    self.summary.close();
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(csv_error(&e)));
                }
            }
            let position = self.record.position().map_or(u64::MAX, csv::Position::byte);
            let line = self.lines.record_line(position);
            if self.record.iter().all(|f| clean_cell(f).is_empty()) {
                self.summary.blank_rows += 1;
                continue;
            }
            self.summary.rows_read += 1;
            let outcome = self.process(line);
            if outcome.is_err() {
                self.done = true;
            }
            return Some(outcome);
        }
    }
}
