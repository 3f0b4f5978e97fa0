//! The Fortune 1000 list: a real, messy company list.

use crate::common::{cleaned, col, extra, extra_value, import_file, non_empty, table};
use atl_import::ImportOptions;

#[test]
fn fortune_1000_original_columns() {
    let file = "companies/fortune1000_2021.csv";
    let (headers, raw) = table(file);
    let (targets, summary) = import_file(file, &ImportOptions::default());
    assert_eq!(targets.len(), 1000);
    assert_eq!(summary.targets, 1000);
    assert_eq!(summary.rejected_count, 0);
    assert!(targets.iter().any(|t| t.company_name == "Lowe\u{2019}s"));
    assert!(targets.iter().all(|t| !t.company_name.contains("&#")));

    // The derived target list (made by a separate script) has the domain of every website.
    let (derived_headers, derived) = table("companies/fortune1000_2021.target_list.csv");
    let derived_domain = col(&derived_headers, "domain");

    let (company, ceo, sector, ticker) = (
        col(&headers, "company"),
        col(&headers, "CEO"),
        col(&headers, "sector"),
        col(&headers, "Ticker"),
    );
    for (i, ((t, r), d)) in targets.iter().zip(&raw).zip(&derived).enumerate() {
        assert_eq!(t.row_number, i as u64 + 2);
        assert_eq!(t.company_name, cleaned(&r[company]));
        assert_eq!(
            t.domain.as_deref(),
            Some(d[derived_domain].as_str()),
            "{}",
            t.company_name
        );
        for i in [ceo, sector, ticker] {
            assert_eq!(
                extra_value(t, &headers[i]),
                non_empty(cleaned(&r[i])),
                "{}",
                headers[i]
            );
        }
    }
    assert!(
        targets
            .iter()
            .any(|t| extra(t)["sector"] == "Food, Beverages & Tobacco"),
        "quoted commas stay inside their field"
    );
}

#[test]
fn fortune_1000_target_list_columns() {
    let file = "companies/fortune1000_2021.target_list.csv";
    let (headers, raw) = table(file);
    let (targets, summary) = import_file(file, &ImportOptions::default());
    assert_eq!(targets.len(), 1000);
    assert_eq!(summary.warning_count, 0);
    let (name, website, domain, industry) = (
        col(&headers, "contact_name"),
        col(&headers, "website"),
        col(&headers, "domain"),
        col(&headers, "industry"),
    );
    for (t, r) in targets.iter().zip(&raw) {
        assert_eq!(t.contact_name, non_empty(cleaned(&r[name])));
        assert_eq!(t.website.as_deref(), Some(r[website].as_str()));
        assert_eq!(t.domain.as_deref(), Some(r[domain].as_str()));
        assert_eq!(t.contact_email, None);
        assert_eq!(t.linkedin_url, None);
        assert_eq!(extra_value(t, "industry"), non_empty(cleaned(&r[industry])));
    }
    assert!(targets.iter().any(|t| t.company_name == "Lowe\u{2019}s"));
}
