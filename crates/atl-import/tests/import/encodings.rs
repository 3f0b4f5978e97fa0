//! Encodings: BOMs, UTF-16/32, and guessed legacy encodings.

use crate::common::{bytes, table};
use atl_import::{ImportOptions, decode, import_all, read_table};
use std::borrow::Cow;

#[test]
fn salesforce_dataloader_bom_files_all_yield_the_plain_table() {
    let plain = table("parser/salesforce-dataloader/csvtext.csv");
    assert_eq!(plain.0.len(), 3);
    assert_eq!(plain.1.len(), 2);
    for (file, encoding) in [
        ("csvtext_BOM_UTF8.csv", "UTF-8"),
        ("csvtext_BOM_UTF16BE.csv", "UTF-16BE"),
        ("csvtext_BOM_UTF32LE.csv", "UTF-32LE"),
        ("csvtext_BOM_UTF32BE.csv", "UTF-32BE"),
    ] {
        let raw = bytes(&format!("parser/salesforce-dataloader/{file}"));
        let decoded = decode(&raw).unwrap();
        assert_eq!(decoded.encoding, encoding, "{file}");
        assert!(
            !decoded.text.contains('\0'),
            "{file}: NULs left in the text"
        );
        assert_eq!(read_table(&decoded.text).unwrap(), plain, "{file}");
    }
}

#[test]
fn utf16_le_with_bom_decodes() {
    let text = "company,city\nZoë GmbH,Köln\n";
    let mut raw = vec![0xFF, 0xFE];
    raw.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let decoded = decode(&raw).unwrap();
    assert_eq!(decoded.encoding, "UTF-16LE");
    assert_eq!(decoded.text, text);
}

#[test]
fn utf8_bom_is_stripped_from_the_first_header() {
    let raw = bytes("parser/papaparse/utf-8-bom-sample.csv");
    let decoded = decode(&raw).unwrap();
    assert_eq!(decoded.encoding, "UTF-8");
    assert!(matches!(decoded.text, Cow::Borrowed(_)));
    let (headers, rows) = read_table(&decoded.text).unwrap();
    assert_eq!(headers, ["A", "B", "C"]);
    assert_eq!(rows, [["X", "Y", "Z"]]);
}

#[test]
fn shift_jis_is_detected_and_the_header_decodes() {
    let raw = bytes("parser/papaparse/sjis-sample.csv");
    assert!(
        std::str::from_utf8(&raw).is_err(),
        "the fixture is not UTF-8"
    );
    let decoded = decode(&raw).unwrap();
    assert_eq!(decoded.encoding, "Shift_JIS");
    let (headers, _) = read_table(&decoded.text).unwrap();
    assert_eq!(headers, ["コントロールカラム", "商品管理番号（商品URL）"]);
}

#[test]
fn latin1_is_detected_not_assumed() {
    let raw = bytes("parser/rust-csv/uspop-latin1.csv");
    let decoded = decode(&raw).unwrap();
    assert_eq!(decoded.encoding, "windows-1252");
    assert!(!decoded.text.contains('\u{FFFD}'));
    let (headers, rows) = read_table(&decoded.text).unwrap();
    assert_eq!(headers.len(), 5);
    assert_eq!(rows.len(), 100);
    // Byte 0xD5 is Õ in Latin-1: the same row is "Oakman" in the NULL variant of the file.
    let i = raw.iter().position(|&b| b == 0xD5).unwrap();
    assert_eq!(&raw[i + 1..i + 6], b"akman");
    assert!(rows.iter().any(|r| r[0] == "\u{D5}akman"));

    // And the same guess drives a full import.
    let mut latin1 = b"company,city\n".to_vec();
    latin1.extend(b"Caf\xE9 Zo\xEB,K\xF6ln\n");
    let (targets, summary) = import_all(&latin1, &ImportOptions::default()).unwrap();
    assert_eq!(summary.encoding, "windows-1252");
    assert_eq!(targets[0].company_name, "Café Zoë");
}

#[test]
fn a_large_utf8_file_is_borrowed_not_copied() {
    let mut text = String::from("company,email\n");
    while text.len() < 2_000_000 {
        text.push_str("Acme Ünïcode Inc,jo@acme.com\n");
    }
    let decoded = decode(text.as_bytes()).unwrap();
    match decoded.text {
        Cow::Borrowed(s) => assert_eq!(s.as_ptr(), text.as_ptr()),
        Cow::Owned(_) => panic!("valid UTF-8 was copied"),
    }
}
