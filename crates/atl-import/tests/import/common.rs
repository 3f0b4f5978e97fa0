use atl_domain::NewTarget;
use atl_import::{
    ImportOptions, ImportSummary, Importer, RowIssue, RowOutcome, decode, import_all,
};

pub const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/");

pub fn bytes(rel: &str) -> Vec<u8> {
    let path = format!("{TESTDATA}{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Decodes a test file to text (whatever its encoding).
pub fn text(rel: &str) -> String {
    decode(&bytes(rel)).unwrap().text.into_owned()
}

pub fn table(rel: &str) -> (Vec<String>, Vec<Vec<String>>) {
    atl_import::read_table(&text(rel)).unwrap()
}

pub fn import_file(rel: &str, options: &ImportOptions) -> (Vec<NewTarget>, ImportSummary) {
    import_all(&bytes(rel), options).unwrap()
}

/// A test file as a plain CSV reader sees it (headers and rows) and as the importer
/// imports it with the default options (targets and summary).
pub fn import_table(rel: &str) -> (Vec<String>, Vec<Vec<String>>, Vec<NewTarget>, ImportSummary) {
    let (headers, raw) = table(rel);
    let (targets, summary) = import_file(rel, &ImportOptions::default());
    (headers, raw, targets, summary)
}

/// Every outcome of importing `text`, plus the final summary.
pub fn outcomes(text: &str, options: &ImportOptions) -> (Vec<RowOutcome>, ImportSummary) {
    let mut importer = Importer::new(text, options).unwrap();
    let all: Vec<RowOutcome> = importer.by_ref().map(Result::unwrap).collect();
    (all, importer.finish())
}

/// Targets and duplicates alike, in file order.
pub fn rows(outcomes: &[RowOutcome]) -> Vec<&NewTarget> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            RowOutcome::Target(t) | RowOutcome::Duplicate { target: t, .. } => Some(t),
            RowOutcome::Rejected(_) => None,
        })
        .collect()
}

pub fn extra(target: &NewTarget) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(&target.extra).unwrap()
}

pub fn map(pairs: &[(&str, &str)]) -> ImportOptions {
    ImportOptions {
        column_map: pairs
            .iter()
            .map(|(h, f)| (h.to_string(), f.parse().unwrap()))
            .collect(),
        ..ImportOptions::default()
    }
}

/// The cleaning rule the importer applies to every cell, restated independently (numeric
/// character references and the five XML entities are all our fixtures use).
pub fn cleaned(raw: &str) -> String {
    let t = raw.trim();
    if t == "NULL" || t == "null" {
        return String::new();
    }
    let mut out = String::new();
    let mut rest = t;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let decoded = after.find(';').and_then(|end| {
            let entity = &after[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix('#')
                    .and_then(|n| n.parse::<u32>().ok())
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// Column index of a header (first occurrence).
pub fn col(headers: &[String], name: &str) -> usize {
    headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no header {name} in {headers:?}"))
}

/// Column indexes of several headers (first occurrences).
pub fn cols<const N: usize>(headers: &[String], names: [&str; N]) -> [usize; N] {
    names.map(|name| col(headers, name))
}

/// The summary's first warning that `pick` picks.
pub fn warning(summary: &ImportSummary, pick: impl Fn(&RowIssue) -> bool) -> &RowIssue {
    summary
        .warnings
        .iter()
        .find(|w| pick(w))
        .unwrap_or_else(|| panic!("no such warning in {:?}", summary.warnings))
}

/// 1-based number of the first physical line of `text` that starts with `prefix`.
pub fn line_starting_with(text: &str, prefix: &str) -> u64 {
    let i = text
        .lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix}"));
    i as u64 + 1
}

/// `None` for an empty string, as the importer stores blanks.
pub fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// A string value of `extra`, if present.
pub fn extra_value(target: &NewTarget, key: &str) -> Option<String> {
    extra(target)
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}
