//! Bytes -> text. Uploads come from Excel, Numbers, CRMs and old address books, so the
//! encoding is whatever the tool felt like: we honour a byte-order mark, then accept valid
//! UTF-8 as is, and only then guess.

use crate::error::ImportError;
use encoding_rs::Encoding;
use std::borrow::Cow;

/// Decoded text and the name of the encoding it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Borrowed from the input when it was UTF-8 (with or without BOM): a 50 MB upload is
    /// not copied just to be read.
    pub text: Cow<'a, str>,
    pub encoding: &'static str,
}

/// Decodes an upload. See the module docs for the order of the rules.
///
/// Fails with [`ImportError::Empty`] for an empty (or whitespace-only) file and with
/// [`ImportError::NotText`] when the decoded start looks like binary data.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, ImportError> {
    let decoded = decode_unchecked(bytes);
    if decoded.text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    ensure_text(&decoded.text)?;
    Ok(decoded)
}

fn decode_unchecked(bytes: &[u8]) -> Decoded<'_> {
    // UTF-32 BOMs first: the UTF-32LE one starts with the UTF-16LE one.
    if let Some(rest) = bytes.strip_prefix(&[0x00, 0x00, 0xFE, 0xFF]) {
        return utf32(rest, Order::Big);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE, 0x00, 0x00]) {
        return utf32(rest, Order::Little);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return Decoded {
            text: encoding_rs::UTF_8.decode_without_bom_handling(rest).0,
            encoding: "UTF-8",
        };
    }
    for (bom, utf16) in [
        ([0xFE, 0xFF], encoding_rs::UTF_16BE),
        ([0xFF, 0xFE], encoding_rs::UTF_16LE),
    ] {
        if let Some(rest) = bytes.strip_prefix(&bom) {
            // Salesforce Data Loader writes UTF-32 files behind a 2-byte FE FF mark
            // (testdata/parser/salesforce-dataloader/csvtext_BOM_UTF32*.csv); read as
            // UTF-16 they would be half NUL characters.
            if let Some(order) = utf32_behind_utf16_bom(rest) {
                return utf32(rest, order);
            }
            return Decoded {
                text: utf16.decode_without_bom_handling(rest).0,
                encoding: utf16.name(),
            };
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: Cow::Borrowed(text),
            encoding: "UTF-8",
        };
    }
    let encoding = guess(bytes);
    Decoded {
        text: encoding.decode_without_bom_handling(bytes).0,
        encoding: encoding.name(),
    }
}

/// chardetng's guess for text that is not UTF-8: Windows-1252 for the Latin-1 files that
/// old Excel writes, Shift_JIS for Japanese ones, and so on.
fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    // We already know it is not valid UTF-8.
    detector.guess(None, chardetng::Utf8Detection::Deny)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Big,
    Little,
}

