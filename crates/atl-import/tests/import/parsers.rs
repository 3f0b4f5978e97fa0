//! Parser fixtures from papaparse, rust-csv and Salesforce Data Loader.

use crate::common::{cleaned, col, extra, map, outcomes, rows, table, text};
use atl_import::{ImportError, ImportOptions, Importer, RowOutcome, Severity, detect_delimiter};

#[test]
fn ragged_rows_do_not_fail_the_import() {
    let file = "parser/papaparse/long-sample-with-errors.csv";
    let text = text(file);
    let header_fields = text.lines().next().unwrap().split("\",\"").count();
    // Independent oracle: physical lines whose field count differs from the header's.
    let ragged: Vec<u64> = text
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| l.split("\",\"").count() != header_fields)
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert!(!ragged.is_empty(), "the fixture has ragged rows");

    let (all, summary) = outcomes(&text, &map(&[("Zeit", "company_name")]));
    let targets = rows(&all);
    assert_eq!(targets.len() as u64, summary.rows_read);
    assert_eq!(summary.rows_read as usize, text.lines().count() - 1);
    let warned: Vec<u64> = summary.warnings.iter().map(|w| w.line).collect();
    assert_eq!(warned, ragged);
    assert!(
        summary
            .warnings
            .iter()
            .all(|w| w.reason.contains("header has 12"))
    );
    // Umlauts in headers survive as extra keys.
    assert!(targets.iter().all(|t| extra(t).contains_key("Punkt")));
    let (headers, _) = table(file);
    assert!(headers.iter().any(|h| h == "Puls (Herzschläge pro Minute)"));
}

#[test]
fn fields_beyond_the_header_go_to_numbered_extra_keys() {
    let (all, summary) = outcomes(
        "company,city\nAcme,Paris,x,,y\nBeta\n",
        &ImportOptions::default(),
    );
    let t = rows(&all);
    let e = extra(t[0]);
    assert_eq!(e["city"], "Paris");
    assert_eq!(e["_extra_1"], "x");
    assert_eq!(e["_extra_3"], "y");
    assert!(!e.contains_key("_extra_2"), "empty values are skipped");
    assert_eq!(t[1].company_name, "Beta");
    assert_eq!(t[1].extra, "{}");
    assert_eq!(summary.warning_count, 2);
}

#[test]
fn duplicate_headers_are_kept_with_suffixes() {
    let file = "parser/papaparse/duplicate-headers.csv";
    let (headers, raw_rows) = table(file);
    let text = text(file);
    let mut importer = Importer::new(&text, &ImportOptions::default()).unwrap();
    let layout = importer.layout().clone();
    assert!(
        layout.mapping.iter().any(|m| m.header == "Name"),
        "Name is the company"
    );
    let keys = &layout.extra_headers;
    let unique: std::collections::HashSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "extra keys are unique");
    assert_eq!(
        keys.len(),
        headers.len() - layout.mapping.len(),
        "no column dropped"
    );
    assert!(keys.iter().any(|k| k == "12 (2)"));

    let second_12 = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| *h == "12")
        .nth(1)
        .unwrap()
        .0;
    let name = col(&headers, "Name");
    let mut seen = 0;
    for (outcome, raw) in importer.by_ref().zip(&raw_rows) {
        let target = match outcome.unwrap() {
            RowOutcome::Target(t) | RowOutcome::Duplicate { target: t, .. } => t,
            RowOutcome::Rejected(issue) => panic!("{issue:?}"),
        };
        assert_eq!(target.company_name, cleaned(&raw[name]));
        let e = extra(&target);
        let expected_values = raw
            .iter()
            .enumerate()
            .filter(|&(i, v)| i != name && !cleaned(v).is_empty())
            .count();
        assert_eq!(e.len(), expected_values, "row {}", target.row_number);
        let want = cleaned(&raw[second_12]);
        if !want.is_empty() {
            assert_eq!(e["12 (2)"], want.as_str());
        }
        seen += 1;
    }
    assert_eq!(seen, raw_rows.len());
    assert_eq!(importer.summary().rows_read as usize, raw_rows.len());
}

#[test]
fn poisoned_headers_are_plain_keys() {
    let (all, _) = outcomes(
        &text("parser/papaparse/poisoned-sample.csv"),
        &map(&[("toString", "company_name")]),
    );
    let t = rows(&all);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].company_name, "Y");
    let e = extra(t[0]);
    assert_eq!(e.len(), 3);
    assert_eq!(e["__proto__"], "X");
    assert_eq!(e["valueOf"], "Z");
    assert_eq!(e["__proto__ (2)"], "A");
}

