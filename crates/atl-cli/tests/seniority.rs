//! `atl seniority` as a user runs it: titles as arguments, a file of titles (with
//! industries, blank lines and CRLF endings), the labelled set's score computed from the
//! command's own output, and a missing file refused with exit code 2. No database.

use atl_testkit::TempDir;
use std::process::{Command, Output};

const ATL: &str = env!("CARGO_BIN_EXE_atl");

fn atl(args: &[&str]) -> Output {
    Command::new(ATL).args(args).output().unwrap()
}

/// `atl seniority --file` on a file called `name` in a fresh directory, holding
/// `contents` (`None`: there is no such file).
fn seniority_file(name: &str, contents: Option<&str>) -> Output {
    let dir = TempDir::new("cli-seniority");
    let path = dir.join(name);
    if let Some(contents) = contents {
        std::fs::write(&path, contents).unwrap();
    }
    atl(&["seniority", "--file", path.to_str().unwrap()])
}

/// `out` of a command that must have succeeded (its stderr shown when it did not).
fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Asserts the `title<TAB>value` lines of `out` are `expected`.
fn assert_lines(out: &Output, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(t, v)| (t.to_string(), v.to_string()))
        .collect();
    assert_eq!(lines(out), expected);
}

fn lines(out: &Output) -> Vec<(String, String)> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| {
            let (t, v) = l.split_once('\t').expect("title<TAB>value");
            (t.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn titles_as_arguments_print_one_line_each() {
    let out = ok(atl(&[
        "seniority",
        "Co-CEO",
        "Product Owner",
        "VP-Sales",
        "Former CEO",
    ]));
    assert_lines(
        &out,
        &[
            ("Co-CEO", "c_suite"),
            ("Product Owner", "entry"),
            ("VP-Sales", "vp"),
            ("Former CEO", "none"),
        ],
    );
}

#[test]
fn a_file_takes_an_industry_after_a_tab_and_skips_blank_lines() {
    let file = "Vice President\tInvestment Banking\r\n\nVice President\n   \nGeschäftsführer\t\n";
    let out = ok(seniority_file("titles.txt", Some(file)));
    assert_lines(
        &out,
        &[
            ("Vice President", "manager"),
            ("Vice President", "vp"),
            ("Geschäftsführer", "c_suite"),
        ],
    );
}

#[test]
fn a_missing_file_is_refused_with_exit_code_2() {
    let out = seniority_file("no-such-file.txt", None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read") && err.contains("no-such-file.txt"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn the_labelled_set_scores_at_least_95_percent_through_the_command() {
    let labelled = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/titles/labelled_titles.tsv"
    ))
    .unwrap();
    let rows: Vec<Vec<&str>> = labelled
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    let input: String = rows
        .iter()
        .map(|c| format!("{}\t{}\n", c[0], c[1]))
        .collect();
    let out = ok(seniority_file("titles.tsv", Some(&input)));
    let got = lines(&out);
    assert_eq!(got.len(), rows.len(), "one line per title");
    let mut right = 0;
    for (row, (title, value)) in rows.iter().zip(&got) {
        assert_eq!(title, row[0].trim(), "output keeps the input order");
        right += usize::from(value == row[2]);
    }
    let pct = 100.0 * right as f64 / rows.len() as f64;
    println!("atl seniority: {right}/{} right ({pct:.1}%)", rows.len());
    assert!(pct >= 95.0, "{right}/{} right", rows.len());
}
