//! The research sub-agent's output: what the company does, recent news, its market
//! position and buying signals, each claim with its source.

use crate::provenance::{Claim, SourceKind};
use serde::{Deserialize, Serialize};

/// One news item. Only items whose URL was read in the run are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewsItem {
    pub title: String,
    /// The publication date (`YYYY-MM-DD`) as the source gave it; `None` when undated.
    #[serde(default)]
    pub date: Option<String>,
    pub url: String,
    #[serde(default)]
    pub summary: Option<String>,
    /// `search` or `website`.
    #[serde(default = "search_source")]
    pub source: SourceKind,
    /// Older than the campaign's news age limit (or undated): kept for the record, never
    /// used as the reason to call.
    #[serde(default)]
    pub stale: bool,
}

fn search_source() -> SourceKind {
    SourceKind::Search
}

/// What kind of buying signal a [`Signal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Hiring,
    Funding,
    Launch,
    Expansion,
    Leadership,
    Other,
}

impl SignalKind {
    pub const ALL: [SignalKind; 6] = [
        SignalKind::Hiring,
        SignalKind::Funding,
        SignalKind::Launch,
        SignalKind::Expansion,
        SignalKind::Leadership,
        SignalKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::Hiring => "hiring",
            SignalKind::Funding => "funding",
            SignalKind::Launch => "launch",
            SignalKind::Expansion => "expansion",
            SignalKind::Leadership => "leadership",
            SignalKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<SignalKind> {
        SignalKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// A buying signal (hiring, funding, a launch …). A signal always has a source URL and a
/// date: one without both is dropped, never shown, never used in a call script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub text: String,
    pub date: String,
    pub url: String,
    #[serde(default = "search_source")]
    pub source: SourceKind,
    #[serde(default)]
    pub stale: bool,
}

/// The research brief on one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResearchBrief {
    #[serde(default)]
    pub overview: Option<Claim>,
    #[serde(default)]
    pub industry: Option<Claim>,
    #[serde(default)]
    pub headquarters: Option<Claim>,
    #[serde(default)]
    pub employee_range: Option<Claim>,
    #[serde(default)]
    pub market_position: Option<Claim>,
    #[serde(default)]
    pub recent_news: Vec<NewsItem>,
    #[serde(default)]
    pub signals: Vec<Signal>,
    /// Every URL a kept claim cites, in first-cited order. A brief that cites nothing has
    /// no sources, whatever was read.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Whether the company's own site was read.
    #[serde(default)]
    pub site_read: bool,
    /// Search results dropped because they were about another company (same name,
    /// other domain) or did not name this one.
    #[serde(default)]
    pub off_target_results: u32,
}

impl ResearchBrief {
    /// The claim fields, named, in display order.
    pub fn claims(&self) -> [(&'static str, Option<&Claim>); 5] {
        [
            ("overview", self.overview.as_ref()),
            ("industry", self.industry.as_ref()),
            ("headquarters", self.headquarters.as_ref()),
            ("employee_range", self.employee_range.as_ref()),
            ("market_position", self.market_position.as_ref()),
        ]
    }

    /// Claims backed by a source, plus kept news and signals: what confidence counts.
    pub fn supported_fields(&self) -> usize {
        self.claims()
            .iter()
            .filter(|(_, c)| c.is_some_and(|c| c.is_supported()))
            .count()
            + usize::from(!self.recent_news.is_empty())
            + usize::from(!self.signals.is_empty())
    }

    /// Fresh, sourced news and signals: what a call may use as its reason.
    pub fn fresh_reasons(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        let signals = self
            .signals
            .iter()
            .filter(|s| !s.stale)
            .map(|s| (s.text.as_str(), s.url.as_str(), s.date.as_str()));
        let news = self.recent_news.iter().filter(|n| !n.stale).map(|n| {
            (
                n.title.as_str(),
                n.url.as_str(),
                n.date.as_deref().unwrap_or_default(),
            )
        });
        signals.chain(news)
    }
}
