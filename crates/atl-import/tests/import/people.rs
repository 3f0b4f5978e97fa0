//! Contact cells holding more than one person: the first is kept, the others move to
//! `extra` as `contact_name_2`, …, and the row warns; one person and companies do not.

use crate::common::{extra, outcomes, rows};
use atl_import::ImportOptions;

/// The contact kept, the names moved (in order), and whether the row warned.
fn read(cell: &str) -> (Option<String>, Vec<String>, bool) {
    let text = format!("Company,Contact Name\nAcme,\"{cell}\"\n");
    let (all, summary) = outcomes(&text, &ImportOptions::default());
    let t = rows(&all)[0];
    let extra = extra(t);
    let moved = (2..)
        .map_while(|n| extra.get(&format!("contact_name_{n}")))
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    if summary.warning_count > 0 {
        let w = &summary.warnings[0];
        assert_eq!(
            (w.line, w.column.as_deref()),
            (2, Some("Contact Name")),
            "{cell}"
        );
        assert_eq!(w.value.as_deref(), Some(cell));
    }
    (t.contact_name.clone(), moved, summary.warning_count > 0)
}

#[test]
fn contact_cells() {
    let check = |cell: &str, kept: &str, moved: &[&str], warned: bool| {
        assert_eq!(
            read(cell),
            (
                Some(kept.to_string()),
                moved.iter().map(|m| m.to_string()).collect(),
                warned
            ),
            "{cell:?}"
        );
    };
    check(
        "Reed Hastings/Ted Sarandos",
        "Reed Hastings",
        &["Ted Sarandos"],
        true,
    );
    check(
        "Mackie McCrea/Tom Long",
        "Mackie McCrea",
        &["Tom Long"],
        true,
    );
    check("Jo Smith & Ann Lee", "Jo Smith", &["Ann Lee"], true);
    check("Jo Smith and Ann Lee", "Jo Smith", &["Ann Lee"], true);
    check("Jo Smith; Ann Lee", "Jo Smith", &["Ann Lee"], true);
    check("Jo Smith, Ann Lee", "Jo Smith", &["Ann Lee"], true);
    check(
        "Jo Smith/Ann Lee/Kim Park",
        "Jo Smith",
        &["Ann Lee", "Kim Park"],
        true,
    );
    // One person written last-first, or with a suffix: nothing moves, nothing warns.
    check("Smith, John", "Smith, John", &[], false);
    check("King, Martin Luther", "King, Martin Luther", &[], false);
    check(
        "Martin Luther King, Jr.",
        "Martin Luther King, Jr.",
        &[],
        false,
    );
    check("Ronald P. O&#039;Hanley", "Ronald P. O'Hanley", &[], false);
    // A company in the contact column is not two people.
    check("Procter & Gamble", "Procter & Gamble", &[], false);
    check("Smith and Wesson", "Smith and Wesson", &[], false);
    // Names that cannot be cut without losing a surname: kept, but never silently.
    check("Mary & John Smith", "Mary & John Smith", &[], true);
}

#[test]
fn a_moved_name_never_overwrites_a_column_of_the_file() {
    let text = "Company,Contact Name,contact_name_2\nAcme,Jo Smith/Ann Lee,from the file\n";
    let (all, summary) = outcomes(text, &ImportOptions::default());
    let extra = extra(rows(&all)[0]);
    assert_eq!(extra["contact_name_2"], "from the file");
    assert_eq!(extra["contact_name_2 (moved)"], "Ann Lee");
    assert!(
        summary.warnings[0]
            .reason
            .contains("contact_name_2 (moved)")
    );
}

#[test]
fn people_in_first_and_last_name_columns_are_checked_too() {
    let text = "Company,First Name,Last Name\nAcme,Reed,Hastings/Ted Sarandos\n";
    let (all, summary) = outcomes(text, &ImportOptions::default());
    let t = rows(&all)[0];
    assert_eq!(t.contact_name.as_deref(), Some("Reed Hastings"));
    assert_eq!(extra(t)["contact_name_2"], "Ted Sarandos");
    assert_eq!(summary.warnings[0].column.as_deref(), Some("First Name"));
}
