//! What the ledger's and the records' words mean to a salesperson.
//!
//! Failure reasons are stored as the error's text (`apollo: rate limited: …`, `budget of
//! $5.00 reached`); [`plain_reason`] recognises the common ones by the phrases those
//! errors are written with and says what happened and what to do, keeping the original
//! text for the rest.

use atl_domain::provenance::{Provenance, SourceKind};
use atl_domain::records::{ContactOutcome, EmailStatus};
use atl_domain::{SubAgentKind, TargetStatus};

/// The provider named right before `phrase` in `text` (`apollo: rate limited` → apollo).
fn provider_before(text: &str, at: usize) -> Option<String> {
    let head = text.get(..at)?.trim_end().strip_suffix(':')?;
    let name = head.rsplit([':', ' ', '(']).next()?.trim();
    (!name.is_empty() && name.len() <= 40).then(|| name.to_string())
}

/// A provider's failures by the phrases of their reasons, first match wins, each said
/// after the provider's name.
const PROVIDER_FAILURES: &[(&[&str], &str)] = &[
    (
        &["rate limited"],
        "asked us to slow down (rate limited). Retrying later usually works.",
    ),
    (
        &["quota exhausted"],
        "has no credits left on this plan. Add credits, then retry.",
    ),
    (
        &["not authorised"],
        "refused our API key. Ask your admin to check the key.",
    ),
    (
        &[
            "server error",
            "connection failed",
            "timed out",
            "circuit open",
            "unavailable",
        ],
        "was unavailable when we asked. Retrying later usually works.",
    ),
    (
        &["unexpected response"],
        "sent an answer we could not read. Retrying usually works.",
    ),
];

/// A stored failure reason in plain words.
pub(crate) fn plain_reason(reason: &str) -> String {
    let lower = reason.to_ascii_lowercase();
    let find = |phrase: &str| lower.find(phrase);
    let who =
        |at: usize| provider_before(reason, at).unwrap_or_else(|| "A data provider".to_string());
    for (phrases, what) in PROVIDER_FAILURES {
        for phrase in *phrases {
            if let Some(at) = find(phrase) {
                return format!("{} {what}", who(at));
            }
        }
    }
    if lower.contains("budget") {
        return "The campaign's budget was reached before this could run. Raise the budget, \
                then retry."
            .into();
    }
    if lower.contains("cancel") {
        return "The campaign was cancelled before this ran.".into();
    }
    if lower == "not finished yet" {
        return "Still being worked on.".into();
    }
    if lower == "not run" {
        return "This step was not run.".into();
    }
    if lower.starts_with("result unreadable") {
        return "The saved result could not be read (it was made by an older version).".into();
    }
    format!("It failed: {reason}")
}

/// What a sub-agent does, in a salesperson's words.
pub(crate) fn agent_label(kind: SubAgentKind) -> &'static str {
    match kind {
        SubAgentKind::Research => "Research",
        SubAgentKind::Intel => "Competitive intel",
        SubAgentKind::Enrichment => "Contact data",
        SubAgentKind::Voice => "Call script",
    }
}

/// A target state for the badge and the filter.
pub(crate) fn target_status_label(s: TargetStatus) -> &'static str {
    match s.as_str() {
        "pending" => "Waiting",
        "processing" => "Working",
        "completed" => "Done",
        "partial" => "Partly done",
        "failed" => "Failed",
        "cancelled" => "Cancelled",
        _ => "Unknown",
    }
}

/// A campaign state.
pub(crate) fn campaign_status_label(s: &str) -> &'static str {
    match s {
        "pending" => "Not started",
        "processing" => "Running",
        "paused" => "Paused",
        "completed" => "Finished",
        "failed" => "Failed",
        "cancelled" => "Cancelled",
        _ => "Unknown",
    }
}

/// What an e-mail status lets a seller do.
pub(crate) fn email_status_label(s: EmailStatus) -> &'static str {
    match s {
        EmailStatus::Verified => "Verified: safe to send",
        EmailStatus::CatchAll => "Catch-all domain: may bounce",
        EmailStatus::UnverifiedGuess => "Guessed from the company's pattern: not verified",
        EmailStatus::Invalid => "Invalid: will bounce",
        EmailStatus::Unknown => "Not checked",
    }
}

