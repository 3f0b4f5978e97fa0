//! The word tables the title rules read, kept as data in `words.json` (folded words: no
//! accents, lower case) and parsed once.

use serde::Deserialize;
use std::sync::LazyLock;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Lexicon {
    /// The C-level acronyms. CSO, CPO, CCO and CDO are C-level whatever they stand for
    /// (sales or security, product or people, …), so the level needs no disambiguation.
    #[serde(borrow)]
    pub c_acronyms: Vec<&'static str>,
    /// The last word of an assistant's title, or the word before "to": "Executive
    /// Assistant", "Assistant to the CEO", "VP Secretary", "asistente de dirección".
    #[serde(borrow)]
    pub assistant: Vec<&'static str>,
    /// Words joining an assistant to whom they assist.
    #[serde(borrow)]
    pub to: Vec<&'static str>,
    /// "X Owner" roles of agile and ITIL frameworks: they own a backlog, a process or a
    /// risk, not the business. (A "Business Owner" or "Franchise Owner" owns the business.)
    #[serde(borrow)]
    pub framework_owned: Vec<&'static str>,
    /// Metals cast by a foundry's founder: "Iron Founder" is a trade, not a company founder.
    #[serde(borrow)]
    pub foundry: Vec<&'static str>,
    /// Words that may stand with "Partner" in a partnership's rank ("Managing Partner",
    /// "Audit Partner", "Partner"); any other word makes it a role named after partners
    /// ("HR Business Partner", "Patient Partner", "Partner Manager").
    #[serde(borrow)]
    pub partner_rank: Vec<&'static str>,
    /// The small teams a "Crew Chief" or "Team Leader" runs: a first-line supervisor.
    #[serde(borrow)]
    pub small_team: Vec<&'static str>,
    #[serde(borrow)]
    pub manager_words: Vec<&'static str>,
    #[serde(borrow)]
    pub intern_words: Vec<&'static str>,
    /// Board seats, as phrases of consecutive words.
    #[serde(borrow)]
    pub seats: Vec<&'static str>,
    /// German team leads (each also with the feminine `-in`).
    #[serde(borrow)]
    pub team_leads: Vec<&'static str>,
    /// Words ending in "leiter" that lead nothing.
    #[serde(borrow)]
    pub not_leaders: Vec<&'static str>,
    #[serde(borrow)]
    pub founders: Vec<&'static str>,
    #[serde(borrow)]
    pub owners: Vec<&'static str>,
    #[serde(borrow)]
    pub directors: Vec<&'static str>,
    #[serde(borrow)]
    pub managers: Vec<&'static str>,
    #[serde(borrow)]
    pub interns: Vec<&'static str>,
    /// What a "chef de …" or "jefe de …" runs when it is a manager, not a head.
    #[serde(borrow)]
    pub team_objects: Vec<&'static str>,
    /// Board members (unless delegated to run the company).
    #[serde(borrow)]
    pub board_members: Vec<&'static str>,
    /// Endings of German compounds for those who support the executives.
    #[serde(borrow)]
    pub german_assistants: Vec<&'static str>,
    /// Board titles that run the company when "delegated" (or "unico") follows.
    #[serde(borrow)]
    pub delegating: Vec<&'static str>,
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    // The file is part of the build, and a test reads it whole.
    serde_json::from_str(include_str!("words.json")).expect("seniority/words.json parses")
});

/// The word tables.
pub(super) fn lexicon() -> &'static Lexicon {
    &LEXICON
}
