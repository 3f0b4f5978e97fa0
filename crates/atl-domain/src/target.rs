//! A target as the importer produces it and the store accepts it.

use serde::{Deserialize, Serialize};

/// One validated row of an uploaded list, ready to be stored.
///
/// Empty optional fields are `None`, never `Some("")`, so that merging duplicates can
/// fill blanks with `COALESCE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NewTarget {
    /// The 1-based line of the file where the row starts (what a user sees in an editor).
    pub row_number: u64,
    pub company_name: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_title: Option<String>,
    pub linkedin_url: Option<String>,
    pub website: Option<String>,
    /// The host of `website` without a leading `www.`, or the `Domain` column.
    pub domain: Option<String>,
    /// The CSV's other columns, kept as a JSON object `{header: value}` (serialised, so a
    /// target costs one allocation for them however many there are).
    pub extra: String,
    /// Identity used to merge exact duplicates within a campaign; see [`dedup_key`].
    pub dedup_key: String,
}

/// Lower-cases, folds runs of whitespace and drops punctuation so that `ACME, Inc.` and
/// `Acme Inc` compare equal.
pub fn normalise_company(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            pending_space = true;
        }
    }
    out
}

/// The key under which two rows are "the same target": the normalised company plus the
/// contact's e-mail, or (when a row has no e-mail) the contact's name, so that two
/// different people at one company without e-mails are not merged.
///
/// `None` when the company normalises to nothing (only `?`, U+FFFD or punctuation): such
/// rows cannot be told apart, so there is no key to store them under and the importer
/// rejects them instead of merging every one of them into a single target. A contact name
/// that normalises to nothing counts as no name.
pub fn dedup_key(
    company_name: &str,
    email: Option<&str>,
    contact_name: Option<&str>,
) -> Option<String> {
    let company = normalise_company(company_name);
    if company.is_empty() {
        return None;
    }
    let mut key = company;
    key.push('\u{1f}');
    match email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => {
            key.push_str("e:");
            key.push_str(&e.to_lowercase());
        }
        None => {
            // The name is normalised only when there is no e-mail to key on.
            let name = contact_name.map(normalise_company).unwrap_or_default();
            if !name.is_empty() {
                key.push_str("n:");
                key.push_str(&name);
            }
        }
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_normalisation_ignores_case_punctuation_and_spacing() {
        for (input, want) in [("  ACME,  Inc. ", "acme inc"), ("Acme Inc", "acme inc")] {
            assert_eq!(normalise_company(input), want, "{input:?}");
        }
        assert_ne!(normalise_company("Acme"), normalise_company("Acme Corp"));
    }

    #[test]
    fn dedup_key_uses_email_then_name() {
        let a = dedup_key("Acme", Some("Jo@Acme.com "), Some("Jo"));
        let b = dedup_key("ACME.", Some("jo@acme.com"), None);
        assert_eq!(a, b);
        let c = dedup_key("Acme", None, Some("Jo Smith"));
        let d = dedup_key("Acme", None, Some("Ann Lee"));
        assert_ne!(c, d);
        assert_ne!(
            dedup_key("Acme", None, None),
            dedup_key("Acme Corp", None, None)
        );
    }

    #[test]
    fn a_company_without_letters_or_digits_has_no_key() {
        let check = |company: &str, expected: Option<&str>| {
            assert_eq!(
                dedup_key(company, None, None).as_deref(),
                expected,
                "{company:?}"
            );
        };
        check("Acme", Some("acme\u{1f}"));
        check("??????", None);
        check("\u{FFFD}\u{FFFD}\u{FFFD}", None);
        check(" - / . ", None);
        check("", None);
        check("株式会社", Some("株式会社\u{1f}"));
        // Two different mangled names must not end up with one key; they have none.
        assert_eq!(dedup_key("?????", Some("a@b.example"), None), None);
    }

    #[test]
    fn a_contact_name_without_letters_counts_as_none() {
        assert_eq!(
            dedup_key("Acme", None, Some("??? ??")),
            dedup_key("Acme", None, None)
        );
        assert_eq!(
            dedup_key("Acme", Some("  "), Some("Jo")),
            dedup_key("Acme", None, Some("jo"))
        );
    }
}
