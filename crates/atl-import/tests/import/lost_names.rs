//! Company names lost to a text-encoding step (`?`, U+FFFD): rejected with the advice to
//! re-export as UTF-8, never merged with each other, never given a key.

use crate::common::{bytes, outcomes, rows, warning};
use atl_import::{ImportOptions, RowOutcome, Severity, import_all};

/// What became of a one-row file's company cell.
#[derive(Debug, PartialEq, Eq)]
enum Fate {
    Imported,
    /// Imported, with a warning on the company column.
    Questioned,
    /// Rejected with the re-export advice, and counted in the closing warning.
    Lost,
    /// Rejected as having no letters.
    NoLetters,
}

fn fate_of(company: &str) -> Fate {
    // Rows of ordinary names after it, as in a real file: a tiny file of nothing but
    // U+FFFD would be taken for binary data.
    let mut text = format!("Company,Notes\n\"{company}\",x\n");
    for i in 0..20 {
        text.push_str(&format!("Filler {i},y\n"));
    }
    let (all, summary) = outcomes(&text, &ImportOptions::default());
    match &all[0] {
        RowOutcome::Target(_) => {
            let questioned = summary
                .warnings
                .iter()
                .any(|w| w.column.as_deref() == Some("Company"));
            if questioned {
                assert!(
                    summary.warnings[0]
                        .reason
                        .contains("re-export the file as UTF-8")
                );
                Fate::Questioned
            } else {
                assert_eq!(summary.warning_count, 0, "{company:?}: {summary:?}");
                Fate::Imported
            }
        }
        RowOutcome::Rejected(issue) if issue.reason.contains("re-export the file as UTF-8") => {
            assert_eq!(summary.lost_names, 1, "{company:?}");
            assert_eq!(summary.warning_count, 1, "{company:?}: the closing warning");
            Fate::Lost
        }
        RowOutcome::Rejected(issue) => {
            assert!(issue.reason.contains("no letters"), "{issue:?}");
            assert_eq!(summary.lost_names, 0);
            Fate::NoLetters
        }
        RowOutcome::Duplicate { .. } => panic!("one row cannot be a duplicate"),
    }
}

#[test]
fn company_cells() {
    let cases: Vec<(Fate, &str)> = include_str!("company_cells.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (fate, company) = l.split_once(": ").expect("a case is `fate: cell`");
            let fate = match fate {
                "Imported" => Fate::Imported,
                "Questioned" => Fate::Questioned,
                "Lost" => Fate::Lost,
                "NoLetters" => Fate::NoLetters,
                other => panic!("unknown fate {other:?} in company_cells.txt"),
            };
            (fate, company)
        })
        .collect();
    assert_eq!(cases.len(), 13, "every case of the table is read");
    for (expected, company) in cases {
        assert_eq!(fate_of(company), expected, "{company:?}");
    }
}

#[test]
fn different_lost_names_are_never_merged() {
    // Before the rule, these five normalised to one empty key: "4 duplicates merged".
    let text = "Company\n?????\n???????\n?? ????\n\u{FFFD}\u{FFFD}\n???\nAcme\n";
    let (targets, summary) = import_all(text.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(summary.duplicates, 0);
    assert_eq!((summary.rejected_count, summary.lost_names), (5, 5));
}

#[test]
fn salesforce_export_with_names_lost_to_latin1() {
    let file = "crm-headers/salesforce/accounts_japanese_names_lost_to_latin1.csv";
    let (targets, summary) = import_all(&bytes(file), &ImportOptions::default()).unwrap();
    assert_eq!(summary.rows_read, 40);
    assert_eq!(targets.len(), 35);
    assert_eq!(summary.duplicates, 0, "nothing merged");
    assert_eq!(summary.rejected_count, 5);
    assert_eq!(summary.lost_names, 5);
    let lines: Vec<u64> = summary.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, [34, 35, 36, 37, 38]);
    for r in &summary.rejected {
        assert_eq!(r.severity, Severity::Rejected);
        assert_eq!(r.column.as_deref(), Some("NAME"));
        assert!(
            r.value.as_deref().is_some_and(|v| v.starts_with("???")),
            "{r:?}"
        );
        assert!(
            r.reason.contains("re-export the file as UTF-8"),
            "{}",
            r.reason
        );
    }
    // One warning sums them up, so the fix is made once for the file.
    assert_eq!(summary.warning_count, 1);
    let w = &summary.warnings[0];
    assert_eq!((w.line, w.column.as_deref()), (34, Some("NAME")));
    assert!(
        w.reason
            .starts_with("5 rows (lines 34–38) were not imported"),
        "{}",
        w.reason
    );
    assert!(w.reason.contains("re-export the file as UTF-8"));
    for t in &targets {
        assert!(!t.company_name.contains('?'), "{}", t.company_name);
        assert!(
            !t.dedup_key.starts_with('\u{1f}'),
            "{t:?}: empty company key"
        );
        assert!(!(34..=38).contains(&t.row_number));
    }
}

#[test]
fn no_target_ever_has_the_empty_company_key() {
    let text = "Company,Contact Name\n!!!,Jo Smith\n?,Ann Lee\n(*),\nAcme,???\nAcme,\n";
    let (all, summary) = outcomes(text, &ImportOptions::default());
    let kept = rows(&all);
    assert_eq!(kept.len(), 2, "{all:?}");
    for t in kept {
        assert!(!t.dedup_key.starts_with('\u{1f}'), "{t:?}");
        assert_eq!(t.company_name, "Acme");
        assert_eq!(t.contact_name, None, "a lost contact name is set aside");
    }
    assert_eq!(summary.rejected_count, 3);
    // The second Acme row is the first one again: a lost contact name is no name.
    assert_eq!(summary.duplicates, 1);
    let lost_contact = warning(&summary, |w| w.column.as_deref() == Some("Contact Name"));
    assert_eq!(lost_contact.line, 5);
    assert!(lost_contact.reason.contains("kept in extra"));
    assert_eq!(crate::common::extra(rows(&all)[0])["Contact Name"], "???");
}
