//! The Fortune 1000 list: a real, messy company list.

use crate::common::{
    cleaned, col, cols, extra, extra_value, import_table, non_empty, table, warning,
};

#[test]
fn fortune_1000_original_columns() {
    let (headers, raw, targets, summary) = import_table("companies/fortune1000_2021.csv");
    assert_eq!(targets.len(), 1000);
    assert_eq!(summary.targets, 1000);
    assert_eq!(summary.rejected_count, 0);
    assert!(targets.iter().any(|t| t.company_name == "Lowe\u{2019}s"));
    assert!(targets.iter().all(|t| !t.company_name.contains("&#")));

    // The derived target list (made by a separate script) has the domain of every website.
    let (derived_headers, derived) = table("companies/fortune1000_2021.target_list.csv");
    let derived_domain = col(&derived_headers, "domain");

    let [company, ceo, sector, ticker] = cols(&headers, ["company", "CEO", "sector", "Ticker"]);
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
    let (headers, raw, targets, summary) =
        import_table("companies/fortune1000_2021.target_list.csv");
    assert_eq!(targets.len(), 1000);
    let names = ["contact_name", "website", "domain", "industry"];
    let [name, website, domain, industry] = cols(&headers, names);
    // Co-CEOs share a cell as `First Person/Second Person`: the first is the contact, the
    // second moves to extra, and each such row has its warning. No other row warns.
    let mut split_lines = Vec::new();
    for (t, r) in targets.iter().zip(&raw) {
        let ceo = cleaned(&r[name]);
        match ceo.split_once('/') {
            Some((first, second)) => {
                split_lines.push(t.row_number);
                assert_eq!(t.contact_name.as_deref(), Some(first.trim()), "{ceo}");
                assert_eq!(
                    extra_value(t, "contact_name_2").as_deref(),
                    Some(second.trim()),
                    "{ceo}"
                );
            }
            None => {
                assert_eq!(t.contact_name, non_empty(ceo));
                assert_eq!(extra_value(t, "contact_name_2"), None);
            }
        }
        assert_eq!(t.website.as_deref(), Some(r[website].as_str()));
        assert_eq!(t.domain.as_deref(), Some(r[domain].as_str()));
        assert_eq!(t.contact_email, None);
        assert_eq!(t.linkedin_url, None);
        assert_eq!(extra_value(t, "industry"), non_empty(cleaned(&r[industry])));
    }
    assert!(targets.iter().any(|t| t.company_name == "Lowe\u{2019}s"));

    assert_eq!(split_lines.len(), 14);
    assert_eq!(summary.warning_count, 14);
    let warned: Vec<u64> = summary.warnings.iter().map(|w| w.line).collect();
    assert_eq!(warned, split_lines);
    let energy_transfer = warning(&summary, |w| {
        w.value.as_deref() == Some("Mackie McCrea/Tom Long")
    });
    assert_eq!(energy_transfer.line, 60);
    assert_eq!(energy_transfer.column.as_deref(), Some("contact_name"));
    assert_eq!(
        energy_transfer.reason,
        "the contact holds 2 people: kept \"Mackie McCrea\"; \"Tom Long\" moved to extra as \
         contact_name_2"
    );
}
