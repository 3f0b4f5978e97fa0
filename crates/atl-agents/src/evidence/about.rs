//! Whether a search result is about *this* company: same-name companies are common
//! ("Acme" is dozens of firms), and a brief built on another one's news is worse than none.
//!
//! A result is about the company when it is on the company's own registrable domain, or
//! when its title or snippet names the company (every distinctive word of its name).
//! A result on another site whose domain label starts with the head of the company's
//! name (`acme-plumbing.example` for "Acme Analytics") is another company of that name,
//! whatever its text says. Everything else does not name the company and is dropped.

use atl_domain::domain_name;

/// Words of a company name that say nothing about which company it is (a word list, kept
/// as data).
const NOISE_WORDS: &str = include_str!("noise_words.txt");

fn is_noise(word: &str) -> bool {
    NOISE_WORDS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .any(|l| l.trim() == word)
}

/// The verdict on one result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum About {
    /// On the company's own domain.
    OwnSite,
    /// Names the company.
    Names,
    /// Another company with the same name (its own site).
    OtherCompany,
    /// Does not name the company.
    Unrelated,
}

impl About {
    pub(crate) fn is_about(self) -> bool {
        matches!(self, About::OwnSite | About::Names)
    }
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The distinctive words of a company name (`"The Home Depot, Inc."` → home, depot).
pub(crate) fn distinctive(company: &str) -> Vec<String> {
    let all = words(company);
    let kept: Vec<String> = all.iter().filter(|w| !is_noise(w)).cloned().collect();
    if kept.is_empty() { all } else { kept }
}

/// Judge one result (the host it is on and its text) for the company with these
/// distinctive words and registrable domain.
pub(crate) fn judge(host: &str, text: &str, tokens: &[String], own: Option<&str>) -> About {
    let reg = domain_name::registrable_domain(host);
    if let (Some(r), Some(o)) = (reg.as_deref(), own)
        && r == o
    {
        return About::OwnSite;
    }
    if let Some(r) = reg.as_deref() {
        let label = r.split('.').next().unwrap_or_default();
        let label_words = words(label);
        let squashed = label.replace('-', "");
        let joined: String = tokens.concat();
        let head = tokens.first().map(String::as_str).unwrap_or_default();
        let carries_name = !head.is_empty()
            && (label_words.first().map(String::as_str) == Some(head)
                || (joined.len() >= 4 && squashed.contains(&joined))
                || (head.len() >= 4 && squashed.starts_with(head)));
        if carries_name {
            return About::OtherCompany;
        }
    }
    let text_words = words(text);
    if !tokens.is_empty() && tokens.iter().all(|t| text_words.contains(t)) {
        About::Names
    } else {
        About::Unrelated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_noise_word_list_reads_whole() {
        let words: Vec<&str> = NOISE_WORDS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect();
        assert_eq!(words.len(), 30);
        assert!(is_noise("inc") && is_noise("the") && !is_noise("acme"));
    }

    fn check(company: &str, own: Option<&str>, url: &str, text: &str, want: About) {
        let t = distinctive(company);
        assert_eq!(
            judge(url, text, &t, own),
            want,
            "{company} / {url} / {text}"
        );
    }

    #[test]
    fn results_are_judged_by_domain_then_name() {
        check(
            "Acme Inc.",
            Some("acme.com"),
            "https://news.acme.com/a",
            "",
            About::OwnSite,
        );
        check(
            "Acme Inc.",
            Some("acme.com"),
            "https://reuters.com/x",
            "Acme raises $40M",
            About::Names,
        );
        check(
            "Acme Inc.",
            Some("acme.com"),
            "https://acme-widgets.example/",
            "Acme widgets",
            About::OtherCompany,
        );
        check(
            "Acme Inc.",
            Some("acme.com"),
            "https://reuters.com/y",
            "Globex buys Initech",
            About::Unrelated,
        );
        check(
            "The Home Depot, Inc.",
            Some("homedepot.com"),
            "https://cnbc.com/z",
            "Home Depot beats estimates",
            About::Names,
        );
        check(
            "The Home Depot, Inc.",
            Some("homedepot.com"),
            "https://homedepotsupply.example/",
            "",
            About::OtherCompany,
        );
        // A name of noise words only keeps them, rather than matching everything.
        assert_eq!(distinctive("The Company"), vec!["the", "company"]);
    }
}
