//! Seniority in Apollo's vocabulary, and a job-title classifier for when Apollo gives none.
//!
//! Apollo's own `seniority` is the primary signal ([`normalise`]); a title is parsed only
//! when that value is missing or not one of Apollo's eleven. [`classify`] reads one title
//! the way a RevOps lead would:
//!
//! 1. Fold case and accents (`Geschäftsführer` = `geschaftsfuhrer`), full-width forms and
//!    dotted or hyphenated abbreviations (`V.P.`, `S.V.P.`, `VP-Sales`, `Sr.`, `Dir.`,
//!    `Mgr`, `Co-CEO`).
//! 2. Split a title holding several roles on `|`, `/`, `;`, parentheses, `·`, ` - `, `兼`
//!    and, inside those, on `,`, `&`, `+` and "and" in the six languages; drop what follows
//!    `@`, " at ", " bei ", " chez " or " presso " (the employer, not the role).
//! 3. Classify each part (`english`, `foreign` for French, German, Spanish, Portuguese and
//!    Italian, `japanese`) and keep the highest level, in Apollo's priority order:
//!    owner → founder → c_suite → partner → vp → head → director → manager → senior →
//!    entry → intern.
//!
//! `None` means "not somebody to call at this level": not a current role ("Former CEO",
//! "ex-Google", "Retired"), a board seat rather than an operating role ("Board Member",
//! "Non-Executive Director", "Aufsichtsrat", 社外取締役), or no title at all. The judgment
//! calls are written where each rule is kept; the labelled set in
//! `testdata/titles/labelled_titles.tsv` and its guide in `testdata/SOURCES.md` hold the
//! same calls as data.
//!
//! Executives, for the enrichment result: [`Seniority::is_executive`] is true for owner,
//! founder, c_suite, partner, vp and head (the decision makers and the senior leaders
//! with budget). Directors and managers influence but are not listed.

mod english;
mod foreign;
mod japanese;
mod lexicon;
#[cfg(test)]
mod tests;
mod text;

use serde::{Deserialize, Serialize};
use std::fmt;

/// Apollo's exact strings, highest first.
pub const APOLLO_SENIORITIES: [&str; 11] = [
    "owner", "founder", "c_suite", "partner", "vp", "head", "director", "manager", "senior",
    "entry", "intern",
];

/// One of Apollo's seniority values. Declaration order is rank order (lower = more
/// senior), so `min()` over several roles keeps the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seniority {
    Owner,
    Founder,
    CSuite,
    Partner,
    Vp,
    Head,
    Director,
    Manager,
    Senior,
    Entry,
    Intern,
}

impl Seniority {
    pub const ALL: [Seniority; 11] = [
        Seniority::Owner,
        Seniority::Founder,
        Seniority::CSuite,
        Seniority::Partner,
        Seniority::Vp,
        Seniority::Head,
        Seniority::Director,
        Seniority::Manager,
        Seniority::Senior,
        Seniority::Entry,
        Seniority::Intern,
    ];

    pub fn as_str(self) -> &'static str {
        APOLLO_SENIORITIES[self as usize]
    }

    /// Apollo's value, case- and separator-insensitive. `c_level`, seen in third-party
    /// code, is accepted as c_suite.
    pub fn parse(s: &str) -> Option<Seniority> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        if s == "c_level" || s == "clevel" {
            return Some(Seniority::CSuite);
        }
        Seniority::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Decision makers and senior leaders with budget: owner, founder, c_suite, partner,
    /// vp and head.
    pub fn is_executive(self) -> bool {
        self <= Seniority::Head
    }
}

impl fmt::Display for Seniority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Apollo's value when it is one of Apollo's eleven, else the title's level.
pub fn normalise(
    apollo: Option<&str>,
    title: Option<&str>,
    industry: Option<&str>,
) -> Option<Seniority> {
    apollo
        .and_then(Seniority::parse)
        .or_else(|| title.and_then(|t| classify(t, industry)))
}

/// The level a job title usually maps to, or `None` when it names no current operating
/// role. `industry` (the company's, free text) only matters for the titles whose meaning
/// depends on it: VP, SVP, AVP, Managing Director and Executive Director in banks and
/// financial services, Managing Director and Executive Director in consulting firms.
pub fn classify(title: &str, industry: Option<&str>) -> Option<Seniority> {
    let folded = text::fold(title);
    let sector = Sector::of(industry).or_from_title(&folded);
    let mut best: Option<Seniority> = None;
    for segment in text::segments(&folded) {
        if segment.not_current {
            // "CEO (retired)", "VP Sales - former": the whole title is a past role.
            return None;
        }
        for part in &segment.parts {
            if let Some(level) = classify_part(part, sector) {
                best = Some(best.map_or(level, |b| b.min(level)));
            }
        }
        if segment.chief_officer_span {
            // "Chief Sales and Marketing Officer" was split on "and"; the span is one
            // C-level role.
            best = Some(best.map_or(Seniority::CSuite, |b| b.min(Seniority::CSuite)));
        }
    }
    best
}

fn classify_part(part: &text::Part, sector: Sector) -> Option<Seniority> {
    let latin = if part.words.is_empty() {
        None
    } else {
        foreign::classify(&part.words).unwrap_or_else(|| english::classify(&part.words, sector))
    };
    let cjk = part.cjk.iter().filter_map(|t| japanese::classify(t)).min();
    match (latin, cjk) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The company's industry, reduced to the distinctions titles depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sector {
    /// Banks, investment banks, capital markets, asset and wealth managers: "Vice
    /// President" is a mid-level rank there and "Managing Director" a senior banker.
    Finance,
    /// Consulting firms: "Managing Director" is the partner rank.
    Consulting,
    Other,
}

impl Sector {
    fn of(industry: Option<&str>) -> Sector {
        let Some(industry) = industry else {
            return Sector::Other;
        };
        let i = text::fold(industry);
        const FINANCE: [&str; 9] = [
            "bank",
            "financial services",
            "capital markets",
            "investment management",
            "asset management",
            "wealth management",
            "securities",
            "brokerage",
            "credit union",
        ];
        if FINANCE.iter().any(|k| i.contains(k)) {
            Sector::Finance
        } else if i.contains("consulting") || i.contains("advisory") {
            Sector::Consulting
        } else {
            Sector::Other
        }
    }

    /// Without an industry, the title may say where it is: "Vice President, Investment
    /// Banking" is a banker; "Managing Director & Partner" is a consulting firm's rank.
    fn or_from_title(self, folded_title: &str) -> Sector {
        const BANKING: [&str; 5] = [
            "investment banking",
            "private banking",
            "corporate banking",
            "capital markets",
            "wealth management",
        ];
        if self != Sector::Other {
            self
        } else if BANKING.iter().any(|k| folded_title.contains(k)) {
            Sector::Finance
        } else if folded_title.contains("managing director") && folded_title.contains("partner") {
            Sector::Consulting
        } else {
            self
        }
    }
}
