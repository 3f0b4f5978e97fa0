//! English title rules, in the order they must be tried: a later rule only sees what no
//! earlier rule claimed ("Assistant to the CEO" is an assistant before it is a CEO).

use super::lexicon::lexicon;
use super::{Sector, Seniority};

struct Words<'a> {
    w: &'a [String],
}

impl Words<'_> {
    fn has(&self, word: &str) -> bool {
        self.w.iter().any(|x| x == word)
    }
    fn any(&self, set: &[&str]) -> bool {
        self.w.iter().any(|x| set.contains(&x.as_str()))
    }
    fn pos(&self, word: &str) -> Option<usize> {
        self.w.iter().position(|x| x == word)
    }
    fn get(&self, i: usize) -> Option<&str> {
        self.w.get(i).map(String::as_str)
    }
    fn first(&self) -> &str {
        self.get(0).unwrap_or("")
    }
    fn last(&self) -> &str {
        self.w.last().map_or("", String::as_str)
    }
    /// `phrase` occurs as consecutive words.
    fn phrase(&self, phrase: &str) -> bool {
        let p: Vec<&str> = phrase.split(' ').collect();
        self.w
            .windows(p.len())
            .any(|win| win.iter().map(String::as_str).eq(p.iter().copied()))
    }
}

/// The level of one English role, or `None` for a board seat or a status.
pub(super) fn classify(words: &[String], sector: Sector) -> Option<Seniority> {
    use Seniority::*;
    let w = Words { w: words };
    if words.is_empty() {
        return None;
    }
    if let Some(board) = board_seat(&w) {
        return board;
    }
    if is_assistant(&w) {
        return Some(if w.has("senior") { Senior } else { Entry });
    }
    if w.phrase("chief of staff") {
        // Runs the executive's office: senior, not C-level.
        return Some(Director);
    }
    if let Some(i) = w
        .pos("founder")
        .or(w.pos("cofounder"))
        .or(w.pos("founders"))
    {
        let metal = i > 0 && w.get(i - 1).is_some_and(|p| lexicon().foundry.contains(&p));
        if !metal {
            return Some(Founder);
        }
    }
    if w.phrase("founding partner") {
        return Some(Founder);
    }
    if is_owner(&w) {
        return Some(Owner);
    }
    if let Some(level) = c_suite(&w, sector) {
        return Some(level);
    }
    if w.has("partner")
        && w.w
            .iter()
            .all(|x| lexicon().partner_rank.contains(&x.as_str()))
    {
        return Some(Partner);
    }
    if let Some(level) = vice_president(&w, sector) {
        return Some(level);
    }
    if let Some(level) = head(&w) {
        return Some(level);
    }
    if let Some(i) = w.pos("chief") {
        // A chief who is no officer runs a unit ("Fire Chief", "Bureau Chief") or is the
        // top practitioner of a trade ("Chief Engineer" on a ship, "Chief Clerk"): the
        // top of a function, like "Head of". A "Crew Chief" leads a small crew.
        let small = i > 0
            && w.get(i - 1)
                .is_some_and(|p| lexicon().small_team.contains(&p));
        return Some(if small { Manager } else { Head });
    }
    if w.has("director") || w.has("directors") {
        // Includes Associate, Assistant, Deputy and Senior Director: the director band.
        return Some(Director);
    }
    if w.any(&lexicon().manager_words) || team_leader(&w) {
        return Some(Manager);
    }
    if w.any(&lexicon().intern_words)
        || w.phrase("working student")
        || (w.has("summer") && w.any(&["analyst", "associate", "student"]))
    {
        return Some(Intern);
    }
    if w.any(&["senior", "principal", "expert", "distinguished"])
        || (words.len() > 1 && w.first() == "staff")
        || (words.len() > 1 && (w.first() == "lead" || w.last() == "lead"))
        || (words.len() > 1 && w.last() == "executive")
    {
        // Senior individual contributors. "X Executive" (Account Executive, Marketing
        // Executive) is a seller or marketer, not an executive.
        return Some(Senior);
    }
    if words.len() == 1 && matches!(w.first(), "student" | "volunteer" | "investor") {
        // Not a rank at a company.
        return None;
    }
    if words.iter().any(|x| x.chars().any(char::is_alphabetic)) {
        // Every other job title is an individual contributor's.
        return Some(Entry);
    }
    None
}

/// `Some(None)` for a board seat (not an operating role), `Some(Some(c_suite))` for the
/// chair of a board (an officer who runs it), `None` when the words name no board seat.
fn board_seat(w: &Words) -> Option<Option<Seniority>> {
    if w.phrase("non executive") || w.has("nonexecutive") || w.phrase("non exec") {
        return Some(None);
    }
    if w.any(&["chairman", "chairwoman", "chairperson"])
        || (w.has("chair") && (w.w.len() == 1 || w.any(&["executive", "board", "vice", "of"])))
    {
        return Some(Some(Seniority::CSuite));
    }
    if lexicon().seats.iter().any(|s| w.phrase(s)) || w.has("trustee") {
        return Some(None);
    }
    None
}

