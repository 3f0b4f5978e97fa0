//! Control characters in the text: the whole file is refused, with where the first one is.
//!
//! A NUL cannot be stored at all (PostgreSQL's text columns refuse it; SQLite keeps it
//! and cuts the value short wherever C strings are used); the other C0 controls (escape,
//! bell, backspace, vertical tab…) are never data in a CSV and make terminals and exports
//! misbehave. Only tab, CR and LF are text. One DOS end-of-file mark (`\x1a`) at the very
//! end is what old tools write last and is ignored (see [`without_dos_eof`]).
//!
//! The check is one pass over the bytes before anything is parsed or stored, so a refusal
//! writes nothing. Finding the row and column takes a second parse, only when refusing.

use crate::error::ImportError;
use crate::lines::count_breaks;
use crate::locate::{csv_reader, locate_header};
use crate::options::Field;

fn is_refused(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')
}

/// `text` without one trailing DOS end-of-file mark.
pub(crate) fn without_dos_eof(text: &str) -> &str {
    text.strip_suffix('\u{1a}').unwrap_or(text)
}

/// Refuses `text` if it holds a control character other than tab, CR and LF.
pub(crate) fn refuse_controls(
    text: &str,
    delimiter: u8,
    user_map: &[(String, Field)],
) -> Result<(), ImportError> {
    let Some(at) = first_refused(text.as_bytes()) else {
        return Ok(());
    };
    let line = 1 + count_breaks(&text.as_bytes()[..at]);
    Err(ImportError::ControlCharacter {
        line,
        column: column_at(text, at, delimiter, user_map),
        code_point: u32::from(text.as_bytes()[at]),
    })
}

/// The offset of the first refused byte. Every control character is one ASCII byte, and
/// no byte of a multi-byte UTF-8 character is below 0x80, so a byte scan finds exactly the
/// characters. It runs over the whole upload, so it looks at 8 bytes at a time and only at
/// the single bytes of a word holding something below 0x20 (a tab or a line break,
/// mostly).
fn first_refused(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(word);
        let x = u64::from_le_bytes(raw);
        // Sets the high bit of every byte below 0x20 (and perhaps of a byte right after
        // one): never misses one, and the bytes are then checked one by one.
        if x.wrapping_sub(ONES * 0x20) & !x & HIGHS != 0
            && let Some(i) = word.iter().position(|&b| is_refused(b))
        {
            return Some(offset + i);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| is_refused(b))
        .map(|i| offset + i)
}

/// The header of the column holding the byte at `at`, when it is in a data row under a
/// header the importer can find.
fn column_at(text: &str, at: usize, delimiter: u8, user_map: &[(String, Field)]) -> Option<String> {
    let header = locate_header(text, delimiter, user_map).ok()?;
    let mut reader = csv_reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    let mut found: Option<(usize, csv::StringRecord)> = None;
    let mut ordinal = 0usize;
    while reader.read_record(&mut record).ok()? {
        let start = record.position().map_or(0, csv::Position::byte);
        if usize::try_from(start).ok()? > at {
            break;
        }
        found = Some((ordinal, record.clone()));
        ordinal += 1;
    }
    let (ordinal, record) = found?;
    if ordinal <= header.records_before {
        return None;
    }
    let index = record
        .iter()
        .position(|field| field.bytes().any(is_refused))?;
    header.headers.get(index).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> Option<(u64, Option<String>, u32)> {
        match refuse_controls(text, b',', &[]) {
            Ok(()) => None,
            Err(ImportError::ControlCharacter {
                line,
                column,
                code_point,
            }) => Some((line, column, code_point)),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn control_characters_are_located() {
        let check = |text: &str, expected: Option<(u64, Option<&str>, u32)>| {
            let expected = expected.map(|(l, c, p)| (l, c.map(str::to_string), p));
            assert_eq!(refusal(text), expected, "{text:?}");
        };
        check("Company,Notes\nAcme,ok\tfine\r\n", None);
        check("Company,Notes\nAcme,\"two\nlines\"\n", None);
        check("\0Company,Notes\nAcme,x\n", Some((1, None, 0)));
        check("Company,Notes\nAcme,x\0y\n", Some((2, Some("Notes"), 0)));
        check(
            "Company,Notes\r\nAcme,x\r\nBeta\u{1b}[2J,y\r\n",
            Some((3, Some("Company"), 0x1b)),
        );
        // Inside a quoted cell that spans lines: the physical line of the character.
        check(
            "Company,Notes\nAcme,\"a\nb\u{7}\"\n",
            Some((3, Some("Notes"), 7)),
        );
        // Beyond the header's columns: no header to name.
        check("Company\nAcme,\u{8}\n", Some((2, None, 8)));
        check("Company\nAcme\u{c}\n", Some((2, Some("Company"), 0x0c)));
    }

    #[test]
    fn the_word_scan_finds_the_first_refused_byte_at_every_offset() {
        let base: Vec<u8> = b"Acme,\"x\ty\"\r\n\xC3\xA9\x7f ~".repeat(3);
        assert_eq!(first_refused(&base), None);
        for at in 0..base.len() {
            for c in [0u8, 1, 0x1b, 0x1f] {
                let mut bytes = base.clone();
                bytes[at] = c;
                assert_eq!(first_refused(&bytes), Some(at), "{c:#x} at {at}");
            }
        }
    }

    #[test]
    fn one_trailing_dos_eof_mark_is_not_data() {
        assert_eq!(without_dos_eof("a\r\n\u{1a}"), "a\r\n");
        assert_eq!(without_dos_eof("a\u{1a}b"), "a\u{1a}b");
        assert!(refusal(without_dos_eof("Company\nAcme\n\u{1a}")).is_none());
    }
}