/// encoding_rs deliberately lacks UTF-32 (the Web doesn't use it), so decode it by hand.
/// Invalid code points and a truncated last unit become U+FFFD, as encoding_rs would do.
fn utf32(bytes: &[u8], order: Order) -> Decoded<'static> {
    let mut text = String::with_capacity(bytes.len() / 4);
    let mut units = bytes.chunks_exact(4);
    for unit in &mut units {
        let raw = [unit[0], unit[1], unit[2], unit[3]];
        let value = match order {
            Order::Big => u32::from_be_bytes(raw),
            Order::Little => u32::from_le_bytes(raw),
        };
        text.push(char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    if !units.remainder().is_empty() {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    let encoding = match order {
        Order::Big => "UTF-32BE",
        Order::Little => "UTF-32LE",
    };
    Decoded {
        text: Cow::Owned(text),
        encoding,
    }
}

/// Whether bytes after a UTF-16 BOM are really UTF-32: whole 4-byte units, every one a
/// valid non-NUL scalar in one byte order, and NUL-heavy when read as UTF-16 (which no
/// real UTF-16 text is).
fn utf32_behind_utf16_bom(rest: &[u8]) -> Option<Order> {
    if rest.is_empty() || !rest.len().is_multiple_of(4) {
        return None;
    }
    let nul_units = rest.chunks_exact(2).filter(|u| u == &[0, 0]).count();
    if nul_units * 4 < rest.len() / 2 {
        return None;
    }
    [Order::Big, Order::Little].into_iter().find(|&order| {
        rest.chunks_exact(4).all(|u| {
            let raw = [u[0], u[1], u[2], u[3]];
            let value = match order {
                Order::Big => u32::from_be_bytes(raw),
                Order::Little => u32::from_le_bytes(raw),
            };
            value != 0 && char::from_u32(value).is_some()
        })
    })
}

/// How much of the start is inspected for binary junk.
const SNIFF_CHARS: usize = 1024;

/// Refuses text whose start looks binary (an .xlsx, a PDF, an image renamed .csv): more
/// than 5% control (NUL included) or replacement characters. Tabs, line breaks, form
/// feeds and the DOS end-of-file mark are common in exported text and do not count. A
/// stray control character in otherwise textual data is not binary junk: the importer
/// refuses it with its line and column (`ImportError::ControlCharacter`).
pub(crate) fn ensure_text(text: &str) -> Result<(), ImportError> {
    let mut seen = 0usize;
    let mut suspicious = 0usize;
    for c in text.chars().take(SNIFF_CHARS) {
        seen += 1;
        match c {
            '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1a' => {}
            c if c.is_control() || c == char::REPLACEMENT_CHARACTER => suspicious += 1,
            _ => {}
        }
    }
    if suspicious * 20 > seen {
        return Err(ImportError::NotText);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_utf8_is_borrowed_not_copied() {
        let bytes = "a,b\n1,ʤ\n".as_bytes();
        let d = decode(bytes).unwrap();
        assert!(matches!(d.text, Cow::Borrowed(_)));
        assert_eq!(d.encoding, "UTF-8");
        let with_bom = b"\xEF\xBB\xBFa,b\n";
        let d = decode(with_bom).unwrap();
        assert!(matches!(d.text, Cow::Borrowed("a,b\n")), "{:?}", d.text);
    }

    #[test]
    fn utf32_is_decoded_by_hand_in_both_orders() {
        let text = "Zoë,😀\n";
        let be: Vec<u8> = [0u8, 0, 0xFE, 0xFF]
            .into_iter()
            .chain(text.chars().flat_map(|c| (c as u32).to_be_bytes()))
            .collect();
        let le: Vec<u8> = [0xFFu8, 0xFE, 0, 0]
            .into_iter()
            .chain(text.chars().flat_map(|c| (c as u32).to_le_bytes()))
            .collect();
        assert_eq!(decode(&be).unwrap().text, text);
        assert_eq!(decode(&be).unwrap().encoding, "UTF-32BE");
        assert_eq!(decode(&le).unwrap().text, text);
        assert_eq!(decode(&le).unwrap().encoding, "UTF-32LE");
    }

    #[test]
    fn truncated_utf32_ends_with_a_replacement_character() {
        let d = utf32(&[0, 0, 0, 0x41, 0, 0], Order::Big);
        assert_eq!(d.text, "A\u{FFFD}");
    }

    #[test]
    fn binary_junk_and_emptiness_are_refused() {
        assert_eq!(decode(b""), Err(ImportError::Empty));
        assert_eq!(decode(b" \r\n\n"), Err(ImportError::Empty));
        assert_eq!(
            decode(b"PK\x03\x04\x14\x00\x06\x00"),
            Err(ImportError::NotText)
        );
        let controls: Vec<u8> = (0..200u8)
            .map(|i| if i % 4 == 0 { 0x01 } else { b'a' })
            .collect();
        assert_eq!(decode(&controls), Err(ImportError::NotText));
        assert!(decode(b"a\tb\x0c\r\nc\x1a").is_ok());
        // One NUL in a kilobyte of text is a damaged text file, not a binary one.
        let mut text = b"\0Company,Notes\n".to_vec();
        text.extend(b"Acme,notes notes notes\n".repeat(50));
        assert!(decode(&text).is_ok());
    }
}
