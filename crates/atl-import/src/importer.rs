//! The streaming importer: one csv record in, one [`RowOutcome`] out.
//!
//! It never copies the text and keeps only the current record, a scratch buffer and the
//! dedup keys seen so far (for first-occurrence line numbers), so memory stays flat
//! however long the file is.

use crate::clean::{
    clean_cell, is_valid_email, normalise_domain, normalise_linkedin, normalise_website,
};
use crate::decode::ensure_text;
use crate::error::ImportError;
use crate::extra::ExtraWriter;
use crate::headers::{Plan, Role, normalise, plan};
use crate::lines::LineCounter;
use crate::locate::{csv_error, csv_reader, locate_header};
use crate::options::{Field, ImportOptions};
use crate::sniff::sniff_delimiter;
use atl_domain::{NewTarget, dedup_key};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// Issues kept in the summary's lists; the counts go on past it.
pub const MAX_LISTED_ISSUES: usize = 1000;
/// Data rows looked at to decide what a `URL` column holds.
const URL_PEEK_ROWS: usize = 50;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnMapping {
    pub header: String,
    pub field: Field,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The row was not imported.
    Rejected,
    /// The row was imported; one value was set aside (kept in `extra`).
    Warning,
}

/// A problem with one row, located so the user can fix it in their editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowIssue {
    /// 1-based physical line where the row starts in the original file.
    pub line: u64,
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason: String,
    pub severity: Severity,
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

/// A row merged into an earlier one with the same dedup key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateRow {
    /// 1-based physical line of the duplicate.
    pub line: u64,
    /// Line of the first row with the same key, which absorbed this one's extra fields.
    pub merged_into_line: u64,
    pub company_name: String,
}

/// A running tally of the import; complete once the iterator has ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub encoding: &'static str,
    pub delimiter: char,
    pub header_line: u64,
    pub headers: Vec<String>,
    pub mapping: Vec<ColumnMapping>,
    /// Data rows read (blank rows excluded).
    pub rows_read: u64,
    /// Rows with nothing (or only `NULL`) in every cell, skipped silently: Excel leaves
    /// `,,,,` rows behind.
    pub blank_rows: u64,
    /// Unique targets accepted.
    pub targets: u64,
    pub duplicates: u64,
    /// The first [`MAX_LISTED_ISSUES`] duplicate rows and the row each was merged into.
    pub duplicate_rows: Vec<DuplicateRow>,
    pub rejected_count: u64,
    pub warning_count: u64,
    /// The first [`MAX_LISTED_ISSUES`] rejections.
    pub rejected: Vec<RowIssue>,
    /// The first [`MAX_LISTED_ISSUES`] warnings.
    pub warnings: Vec<RowIssue>,
}

impl ImportSummary {
    fn record(&mut self, issue: RowIssue) {
        let (count, list) = match issue.severity {
            Severity::Rejected => (&mut self.rejected_count, &mut self.rejected),
            Severity::Warning => (&mut self.warning_count, &mut self.warnings),
        };
        *count += 1;
        if list.len() < MAX_LISTED_ISSUES {
            list.push(issue);
        }
    }
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
        ensure_text(text)?;
        let delimiter = sniff_delimiter(text);
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
        let summary = ImportSummary {
            encoding: "UTF-8",
            delimiter: layout.delimiter,
            header_line,
            headers: layout.headers.clone(),
            mapping: layout.mapping.clone(),
            rows_read: 0,
            blank_rows: 0,
            targets: 0,
            duplicates: 0,
            duplicate_rows: Vec::new(),
            rejected_count: 0,
            warning_count: 0,
            rejected: Vec::new(),
            warnings: Vec::new(),
        };
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

    pub fn finish(self) -> ImportSummary {
        self.summary
    }

