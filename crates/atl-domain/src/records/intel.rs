//! The intel sub-agent's output: the account's competitive landscape and where the
//! seller can differentiate.

use crate::provenance::{Claim, Provenance};
use serde::{Deserialize, Serialize};

/// One competitor of the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Competitor {
    pub name: String,
    /// A bare domain (`rival.com`), never the account's own.
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub why: Option<String>,
    /// The page that names it as a competitor, or model knowledge.
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// The competitive analysis of one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntelReport {
    #[serde(default)]
    pub competitors: Vec<Competitor>,
    #[serde(default)]
    pub positioning: Option<Claim>,
    /// Angles for the seller: inferences, marked as the model's unless a page supports
    /// them.
    #[serde(default)]
    pub differentiation_opportunities: Vec<Claim>,
    #[serde(default)]
    pub sources: Vec<String>,
    /// Whether the research brief was available when intel ran.
    #[serde(default)]
    pub research_used: bool,
}