/// The CSS class of an e-mail status badge.
pub(crate) fn email_status_class(s: EmailStatus) -> &'static str {
    match s {
        EmailStatus::Verified => "good",
        EmailStatus::CatchAll | EmailStatus::UnverifiedGuess | EmailStatus::Unknown => "warn",
        EmailStatus::Invalid => "bad",
    }
}

/// Where a value came from, as a short label.
pub(crate) fn source_label(s: SourceKind) -> &'static str {
    match s {
        SourceKind::Input => "your file",
        SourceKind::Apollo => "Apollo",
        SourceKind::Hunter => "Hunter",
        SourceKind::Website => "company website",
        SourceKind::Search => "web search",
        SourceKind::Model => "model knowledge",
    }
}

/// A provenance as shown beside a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SourceView {
    /// `input`, `apollo`, … (the CSS class and the test hook).
    pub kind: &'static str,
    pub label: &'static str,
    pub url: Option<String>,
    /// "observed 2026-11-30" / "from cache, observed 2026-11-30".
    pub note: Option<String>,
    /// No evidence behind it: a model's own knowledge.
    pub unverified: bool,
}

impl SourceView {
    pub(crate) fn of(p: &Provenance) -> SourceView {
        let observed = p.observed_at.as_deref().map(super::format::day);
        let note = match (p.from_cache, observed) {
            (true, Some(d)) => Some(format!("from cache, observed {d}")),
            (true, None) => Some("from cache".to_string()),
            (false, Some(d)) => Some(format!("observed {d}")),
            (false, None) => None,
        };
        SourceView {
            kind: p.source.as_str(),
            label: source_label(p.source),
            url: p.evidence_url.clone().filter(|u| is_web_link(u)),
            note,
            unverified: !p.source.is_evidence(),
        }
    }
}

/// Only http(s) addresses become links (a stored `javascript:` URL never does).
pub(crate) fn is_web_link(url: &str) -> bool {
    let l = url.trim_start().to_ascii_lowercase();
    l.starts_with("https://") || l.starts_with("http://")
}

/// What became of the list's contact.
pub(crate) fn contact_outcome(o: &ContactOutcome) -> String {
    match o {
        ContactOutcome::Found => "Found at this company by a data provider.".into(),
        ContactOutcome::Unverified => {
            "As given in your file: no data provider could confirm this person.".into()
        }
        ContactOutcome::Moved { to_company, .. } => format!(
            "This person seems to have moved to {to_company}: details below are from your \
             file, unverified."
        ),
        ContactOutcome::NoInputContact => {
            "Your file named no contact here; see the executives below.".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_reasons_read_as_sentences() {
        let r = plain_reason("enrichment: apollo: rate limited: slow down");
        assert!(r.starts_with("apollo asked us to slow down"), "{r}");
        let r = plain_reason("research: deepseek: server error 503: overloaded");
        assert!(r.starts_with("deepseek was unavailable"), "{r}");
        let r = plain_reason("hunter: quota exhausted: no credits");
        assert!(r.starts_with("hunter has no credits"), "{r}");
        assert!(plain_reason("budget of $5.00 reached").contains("budget was reached"));
        assert!(plain_reason("campaign cancelled").contains("cancelled before"));
        assert_eq!(plain_reason("weird thing"), "It failed: weird thing");
        assert!(plain_reason("connection failed").starts_with("A data provider"));
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert!(is_web_link("https://acme.example/"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link("data:text/html,x"));
        let p = Provenance::new(SourceKind::Apollo)
            .observed("2026-11-30T10:00:00Z")
            .cached(true);
        let v = SourceView::of(&p);
        assert_eq!(v.note.as_deref(), Some("from cache, observed 2026-11-30"));
        assert!(!v.unverified);
        assert!(SourceView::of(&Provenance::model()).unverified);
    }
}
