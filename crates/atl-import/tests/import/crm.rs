//! Header layouts that real tools export.

use crate::common::{col, cols, extra, import_table, line_starting_with, outcomes, rows, text};
use atl_import::{Field, ImportOptions, Importer, Severity};

fn field_header(importer: &Importer<'_>, field: Field) -> Option<String> {
    importer
        .layout()
        .mapping
        .iter()
        .find(|m| m.field == field)
        .map(|m| m.header.clone())
}

#[test]
fn salesforce_account_export_maps_name_and_website() {
    let (headers, raw, targets, summary) =
        import_table("crm-headers/salesforce/dataloader_insertAccountCsv.csv");
    assert_eq!(targets.len(), 100);
    assert_eq!(summary.targets, 100);
    let [name, website, phone] = cols(&headers, ["NAME", "WEBSITE", "PHONE"]);
    for (t, r) in targets.iter().zip(&raw) {
        assert_eq!(t.company_name, r[name]);
        assert_eq!(t.website.as_deref(), Some(r[website].as_str()));
        let host = r[website]
            .trim_start_matches("http://")
            .trim_start_matches("www.");
        assert_eq!(t.domain.as_deref(), Some(host.to_lowercase().as_str()));
        assert_eq!(extra(t)["PHONE"], r[phone].as_str());
    }
}

#[test]
fn thunderbird_address_book_layout() {
    let file = "crm-headers/thunderbird/basic_csv_addressbook.csv";
    let text = text(file);
    let importer = Importer::new(&text, &ImportOptions::default()).unwrap();
    for (field, header) in [
        (Field::CompanyName, "Organization"),
        (Field::FirstName, "First Name"),
        (Field::LastName, "Last Name"),
        (Field::ContactEmail, "Primary Email"),
        (Field::ContactTitle, "Job Title"),
        (Field::Website, "Web Page 1"),
    ] {
        assert_eq!(
            field_header(&importer, field).as_deref(),
            Some(header),
            "{field:?}"
        );
    }
    assert!(
        importer
            .layout()
            .extra_headers
            .contains(&"Display Name".to_string())
    );

    // The fixture's people have no organisation: they are rejected, naming the column.
    let (all, summary) = outcomes(&text, &ImportOptions::default());
    assert!(rows(&all).is_empty());
    assert_eq!(summary.rejected_count, 2);
    for (issue, who) in summary.rejected.iter().zip(["John", "Jane"]) {
        assert_eq!(issue.line, line_starting_with(&text, who));
        assert_eq!(issue.column.as_deref(), Some("Organization"));
        assert_eq!(issue.severity, Severity::Rejected);
    }

    // The same layout filled in, built from the fixture's own header line.
    let header_line = text.lines().next().unwrap();
    let headers: Vec<&str> = header_line.split(',').collect();
    let mut cells = vec![""; headers.len()];
    for (h, v) in [
        ("First Name", "Ada"),
        ("Last Name", "Lovelace"),
        ("Display Name", "Ada L."),
        ("Primary Email", "ada@engines.example"),
        ("Job Title", "Founder"),
        ("Organization", "Analytical Engines"),
        ("Web Page 1", "engines.example/about"),
    ] {
        cells[headers.iter().position(|x| *x == h).unwrap()] = v;
    }
    let filled = format!("{header_line}\n{}\n", cells.join(","));
    let (all, _) = outcomes(&filled, &ImportOptions::default());
    let t = rows(&all)[0];
    assert_eq!(t.company_name, "Analytical Engines");
    assert_eq!(t.contact_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(t.contact_email.as_deref(), Some("ada@engines.example"));
    assert_eq!(t.contact_title.as_deref(), Some("Founder"));
    assert_eq!(t.website.as_deref(), Some("https://engines.example/about"));
    assert_eq!(t.domain.as_deref(), Some("engines.example"));
    assert_eq!(extra(t)["Display Name"], "Ada L.");
}

#[test]
fn thunderbird_semicolon_file_uses_display_name_as_last_resort_company() {
    let (headers, raw, targets, summary) =
        import_table("crm-headers/thunderbird/csv_semicolon.csv");
    assert_eq!(summary.delimiter, ';');
    assert_eq!(targets.len(), raw.len());
    let names = ["Display Name", "First Name", "Last Name", "Primary Email"];
    let [display, first, last, email] = cols(&headers, names);
    for (t, r) in targets.iter().zip(&raw) {
        assert_eq!(t.company_name, r[display]);
        assert_eq!(t.contact_name, Some(format!("{} {}", r[first], r[last])));
        assert_eq!(t.contact_email.as_deref(), Some(r[email].as_str()));
    }
}

#[test]
fn thunderbird_fully_quoted_file_takes_the_organization() {
    let (headers, raw, targets, _) = import_table("crm-headers/thunderbird/quote.csv");
    assert_eq!(targets.len(), 1);
    let t = &targets[0];
    assert_eq!(t.company_name, raw[0][col(&headers, "Organization")]);
    assert_eq!(t.contact_name, None);
    let e = extra(t);
    assert_eq!(
        e["Display Name"],
        raw[0][col(&headers, "Display Name")].as_str()
    );
    assert_eq!(
        e["Work Phone"],
        raw[0][col(&headers, "Work Phone")].as_str()
    );
    assert!(!e.contains_key("Home Phone"), "\"\" empties are skipped");
}

#[test]
fn linkedin_export_skips_the_notes_preamble() {
    let file = "crm-headers/linkedin_connections_export_format_sample.csv";
    let text = text(file);
    let (headers, raw, targets, summary) = import_table(file);
    assert_eq!(headers[0], "First Name");
    assert_eq!(
        summary.header_line,
        line_starting_with(&text, "First Name,")
    );
    assert!(summary.header_line > 1);
    assert_eq!(targets.len(), raw.len());
    let names = ["First Name", "Last Name", "URL", "Company", "Position"];
    let [first, last, url, company, position] = cols(&headers, names);
    for (t, r) in targets.iter().zip(&raw) {
        assert_eq!(
            t.row_number,
            line_starting_with(&text, &format!("{},", r[first]))
        );
        assert_eq!(t.linkedin_url.as_deref(), Some(r[url].as_str()));
        assert_eq!(t.company_name, r[company]);
        assert_eq!(t.contact_title.as_deref(), Some(r[position].as_str()));
        assert_eq!(t.contact_name, Some(format!("{} {}", r[first], r[last])));
        assert_eq!(t.contact_email, None);
        assert_eq!(t.website, None, "a LinkedIn URL is not the company website");
    }
    assert!(
        targets
            .iter()
            .any(|t| extra(t).contains_key("Connected On"))
    );
}
