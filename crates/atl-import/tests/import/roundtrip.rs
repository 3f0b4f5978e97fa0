//! Property: any table written by a standard CSV writer, with any of the supported
//! delimiters, line endings and encodings, imports back field for field.

use atl_import::{ImportOptions, Importer, RowOutcome, decode};
use proptest::prelude::*;

/// Text the importer must keep verbatim: no leading/trailing whitespace (trimmed), no `&`
/// (entity decoding), not NULL, and no control characters other than line breaks and
/// tabs (binary-junk detection). Quotes, delimiters and newlines are all in.
fn cell() -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        4 => proptest::char::any(),
        1 => prop::sample::select(vec![',', ';', '\t', '|', '"', '\n', '\r', ' ', 'é', '字']),
    ];
    prop::collection::vec(chars, 0..12)
        .prop_map(|cs| cs.into_iter().collect::<String>())
        .prop_map(|s| {
            s.chars()
                .filter(|&c| {
                    c != '&'
                        && c != '\u{FFFD}'
                        && c != '\u{FEFF}'
                        && (!c.is_control() || matches!(c, '\n' | '\r' | '\t'))
                })
                .collect::<String>()
                .trim()
                .to_string()
        })
        .prop_filter("NULL is read as empty", |s| s != "NULL" && s != "null")
}

#[derive(Debug, Clone)]
struct Row {
    company: String,
    email: String,
    website: String,
    extras: Vec<String>,
}

fn row(extra_columns: usize) -> impl Strategy<Value = Row> {
    (
        // A company needs a letter or digit, and a `?` could stand for lost letters (the
        // name-loss rule has tables of its own in the importer).
        cell().prop_filter("company names something", |s| {
            s.chars().any(char::is_alphanumeric) && !s.contains('?')
        }),
        prop_oneof![
            Just(String::new()),
            "[a-z]{1,8}(\\.[a-z]{1,5})?@[a-z]{1,8}\\.(com|io|de)"
        ],
        prop_oneof![
            Just(String::new()),
            "(https?://)?(www\\.)?[a-z]{1,10}\\.(com|org)(/[a-z]{1,5})?"
        ],
        prop::collection::vec(cell(), extra_columns),
    )
        .prop_map(|(company, email, website, extras)| Row {
            company,
            email,
            website,
            extras,
        })
}

fn table() -> impl Strategy<Value = (usize, Vec<Row>)> {
    (0usize..=3).prop_flat_map(|n| (Just(n), prop::collection::vec(row(n), 1..20)))
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Encoding::Utf16Le => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        Encoding::Utf16Be => [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
    }
}

/// Line breaks as the importer counts them: CRLF, CR and LF are one each.
fn count_lines(s: &str) -> u64 {
    s.replace("\r\n", "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\r')
        .count() as u64
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn written_tables_import_back(
        (extra_columns, rows) in table(),
        delimiter in prop::sample::select(vec![b',', b';', b'\t', b'|']),
        crlf in any::<bool>(),
        encoding in prop::sample::select(vec![Encoding::Utf8, Encoding::Utf8Bom, Encoding::Utf16Le, Encoding::Utf16Be]),
        aliases in (0usize..3, 0usize..3, 0usize..3),
    ) {
        let company_header = ["company", "Company Name", "Account Name"][aliases.0];
        let email_header = ["email", "Email Address", "Work Email"][aliases.1];
        let website_header = ["website", "Company Website", "Web Site"][aliases.2];
        let extra_headers: Vec<String> = (1..=extra_columns).map(|i| format!("Note {i}")).collect();

        let terminator = if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') };
        let mut writer = csv::WriterBuilder::new().delimiter(delimiter).terminator(terminator).from_writer(Vec::new());
        let mut header = vec![company_header.to_string(), email_header.to_string(), website_header.to_string()];
        header.extend(extra_headers.iter().cloned());
        writer.write_record(&header).unwrap();
        let mut expected_lines = Vec::new();
        for r in &rows {
            writer.flush().unwrap();
            expected_lines.push(count_lines(std::str::from_utf8(writer.get_ref()).unwrap()) + 1);
            let mut record = vec![r.company.clone(), r.email.clone(), r.website.clone()];
            record.extend(r.extras.iter().cloned());
            writer.write_record(&record).unwrap();
        }
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        let bytes = encode(&text, encoding);

        let decoded = decode(&bytes).unwrap();
        prop_assert_eq!(decoded.text.as_ref(), text.as_str());
        let mut importer = Importer::new(&decoded.text, &ImportOptions::default()).unwrap();
        prop_assert_eq!(importer.layout().delimiter, char::from(delimiter));
        let outcomes: Vec<RowOutcome> = importer.by_ref().map(Result::unwrap).collect();
        prop_assert_eq!(outcomes.len(), rows.len());
        for ((outcome, r), line) in outcomes.iter().zip(&rows).zip(&expected_lines) {
            let t = match outcome {
                RowOutcome::Target(t) | RowOutcome::Duplicate { target: t, .. } => t,
                RowOutcome::Rejected(issue) => return Err(TestCaseError::fail(format!("{issue:?}"))),
            };
            prop_assert_eq!(&t.company_name, &r.company);
            prop_assert_eq!(t.row_number, *line);
            prop_assert_eq!(t.contact_email.as_deref(), (!r.email.is_empty()).then_some(r.email.as_str()));
            if r.website.is_empty() {
                prop_assert_eq!(&t.website, &None);
                prop_assert_eq!(&t.domain, &None);
            } else {
                let with_scheme = if r.website.contains("://") { r.website.clone() } else { format!("https://{}", r.website) };
                prop_assert_eq!(t.website.as_deref(), Some(with_scheme.as_str()));
                let host = with_scheme.split("://").nth(1).unwrap().split('/').next().unwrap();
                prop_assert_eq!(t.domain.as_deref(), Some(host.trim_start_matches("www.")));
            }
            let extra: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&t.extra).unwrap();
            let expected_extra = extra_headers.iter().zip(&r.extras).filter(|(_, v)| !v.is_empty()).count();
            prop_assert_eq!(extra.len(), expected_extra);
            for (h, v) in extra_headers.iter().zip(&r.extras) {
                if !v.is_empty() {
                    prop_assert_eq!(extra[h].as_str(), Some(v.as_str()));
                }
            }
        }
        prop_assert_eq!(importer.summary().warning_count, 0);
    }
}
