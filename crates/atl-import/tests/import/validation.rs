//! Row validation, duplicates, overrides and line numbers, on small inline files.

use crate::common::{extra, map, outcomes, rows};
use atl_import::{ImportError, ImportOptions, Importer, RowOutcome, Severity, import_all};

#[test]
fn missing_company_is_rejected_with_line_and_column() {
    let text = "Account Name,Email\n\nAcme,jo@acme.com\n  ,ann@beta.com\nNULL,x@y.com\n";
    let (all, summary) = outcomes(text, &ImportOptions::default());
    assert_eq!(rows(&all).len(), 1);
    assert_eq!(
        rows(&all)[0].row_number,
        3,
        "the blank line 2 is skipped but counted"
    );
    let lines: Vec<u64> = summary.rejected.iter().map(|i| i.line).collect();
    assert_eq!(lines, [4, 5]);
    for issue in &summary.rejected {
        assert_eq!(issue.column.as_deref(), Some("Account Name"));
        assert!(issue.reason.contains("company"));
    }
}

#[test]
fn bad_email_and_linkedin_become_warnings_and_stay_in_extra() {
    let text = "Company,Work Email,LinkedIn URL\nAcme,not-an-email,linkedin.com/in/jo\nBeta,ann@beta.com,https://example.com/in/ann\n";
    let (all, summary) = outcomes(text, &ImportOptions::default());
    let t = rows(&all);
    assert_eq!(t[0].contact_email, None);
    assert_eq!(extra(t[0])["Work Email"], "not-an-email");
    assert_eq!(
        t[0].linkedin_url.as_deref(),
        Some("https://linkedin.com/in/jo")
    );
    assert_eq!(t[1].contact_email.as_deref(), Some("ann@beta.com"));
    assert_eq!(t[1].linkedin_url, None);
    assert_eq!(extra(t[1])["LinkedIn URL"], "https://example.com/in/ann");
    assert_eq!(summary.warning_count, 2);
    let w = &summary.warnings[0];
    assert_eq!(
        (w.line, w.column.as_deref(), w.value.as_deref()),
        (2, Some("Work Email"), Some("not-an-email"))
    );
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(summary.warnings[1].line, 3);
}

#[test]
fn html_entities_are_decoded_in_every_field() {
    let text = "Company,Title,Notes\nLowe&#8217;s,VP &amp; GM,R&amp;D &lt;3\n";
    let (all, _) = outcomes(text, &ImportOptions::default());
    let t = rows(&all)[0];
    assert_eq!(t.company_name, "Lowe\u{2019}s");
    assert_eq!(t.contact_title.as_deref(), Some("VP & GM"));
    assert_eq!(extra(t)["Notes"], "R&D <3");
}

#[test]
fn website_is_normalised_and_domain_derived_unless_given() {
    let text =
        "Company,Website,Domain\nA,www.acme.com,\nB,https://beta.io/x,beta.com\nC,,WWW.Gamma.org\n";
    let (all, _) = outcomes(text, &ImportOptions::default());
    let t = rows(&all);
    assert_eq!(t[0].website.as_deref(), Some("https://www.acme.com"));
    assert_eq!(t[0].domain.as_deref(), Some("acme.com"));
    assert_eq!(
        t[1].domain.as_deref(),
        Some("beta.com"),
        "the Domain column wins"
    );
    assert_eq!(t[2].website, None);
    assert_eq!(t[2].domain.as_deref(), Some("gamma.org"));
}

