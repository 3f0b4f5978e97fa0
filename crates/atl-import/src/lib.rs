//! Turns the CSV files that real users upload into validated [`NewTarget`]s.
//!
//! The pipeline is `bytes --decode--> text --Importer--> RowOutcome per row`:
//!
//! 1. [`decode`] honours a BOM (UTF-8/16/32), accepts valid UTF-8 without copying it, and
//!    otherwise lets chardetng guess (Windows-1252, Shift_JIS, …).
//! 2. [`Importer::new`] sniffs the delimiter (`,` `;` tab `|`), finds the header line under
//!    any preamble, and maps headers to fields (built-in names from real CRM exports, then
//!    the user's `--map` overrides).
//! 3. Iterating the importer validates one row at a time: a row without a company, or
//!    whose company name was lost to `?`/U+FFFD (the `lost` module's rule), is rejected; a bad
//!    e-mail/LinkedIn/website value is set aside into `extra` with a warning; every cell
//!    is held to its cap in [`caps::CELL_CAPS`]; a contact cell holding two people keeps
//!    the first and moves the others to `extra`; exact duplicates are flagged with the
//!    line of their first occurrence.
//!
//! A NUL or other control character anywhere refuses the whole file before any row is
//! read ([`ImportError::ControlCharacter`], with line and column). [`sanitize_file_name`]
//! is the rule for the uploaded file's name.
//!
//! No I/O happens here: callers read the upload (enforcing the size limit while reading)
//! and hand over the bytes.

pub mod caps;
mod clean;
mod controls;
mod decode;
mod error;
mod extra;
mod file_name;
mod headers;
mod importer;
mod lines;
mod locate;
mod lost;
mod options;
mod people;
mod row;
mod sniff;
mod summary;
mod table;

pub use caps::{CELL_CAPS, CapKind, CellCap, Overflow};
pub use decode::{Decoded, decode};
pub use error::ImportError;
pub use file_name::{FALLBACK_FILE_NAME, MAX_FILE_NAME_BYTES, sanitize_file_name};
pub use importer::{Importer, Layout, RowOutcome};
pub use options::{Field, ImportOptions, parse_column_map};
pub use summary::{
    ColumnMapping, DuplicateRow, ImportSummary, MAX_LISTED_ISSUES, RowIssue, Severity,
};
pub use table::read_table;

/// The delimiter [`Importer`] would use for this text (`,` `;` tab `|`; `,` when unsure).
pub fn detect_delimiter(text: &str) -> char {
    char::from(sniff::sniff_delimiter(text))
}

use atl_domain::NewTarget;

/// Runs the whole import, collecting unique targets (duplicates merged into their first
/// occurrence with [`merge_duplicate`]). Used by tests and the benchmark; the app streams.
pub fn import_all(
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<(Vec<NewTarget>, ImportSummary), ImportError> {
    if bytes.len() as u64 > options.max_bytes {
        return Err(ImportError::TooLarge {
            limit_bytes: options.max_bytes,
        });
    }
    let decoded = decode(bytes)?;
    let mut importer = Importer::new(&decoded.text, options)?.with_encoding(decoded.encoding);
    let mut targets: Vec<NewTarget> = Vec::new();
    for outcome in &mut importer {
        match outcome? {
            RowOutcome::Target(target) => targets.push(target),
            RowOutcome::Duplicate { target, first_line } => {
                // Targets are pushed in line order, so the first occurrence is found by
                // binary search without keeping any index.
                if let Ok(i) = targets.binary_search_by_key(&first_line, |t| t.row_number) {
                    merge_duplicate(&mut targets[i], target);
                }
            }
            RowOutcome::Rejected(_) => {}
        }
    }
    Ok((targets, importer.finish()))
}

/// Fills the blank fields of `first` from a later duplicate row (never overwrites), the
/// same rule the store applies with `COALESCE`.
pub fn merge_duplicate(first: &mut NewTarget, duplicate: NewTarget) {
    fn fill(slot: &mut Option<String>, value: Option<String>) {
        if slot.is_none() {
            *slot = value;
        }
    }
    fill(&mut first.contact_name, duplicate.contact_name);
    fill(&mut first.contact_email, duplicate.contact_email);
    fill(&mut first.contact_title, duplicate.contact_title);
    fill(&mut first.linkedin_url, duplicate.linkedin_url);
    fill(&mut first.website, duplicate.website);
    fill(&mut first.domain, duplicate.domain);
    // Same rule as the store's upsert (`json_patch` / jsonb `||` with the stored side
    // winning): keys the first row lacks are added, its own values are kept. Without this
    // a duplicate would merge differently depending on whether it fell in the same
    // insert batch as its first occurrence.
    if first.extra == "{}" {
        first.extra = duplicate.extra;
    } else if duplicate.extra != "{}"
        && let (Ok(serde_json::Value::Object(mut kept)), Ok(serde_json::Value::Object(more))) = (
            serde_json::from_str::<serde_json::Value>(&first.extra),
            serde_json::from_str::<serde_json::Value>(&duplicate.extra),
        )
    {
        let before = kept.len();
        // Keys are added while the object stays under the row cap of `extra`, so a merge
        // cannot grow it past what one row may hold.
        let limit = caps::cap(caps::CapKind::ExtraJson).limit;
        let mut size = first.extra.len();
        for (k, v) in more {
            if kept.contains_key(&k) {
                continue;
            }
            let pair =
                serde_json::to_string(&k).map_or(usize::MAX, |s| s.len()) + v.to_string().len() + 2;
            if size.saturating_add(pair) > limit {
                continue;
            }
            size += pair;
            kept.insert(k, v);
        }
        if kept.len() != before {
            first.extra = serde_json::Value::Object(kept).to_string();
        }
    }
}
