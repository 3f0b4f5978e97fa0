//! Apollo's people, as a pure function of who is asked about.
//!
//! Real contact data is imperfect in ways clients must survive, and the sandbox is
//! imperfect the same way, deterministically by the hash of the person (their
//! normalised name at the company's registrable domain), so the same person answers the
//! same way through `people/match`, `people/bulk_match` and `mixed_people/api_search`:
//!
//! * 12 % are not in the database (`null`, no credit);
//! * 6 % have **moved**: the record's `organization` is their new employer, and the
//!   asked-for company appears in `employment_history` with `current: false` and an
//!   `end_date`;
//! * `email_status` (a function of the address itself): 70 % `verified`, 10 %
//!   `guessed`, 7 % `extrapolated`, 9 % `unavailable` (no address, or Apollo's
//!   `email_not_unlocked@…` placeholder) and 4 % `bounced`;
//! * 85 % have phone numbers (mobile, direct, headquarters or other), some also under
//!   `contact.phone_numbers`, as Apollo nests them for people already in a CRM.
//!
//! Addresses are `first.last@{label}.example`, the company's registrable label under a
//! reserved domain, never the company's real one. Every company has an executive team
//! (CEO or founder, CFO, CTO, other chiefs, VPs, heads, directors); on a Fortune 1000
//! domain the CEO is the one the list names.

use crate::fortune;
pub(crate) use crate::mailbox::{SUFFIXES, label, local_part, mail_domain, registrable_domain};
use crate::synth::{self, Rng};
use std::collections::HashMap;
use std::sync::Mutex;

/// A display name split as Apollo shows it: everything but the last word is the first
/// name (`C. Douglas` / `McMillon`), a trailing suffix stays with the last name.
pub(crate) fn split_name(full: &str) -> (String, String) {
    let words: Vec<&str> = full.split_whitespace().collect();
    let mut cut = words.len().saturating_sub(1);
    if cut > 1
        && SUFFIXES.contains(
            &words[cut]
                .trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_ascii_lowercase()
                .as_str(),
        )
    {
        cut -= 1;
    }
    (words[..cut].join(" "), words[cut..].join(" "))
}

/// What Apollo says about an address it knows (see the module docs for the mix).
pub(crate) fn email_status(email: &str) -> &'static str {
    match synth::mix(synth::fnv1a(email.to_ascii_lowercase().as_bytes()) ^ 0xe5) % 100 {
        0..=69 => "verified",
        70..=79 => "guessed",
        80..=86 => "extrapolated",
        87..=95 => "unavailable",
        _ => "bounced",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Hit,
    Moved,
    Miss,
}

/// The person's fate in the database, by the hash of `local@label`.
pub(crate) fn outcome(local: &str, registrable: &str) -> Outcome {
    let key = format!("{local}@{}", label(registrable));
    match synth::mix(synth::fnv1a(key.as_bytes()) ^ 0x0c) % 100 {
        0..=11 => Outcome::Miss,
        12..=17 => Outcome::Moved,
        _ => Outcome::Hit,
    }
}

/// An Apollo person id, the same for a person however they are asked for.
pub(crate) fn person_id(local: &str, registrable: &str) -> String {
    synth::object_id(synth::fnv1a(
        format!("{local}@{}", label(registrable)).as_bytes(),
    ))
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Role {
    pub title: String,
    pub seniority: &'static str,
    pub departments: &'static [&'static str],
}

impl Role {
    fn of(title: &str, seniority: &'static str, departments: &'static [&'static str]) -> Role {
        Role {
            title: title.to_string(),
            seniority,
            departments,
        }
    }

    /// Apollo's classification of a title it was given.
    pub(crate) fn for_title(title: &str) -> Role {
        let t = title.to_ascii_lowercase();
        let seniority = if t.contains("ceo") || t.contains("chief executive") {
            "c_suite"
        } else {
            synth::seniority_for_title(title)
        };
        let departments: &'static [&'static str] = if seniority == "c_suite" {
            &["c_suite"]
        } else if t.contains("market") || t.contains("growth") || t.contains("demand") {
            &["master_marketing"]
        } else if t.contains("engineer") || t.contains("technolog") {
            &["master_engineering_technical"]
        } else if t.contains("financ") {
            &["master_finance"]
        } else if t.contains("operation") {
            &["master_operations"]
        } else {
            &["master_sales"]
        };
        Role::of(title, seniority, departments)
    }
}

