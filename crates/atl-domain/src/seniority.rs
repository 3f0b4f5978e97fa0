//! Seniority in Apollo's vocabulary, and a title classifier for when Apollo gives none
//! (provider-apis.md §10).
//!
//! Apollo's own `seniority` is the primary signal ([`normalise`]); titles are parsed only
//! when it is missing or not one of Apollo's values. The classifier splits a title on
//! separators (`|`, `/`, `,`, `;`, `&`, ` and `, ` - `), classifies each part and keeps
//! the highest level, in the documented priority order: owner/founder → c_suite → partner
//! → vp → head → director → manager → senior → entry → intern.
//!
//! Pitfalls encoded (each has a row in the table test):
//! - Executive Assistant → entry; Account Executive (an IC seller) → senior; Chief of
//!   Staff → director (senior, but not C-level).
//! - Executive Director → c_suite (the CEO-equivalent at non-profits).
//! - Board / Non-Executive / Independent Director, board member → no operating level
//!   (`None`): a board seat is not someone to call as an executive.
//! - Vice President in banks and financial services → manager (a mid-level rank there),
//!   Managing Director in banks → vp; elsewhere Managing Director → c_suite.
//! - AVP / Assistant Vice President → director (one level below VP).
//! - Ambiguous C-level acronyms (CSO, CPO, CCO, CDO) are C-level whatever they stand for,
//!   so they need no disambiguation for the level.
//! - Noise: `Sr.`/`Snr` → senior, `Dir.` → director, `Mgr` → manager, `@ Company` and
//!   anything after it is dropped, emoji and punctuation are spaces.
//!
//! Executives, for the enrichment result: [`Seniority::is_executive`] is true for owner,
//! founder, c_suite, partner, vp and head (the "decision makers" and "senior leaders with
//! budget" groups of §10). Directors and managers influence but are not listed.

use std::fmt;

/// Apollo's exact strings, highest first.
pub const APOLLO_SENIORITIES: [&str; 11] = [
    "owner", "founder", "c_suite", "partner", "vp", "head", "director", "manager", "senior",
    "entry", "intern",
];

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Seniority {
    // Declaration order is rank order (lower = more senior), used by `min()`.
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

    /// Apollo's value (`c_level`, seen in third-party code, is accepted as c_suite).
    pub fn parse(s: &str) -> Option<Seniority> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        if s == "c_level" || s == "clevel" {
            return Some(Seniority::CSuite);
        }
        Seniority::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Decision makers and senior leaders with budget (see the module docs).
    pub fn is_executive(self) -> bool {
        self <= Seniority::Head
    }
}

impl fmt::Display for Seniority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Apollo's value when it is one, else the title's level.
pub fn normalise(
    apollo: Option<&str>,
    title: Option<&str>,
    industry: Option<&str>,
) -> Option<Seniority> {
    apollo
        .and_then(Seniority::parse)
        .or_else(|| title.and_then(|t| classify(t, industry)))
}

fn is_finance(industry: Option<&str>) -> bool {
    industry.is_some_and(|i| {
        let i = i.to_ascii_lowercase();
        [
            "bank",
            "financial services",
            "investment",
            "capital markets",
        ]
        .iter()
        .any(|k| i.contains(k))
    })
}

/// The level a job title usually maps to; `industry` only matters for the titles whose
/// meaning depends on it (VP and Managing Director in banks).
pub fn classify(title: &str, industry: Option<&str>) -> Option<Seniority> {
    // Drop "@ Company" and everything after it: it names an employer, not a role.
    let title = title.split('@').next().unwrap_or("");
    let lower = title.to_lowercase();
    let mut spaced = String::with_capacity(lower.len());
    for ch in lower.chars() {
        match ch {
            '|' | '/' | ',' | ';' | '&' | '·' | '•' | '–' | '—' => spaced.push_str(" ; "),
            c if c.is_alphanumeric() || c == '-' || c == '.' || c == '\'' => spaced.push(c),
            _ => spaced.push(' '),
        }
    }
    let spaced = spaced.replace(" and ", " ; ").replace(" - ", " ; ");
    spaced
        .split(';')
        .filter_map(|part| classify_part(part, industry))
        .min()
}

