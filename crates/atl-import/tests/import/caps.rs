//! Length caps: every entry of `CELL_CAPS` is exercised at its limit and one past it, and
//! the importer must do what the table says.

use crate::common::{extra, outcomes, rows};
use atl_domain::NewTarget;
use atl_import::caps::{cap, kind_of};
use atl_import::{
    CELL_CAPS, CapKind, Field, ImportOptions, Overflow, RowOutcome, Severity, import_all,
};

/// `2049` -> `2,049`, as the messages print lengths.
fn commas(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn cut(value: &str, chars: usize) -> String {
    value.chars().take(chars).collect()
}

/// A header for `field` and a valid value of exactly `len` characters (with a multi-byte
/// character in it where the syntax allows, so cuts must respect character boundaries).
fn sample(field: Field, len: usize) -> (&'static str, String) {
    let fill = |prefix: &str, suffix: &str| {
        let n = len - prefix.chars().count() - suffix.chars().count();
        format!("{prefix}{}{suffix}", "é".repeat(n))
    };
    match field {
        Field::CompanyName => ("Company", fill("A", "")),
        Field::ContactName => ("Contact Name", fill("Jo ", "")),
        Field::FirstName => ("First Name", fill("J", "")),
        Field::LastName => ("Last Name", fill("S", "")),
        Field::ContactTitle => ("Title", fill("VP ", "")),
        Field::ContactEmail => ("Email", format!("jo@{}.example", "a".repeat(len - 11))),
        Field::LinkedinUrl => ("LinkedIn URL", fill("https://linkedin.com/in/", "")),
        Field::Website => ("Website", fill("https://acme.example/", "")),
        Field::Domain => ("Domain", fill("acme.example/", "")),
    }
}

/// What the target holds for `field`, and what it should hold for a valid `value`.
fn stored(t: &NewTarget, field: Field, value: &str) -> (Option<String>, String) {
    match field {
        Field::CompanyName => (Some(t.company_name.clone()), value.to_string()),
        Field::ContactName | Field::FirstName | Field::LastName => {
            (t.contact_name.clone(), value.to_string())
        }
        Field::ContactTitle => (t.contact_title.clone(), value.to_string()),
        Field::ContactEmail => (t.contact_email.clone(), value.to_string()),
        Field::LinkedinUrl => (t.linkedin_url.clone(), value.to_string()),
        Field::Website => (t.website.clone(), value.to_string()),
        Field::Domain => (t.domain.clone(), "acme.example".to_string()),
    }
}

/// A two-row file: the header and one row with `value` under `header` (and a company).
fn one_row(header: &str, value: &str) -> String {
    let value = value.replace('"', "\"\"");
    if header == "Company" {
        format!("Company,Notes\n\"{value}\",x\n")
    } else {
        format!("Company,{header}\nAcme,\"{value}\"\n")
    }
}

#[test]
fn every_field_cap_holds_at_its_limit_and_acts_as_the_table_says_past_it() {
    let extra_limit = cap(CapKind::ExtraColumn).limit;
    for field in Field::ALL {
        let cap = cap(kind_of(field));
        let (header, at_limit) = sample(field, cap.limit);
        assert_eq!(at_limit.chars().count(), cap.limit);
        let (all, summary) = outcomes(&one_row(header, &at_limit), &ImportOptions::default());
        let t = rows(&all)[0];
        let (got, want) = stored(t, field, &at_limit);
        assert_eq!(got.as_deref(), Some(want.as_str()), "{field} at its limit");
        assert_eq!(summary.warning_count, 0, "{field}: {:?}", summary.warnings);

        let (_, past) = sample(field, cap.limit + 1);
        let (all, summary) = outcomes(&one_row(header, &past), &ImportOptions::default());
        let issue = match cap.overflow {
            Overflow::RejectRow => {
                let RowOutcome::Rejected(issue) = &all[0] else {
                    panic!("{field}: {:?}", all[0]);
                };
                assert_eq!(issue.severity, Severity::Rejected);
                issue.clone()
            }
            Overflow::SetAside => {
                let t = rows(&all)[0];
                assert_eq!(stored(t, field, &past).0, None, "{field} is set aside");
                let kept = cut(&past, extra_limit);
                assert_eq!(extra(t)[header], kept.as_str(), "{field} kept in extra");
                assert_eq!(summary.warning_count, 1, "{field}: {:?}", summary.warnings);
                summary.warnings[0].clone()
            }
            Overflow::Truncate => {
                let t = rows(&all)[0];
                let (got, _) = stored(t, field, &past);
                assert_eq!(got, Some(cut(&past, cap.limit)), "{field} cut");
                summary.warnings[0].clone()
            }
            Overflow::DropColumns => panic!("{field}: dropping columns is for extra only"),
        };
        assert_eq!(issue.line, 2, "{field}");
        assert_eq!(issue.column.as_deref(), Some(header), "{field}");
        let length = format!(
            "is {} characters long, over the {}-character limit",
            commas(cap.limit + 1),
            commas(cap.limit)
        );
        assert!(issue.reason.contains(&length), "{field}: {}", issue.reason);
        let quoted = issue.value.as_deref().unwrap_or_default();
        assert!(
            quoted.chars().count() <= 121,
            "{field}: the report quotes a preview"
        );
    }
}

#[test]
fn extra_column_and_header_caps() {
    for c in CELL_CAPS {
        match c.kind {
            CapKind::ExtraColumn => {
                assert_eq!(c.overflow, Overflow::Truncate);
                let value = "ü".repeat(c.limit + 1);
                let (all, summary) = outcomes(&one_row("Notes", &value), &ImportOptions::default());
                assert_eq!(extra(rows(&all)[0])["Notes"], cut(&value, c.limit).as_str());
                let w = &summary.warnings[0];
                assert_eq!((w.line, w.column.as_deref()), (2, Some("Notes")));
                assert!(w.reason.contains(&commas(c.limit + 1)), "{}", w.reason);
                let (all, summary) = outcomes(
                    &one_row("Notes", &cut(&value, c.limit)),
                    &ImportOptions::default(),
                );
                assert_eq!(
                    extra(rows(&all)[0])["Notes"]
                        .as_str()
                        .unwrap()
                        .chars()
                        .count(),
                    c.limit
                );
                assert_eq!(summary.warning_count, 0);
            }
            CapKind::Header => {
                assert_eq!(c.overflow, Overflow::Truncate);
                let long = "H".repeat(c.limit + 1);
                let text = format!("Company,{long}\nAcme,x\n");
                let (all, summary) = outcomes(&text, &ImportOptions::default());
                let kept = "H".repeat(c.limit);
                assert_eq!(summary.headers, ["Company".to_string(), kept.clone()]);
                assert_eq!(extra(rows(&all)[0])[kept.as_str()], "x");
                let w = &summary.warnings[0];
                assert_eq!((w.line, w.column.as_deref()), (1, Some(kept.as_str())));
            }
            CapKind::ExtraJson => {
                assert_eq!(c.overflow, Overflow::DropColumns);
                // Twelve full columns cannot all fit in one row's extra.
                let columns = 12;
                let value_limit = cap(CapKind::ExtraColumn).limit;
                let headers: Vec<String> = (1..=columns).map(|i| format!("Note {i}")).collect();
                let values: Vec<String> = (1..=columns)
                    .map(|i| char::from(b'a' + i as u8).to_string().repeat(value_limit))
                    .collect();
                let text = format!("Company,{}\nAcme,{}\n", headers.join(","), values.join(","));
                let (all, summary) = outcomes(&text, &ImportOptions::default());
                let t = rows(&all)[0];
                assert!(t.extra.len() <= c.limit, "{} bytes", t.extra.len());
                let kept = extra(t);
                let fits = (c.limit - 2) / (value_limit + "\"Note 1\":\"\",".len() + 2);
                assert!(kept.len() >= fits, "{} columns kept", kept.len());
                // The kept ones are the first in file order, intact.
                for (h, v) in headers.iter().zip(&values).take(kept.len()) {
                    assert_eq!(kept[h.as_str()], v.as_str());
                }
                let w = &summary.warnings[0];
                assert_eq!(w.line, 2);
                let first_dropped = &headers[kept.len()];
                assert!(
                    w.reason.contains(&format!("\"{first_dropped}\"")),
                    "{}",
                    w.reason
                );
                assert!(w.reason.contains("16 KB"), "{}", w.reason);
            }
            _ => assert!(
                Field::ALL.iter().any(|&f| kind_of(f) == c.kind),
                "{:?} is a field's cap, tested above",
                c.kind
            ),
        }
    }
}

#[test]
fn a_ten_megabyte_company_name_is_rejected_and_not_quoted_whole() {
    let huge = "A".repeat(10 * 1024 * 1024);
    let text = format!("Company,Notes\n{huge},x\nAcme,y\n");
    let (targets, summary) = import_all(text.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].company_name, "Acme");
    assert_eq!(summary.rejected_count, 1);
    let issue = &summary.rejected[0];
    assert_eq!((issue.line, issue.column.as_deref()), (2, Some("Company")));
    assert!(
        issue
            .reason
            .contains("is 10,485,760 characters long, over the 300-character limit"),
        "{}",
        issue.reason
    );
    let report = serde_json::to_string(&summary).unwrap();
    assert!(report.len() < 4096, "the report is {} bytes", report.len());
}

#[test]
fn merging_a_duplicate_keeps_extra_under_its_cap() {
    let limit = cap(CapKind::ExtraJson).limit;
    let value_limit = cap(CapKind::ExtraColumn).limit;
    let headers: Vec<String> = (1..=16).map(|i| format!("Note {i}")).collect();
    let full = "x".repeat(value_limit);
    // The first row fills notes 1–7, its duplicate notes 8–16: together they would be
    // twice what one row may hold.
    let first: Vec<&str> = (1..=16)
        .map(|i| if i <= 7 { full.as_str() } else { "" })
        .collect();
    let second: Vec<&str> = (1..=16)
        .map(|i| if i > 7 { full.as_str() } else { "" })
        .collect();
    let text = format!(
        "Company,{}\nAcme,{}\nAcme,{}\n",
        headers.join(","),
        first.join(","),
        second.join(",")
    );
    let (targets, summary) = import_all(text.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!((targets.len(), summary.duplicates), (1, 1));
    let merged = &targets[0].extra;
    assert!(merged.len() <= limit, "{} bytes", merged.len());
    let kept = extra(&targets[0]);
    assert!(kept.len() > 7, "blanks are still filled while they fit");
    assert!(kept.len() < 16);
}
