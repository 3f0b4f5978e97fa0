//! CSV cells a spreadsheet can open safely and read easily.
//!
//! A cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab
//! or CR) gets a leading `'` (OWASP "CSV injection") — except values that are plainly a
//! phone number (`+14155550100`, `+1 (415) 555-0100`) or a number (`-12.5`), which no
//! spreadsheet runs and which a CRM import needs as they are.

use serde_json::Value;
use std::borrow::Cow;

/// Whether `s` is only a phone number: an optional `+`, digits, spaces, dots, dashes and
/// parentheses, with 7 to 15 digits (E.164's range).
fn is_phone(s: &str) -> bool {
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
}

/// Whether `s` is only a number (`-12`, `+3.5`, `-1e3`).
fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() < 40 && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// The cell as written: formula triggers neutralised, phones and numbers spared.
pub fn sanitize_cell(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'+' | b'-') if is_phone(cell) || is_number(cell) => Cow::Borrowed(cell),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A JSON value as CSV text: strings as they are, lists one item per line, null empty,
/// anything else as compact JSON.
pub(crate) fn cell_text(v: &Value) -> String {
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
            .join("\n"),
        Value::Object(_) => v.to_string(),
    }
}

/// One CSV record, through the csv crate (RFC 4180 quoting, CRLF line ends).
pub(crate) fn write_record<'a>(out: &mut Vec<u8>, cells: impl IntoIterator<Item = Cow<'a, str>>) {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let cells: Vec<Cow<'a, str>> = cells.into_iter().collect();
    // Writing to a Vec cannot fail.
    if w.write_record(cells.iter().map(|c| c.as_bytes())).is_ok()
        && let Ok(bytes) = w.into_inner()
    {
        out.extend_from_slice(&bytes);
    }
}

/// The byte-order mark that tells Excel the file is UTF-8 (Google Sheets and HubSpot
/// ignore it).
pub(crate) const UTF8_BOM: &[u8] = "\u{feff}".as_bytes();

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, want: &str) {
        assert_eq!(sanitize_cell(input), want, "{input:?}");
    }

    #[test]
    fn formulas_are_neutralised_phones_and_numbers_kept() {
        for (input, want) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+1", "+1"),
            ("-2", "-2"),
            ("-2.5", "-2.5"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("+14155550100", "+14155550100"),
            ("+1 (415) 555-0100", "+1 (415) 555-0100"),
            ("+1-415-555-0100 ext", "'+1-415-555-0100 ext"),
            ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
            ("+cmd", "'+cmd"),
            ("Acme", "Acme"),
            ("", ""),
            ("1-2", "1-2"),
            (" =x", " =x"),
        ] {
            check(input, want);
        }
    }

    #[test]
    fn records_are_quoted_only_when_needed() {
        let mut out = Vec::new();
        write_record(
            &mut out,
            ["a", "b,c", "say \"hi\"", "two\nlines"]
                .into_iter()
                .map(Cow::Borrowed),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(cell_text(&serde_json::json!(["a", 1])), "a\n1");
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever the text, a sanitised cell never starts a formula unless it is
            /// only a number or a phone, and removing the added quote gives it back.
            #[test]
            fn sanitised_cells_never_start_a_formula(s in "\\PC*|[=+\\-@\t\r].*") {
                let out = sanitize_cell(&s);
                let first = out.as_bytes().first().copied();
                let spared = is_phone(&s) || is_number(&s);
                prop_assert!(spared || !matches!(first, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')));
                let back = if out.len() == s.len() { out.to_string() } else { out[1..].to_string() };
                prop_assert_eq!(back, s);
            }

            /// A record written here reads back, field for field, with the csv crate. (The
            /// first cell is fixed: readers drop a BOM at the start of a file, and an export
            /// always starts with its own BOM and the `row_number` header.)
            #[test]
            fn records_round_trip(mut cells in proptest::collection::vec("[^\u{0}]{0,12}", 1..6)) {
                cells.insert(0, "row_number".to_string());
                let mut out = Vec::new();
                write_record(&mut out, cells.iter().map(|c| Cow::Borrowed(c.as_str())));
                let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(out.as_slice());
                let record = reader.records().next().unwrap().unwrap();
                let got: Vec<String> = record.iter().map(str::to_string).collect();
                prop_assert_eq!(got, cells);
            }
        }
    }
}
