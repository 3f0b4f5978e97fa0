//! NUL and other control characters: the whole file is refused with where the first one
//! is, wherever it is.

use atl_import::{ImportError, ImportOptions, import_all};

/// A realistic file of `rows` rows, about 60 bytes each.
fn file(rows: usize) -> String {
    let mut text = String::from("Company,Email,Notes\n");
    for i in 0..rows {
        text.push_str(&format!(
            "Company {i},person{i}@company{i}.example,note {i}\n"
        ));
    }
    text
}

fn refusal(bytes: &[u8]) -> (u64, Option<String>, u32) {
    match import_all(bytes, &ImportOptions::default()) {
        Err(ImportError::ControlCharacter {
            line,
            column,
            code_point,
        }) => (line, column, code_point),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// `text` with `c` inserted at byte `at`.
fn with_at(text: &str, at: usize, c: char) -> Vec<u8> {
    let mut s = text.to_string();
    s.insert(at, c);
    s.into_bytes()
}

#[test]
fn nul_anywhere_is_refused_with_line_and_column() {
    let text = file(40);
    // At byte 0, before the header.
    assert_eq!(refusal(&with_at(&text, 0, '\0')), (1, None, 0));
    // At byte 1,500: somewhere in a data row, well past the first kilobyte that the
    // binary-file check looks at.
    let line_at_1500 = text[..1500].matches('\n').count() as u64 + 1;
    let (line, column, code_point) = refusal(&with_at(&text, 1500, '\0'));
    assert_eq!((line, code_point), (line_at_1500, 0));
    let row = text.lines().nth(line_at_1500 as usize - 1).unwrap();
    let offset_in_row = 1500 - text.find(row).unwrap();
    let expected_column = ["Company", "Email", "Notes"][row[..offset_in_row].matches(',').count()];
    assert_eq!(column.as_deref(), Some(expected_column));
    // In the last row.
    let last = text.trim_end().rfind(',').unwrap() + 3;
    assert_eq!(
        refusal(&with_at(&text, last, '\0')),
        (41, Some("Notes".to_string()), 0)
    );
}

#[test]
fn other_c0_controls_are_refused_but_tab_cr_lf_are_text() {
    let check = |cell: &str, expected: Option<u32>| {
        let text = format!("Company,Notes\r\nAcme,\"{cell}\"\r\n");
        match (
            import_all(text.as_bytes(), &ImportOptions::default()),
            expected,
        ) {
            (Ok(_), None) => {}
            (
                Err(ImportError::ControlCharacter {
                    line,
                    code_point,
                    column,
                }),
                Some(want),
            ) => {
                assert_eq!(
                    (code_point, column.as_deref()),
                    (want, Some("Notes")),
                    "{cell:?}"
                );
                assert_eq!(
                    line,
                    2 + cell[..cell.find(char::from_u32(want).unwrap()).unwrap()]
                        .matches('\n')
                        .count() as u64
                );
            }
            (other, _) => panic!("{cell:?}: {other:?}"),
        }
    };
    check("tab\there", None);
    check("two\r\nlines", None);
    check("bare\rcr", None);
    check("escape \u{1b}[2J", Some(0x1b));
    check("bell\u{7}", Some(7));
    check("back\u{8}space", Some(8));
    check("vertical\u{b}tab", Some(0x0b));
    check("line\nthen\u{1}", Some(1));
    check("unit\u{1f}sep", Some(0x1f));
}

#[test]
fn a_dos_end_of_file_mark_at_the_very_end_is_not_data() {
    let (targets, _) = import_all(b"Company\r\nAcme\r\n\x1a", &ImportOptions::default()).unwrap();
    assert_eq!(targets.len(), 1);
    assert!(matches!(
        import_all(b"Company\r\nAc\x1ame\r\n", &ImportOptions::default()),
        Err(ImportError::ControlCharacter {
            line: 2,
            code_point: 0x1a,
            ..
        })
    ));
}

#[test]
fn utf16_files_have_nul_bytes_but_no_nul_characters() {
    let text = "Company,Notes\nAcme,x\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (targets, _) = import_all(&bytes, &ImportOptions::default()).unwrap();
    assert_eq!(targets[0].company_name, "Acme");
}