/// The team below the CEO, in the order a company fills it.
const ROLES: &[(&str, &str, &[&str])] = &[
    (
        "Chief Financial Officer",
        "c_suite",
        &["c_suite", "master_finance"],
    ),
    (
        "Chief Technology Officer",
        "c_suite",
        &["c_suite", "master_engineering_technical"],
    ),
    (
        "Chief Revenue Officer",
        "c_suite",
        &["c_suite", "master_sales"],
    ),
    ("VP of Sales", "vp", &["master_sales"]),
    ("VP Marketing", "vp", &["master_marketing"]),
    ("Head of Growth", "head", &["master_marketing"]),
    ("Director of Sales", "director", &["master_sales"]),
    (
        "Chief Operating Officer",
        "c_suite",
        &["c_suite", "master_operations"],
    ),
    ("VP of Engineering", "vp", &["master_engineering_technical"]),
    ("Head of Revenue Operations", "head", &["master_operations"]),
    (
        "Director of Demand Generation",
        "director",
        &["master_marketing"],
    ),
    ("Sales Manager", "manager", &["master_sales"]),
    ("Senior Account Executive", "senior", &["master_sales"]),
];

/// Index in [`ROLES`] from which roles are not executive (for people Apollo knows at a
/// company who are not on its leadership page).
const STAFF_FROM: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    pub first: String,
    pub last: String,
    pub local: String,
    pub role: Role,
}

/// The company's people in Apollo, as a search would list them (before misses and
/// moves are taken out): the CEO first, then 8 to 13 others.
pub(crate) fn team(registrable: &str) -> Vec<Member> {
    let seed = synth::fnv1a(registrable.as_bytes()) ^ 0x7ea;
    let mut rng = Rng::new(seed);
    let mut out: Vec<Member> = Vec::new();
    match fortune::lookup(registrable) {
        Some(c) => {
            let ceos: Vec<&str> = c.ceos().collect();
            let title = if ceos.len() > 1 {
                "Co-Chief Executive Officer"
            } else {
                "Chief Executive Officer"
            };
            for name in ceos {
                let (first, last) = split_name(name);
                if let Some(local) = local_part(name) {
                    out.push(Member {
                        first,
                        last,
                        local,
                        role: Role::of(title, "c_suite", &["c_suite"]),
                    });
                }
            }
        }
        None => {
            let (first, last) = fresh_name(&mut rng, &out);
            let role = if rng.below(10) < 3 {
                Role::of("Founder & CEO", "founder", &["c_suite"])
            } else {
                Role::of("Chief Executive Officer", "c_suite", &["c_suite"])
            };
            out.push(member(first, last, role));
        }
    }
    let others = 8 + rng.below(6) as usize;
    for &(title, seniority, departments) in ROLES.iter().take(others) {
        let (first, last) = fresh_name(&mut rng, &out);
        out.push(member(first, last, Role::of(title, seniority, departments)));
    }
    out
}

fn member(first: String, last: String, role: Role) -> Member {
    let local = local_part(&format!("{first} {last}")).unwrap_or_default();
    Member {
        first,
        last,
        local,
        role,
    }
}

fn fresh_name(rng: &mut Rng, taken: &[Member]) -> (String, String) {
    let mut pick = || {
        (
            rng.pick(synth::FIRST_NAMES).to_string(),
            rng.pick(synth::LAST_NAMES).to_string(),
        )
    };
    let mut name = pick();
    for _ in 0..16 {
        let local = local_part(&format!("{} {}", name.0, name.1)).unwrap_or_default();
        if !taken.iter().any(|m| m.local == local) {
            break;
        }
        name = pick();
    }
    name
}