#[test]
fn rows_without_company_are_rejected_with_line_and_column() {
    let (all, summary) = outcomes(
        &text("parser/papaparse/rows-with-duplicates.csv"),
        &map(&[("a", "company_name")]),
    );
    assert_eq!(rows(&all).len(), 2);
    assert_eq!(summary.rejected_count, 1);
    let issue = &summary.rejected[0];
    assert_eq!(issue.line, 4);
    assert_eq!(issue.column.as_deref(), Some("A"));
    assert_eq!(issue.severity, Severity::Rejected);
    assert!(matches!(&all[2], RowOutcome::Rejected(i) if i == issue));
}

#[test]
fn a_name_column_alone_is_the_company() {
    let (all, _) = outcomes(
        &text("parser/papaparse/sample-header.csv"),
        &ImportOptions::default(),
    );
    let t = rows(&all);
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].company_name, "test name 01");
    assert_eq!(t[0].contact_title.as_deref(), Some("test title 01"));
    assert_eq!(t[1].contact_title, None);
}

#[test]
fn literal_null_cells_are_empty() {
    let file = "parser/rust-csv/uspop-null.csv";
    let (headers, raw_rows) = table(file);
    let population = col(&headers, "Population");
    let (all, summary) = outcomes(&text(file), &map(&[("City", "company_name")]));
    let t = rows(&all);
    assert_eq!(summary.rows_read, 100);
    assert_eq!(summary.rejected_count, 0);
    assert_eq!(t.len(), 100);
    let mut nulls = 0;
    for (target, raw) in t.iter().zip(&raw_rows) {
        let e = extra(target);
        if raw[population] == "NULL" {
            nulls += 1;
            assert!(!e.contains_key("Population"), "line {}", target.row_number);
        } else if !raw[population].is_empty() {
            assert_eq!(e["Population"], raw[population].as_str());
        }
    }
    assert!(nulls > 0, "the fixture has NULL populations");
}

#[test]
fn strange_csv_is_semicolon_separated_and_ragged() {
    let text = text("parser/rust-csv/strange.csv");
    assert_eq!(detect_delimiter(&text), ';');
    let (headers, raw_rows) = atl_import::read_table(&text).unwrap();
    assert_eq!(headers.len(), 2);
    assert_eq!(raw_rows.len(), text.lines().count() - 1);
    assert!(
        raw_rows.iter().any(|r| r.len() == 1),
        "the comment/ragged rows are kept"
    );
    let years: Vec<&String> = raw_rows
        .iter()
        .filter(|r| r.len() == 2)
        .map(|r| &r[1])
        .collect();
    assert!(
        years
            .iter()
            .all(|y| y.len() == 4 && y.parse::<u32>().is_ok()),
        "{years:?}"
    );
}

#[test]
fn colon_is_not_a_delimiter_candidate() {
    let (headers, rows) = table("parser/rust-csv/smallpop-colon.csv");
    assert_eq!(headers, ["city:region:country:population"]);
    assert!(rows.iter().all(|r| r.len() == 1));
    let (plain_headers, plain_rows) = table("parser/rust-csv/smallpop.csv");
    assert_eq!(plain_headers.join(":"), headers[0]);
    assert_eq!(plain_rows.len(), rows.len());
}

#[test]
fn salesforce_dataloader_quoting_fixtures() {
    let (headers, quoted) = table("parser/salesforce-dataloader/csvEscapedQuotes.csv");
    assert_eq!(headers, ["column1", "column2"]);
    assert_eq!(quoted[0][0], "\"The Best\" Account");
    assert_eq!(quoted[1][0], "The \"Best\" Account");
    let (headers, separated) = table("parser/salesforce-dataloader/csvSeparator.csv");
    assert_eq!(headers[1], "column2!some");
    assert!(separated.iter().all(|r| r.len() == 3));

    // WEBSITE "updated" is not a website: set aside into extra with a warning.
    let (all, summary) = outcomes(
        &text("parser/salesforce-dataloader/emptyFirstRowFieldValueInCsvTemplate.csv"),
        &ImportOptions::default(),
    );
    let t = rows(&all);
    assert_eq!(t.len(), 2);
    assert_eq!(t[1].website, None);
    assert_eq!(extra(t[1])["WEBSITE"], "updated");
    assert_eq!(summary.warning_count, 1);
    assert_eq!(summary.warnings[0].line, 3);
    assert_eq!(summary.warnings[0].value.as_deref(), Some("updated"));
}

#[test]
fn no_company_column_names_the_headers() {
    let text = text("parser/rust-csv/smallpop.csv");
    match Importer::new(&text, &ImportOptions::default()) {
        Err(ImportError::NoCompanyColumn { headers }) => {
            assert_eq!(headers, ["city", "region", "country", "population"]);
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("imported a file without a company column"),
    }
}
