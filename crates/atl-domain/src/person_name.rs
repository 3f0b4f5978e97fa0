//! People's names as CRMs and greetings need them: split into first and last, and the
//! name a caller says ("C. Douglas McMillon" is greeted "Douglas").

/// Courtesy titles dropped before splitting.
const HONORIFICS: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "m", "mme", "sr",
    "sra", "srta", "dott", "ing",
];
/// Generational and professional suffixes kept with the last name.
const SUFFIXES: &[&str] = &[
    "jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "mba", "cpa", "esq", "jd",
];
/// Particles that belong to the last name ("Ludwig van Beethoven" → "van Beethoven").
const PARTICLES: &[&str] = &[
    "van", "von", "de", "del", "della", "der", "den", "di", "da", "dos", "du", "la", "le", "bin",
    "al", "ter", "ten",
];

fn bare(word: &str) -> String {
    word.trim_matches(|c: char| c == '.' || c == ',')
        .to_lowercase()
}

/// An initial: one letter, with or without a dot ("C.", "J").
fn is_initial(word: &str) -> bool {
    let w = word.trim_end_matches('.');
    w.chars().count() == 1 && w.chars().all(char::is_alphabetic)
}

/// A name's words without honorifics, with "Last, First" turned around.
fn words(full: &str) -> Vec<String> {
    let full = full.trim();
    let reordered = match full.split_once(',') {
        // "McMillon, Doug" (but not "Doug McMillon, Jr.").
        Some((last, first))
            if !first.trim().is_empty()
                && !SUFFIXES.contains(&bare(first).as_str())
                && !last.trim().contains(' ') =>
        {
            format!("{} {}", first.trim(), last.trim())
        }
        _ => full.to_string(),
    };
    let mut w: Vec<String> = reordered
        .split_whitespace()
        .map(|s| s.trim_matches(',').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    while w.len() > 1 && HONORIFICS.contains(&bare(&w[0]).as_str()) {
        w.remove(0);
    }
    w
}

/// First and last name of a full name. One word is a first name only.
pub fn split_name(full: &str) -> (Option<String>, Option<String>) {
    let w = words(full);
    if w.is_empty() {
        return (None, None);
    }
    if w.len() == 1 {
        return (Some(w[0].clone()), None);
    }
    // The last name starts at the last word that is not a suffix, pulled left over any
    // particles before it.
    let mut end = w.len();
    while end > 1 && SUFFIXES.contains(&bare(&w[end - 1]).as_str()) {
        end -= 1;
    }
    let mut start = end - 1;
    while start > 1 && PARTICLES.contains(&bare(&w[start - 1]).as_str()) {
        start -= 1;
    }
    let first = w[..start].join(" ");
    let last = w[start..].join(" ");
    (Some(first), Some(last))
}

/// The name a caller greets: the first given name that is not an initial ("C. Douglas
/// McMillon" → "Douglas", "J. R. Smith" → "Smith"), never an honorific.
pub fn greeting_name(full: &str) -> Option<String> {
    let w = words(full);
    let (first, last) = split_name(full);
    let given: Vec<&str> = first
        .as_deref()
        .map(|f| f.split_whitespace().collect())
        .unwrap_or_default();
    given
        .iter()
        .find(|g| !is_initial(g))
        .map(|g| g.trim_end_matches('.').to_string())
        .or_else(|| last.clone())
        .or_else(|| w.first().cloned())
        .filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(full: &str, first: Option<&str>, last: Option<&str>, greet: Option<&str>) {
        let (f, l) = split_name(full);
        assert_eq!(
            (f.as_deref(), l.as_deref()),
            (first, last),
            "split {full:?}"
        );
        assert_eq!(greeting_name(full).as_deref(), greet, "greeting {full:?}");
    }

    #[test]
    fn names_split_and_greet() {
        check(
            "C. Douglas McMillon",
            Some("C. Douglas"),
            Some("McMillon"),
            Some("Douglas"),
        );
        check(
            "Doug McMillon",
            Some("Doug"),
            Some("McMillon"),
            Some("Doug"),
        );
        check(
            "McMillon, Doug",
            Some("Doug"),
            Some("McMillon"),
            Some("Doug"),
        );
        check("Dr. Lisa Su", Some("Lisa"), Some("Su"), Some("Lisa"));
        check(
            "Martin Luther King Jr.",
            Some("Martin Luther"),
            Some("King Jr."),
            Some("Martin"),
        );
        check(
            "Ludwig van Beethoven",
            Some("Ludwig"),
            Some("van Beethoven"),
            Some("Ludwig"),
        );
        check("J. R. Smith", Some("J. R."), Some("Smith"), Some("Smith"));
        check("Cher", Some("Cher"), None, Some("Cher"));
        check("  ", None, None, None);
    }
}