/// The role Apollo has for someone it knows at a company but not on its team: by hash,
/// a non-executive one.
pub(crate) fn staff_role(local: &str, registrable: &str) -> Role {
    let h = synth::mix(synth::fnv1a(format!("{local}|{registrable}").as_bytes()));
    let staff = &ROLES[STAFF_FROM..];
    let (title, seniority, departments) = staff[(h % staff.len() as u64) as usize];
    Role::of(title, seniority, departments)
}

/// Who a person is, as the sandbox remembers them for a later reveal by id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Known {
    pub first: String,
    pub last: String,
    pub registrable: String,
    pub organization_name: Option<String>,
    pub title: Option<String>,
}

/// People the sandbox has shown (by search or match), by Apollo id. Bounded: past the
/// cap it starts over, and an id it no longer knows matches nobody, as an id from
/// another account would.
#[derive(Default)]
pub(crate) struct Registry {
    ids: Mutex<HashMap<String, Known>>,
}

const REGISTRY_CAP: usize = 200_000;

impl Registry {
    pub(crate) fn remember(&self, id: &str, who: &Known) {
        let mut ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        if ids.get(id) == Some(who) {
            return;
        }
        if ids.len() >= REGISTRY_CAP {
            ids.clear();
        }
        ids.insert(id.to_string(), who.clone());
    }

    pub(crate) fn recall(&self, id: &str) -> Option<Known> {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_domains_and_mailboxes() {
        for (url, registrable) in [
            ("https://www.stock.walmart.com/x", "walmart.com"),
            ("investors.acme.co.uk", "acme.co.uk"),
        ] {
            assert_eq!(registrable_domain(url), registrable);
        }
        assert_eq!(mail_domain("acme.co.uk"), "acme.example");
        for (name, local) in [
            ("C. Douglas McMillon", Some("douglas.mcmillon")),
            ("Carol B. Tomé", Some("carol.tome")),
            ("Dr. Jane Doe, VP", Some("jane.doe")),
            (" . ", None),
        ] {
            assert_eq!(local_part(name).as_deref(), local, "{name}");
        }
        for (name, first, last) in [
            ("C. Douglas McMillon", "C. Douglas", "McMillon"),
            ("Thomas Wilson Jr.", "Thomas", "Wilson Jr."),
        ] {
            assert_eq!(split_name(name), (first.into(), last.into()));
        }
    }

    #[test]
    fn rates_are_close_to_the_documented_ones() {
        let n = 4000;
        let (mut miss, mut moved, mut bounced) = (0, 0, 0);
        for i in 0..n {
            match outcome(&format!("person{i}.x"), "acme.com") {
                Outcome::Miss => miss += 1,
                Outcome::Moved => moved += 1,
                Outcome::Hit => {}
            }
            bounced += usize::from(email_status(&format!("p{i}@acme.example")) == "bounced");
        }
        assert!((380..580).contains(&miss), "miss {miss}");
        assert!((170..320).contains(&moved), "moved {moved}");
        assert!((100..230).contains(&bounced), "bounced {bounced}");
    }

    #[test]
    fn teams_are_stable_and_led_by_the_listed_ceo() {
        let t = team("walmart.com");
        assert_eq!(t, team("walmart.com"));
        assert_eq!(t[0].local, "douglas.mcmillon");
        assert_eq!(t[0].role.seniority, "c_suite");
        let other = team("acme-analytics.com");
        assert!((9..=14).contains(&other.len()));
        let mut locals: Vec<&str> = other.iter().map(|m| m.local.as_str()).collect();
        locals.sort_unstable();
        locals.dedup();
        assert_eq!(locals.len(), other.len(), "no two members share a mailbox");
        assert!(["c_suite", "founder"].contains(&other[0].role.seniority));
    }
}
