//! The seniority classifier against the labelled titles in
//! `testdata/titles/labelled_titles.tsv` (real titles from O*NET, ESCO, CRM samples and
//! public pages, labelled by the guide in `testdata/SOURCES.md`). Prints the score and
//! every miss, and fails under 95%.
//!
//! The holdout (about one row in seven, chosen by a hash of the title and industry, so it
//! is fixed without a second file) was set aside before the rules were written and was
//! not looked at while tuning them; its score is printed on its own.

use atl_domain::seniority::{Seniority, classify};

struct Row {
    line: usize,
    title: String,
    industry: String,
    expected: Option<Seniority>,
    source: String,
}

fn rows() -> Vec<Row> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/titles/labelled_titles.tsv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "line {}: four columns: {line:?}", i + 1);
        let expected = match cols[2] {
            "none" => None,
            s => Some(Seniority::parse(s).unwrap_or_else(|| panic!("line {}: {s:?}", i + 1))),
        };
        assert!(
            !cols[3].is_empty(),
            "line {}: every row names its source",
            i + 1
        );
        rows.push(Row {
            line: i + 1,
            title: cols[0].to_string(),
            industry: cols[1].to_string(),
            expected,
            source: cols[3].to_string(),
        });
    }
    rows
}

/// FNV-1a (32 bit) of "title\tindustry": the holdout is the rows where it is 0 mod 7.
fn in_holdout(row: &Row) -> bool {
    let mut h: u32 = 0x811c_9dc5;
    for b in format!("{}\t{}", row.title, row.industry).bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.is_multiple_of(7)
}

fn name(s: Option<Seniority>) -> &'static str {
    s.map_or("none", Seniority::as_str)
}

#[test]
fn labelled_titles_score_at_least_95_percent() {
    let rows = rows();
    assert!(rows.len() >= 300, "at least 300 labelled titles");
    let (mut right, mut holdout, mut holdout_right) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for row in &rows {
        let industry = (!row.industry.is_empty()).then_some(row.industry.as_str());
        let got = classify(&row.title, industry);
        let ok = got == row.expected;
        right += usize::from(ok);
        if in_holdout(row) {
            holdout += 1;
            holdout_right += usize::from(ok);
        }
        if !ok {
            misses.push(format!(
                "  line {}: {:?} (industry {:?}): expected {}, got {}{}",
                row.line,
                row.title,
                row.industry,
                name(row.expected),
                name(got),
                if in_holdout(row) { " [holdout]" } else { "" }
            ));
        }
    }
    let pct = |n: usize, m: usize| 100.0 * n as f64 / m.max(1) as f64;
    println!(
        "seniority: {right}/{} right ({:.1}%)",
        rows.len(),
        pct(right, rows.len())
    );
    println!(
        "seniority holdout: {holdout_right}/{holdout} right ({:.1}%)",
        pct(holdout_right, holdout)
    );
    for m in &misses {
        println!("{m}");
    }
    assert!(holdout >= 40, "the holdout keeps about one row in seven");
    assert!(
        pct(right, rows.len()) >= 95.0,
        "seniority: {right}/{} right, under 95%",
        rows.len()
    );
}

#[test]
fn the_set_covers_every_value_and_language() {
    let rows = rows();
    for level in Seniority::ALL.map(Some).into_iter().chain([None]) {
        assert!(
            rows.iter().any(|r| r.expected == level),
            "no labelled row expects {}",
            name(level)
        );
    }
    // At least 15 titles in each of the six languages besides English: a source tag
    // ends with the title's language when it is not English (see SOURCES.md).
    for lang in ["fr", "de", "es", "pt", "it", "ja"] {
        let suffix = format!("-{lang}");
        let n = rows.iter().filter(|r| r.source.ends_with(&suffix)).count();
        assert!(n >= 15, "{lang}: {n} titles, want at least 15");
    }
}

#[test]
fn catalogue_titles_are_in_the_copied_catalogue_samples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/titles");
    let column = |file: &str, col: usize| -> Vec<String> {
        std::fs::read_to_string(format!("{dir}/{file}"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split('\t').nth(col).unwrap().to_string())
            .collect()
    };
    let catalogues = [
        (
            "onet27-alt",
            column("onet-27.0/Alternate_Titles.sample.txt", 1),
        ),
        (
            "onet27-rep",
            column("onet-27.0/Sample_of_Reported_Titles.sample.txt", 1),
        ),
        ("esco-fr", column("esco/occupations_fr.sample.tsv", 3)),
        ("esco-es", column("esco/occupations_es.sample.tsv", 3)),
    ];
    let mut checked = 0;
    for row in rows() {
        if let Some((_, titles)) = catalogues.iter().find(|(tag, _)| *tag == row.source) {
            assert!(
                titles.contains(&row.title),
                "line {}: {:?} is not in the {} sample",
                row.line,
                row.title,
                row.source
            );
            checked += 1;
        }
    }
    assert!(checked >= 200, "{checked} catalogue rows checked");
}