fn classify_part(part: &str, industry: Option<&str>) -> Option<Seniority> {
    let words: Vec<String> = part
        .split_whitespace()
        .map(|w| {
            let w = w.trim_matches(|c: char| c == '.' || c == '\'' || c == '-');
            match w {
                "sr" | "snr" => "senior".to_string(),
                "dir" => "director".to_string(),
                "mgr" => "manager".to_string(),
                "vice-president" => "vice president".to_string(),
                "co-founder" | "cofounder" => "founder".to_string(),
                "co-owner" | "coowner" => "owner".to_string(),
                other => other.to_string(),
            }
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return None;
    }
    let text = format!(" {} ", words.join(" "));
    let has = |w: &str| words.iter().any(|x| x == w);
    let phrase = |p: &str| text.contains(&format!(" {p} "));
    let finance = is_finance(industry);

    // Board seats first: "Non-Executive Director" must not become an operating director.
    if phrase("board director")
        || phrase("non executive director")
        || phrase("non-executive director")
        || phrase("nonexecutive director")
        || phrase("independent director")
        || phrase("board member")
        || phrase("member of the board")
    {
        return None;
    }
    if phrase("executive assistant") || phrase("assistant to the") {
        return Some(Seniority::Entry);
    }
    if phrase("chief of staff") {
        return Some(Seniority::Director);
    }
    if phrase("account executive") {
        return Some(Seniority::Senior);
    }
    if has("founder") || phrase("founding partner") {
        return Some(Seniority::Founder);
    }
    if has("owner") || has("proprietor") {
        return Some(Seniority::Owner);
    }
    if phrase("executive director") {
        return Some(Seniority::CSuite);
    }
    if phrase("managing director") {
        return Some(if finance {
            Seniority::Vp
        } else {
            Seniority::CSuite
        });
    }
    if phrase("assistant vice president") || has("avp") {
        return Some(Seniority::Director);
    }
    let vice_president = phrase("vice president") || has("vp") || has("svp") || has("evp");
    if !vice_president && has("president") {
        return Some(Seniority::CSuite);
    }
    const C_ACRONYMS: [&str; 16] = [
        "ceo", "cfo", "coo", "cto", "cio", "ciso", "cmo", "cro", "cso", "cpo", "cco", "chro",
        "cdo", "cao", "cgo", "cxo",
    ];
    if C_ACRONYMS.iter().any(|a| has(a)) || has("chief") {
        return Some(Seniority::CSuite);
    }
    // Partner as a rank ("Managing Partner", "Partner"), not "Partner Manager" or
    // "Head of Partnerships".
    if has("partner") {
        const RANK_WORDS: [&str; 8] = [
            "partner", "managing", "general", "senior", "equity", "founding", "name", "limited",
        ];
        if words.iter().all(|w| RANK_WORDS.contains(&w.as_str())) {
            return Some(Seniority::Partner);
        }
    }
    if vice_president {
        return Some(if finance {
            Seniority::Manager
        } else {
            Seniority::Vp
        });
    }
    if has("head") {
        return Some(Seniority::Head);
    }
    if has("director") {
        return Some(Seniority::Director);
    }
    if has("manager") || phrase("team lead") || phrase("tech lead") || has("supervisor") {
        return Some(Seniority::Manager);
    }
    if has("intern") || has("trainee") || phrase("working student") || has("apprentice") {
        return Some(Seniority::Intern);
    }
    if has("senior") || has("principal") || has("staff") || has("lead") || has("executive") {
        return Some(Seniority::Senior);
    }
    const ENTRY: [&str; 14] = [
        "specialist",
        "associate",
        "coordinator",
        "representative",
        "rep",
        "sdr",
        "bdr",
        "analyst",
        "assistant",
        "engineer",
        "developer",
        "consultant",
        "designer",
        "junior",
    ];
    if ENTRY.iter().any(|w| has(w)) {
        return Some(Seniority::Entry);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use Seniority::*;

    #[test]
    fn title_table() {
        let table: &[(&str, Option<Seniority>)] = &[
            ("CEO", Some(CSuite)),
            ("Chief Executive Officer", Some(CSuite)),
            ("Chief Revenue Officer", Some(CSuite)),
            ("CFO", Some(CSuite)),
            ("CSO (Security)", Some(CSuite)),
            ("President", Some(CSuite)),
            ("President & CEO", Some(CSuite)),
            ("Founder", Some(Founder)),
            ("Co-Founder", Some(Founder)),
            ("Founder & CEO", Some(Founder)),
            ("Owner", Some(Owner)),
            ("Co-owner", Some(Owner)),
            ("Managing Partner", Some(Partner)),
            ("Partner, Deloitte", Some(Partner)),
            ("Partner Manager", Some(Manager)),
            ("Head of Partnerships", Some(Head)),
            ("VP of Sales", Some(Vp)),
            ("Vice President, Marketing", Some(Vp)),
            ("SVP Engineering", Some(Vp)),
            ("EVP", Some(Vp)),
            ("AVP, Operations", Some(Director)),
            ("Head of Growth", Some(Head)),
            ("Director", Some(Director)),
            ("Sr. Dir. Demand Generation", Some(Director)),
            ("Senior Director of Sales", Some(Director)),
            ("Sales Manager", Some(Manager)),
            ("Sr. Mgr, RevOps", Some(Manager)),
            ("Team Lead", Some(Manager)),
            ("Senior Engineer", Some(Senior)),
            ("SDR", Some(Entry)),
            ("Business Development Representative", Some(Entry)),
            ("Analyst", Some(Entry)),
            ("Intern", Some(Intern)),
            ("Working Student", Some(Intern)),
            // Pitfalls.
            ("Executive Assistant to the CEO", Some(Entry)),
            ("Account Executive", Some(Senior)),
            ("Senior Account Executive", Some(Senior)),
            ("Chief of Staff", Some(Director)),
            ("Executive Director", Some(CSuite)),
            ("Non-Executive Director", None),
            ("Board Director", None),
            ("Managing Director", Some(CSuite)),
            ("CEO | Advisor | Investor", Some(CSuite)),
            ("VP Sales @ Acme Corp", Some(Vp)),
            ("🚀 Head of Sales 🚀", Some(Head)),
            ("", None),
            ("Astronaut", None),
        ];
        for (title, want) in table {
            assert_eq!(classify(title, None), *want, "title {title:?}");
        }
    }

    #[test]
    fn bank_titles_depend_on_industry() {
        let bank = Some("Banking");
        assert_eq!(classify("Vice President", bank), Some(Manager));
        assert_eq!(classify("Managing Director", bank), Some(Vp));
        assert_eq!(classify("Vice President", Some("Software")), Some(Vp));
    }

    #[test]
    fn apollo_value_wins_over_title() {
        assert_eq!(
            normalise(Some("director"), Some("CEO"), None),
            Some(Director)
        );
        assert_eq!(normalise(Some("c_level"), None, None), Some(CSuite));
        assert_eq!(normalise(Some("bogus"), Some("VP Sales"), None), Some(Vp));
        assert_eq!(normalise(None, None, None), None);
    }

    #[test]
    fn vocabulary_and_executives() {
        for s in Seniority::ALL {
            assert_eq!(Seniority::parse(s.as_str()), Some(s));
        }
        let execs: Vec<&str> = Seniority::ALL
            .into_iter()
            .filter(|s| s.is_executive())
            .map(Seniority::as_str)
            .collect();
        assert_eq!(
            execs,
            ["owner", "founder", "c_suite", "partner", "vp", "head"]
        );
    }
}
