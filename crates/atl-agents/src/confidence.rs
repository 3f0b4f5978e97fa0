//! Confidence from evidence, never from what a model says about itself.
//!
//! Each agent collects countable facts about its run (how many distinct sources, whether
//! the site was read, whether a verifier confirmed the e-mail, …) and a fixed, weighted
//! formula turns them into a number in [0, 1]. The weights of each formula sum to 1, so
//! a run with every piece of evidence scores 1.0 and one with none scores 0.0.
//!
//! | agent | formula |
//! |---|---|
//! | research | 0.30·min(sources, 5)/5 + 0.15·site_read + 0.30·filled/7 + 0.25·min(cited news, 3)/3 |
//! | intel | 0.30·min(sources, 4)/4 + 0.30·min(competitors with a domain, 3)/3 + 0.20·research_present + 0.20·(positioning + ≥1 opportunity)/2 |
//! | enrichment | 0.35·email (verified 1, likely 0.7, unverified 0.3, unknown 0.15, invalid/none 0) + 0.25·apollo_match + 0.15·linkedin + 0.15·title + 0.10·organization |
//! | voice | 0.40·research_present + 0.10·reason_cites_source + 0.20·contact_name + 0.30·audio |
//!
//! research's `filled` counts the non-empty fields among overview, industry, headquarters,
//! employee_range, market_position, signals (any of the three) and recent_news (≥ 1
//! item); "cited news" are items whose URL is one we fetched and which carry a date.

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
    /// Filled fields out of [`ResearchEvidence::FIELDS`].
    pub filled_fields: usize,
    /// News items citing a fetched URL and carrying a date.
    pub dated_cited_news: usize,
}

impl ResearchEvidence {
    pub const FIELDS: usize = 7;
}

pub fn research(e: &ResearchEvidence) -> f64 {
    let c = 0.30 * ratio(e.distinct_sources, 5)
        + 0.15 * flag(e.site_read)
        + 0.30 * ratio(e.filled_fields, ResearchEvidence::FIELDS)
        + 0.25 * ratio(e.dated_cited_news, 3);
    c.clamp(0.0, 1.0)
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IntelEvidence {
    pub distinct_sources: usize,
    pub competitors_with_domain: usize,
    pub research_present: bool,
    pub has_positioning: bool,
    pub has_opportunities: bool,
}

pub fn intel(e: &IntelEvidence) -> f64 {
    let completeness = (flag(e.has_positioning) + flag(e.has_opportunities)) / 2.0;
    let c = 0.30 * ratio(e.distinct_sources, 4)
        + 0.30 * ratio(e.competitors_with_domain, 3)
        + 0.20 * flag(e.research_present)
        + 0.20 * completeness;
    c.clamp(0.0, 1.0)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrichmentEvidence {
    /// The contact's final `email_status` (after the cross-check), `None` without e-mail.
    pub email_status: Option<String>,
    pub apollo_match: bool,
    pub linkedin: bool,
    pub title: bool,
    pub organization: bool,
}

pub fn email_weight(status: Option<&str>) -> f64 {
    match status {
        Some("verified") => 1.0,
        Some("likely") => 0.7,
        Some("unverified") => 0.3,
        Some("unknown") => 0.15,
        _ => 0.0,
    }
}

pub fn enrichment(e: &EnrichmentEvidence) -> f64 {
    let c = 0.35 * email_weight(e.email_status.as_deref())
        + 0.25 * flag(e.apollo_match)
        + 0.15 * flag(e.linkedin)
        + 0.15 * flag(e.title)
        + 0.10 * flag(e.organization);
    c.clamp(0.0, 1.0)
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VoiceEvidence {
    pub research_present: bool,
    pub reason_cites_source: bool,
    pub contact_name_known: bool,
    pub audio_produced: bool,
}

pub fn voice(e: &VoiceEvidence) -> f64 {
    let c = 0.40 * flag(e.research_present)
        + 0.10 * flag(e.reason_cites_source)
        + 0.20 * flag(e.contact_name_known)
        + 0.30 * flag(e.audio_produced);
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
            filled_fields: 7,
            dated_cited_news: 4,
        };
        assert!(close(research(&full), 1.0));
        // Site only, half the fields: 0.30·1/5 + 0.15 + 0.30·3/7.
        let site_only = ResearchEvidence {
            distinct_sources: 1,
            site_read: true,
            filled_fields: 3,
            dated_cited_news: 0,
        };
        assert!(close(research(&site_only), 0.06 + 0.15 + 0.30 * 3.0 / 7.0));
        // More evidence never lowers confidence.
        let more = ResearchEvidence {
            distinct_sources: 4,
            ..site_only
        };
        assert!(research(&more) > research(&site_only));
    }

    #[test]
    fn enrichment_ranks_verification() {
        let base = EnrichmentEvidence {
            apollo_match: true,
            linkedin: true,
            title: true,
            organization: true,
            email_status: None,
        };
        let with = |s: &str| EnrichmentEvidence {
            email_status: Some(s.into()),
            ..base.clone()
        };
        assert!(close(enrichment(&with("verified")), 1.0));
        assert!(enrichment(&with("verified")) > enrichment(&with("likely")));
        assert!(enrichment(&with("likely")) > enrichment(&with("unverified")));
        assert!(enrichment(&with("unverified")) > enrichment(&with("unknown")));
        assert!(close(enrichment(&with("invalid")), enrichment(&base)));
        assert!(close(enrichment(&EnrichmentEvidence::default()), 0.0));
    }

    #[test]
    fn intel_and_voice() {
        assert!(close(intel(&IntelEvidence::default()), 0.0));
        let full = IntelEvidence {
            distinct_sources: 4,
            competitors_with_domain: 3,
            research_present: true,
            has_positioning: true,
            has_opportunities: true,
        };
        assert!(close(intel(&full), 1.0));
        let no_research = IntelEvidence {
            research_present: false,
            ..full
        };
        assert!(close(intel(&no_research), 0.8));

        let all = VoiceEvidence {
            research_present: true,
            reason_cites_source: true,
            contact_name_known: true,
            audio_produced: true,
        };
        assert!(close(voice(&all), 1.0));
        let generic = VoiceEvidence {
            research_present: false,
            reason_cites_source: false,
            ..all
        };
        assert!(close(voice(&generic), 0.5));
        assert!(voice(&generic) < voice(&all));
    }
}
