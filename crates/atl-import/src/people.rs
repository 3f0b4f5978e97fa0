//! A contact cell that holds more than one person: `Reed Hastings/Ted Sarandos`, `Mackie
//! McCrea/Tom Long` (co-CEOs in the Fortune 1000 list), `Jo Smith & Ann Lee`.
//!
//! Enrichment looks for one person per target, so the first person is kept as the contact
//! and the others move to `extra` (`contact_name_2`, `contact_name_3`, …) with a warning.
//! The separators are `/`, `;`, `&`, the word `and` and `,`; a split counts only when
//! every part looks like a full name, because the same characters appear in one person's
//! name or in a company:
//!
//! - a *full name* is 2–5 name words (a name word is letters with `.` `'` `’` `-`, such
//!   as `A.` or `O'Hanley`), one of at least two letters; `Jr`, `III`, `PhD` and the like
//!   may follow without counting; a role (`CEO`, `VP`, `Director`…) or a company word
//!   (`Inc`, `LLC`…) makes it not a name;
//! - `Smith, John` is one person written last-first (`John` alone is no full name), as is
//!   `Martin Luther King, Jr.`; `Procter & Gamble` is no person at all;
//! - when the parts are names but only some are full (`Mary & John Smith`, a shared
//!   surname), the cell is kept as it is with a warning, since cutting it would lose the
//!   surname.

/// What a contact cell holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum People<'a> {
    /// One person (or nothing that can be told apart).
    One,
    /// Two or more full names, in cell order.
    Several(Vec<&'a str>),
    /// Probably several people, but not separable without losing part of a name.
    Unsure,
}

/// Words that may follow a name without being one.
const SUFFIXES: &[&str] = &[
    "jr", "sr", "ii", "iii", "lll", "iv", "v", "phd", "md", "mba", "esq", "cpa",
];

/// Words that make a part a role or a company rather than a person.
const NOT_NAMES: &[&str] = &[
    "ceo",
    "cfo",
    "cto",
    "coo",
    "cmo",
    "cio",
    "vp",
    "svp",
    "evp",
    "president",
    "director",
    "manager",
    "head",
    "founder",
    "cofounder",
    "co-founder",
    "chair",
    "chairman",
    "chairwoman",
    "partner",
    "owner",
    "officer",
    "chief",
    "executive",
    "sales",
    "marketing",
    "inc",
    "llc",
    "ltd",
    "corp",
    "corporation",
    "company",
    "co",
    "group",
    "gmbh",
    "plc",
    "holdings",
    "team",
    "department",
];

/// Most name words in a full name (`Carl H. Lindner` is three, `Aart J. de Geus` four).
const MAX_NAME_WORDS: usize = 5;

/// Reads a (cleaned, non-empty) contact cell; see the module docs.
pub(crate) fn people(contact: &str) -> People<'_> {
    if !has_separator(contact) {
        return People::One;
    }
    let all = split(contact, true);
    if all.len() >= 2 && all.iter().all(|p| is_full_name(p)) {
        return People::Several(all);
    }
    let without_comma = split(contact, false);
    if without_comma.len() < 2 {
        return People::One;
    }
    if without_comma.iter().all(|p| is_full_name(p)) {
        return People::Several(without_comma);
    }
    let all_names = without_comma
        .iter()
        .all(|p| !p.is_empty() && p.split_whitespace().all(is_name_word_or_suffix));
    if all_names && without_comma.iter().any(|p| is_full_name(p)) {
        People::Unsure
    } else {
        People::One
    }
}

/// One pass: a separator character, or ` and ` in any case.
fn has_separator(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        matches!(b, b'/' | b';' | b'&' | b',')
            || (b == b' '
                && bytes
                    .get(i + 1..i + 5)
                    .is_some_and(|w| w[..3].eq_ignore_ascii_case(b"and") && w[3] == b' '))
    })
}

/// Parts of `text` between separators, trimmed; `,` counts only `with_comma`.
fn split(text: &str, with_comma: bool) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let width = match b {
            b'/' | b';' | b'&' => 1,
            b',' if with_comma => 1,
            b'a' | b'A'
                if i > 0
                    && bytes[i - 1].is_ascii_whitespace()
                    && bytes
                        .get(i..i + 3)
                        .is_some_and(|w| w.eq_ignore_ascii_case(b"and"))
                    && bytes.get(i + 3).is_some_and(u8::is_ascii_whitespace) =>
            {
                3
            }
            _ => 0,
        };
        if width > 0 {
            // Separators are ASCII, so both ends are character boundaries.
            parts.push(text[from..i].trim());
            from = i + width;
            i += width;
        } else {
            i += 1;
        }
    }
    parts.push(text[from..].trim());
    parts
}

fn bare(word: &str) -> String {
    word.trim_matches(|c| c == '.' || c == ',').to_lowercase()
}

fn is_suffix(word: &str) -> bool {
    SUFFIXES.contains(&bare(word).as_str())
}

fn is_name_word(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && chars.all(|c| c.is_alphabetic() || matches!(c, '.' | '\'' | '’' | '-'))
        && !NOT_NAMES.contains(&bare(word).as_str())
}

fn is_name_word_or_suffix(word: &str) -> bool {
    is_suffix(word) || is_name_word(word)
}

fn is_full_name(part: &str) -> bool {
    let mut names = 0;
    let mut long = false;
    let mut suffix_seen = false;
    for word in part.split_whitespace() {
        if names >= 2 && is_suffix(word) {
            suffix_seen = true;
            continue;
        }
        if suffix_seen || !is_name_word(word) {
            return false;
        }
        names += 1;
        long |= word.chars().filter(|c| c.is_alphabetic()).count() >= 2;
    }
    (2..=MAX_NAME_WORDS).contains(&names) && long
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases of `contact_cells.txt`: (cell, what it holds).
    fn cases() -> Vec<(&'static str, People<'static>)> {
        include_str!("contact_cells.txt")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (kind, case) = l.split_once(": ").expect("a case is `kind: cell`");
                match kind {
                    "one" => (case, People::One),
                    "unsure" => (case, People::Unsure),
                    "several" => {
                        let (cell, names) =
                            case.split_once(" => ").expect("several: cell => names");
                        (cell, People::Several(names.split(" | ").collect()))
                    }
                    other => panic!("unknown case kind {other:?} in contact_cells.txt"),
                }
            })
            .collect()
    }

    #[test]
    fn contact_cells() {
        let cases = cases();
        assert_eq!(cases.len(), 27, "every case of the table is read");
        for (cell, expected) in cases {
            assert_eq!(people(cell), expected, "{cell:?}");
        }
    }
}
