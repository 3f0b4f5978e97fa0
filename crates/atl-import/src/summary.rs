//! What an import reports: one [`RowIssue`] per problem, and the running [`ImportSummary`].

use crate::caps::preview;
use crate::lost::REEXPORT_ADVICE;
use crate::options::Field;
use serde::Serialize;

/// Issues kept in the summary's lists; the counts go on past it.
pub const MAX_LISTED_ISSUES: usize = 1000;
/// Lines quoted in the one warning about names lost to an encoding step.
const LOST_LINES_QUOTED: usize = 20;

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
    /// The row was imported; a value was set aside (kept in `extra`), cut, or questioned.
    Warning,
}

/// A problem with one row, located so the user can fix it in their editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowIssue {
    /// 1-based physical line where the row starts in the original file.
    pub line: u64,
    pub column: Option<String>,
    /// The offending value, quoted by its first characters only when it is long.
    pub value: Option<String>,
    pub reason: String,
    pub severity: Severity,
}

impl RowIssue {
    pub(crate) fn new(
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        reason: String,
        severity: Severity,
    ) -> Self {
        RowIssue {
            line,
            column: column.map(str::to_string),
            value: value.map(preview),
            reason,
            severity,
        }
    }
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
    /// Rows rejected because their company name was lost to `?`/U+FFFD (counted in
    /// `rejected_count` too, and summed up in one warning).
    pub lost_names: u64,
    /// The first [`MAX_LISTED_ISSUES`] rejections.
    pub rejected: Vec<RowIssue>,
    /// The first [`MAX_LISTED_ISSUES`] warnings.
    pub warnings: Vec<RowIssue>,
    /// Lines of the first lost names, for the closing warning.
    #[serde(skip)]
    lost_lines: Vec<u64>,
    #[serde(skip)]
    lost_column: Option<String>,
    #[serde(skip)]
    closed: bool,
}

impl ImportSummary {
    pub(crate) fn new(
        delimiter: char,
        header_line: u64,
        headers: Vec<String>,
        mapping: Vec<ColumnMapping>,
    ) -> Self {
        ImportSummary {
            encoding: "UTF-8",
            delimiter,
            header_line,
            headers,
            mapping,
            rows_read: 0,
            blank_rows: 0,
            targets: 0,
            duplicates: 0,
            duplicate_rows: Vec::new(),
            rejected_count: 0,
            warning_count: 0,
            lost_names: 0,
            rejected: Vec::new(),
            warnings: Vec::new(),
            lost_lines: Vec::new(),
            lost_column: None,
            closed: false,
        }
    }

    pub(crate) fn record(&mut self, issue: RowIssue) {
        let (count, list) = match issue.severity {
            Severity::Rejected => (&mut self.rejected_count, &mut self.rejected),
            Severity::Warning => (&mut self.warning_count, &mut self.warnings),
        };
        *count += 1;
        if list.len() < MAX_LISTED_ISSUES {
            list.push(issue);
        }
    }

    /// Records the rejection of a row whose company name was lost.
    pub(crate) fn record_lost_name(&mut self, issue: RowIssue) {
        self.lost_names += 1;
        if self.lost_lines.len() < LOST_LINES_QUOTED {
            self.lost_lines.push(issue.line);
        }
        if self.lost_column.is_none() {
            self.lost_column.clone_from(&issue.column);
        }
        self.record(issue);
    }

    /// Adds the closing warnings once the last row is read (idempotent).
    pub(crate) fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        if let Some(&first) = self.lost_lines.first() {
            let n = self.lost_names;
            let more = if n > self.lost_lines.len() as u64 {
                ", …"
            } else {
                ""
            };
            let reason = format!(
                "{n} {} ({} {}{more}) {} not imported: the company name was lost to '?' or \
                 '\u{FFFD}' characters by a step that could not hold its script (a Latin-1 \
                 save, a CRM field that is not Unicode); {REEXPORT_ADVICE}",
                if n == 1 { "row" } else { "rows" },
                if n == 1 { "line" } else { "lines" },
                ranges(&self.lost_lines),
                if n == 1 { "was" } else { "were" },
            );
            let column = self.lost_column.clone();
            self.record(RowIssue::new(
                first,
                column.as_deref(),
                None,
                reason,
                Severity::Warning,
            ));
        }
    }
}

/// `[34, 35, 36, 38]` -> `34–36, 38`.
fn ranges(lines: &[u64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start;
        while i + 1 < lines.len() && lines[i + 1] == end + 1 {
            end += 1;
            i += 1;
        }
        parts.push(if end > start {
            format!("{start}–{end}")
        } else {
            start.to_string()
        });
        i += 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_lists_are_written_as_ranges() {
        let check = |lines: &[u64], expected: &str| assert_eq!(ranges(lines), expected);
        check(&[34, 35, 36, 37, 38], "34–38");
        check(&[2, 4, 5, 9], "2, 4–5, 9");
        check(&[7], "7");
        check(&[], "");
    }

    #[test]
    fn lost_names_close_with_one_warning_that_counts_them() {
        let mut s = ImportSummary::new(',', 1, Vec::new(), Vec::new());
        for line in [34, 35, 36, 37, 38] {
            s.record_lost_name(RowIssue::new(
                line,
                Some("NAME"),
                Some("???"),
                "lost".into(),
                Severity::Rejected,
            ));
        }
        s.close();
        s.close();
        assert_eq!((s.rejected_count, s.lost_names, s.warning_count), (5, 5, 1));
        let w = &s.warnings[0];
        assert_eq!((w.line, w.column.as_deref()), (34, Some("NAME")));
        // The whole closing warning: the count, the lines, the cause and the advice.
        assert_eq!(
            w.reason,
            format!(
                "5 rows (lines 34–38) were not imported: the company name was lost to '?' or \
                 '\u{FFFD}' characters by a step that could not hold its script (a Latin-1 \
                 save, a CRM field that is not Unicode); {REEXPORT_ADVICE}"
            )
        );
        assert!(w.reason.contains("re-export the file as UTF-8"));
    }
}
