//! `atl seniority`: job titles → Apollo seniority, one `title<TAB>value` line each.

use anyhow::Result;
use atl_domain::seniority::{Seniority, classify};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Classifies `titles`, then every non-blank line of `file` (`title` or
/// `title<TAB>industry`). A file that cannot be read is the user's error: exit 2.
pub fn run(file: Option<&Path>, titles: &[String]) -> Result<ExitCode> {
    let text = match file.map(std::fs::read_to_string).transpose() {
        Ok(text) => text.unwrap_or_default(),
        Err(e) => {
            let path = file.map(Path::display);
            eprintln!(
                "error: cannot read {}: {e}",
                path.map_or(String::new(), |p| p.to_string())
            );
            return Ok(ExitCode::from(2));
        }
    };
    if titles.is_empty() && file.is_none() {
        eprintln!("error: give one or more titles, or --file with one title per line");
        return Ok(ExitCode::from(2));
    }
    let from_args = titles.iter().map(|t| (t.as_str(), None));
    let from_file = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once('\t') {
            Some((title, industry)) => (title, Some(industry.trim()).filter(|i| !i.is_empty())),
            None => (l, None),
        });
    let mut out = std::io::stdout().lock();
    for (title, industry) in from_args.chain(from_file) {
        let level = classify(title, industry).map_or("none", Seniority::as_str);
        // A tab inside a title would break the two-column output.
        writeln!(out, "{}\t{level}", title.trim().replace('\t', " "))?;
    }
    Ok(ExitCode::SUCCESS)
}