    /// Turns the current record into an outcome.
    fn process(&mut self, line: u64) -> Result<RowOutcome, ImportError> {
        let record = &self.record;
        let plan = &self.plan;
        let value = |field: Field| -> Option<(Cow<'_, str>, usize)> {
            let i = plan.field_columns[field.index()]?;
            let v = clean_cell(record.get(i)?);
            (!v.is_empty()).then_some((v, i))
        };

        let Some((company, _)) = value(Field::CompanyName) else {
            let issue = RowIssue {
                line,
                column: plan.column_of(Field::CompanyName).map(|c| c.header.clone()),
                value: None,
                reason: "the company name is empty".to_string(),
                severity: Severity::Rejected,
            };
            self.summary.record(issue.clone());
            return Ok(RowOutcome::Rejected(issue));
        };

        let mut warnings: Vec<RowIssue> = Vec::new();
        // Columns whose value failed validation: kept in `extra` under their header.
        let mut set_aside: [Option<usize>; 4] = [None; 4];
        let mut invalid = |i: usize, raw: &str, reason: &str, slot: usize| {
            set_aside[slot] = Some(i);
            warnings.push(RowIssue {
                line,
                column: plan.columns.get(i).map(|c| c.header.clone()),
                value: Some(raw.to_string()),
                reason: reason.to_string(),
                severity: Severity::Warning,
            });
        };

        let contact_name = match value(Field::ContactName) {
            Some((name, _)) => Some(name.into_owned()),
            None => join_name(
                value(Field::FirstName).map(|v| v.0),
                value(Field::LastName).map(|v| v.0),
            ),
        };
        let contact_email = value(Field::ContactEmail).and_then(|(v, i)| {
            if is_valid_email(&v) {
                Some(v.into_owned())
            } else {
                invalid(i, &v, "not a valid e-mail address; kept in extra", 0);
                None
            }
        });
        let linkedin_url = value(Field::LinkedinUrl).and_then(|(v, i)| {
            let url = normalise_linkedin(&v);
            if url.is_none() {
                invalid(
                    i,
                    &v,
                    "not a LinkedIn profile URL (linkedin.com/in/… or /company/…); kept in extra",
                    1,
                );
            }
            url
        });
        let (website, website_domain) = match value(Field::Website) {
            Some((v, i)) => match normalise_website(&v) {
                Some((url, domain)) => (Some(url), Some(domain)),
                None => {
                    invalid(i, &v, "not a website address; kept in extra", 2);
                    (None, None)
                }
            },
            None => (None, None),
        };
        let domain = match value(Field::Domain) {
            Some((v, i)) => {
                let d = normalise_domain(&v);
                if d.is_none() {
                    invalid(i, &v, "not a domain name; kept in extra", 3);
                }
                d.or(website_domain)
            }
            None => website_domain,
        };

        let columns = plan.columns.len();
        if record.len() != columns {
            warnings.push(RowIssue {
                line,
                column: None,
                value: None,
                reason: format!(
                    "the row has {} fields but the header has {columns}; {}",
                    record.len(),
                    if record.len() > columns {
                        "the extra fields are kept in extra as _extra_1, _extra_2, …"
                    } else {
                        "the missing ones are empty"
                    }
                ),
                severity: Severity::Warning,
            });
        }

        let company = company.into_owned();
        let contact_title = value(Field::ContactTitle).map(|v| v.0.into_owned());
        let extra = self.write_extra(&set_aside);
        let key = dedup_key(&company, contact_email.as_deref(), contact_name.as_deref());
        let target = NewTarget {
            row_number: line,
            company_name: company,
            contact_name,
            contact_email,
            contact_title,
            linkedin_url,
            website,
            domain,
            extra,
            dedup_key: String::new(),
        };
        for w in warnings {
            self.summary.record(w);
        }

        if let Some(&first_line) = self.seen.get(&key) {
            self.summary.duplicates += 1;
            if self.summary.duplicate_rows.len() < MAX_LISTED_ISSUES {
                self.summary.duplicate_rows.push(DuplicateRow {
                    line,
                    merged_into_line: first_line,
                    company_name: target.company_name.clone(),
                });
            }
            return Ok(RowOutcome::Duplicate {
                target: NewTarget {
                    dedup_key: key,
                    ..target
                },
                first_line,
            });
        }
        if self.seen.len() >= self.max_targets {
            return Err(ImportError::TooManyTargets {
                limit: self.max_targets,
                line,
            });
        }
        self.seen.insert(key.clone(), line);
        self.summary.targets += 1;
        Ok(RowOutcome::Target(NewTarget {
            dedup_key: key,
            ..target
        }))
    }

    /// The row's `extra` JSON: unmapped columns, values set aside by validation, and
    /// fields beyond the header (`_extra_N`), in file order, empty values skipped.
    fn write_extra(&mut self, set_aside: &[Option<usize>]) -> String {
        let mut writer = ExtraWriter::new(std::mem::take(&mut self.scratch));
        for (i, raw) in self.record.iter().enumerate() {
            let value = clean_cell(raw);
            if value.is_empty() {
                continue;
            }
            match self.plan.columns.get(i) {
                Some(column) if column.role == Role::Extra || set_aside.contains(&Some(i)) => {
                    writer.push(&column.key, &value);
                }
                Some(_) => {}
                None => {
                    let key = format!("_extra_{}", i + 1 - self.plan.columns.len());
                    writer.push(&key, &value);
                }
            }
        }
        let scratch = writer.finish();
        // Copy out at the exact size: the scratch buffer's capacity is reused, and targets
        // collected by a caller hold no slack.
        let extra = scratch.as_str().to_owned();
        self.scratch = scratch;
        extra
    }
}

fn join_name(first: Option<Cow<'_, str>>, last: Option<Cow<'_, str>>) -> Option<String> {
    match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(one), None) | (None, Some(one)) => Some(one.into_owned()),
        (None, None) => None,
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