#[test]
fn duplicates_are_flagged_counted_and_merged() {
    let text = "Company,Email,Title\nAcme Inc,jo@acme.com,\n\"ACME, Inc.\",JO@acme.com,CEO\nAcme Inc,ann@acme.com,\nAcme Inc.,Jo@Acme.com,CTO\n";
    let (all, summary) = outcomes(text, &ImportOptions::default());
    let firsts: Vec<Option<u64>> = all
        .iter()
        .map(|o| match o {
            RowOutcome::Duplicate { first_line, .. } => Some(*first_line),
            _ => None,
        })
        .collect();
    assert_eq!(firsts, [None, Some(2), None, Some(2)]);
    assert_eq!((summary.targets, summary.duplicates), (2, 2));
    if let RowOutcome::Duplicate { target, .. } = &all[1] {
        assert_eq!(
            target.contact_title.as_deref(),
            Some("CEO"),
            "the row is carried"
        );
    }

    let (targets, _) = import_all(text.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(targets.len(), 2);
    assert_eq!(
        targets[0].contact_title.as_deref(),
        Some("CEO"),
        "blank filled from the first duplicate"
    );
    assert_eq!(
        targets[0].company_name, "Acme Inc",
        "the first row's values are kept"
    );
}

#[test]
fn user_map_overrides_built_in_names() {
    let text = "Company,Company Legal Name,Site\nAcme,Acme Holdings LLC,acme.com\n";
    let options = map(&[("company legal name", "company_name"), ("SITE", "website")]);
    let (all, summary) = outcomes(text, &options);
    let t = rows(&all)[0];
    assert_eq!(t.company_name, "Acme Holdings LLC");
    assert_eq!(t.domain.as_deref(), Some("acme.com"));
    assert_eq!(extra(t)["Company"], "Acme");
    assert!(
        summary
            .mapping
            .iter()
            .any(|m| m.header == "Site" && m.field == atl_import::Field::Website)
    );

    let missing = Importer::new(text, &map(&[("Legal", "company_name")]));
    assert!(
        matches!(missing, Err(ImportError::BadColumnMap(m)) if m.contains("\"Legal\"") && m.contains("\"Site\""))
    );
}

#[test]
fn header_search_tolerates_a_report_title() {
    let text = "Pipeline report\nGenerated 2026-11-24\n\nFirst Name,Last Name,Company\r\nJo,Smith,Acme\r\n\"Multi\nline\",X,Beta\r\nAnn,Lee,Gamma\r\n";
    let (all, summary) = outcomes(text, &ImportOptions::default());
    assert_eq!(summary.header_line, 4);
    let lines: Vec<u64> = rows(&all).iter().map(|t| t.row_number).collect();
    assert_eq!(
        lines,
        [5, 6, 8],
        "a quoted newline spans two physical lines"
    );
    assert_eq!(rows(&all)[1].contact_name.as_deref(), Some("Multi\nline X"));
}

#[test]
fn no_company_column_lists_the_headers_in_its_message() {
    let err = import_all(
        b"First Name,Email\nJo,jo@x.com\n",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ImportError::NoCompanyColumn {
            headers: vec!["First Name".into(), "Email".into()]
        }
    );
    assert!(err.to_string().contains("\"First Name\", \"Email\""));
}

#[test]
fn binary_junk_empty_and_header_only_files() {
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend((0..2000u32).map(|i| (i * 7919 % 251) as u8));
    assert_eq!(
        import_all(&png, &ImportOptions::default()).unwrap_err(),
        ImportError::NotText
    );
    assert_eq!(
        import_all(b"", &ImportOptions::default()).unwrap_err(),
        ImportError::Empty
    );
    assert_eq!(
        import_all(b"\xEF\xBB\xBF\r\n", &ImportOptions::default()).unwrap_err(),
        ImportError::Empty
    );

    let (targets, summary) = import_all(b"Company,Email\r\n", &ImportOptions::default()).unwrap();
    assert!(targets.is_empty());
    assert_eq!((summary.rows_read, summary.targets), (0, 0));
    assert_eq!(summary.headers, ["Company", "Email"]);
}

#[test]
fn summary_serialises_to_json() {
    let (_, summary) = import_all(
        b"company;email\nAcme;bad\n;x@y.z\n",
        &ImportOptions::default(),
    )
    .unwrap();
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["delimiter"], ";");
    assert_eq!(json["encoding"], "UTF-8");
    assert_eq!(json["targets"], 1);
    assert_eq!(json["rejected"][0]["line"], 3);
    assert_eq!(json["rejected"][0]["severity"], "rejected");
    assert_eq!(json["warnings"][0]["column"], "email");
    assert_eq!(json["mapping"][0]["field"], "company_name");
}
