//! `atl seniority` as a user runs it: titles as arguments, a file of titles (with
//! industries, blank lines and CRLF endings), the labelled set's score computed from the
//! command's own output, and a missing file refused with exit code 2. No database.

use std::path::PathBuf;
use std::process::{Command, Output};

const ATL: &str = env!("CARGO_BIN_EXE_atl");

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("atl-cli-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn atl(args: &[&str]) -> Output {
    Command::new(ATL).args(args).output().unwrap()
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
    let out = atl(&[
        "seniority",
        "Co-CEO",
        "Product Owner",
        "VP-Sales",
        "Former CEO",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        lines(&out),
        [
            ("Co-CEO", "c_suite"),
            ("Product Owner", "entry"),
            ("VP-Sales", "vp"),
            ("Former CEO", "none"),
        ]
        .map(|(t, v)| (t.to_string(), v.to_string()))
    );
}

#[test]
fn a_file_takes_an_industry_after_a_tab_and_skips_blank_lines() {
    let dir = TempDir::new("seniority-file");
    let path = dir.0.join("titles.txt");
    std::fs::write(
        &path,
        "Vice President\tInvestment Banking\r\n\nVice President\n   \nGeschäftsführer\t\n",
    )
    .unwrap();
    let out = atl(&["seniority", "--file", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        lines(&out),
        [
            ("Vice President", "manager"),
            ("Vice President", "vp"),
            ("Geschäftsführer", "c_suite"),
        ]
        .map(|(t, v)| (t.to_string(), v.to_string()))
    );
}

#[test]
fn a_missing_file_is_refused_with_exit_code_2() {
    let dir = TempDir::new("seniority-missing");
    let path = dir.0.join("no-such-file.txt");
    let out = atl(&["seniority", "--file", path.to_str().unwrap()]);
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
    let dir = TempDir::new("seniority-labelled");
    let path = dir.0.join("titles.tsv");
    let input: String = rows
        .iter()
        .map(|c| format!("{}\t{}\n", c[0], c[1]))
        .collect();
    std::fs::write(&path, input).unwrap();

    let out = atl(&["seniority", "--file", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
