//! Generic CSV reading with the importer's sniffing and header search, but no mapping.

use crate::decode::ensure_text;
use crate::error::ImportError;
use crate::locate::{csv_error, csv_reader, locate_header};
use crate::sniff::sniff_delimiter;

/// Headers (trimmed) and every row after them as raw strings, ragged rows as they are.
pub fn read_table(text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), ImportError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    ensure_text(text)?;
    let delimiter = sniff_delimiter(text);
    let location = locate_header(text, delimiter, &[])?;
    let mut reader = csv_reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    for _ in 0..=location.records_before {
        reader.read_record(&mut record).map_err(|e| csv_error(&e))?;
    }
    let mut rows = Vec::new();
    while reader.read_record(&mut record).map_err(|e| csv_error(&e))? {
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok((location.headers, rows))
}
