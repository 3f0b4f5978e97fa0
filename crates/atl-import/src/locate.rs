//! Finding the header line. LinkedIn's Connections.csv starts with a `Notes:` paragraph
//! and blank lines, report exports start with a title: the header is the first of the
//! first [`HEADER_SEARCH_RECORDS`] records that has a company column, else the first
//! non-blank record (and the caller then says which company column is missing).

use crate::caps::{CapKind, cap, over, truncate_chars};
use crate::error::ImportError;
use crate::headers::has_company_column;
use crate::options::Field;

/// Records (not physical lines: a quoted preamble may span several) searched for a header.
const HEADER_SEARCH_RECORDS: usize = 30;

/// A reader configured the way every part of the importer reads: the sniffed delimiter,
/// no header handling by csv (we locate it ourselves), ragged rows allowed.
pub(crate) fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// Where the header is.
pub(crate) struct HeaderLocation {
    /// How many csv records precede it (the preamble).
    pub records_before: usize,
    /// The csv position of the header record (see [`crate::lines::LineCounter`]).
    pub position: u64,
    /// Header names, trimmed (and without a stray BOM character), cut to the header cap.
    pub headers: Vec<String>,
    /// Headers cut to the cap: (index, original length in characters).
    pub cut: Vec<(usize, usize)>,
}

pub(crate) fn locate_header(
    text: &str,
    delimiter: u8,
    user_map: &[(String, Field)],
) -> Result<HeaderLocation, ImportError> {
    let mut reader = csv_reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    let mut first_non_blank: Option<HeaderLocation> = None;
    for ordinal in 0..HEADER_SEARCH_RECORDS {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&e)),
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let limit = cap(CapKind::Header).limit;
        let mut cut = Vec::new();
        let headers: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = h.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
                if let Some(len) = over(h, limit) {
                    cut.push((i, len));
                    return truncate_chars(h, limit).to_string();
                }
                h.to_string()
            })
            .collect();
        let location = HeaderLocation {
            records_before: ordinal,
            position: record.position().map_or(0, csv::Position::byte),
            headers,
            cut,
        };
        if has_company_column(&location.headers, user_map) {
            return Ok(location);
        }
        first_non_blank.get_or_insert(location);
    }
    first_non_blank.ok_or(ImportError::Empty)
}

/// csv's own error, with the line it knows (relative lines are good enough here: this
/// only happens on I/O or UTF-8 errors, which `&str` input rules out).
pub(crate) fn csv_error(e: &csv::Error) -> ImportError {
    ImportError::Csv {
        line: e.position().map_or(0, csv::Position::line),
        message: e.to_string(),
    }
}
