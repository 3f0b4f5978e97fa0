//! Confidence from evidence, never from what a model says about itself, and never from
//! fields that merely are filled: only supported fields count.
//!
//! Each agent collects countable facts about its run (how many distinct sources a kept
//! claim cites, whether the site was read, whether a verifier confirmed the e-mail, …)
//! and a fixed, weighted formula turns them into a number in [0, 1]. The weights of each
//! formula sum to 1, so a run with every piece of evidence scores 1.0 and one with none
//! scores 0.0.
//!
//! | agent | formula |
//! |---|---|
//! | research | 0.30·min(cited sources, 5)/5 + 0.15·site_read + 0.30·supported/7 + 0.25·min(fresh dated news, 3)/3 |
//! | intel | 0.30·min(cited sources, 4)/4 + 0.30·min(competitors a page names, 3)/3 + 0.20·research_used + 0.20·(positioning supported + ≥1 opportunity)/2 |
//! | enrichment | 0.35·email (verified 1, catch_all 0.4, unverified_guess 0.2, unknown 0.1, invalid/none 0) + 0.25·person found by a tool + 0.15·LinkedIn from a tool + 0.15·title from a tool + 0.10·organization from a tool |
//! | voice | 0.50·research present + 0.20·reason cites a fresh source + 0.30·contact's name known |
//!
//! research's `supported` counts the five claim fields that cite a page read in the run,
//! plus one for kept news and one for kept signals.

use atl_domain::records::EmailStatus;

fn ratio(n: usize, cap: usize) -> f64 {
    if cap == 0 {
        return 0.0;
    }
    n.min(cap) as f64 / cap as f64
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ResearchEvidence {
    pub distinct_sources: usize,
    pub site_read: bool,
    /// Supported fields out of [`ResearchEvidence::FIELDS`].
    pub supported_fields: usize,
    /// Fresh news items with a date.
    pub fresh_dated_news: usize,
}

impl ResearchEvidence {
    pub const FIELDS: usize = 7;
}

pub fn research(e: &ResearchEvidence) -> f64 {
    let c = 0.30 * ratio(e.distinct_sources, 5)
        + 0.15 * flag(e.site_read)
        + 0.30 * ratio(e.supported_fields, ResearchEvidence::FIELDS)
        + 0.25 * ratio(e.fresh_dated_news, 3);
    c.clamp(0.0, 1.0)
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IntelEvidence {
    pub distinct_sources: usize,
    pub competitors_supported: usize,
    pub research_used: bool,
    pub positioning_supported: bool,
    pub has_opportunities: bool,
}

pub fn intel(e: &IntelEvidence) -> f64 {
    let completeness = (flag(e.positioning_supported) + flag(e.has_opportunities)) / 2.0;
    let c = 0.30 * ratio(e.distinct_sources, 4)
        + 0.30 * ratio(e.competitors_supported, 3)
        + 0.20 * flag(e.research_used)
        + 0.20 * completeness;
    c.clamp(0.0, 1.0)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrichmentEvidence {
    /// The contact's e-mail status, `None` without e-mail.
    pub email_status: Option<EmailStatus>,
    pub found_by_tool: bool,
    pub linkedin_from_tool: bool,
    pub title_from_tool: bool,
    pub organization_from_tool: bool,
}

pub fn email_weight(status: Option<EmailStatus>) -> f64 {
    match status {
        Some(EmailStatus::Verified) => 1.0,
        Some(EmailStatus::CatchAll) => 0.4,
        Some(EmailStatus::UnverifiedGuess) => 0.2,
        Some(EmailStatus::Unknown) => 0.1,
        Some(EmailStatus::Invalid) | None => 0.0,
    }
}

pub fn enrichment(e: &EnrichmentEvidence) -> f64 {
    let c = 0.35 * email_weight(e.email_status)
        + 0.25 * flag(e.found_by_tool)
        + 0.15 * flag(e.linkedin_from_tool)
        + 0.15 * flag(e.title_from_tool)
        + 0.10 * flag(e.organization_from_tool);
    c.clamp(0.0, 1.0)
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VoiceEvidence {
    pub research_present: bool,
    pub reason_cites_source: bool,
    pub contact_name_known: bool,
}

pub fn voice(e: &VoiceEvidence) -> f64 {
    let c = 0.50 * flag(e.research_present)
        + 0.20 * flag(e.reason_cites_source)
        + 0.30 * flag(e.contact_name_known);
    c.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn research_bounds_and_weights() {
        assert!(close(research(&ResearchEvidence::default()), 0.0));
        let full = ResearchEvidence {
            distinct_sources: 9,
            site_read: true,
            supported_fields: 7,
            fresh_dated_news: 4,
        };
        assert!(close(research(&full), 1.0));
        // The site was read but nothing cites it: only the site counts.
        let uncited = ResearchEvidence {
            site_read: true,
            ..ResearchEvidence::default()
        };
        assert!(close(research(&uncited), 0.15));
        let more = ResearchEvidence {
            distinct_sources: 2,
            supported_fields: 2,
            ..uncited
        };
        assert!(research(&more) > research(&uncited));
    }

    #[test]
    fn enrichment_ranks_verification() {
        let base = EnrichmentEvidence {
            found_by_tool: true,
            linkedin_from_tool: true,
            title_from_tool: true,
            organization_from_tool: true,
            email_status: None,
        };
        let with = |s: EmailStatus| EnrichmentEvidence {
            email_status: Some(s),
            ..base.clone()
        };
        assert!(close(enrichment(&with(EmailStatus::Verified)), 1.0));
        let order = [
            EmailStatus::Verified,
            EmailStatus::CatchAll,
            EmailStatus::UnverifiedGuess,
            EmailStatus::Unknown,
        ];
        for w in order.windows(2) {
            assert!(enrichment(&with(w[0])) > enrichment(&with(w[1])), "{w:?}");
        }
        assert!(close(
            enrichment(&with(EmailStatus::Invalid)),
            enrichment(&base)
        ));
        assert!(close(enrichment(&EnrichmentEvidence::default()), 0.0));
    }

    #[test]
    fn intel_and_voice() {
        assert!(close(intel(&IntelEvidence::default()), 0.0));
        let full = IntelEvidence {
            distinct_sources: 4,
            competitors_supported: 3,
            research_used: true,
            positioning_supported: true,
            has_opportunities: true,
        };
        assert!(close(intel(&full), 1.0));
        let all = VoiceEvidence {
            research_present: true,
            reason_cites_source: true,
            contact_name_known: true,
        };
        assert!(close(voice(&all), 1.0));
        let generic = VoiceEvidence {
            research_present: false,
            reason_cites_source: false,
            ..all
        };
        assert!(close(voice(&generic), 0.3));
    }
}
