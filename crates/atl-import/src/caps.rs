//! Length caps on every cell, in one table.
//!
//! No real value comes near these limits; one that does is a pasted paragraph, a broken
//! quote that swallowed the rows after it, or an attack on the budget (every character of
//! a company name is sent to a model, more than once). What happens to an over-long
//! value depends on what it is:
//!
//! - **company name** (300): the row is *rejected*. A company name cut short would be
//!   researched as a different company, and the longest real legal names are about half
//!   the cap.
//! - **person name, title** (200): the value is *set aside*: the field stays empty and the
//!   text goes to `extra` under its header (cut to the extra-column cap there). A name or
//!   title that long is not one; sending a truncated one to a people search finds nobody.
//! - **e-mail** (254, the longest address RFC 5321 paths allow) and **URLs, websites,
//!   domains** (2,048, what browsers and CDNs reliably accept): *set aside* the same way,
//!   because a longer value is not an address.
//! - **each extra column** (2,000): *truncated* at a character boundary. Notes and
//!   descriptions are kept for the person reading the export; their head is what matters.
//! - **the whole extra JSON of a row** (16 KB): columns that no longer fit are *left out*,
//!   in file order, and named in the row's warning.
//! - **a header** (256): *truncated*; it becomes a key in every row's `extra`.
//!
//! Cells are measured in characters (Unicode scalar values) after trimming and entity
//! decoding; the extra JSON in bytes, as stored. Every cap produces one warning (or the
//! rejection) per cell, with the line, the column and the original length.

use crate::options::Field;
use serde::Serialize;

/// What is capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapKind {
    CompanyName,
    /// `contact_name`, `first_name`, `last_name`.
    PersonName,
    Title,
    Email,
    /// `linkedin_url`, `website`, `domain`.
    Url,
    /// One unmapped column's value in `extra`.
    ExtraColumn,
    /// The serialised `extra` object of one row, in bytes.
    ExtraJson,
    /// One header name.
    Header,
}

/// What happens to a value over its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// The row is not imported.
    RejectRow,
    /// The field stays empty; the value goes to `extra` (under that column's own cap).
    SetAside,
    /// Cut at the last character boundary within the cap.
    Truncate,
    /// Columns are left out of `extra` once it would exceed the cap.
    DropColumns,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CellCap {
    pub kind: CapKind,
    /// Characters, except [`CapKind::ExtraJson`] (bytes).
    pub limit: usize,
    pub overflow: Overflow,
    /// How a warning names the value.
    pub what: &'static str,
}

/// Every cap the importer enforces. See the module docs for why each overflow is handled
/// the way it is.
pub const CELL_CAPS: [CellCap; 8] = [
    CellCap {
        kind: CapKind::CompanyName,
        limit: 300,
        overflow: Overflow::RejectRow,
        what: "company name",
    },
    CellCap {
        kind: CapKind::PersonName,
        limit: 200,
        overflow: Overflow::SetAside,
        what: "person name",
    },
    CellCap {
        kind: CapKind::Title,
        limit: 200,
        overflow: Overflow::SetAside,
        what: "title",
    },
    CellCap {
        kind: CapKind::Email,
        limit: 254,
        overflow: Overflow::SetAside,
        what: "e-mail address",
    },
    CellCap {
        kind: CapKind::Url,
        limit: 2048,
        overflow: Overflow::SetAside,
        what: "URL",
    },
    CellCap {
        kind: CapKind::ExtraColumn,
        limit: 2000,
        overflow: Overflow::Truncate,
        what: "value",
    },
    CellCap {
        kind: CapKind::ExtraJson,
        limit: 16 * 1024,
        overflow: Overflow::DropColumns,
        what: "row's extra columns",
    },
    CellCap {
        kind: CapKind::Header,
        limit: 256,
        overflow: Overflow::Truncate,
        what: "header",
    },
];

/// The entry of [`CELL_CAPS`] for `kind` (the table is in the order of [`CapKind`], so
/// this is an index, not a search: it runs for every cell).
pub fn cap(kind: CapKind) -> &'static CellCap {
    // Every kind has its entry at its own index (tested); the first is a safe fallback.
    CELL_CAPS.get(kind as usize).unwrap_or(&CELL_CAPS[0])
}

/// Which cap a mapped field's column is under.
pub fn kind_of(field: Field) -> CapKind {
    match field {
        Field::CompanyName => CapKind::CompanyName,
        Field::ContactName | Field::FirstName | Field::LastName => CapKind::PersonName,
        Field::ContactTitle => CapKind::Title,
        Field::ContactEmail => CapKind::Email,
        Field::LinkedinUrl | Field::Website | Field::Domain => CapKind::Url,
    }
}

/// Whether `value` is over `limit` characters: its length in characters when it is, so
/// the warning can say it. Costs nothing for the usual short value (a string of at most
/// `limit` bytes has at most `limit` characters).
pub(crate) fn over(value: &str, limit: usize) -> Option<usize> {
    if value.len() <= limit {
        return None;
    }
    let chars = value.chars().count();
    (chars > limit).then_some(chars)
}

/// `value` cut to at most `limit` characters, at a character boundary.
pub(crate) fn truncate_chars(value: &str, limit: usize) -> &str {
    match value.char_indices().nth(limit) {
        Some((end, _)) => &value[..end],
        None => value,
    }
}

/// How long a value shown in a row issue may be: the report is stored with the campaign
/// and printed in terminals, so a 10 MB cell is quoted by its first characters only.
const PREVIEW_CHARS: usize = 120;

/// The value as a row issue quotes it (cut to [`PREVIEW_CHARS`], with `…` when cut).
pub(crate) fn preview(value: &str) -> String {
    let head = truncate_chars(value, PREVIEW_CHARS);
    if head.len() == value.len() {
        value.to_string()
    } else {
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_exactly_one_cap_and_every_field_a_kind() {
        let kinds = [
            CapKind::CompanyName,
            CapKind::PersonName,
            CapKind::Title,
            CapKind::Email,
            CapKind::Url,
            CapKind::ExtraColumn,
            CapKind::ExtraJson,
            CapKind::Header,
        ];
        for kind in kinds {
            assert_eq!(CELL_CAPS.iter().filter(|c| c.kind == kind).count(), 1);
            assert_eq!(CELL_CAPS[kind as usize].kind, kind, "table order");
            assert_eq!(cap(kind).kind, kind);
        }
        for field in Field::ALL {
            assert!(cap(kind_of(field)).limit > 0);
        }
    }

    #[test]
    fn lengths_are_counted_in_characters_and_cut_at_boundaries() {
        let check = |value: &str, limit: usize, over_by: Option<usize>, cut: &str| {
            assert_eq!(over(value, limit), over_by, "{value:?}");
            assert_eq!(truncate_chars(value, limit), cut, "{value:?}");
        };
        check("abc", 3, None, "abc");
        check("abcd", 3, Some(4), "abc");
        // 3 characters, 9 bytes: not over a 3-character cap.
        check("株式会", 3, None, "株式会");
        check("株式会社", 3, Some(4), "株式会");
        check("é😀x", 2, Some(3), "é😀");
        assert_eq!(preview(&"x".repeat(500)).chars().count(), PREVIEW_CHARS + 1);
        assert_eq!(preview("short"), "short");
    }
}
