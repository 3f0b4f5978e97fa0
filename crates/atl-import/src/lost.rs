//! Names lost to a text-encoding step before the file reached us.
//!
//! A Shift-JIS or UTF-8 sheet saved through a Latin-1 step (an old "CSV (Comma
//! delimited)" save, a database with a Latin-1 column) comes out with `?` for every
//! character the step could not hold; a decoder that met bytes it could not read leaves
//! U+FFFD. Five different Japanese companies then all read `???????`: they normalise to
//! the same empty key, and importing them would merge five accounts into one and pay for
//! researching a name that is not one.
//!
//! The rule, for the company name (letters and digits of any script count as letters; `?`
//! and U+FFFD are the *lost marks*):
//!
//! - no letters and no lost marks (only punctuation or symbols): rejected, "no letters";
//! - lost marks at least as many as the letters (`??????`, `?????? (NTT)`): **lost**;
//! - lost marks and nothing left but a legal form once they are removed (`??????株式会社`,
//!   `??? Holdings`, `???(株)`): **lost**, since the legal form names no company;
//! - otherwise a lost mark between two letters, or any U+FFFD, is **suspicious**
//!   (`Soci?t? G?n?rale`, `Toys?R?Us`): imported, with a warning;
//! - a `?` anywhere else (`Who? Corp`) is just punctuation.
//!
//! Lost rows are rejected with the advice to re-export the file as UTF-8, and the summary
//! counts them in one warning, so the fix is made once for the whole file.

use atl_domain::normalise_company;

/// What the company-name check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameCheck {
    Ok,
    /// Imported with a warning.
    Suspicious,
    /// Rejected: the name was lost to `?`/U+FFFD.
    Lost,
    /// Rejected: nothing but punctuation or symbols.
    NoLetters,
}

/// What the rejection of a lost name and the summary's warning advise.
pub(crate) const REEXPORT_ADVICE: &str = "re-export the file as UTF-8 (in Excel: Save As \
     › \"CSV UTF-8\") and upload it again";

/// Legal forms that name no company on their own (compared after [`normalise_company`],
/// which drops the dots of `S.A.` and `K.K.`).
const LEGAL_WORDS: &[&str] = &[
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "llp",
    "lp",
    "plc",
    "gmbh",
    "ag",
    "kg",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "bv",
    "nv",
    "ab",
    "asa",
    "oy",
    "oyj",
    "kk",
    "pty",
    "pte",
    "sdn",
    "bhd",
    "group",
    "holding",
    "holdings",
    "the",
];

/// Legal forms written without spaces (CJK): removed as substrings.
const LEGAL_FORMS_CJK: &[&str] = &[
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "股份有限公司",
    "有限公司",
    "公司",
    "集团",
    "주식회사",
    "株",
];

fn is_lost_mark(c: char) -> bool {
    c == '?' || c == char::REPLACEMENT_CHARACTER
}

/// Whether `text` may hold a lost mark: a `?`, or the 0xEF that starts U+FFFD in UTF-8.
/// One byte scan, so the usual text costs nothing more.
fn has_lost_mark_bytes(text: &str) -> bool {
    text.bytes().any(|b| b == b'?' || b == 0xEF)
}

/// Lost marks and letters (or digits) in `text`.
fn tally(text: &str) -> (usize, usize) {
    let (mut lost, mut letters) = (0, 0);
    for c in text.chars() {
        if is_lost_mark(c) {
            lost += 1;
        } else if c.is_alphanumeric() {
            letters += 1;
        }
    }
    (lost, letters)
}

/// Classifies a (cleaned, non-empty) company name; see the module docs.
pub(crate) fn check_company(name: &str) -> NameCheck {
    // The usual name has no lost mark and an ASCII letter early on: decided by short
    // byte scans, for every row.
    if !has_lost_mark_bytes(name) {
        let named = name.bytes().any(|b| b.is_ascii_alphanumeric())
            || name.chars().any(char::is_alphanumeric);
        return if named {
            NameCheck::Ok
        } else {
            NameCheck::NoLetters
        };
    }
    let (lost, letters) = tally(name);
    if lost == 0 {
        return if letters == 0 {
            NameCheck::NoLetters
        } else {
            NameCheck::Ok
        };
    }
    if lost >= letters || only_legal_form(name) {
        return NameCheck::Lost;
    }
    if name.contains(char::REPLACEMENT_CHARACTER) || mark_between_letters(name) {
        NameCheck::Suspicious
    } else {
        NameCheck::Ok
    }
}

/// A person's name (or any other text) lost to `?`/U+FFFD: at least one lost mark and no
/// more letters than lost marks.
pub(crate) fn is_lost(text: &str) -> bool {
    if !has_lost_mark_bytes(text) {
        return false;
    }
    let (lost, letters) = tally(text);
    lost > 0 && lost >= letters
}

/// Whether nothing but legal forms is left once lost marks and punctuation are gone.
fn only_legal_form(name: &str) -> bool {
    let normalised = normalise_company(name);
    let mut core: String = normalised
        .split(' ')
        .filter(|word| !LEGAL_WORDS.contains(word))
        .collect();
    for form in LEGAL_FORMS_CJK {
        if core.contains(form) {
            core = core.replace(form, "");
        }
    }
    core.is_empty()
}

fn mark_between_letters(name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    chars
        .windows(3)
        .any(|w| w[0].is_alphabetic() && is_lost_mark(w[1]) && w[2].is_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_names() {
        let check = |name: &str, expected: NameCheck| {
            assert_eq!(check_company(name), expected, "{name:?}");
        };
        check("Acme", NameCheck::Ok);
        check("トヨタ自動車株式会社", NameCheck::Ok);
        check("3M", NameCheck::Ok);
        check("Who? Corp", NameCheck::Ok);
        check("Yahoo!", NameCheck::Ok);
        check("??????????", NameCheck::Lost);
        check("\u{FFFD}\u{FFFD}\u{FFFD}", NameCheck::Lost);
        check("?????? ????????????", NameCheck::Lost);
        check("??????株式会社", NameCheck::Lost);
        check("???株式会社", NameCheck::Lost);
        check("株式会社???", NameCheck::Lost);
        check("???(株)", NameCheck::Lost);
        check("??? Holdings, Inc.", NameCheck::Lost);
        check("?????? (NTT)", NameCheck::Lost);
        check("A?", NameCheck::Lost);
        check("?", NameCheck::Lost);
        check("Soci?t? G?n?rale", NameCheck::Suspicious);
        check("Toys?R?Us", NameCheck::Suspicious);
        check("Nestl\u{FFFD}", NameCheck::Suspicious);
        check("---", NameCheck::NoLetters);
        check("(*)", NameCheck::NoLetters);
        check("🚀", NameCheck::NoLetters);
    }

    #[test]
    fn lost_person_names() {
        let check = |name: &str, expected: bool| assert_eq!(is_lost(name), expected, "{name:?}");
        check("??? ??", true);
        check("Ted ?", false);
        check("Jos? Garc?a", false);
        check("Reed Hastings", false);
        check("\u{FFFD}\u{FFFD}", true);
    }
}