/// Someone's assistant: "Executive Assistant", "Assistant to the CFO", "EA to the CEO",
/// "VP Secretary", "assistente di direzione". ("Assistant Manager" manages.)
pub(super) fn is_assistant_title(words: &[String]) -> bool {
    is_assistant(&Words { w: words })
}

fn is_assistant(w: &Words) -> bool {
    match w.w.iter().position(|x| lexicon().to.contains(&x.as_str())) {
        Some(i) if i > 0 => {
            let noun = w.get(i - 1).unwrap_or("");
            // "PA"/"EA" are assistants only as "PA to …"; alone they are too ambiguous.
            lexicon().assistant.contains(&noun) || matches!(noun, "pa" | "ea")
        }
        _ => lexicon().assistant.contains(&w.last()),
    }
}

fn is_owner(w: &Words) -> bool {
    if w.phrase("self employed") {
        return true;
    }
    if w.any(&["proprietor", "coproprietor", "coowner"]) {
        return true;
    }
    match w.pos("owner").or(w.pos("owners")) {
        Some(0) => true,
        Some(i) => !w
            .get(i - 1)
            .is_some_and(|p| lexicon().framework_owned.contains(&p)),
        None => false,
    }
}

fn c_suite(w: &Words, sector: Sector) -> Option<Seniority> {
    use Seniority::*;
    if let Some(i) = w.pos("chief") {
        let rest = &w.w[i + 1..];
        if rest.iter().any(|x| {
            x == "officer" || x == "executive" || lexicon().c_acronyms.contains(&x.as_str())
        }) {
            return Some(CSuite);
        }
    }
    if w.any(&lexicon().c_acronyms) {
        return Some(CSuite);
    }
    if let Some(i) = w.pos("president") {
        let before = if i > 0 { w.get(i - 1) } else { None };
        if !matches!(before, Some("vice" | "assistant" | "associate" | "vp")) {
            return Some(CSuite);
        }
    }
    if w.phrase("managing director") {
        // The head of a company, except where it is a rank: a bank's senior banker, a
        // consulting firm's partner.
        return Some(match sector {
            Sector::Finance => Vp,
            Sector::Consulting => Partner,
            Sector::Other => CSuite,
        });
    }
    if w.phrase("executive director") {
        // A non-profit's CEO; a rank between VP and MD in banks and consulting firms.
        return Some(match sector {
            Sector::Finance | Sector::Consulting => Director,
            Sector::Other => CSuite,
        });
    }
    if w.phrase("director general") {
        return Some(CSuite);
    }
    None
}

fn vice_president(w: &Words, sector: Sector) -> Option<Seniority> {
    use Seniority::*;
    let assistant_vp = w.has("avp")
        || w.phrase("assistant vice president")
        || w.phrase("associate vice president")
        || w.phrase("assistant vp");
    if assistant_vp {
        // One level below VP.
        return Some(if sector == Sector::Finance {
            Senior
        } else {
            Director
        });
    }
    let senior_vp = w.has("svp") || w.phrase("senior vice president") || w.phrase("senior vp");
    let executive_vp =
        w.has("evp") || w.phrase("executive vice president") || w.phrase("executive vp");
    if !(senior_vp || executive_vp || w.has("vp") || w.phrase("vice president")) {
        return None;
    }
    // Banks give "Vice President" to mid-level staff: VP ≈ manager, SVP ≈ director; an
    // EVP is still an executive.
    Some(match sector {
        Sector::Finance if executive_vp => Vp,
        Sector::Finance if senior_vp => Director,
        Sector::Finance => Manager,
        _ => Vp,
    })
}

/// "Head of Sales", "Department Head", "Head" → head; "Head Usher", "Head Cashier" (the
/// lead of a small team of the same trade) → manager. "Overhead" and "Drapery Head
/// Former" (a machine part) are not heads.
fn head(w: &Words) -> Option<Seniority> {
    let i = w.pos("head")?;
    let n = w.w.len();
    if n == 1 || w.get(i + 1) == Some("of") || (i == n - 1 && i > 0) {
        return Some(Seniority::Head);
    }
    (i == 0).then_some(Seniority::Manager)
}

fn team_leader(w: &Words) -> bool {
    w.w.windows(2).any(|p| {
        lexicon().small_team.contains(&p[0].as_str())
            && matches!(p[1].as_str(), "lead" | "leader" | "leads")
    })
}
