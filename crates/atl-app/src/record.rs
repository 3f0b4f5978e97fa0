//! One target with its four results read as the typed contract: what the export, the
//! executives view, the API's target view and the dashboard all show.

use atl_domain::records::{
    self, CallScript, EnrichmentRecord, IntelReport, ResearchBrief, RunMeta, Stamped,
};
use atl_domain::{Money, SubAgentKind};
use atl_store::{JobFailure, StoredResult, Target};
use serde::Serialize;

/// One sub-agent's result as its record, with the run's meta and numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part<T> {
    #[serde(flatten)]
    pub record: T,
    #[serde(flatten)]
    pub meta: RunMeta,
    pub confidence: Option<f64>,
    pub cost_usd: Option<f64>,
    pub latency_ms: Option<i64>,
    pub provider: Option<String>,
    pub model: Option<String>,
}

/// A sub-agent that produced nothing, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Missing {
    pub sub_agent: SubAgentKind,
    pub reason: String,
}

/// A target and everything its sub-agents found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetRecord {
    #[serde(skip)]
    pub target: Target,
    pub research: Option<Part<ResearchBrief>>,
    pub intel: Option<Part<IntelReport>>,
    pub enrichment: Option<Part<EnrichmentRecord>>,
    pub voice: Option<Part<CallScript>>,
    /// Assigned sub-agents without a result, with the reason.
    pub missing: Vec<Missing>,
    /// True when any result came from the sandbox (invented data).
    pub synthetic: Option<bool>,
}

fn part<T: serde::de::DeserializeOwned>(r: &StoredResult) -> Result<Part<T>, records::DecodeError> {
    let Stamped { record, meta } = records::decode::<T>(r.kind, &r.data)?;
    Ok(Part {
        record,
        meta,
        confidence: r.confidence.map(|c| (c * 100.0).round() / 100.0),
        cost_usd: r.cost_nano_usd.map(|n| Money::from_nanos(n).usd()),
        latency_ms: r.latency_ms,
        provider: r.provider.clone(),
        model: r.model.clone(),
    })
}

impl TargetRecord {
    /// Read a target's stored results. A result that does not fit its record (stored by
    /// an older version, or damaged) is reported as missing with the reason, never shown
    /// as empty fields.
    pub fn read(target: Target, results: &[StoredResult], failures: &[JobFailure]) -> TargetRecord {
        let mut missing = Vec::new();
        let mut rec = TargetRecord {
            research: None,
            intel: None,
            enrichment: None,
            voice: None,
            missing: Vec::new(),
            synthetic: (!results.is_empty()).then(|| results.iter().any(|r| r.synthetic)),
            target,
        };
        for r in results {
            let unreadable = |e: records::DecodeError| Missing {
                sub_agent: r.kind,
                reason: format!("result unreadable: {e}"),
            };
            match r.kind {
                SubAgentKind::Research => match part(r) {
                    Ok(p) => rec.research = Some(p),
                    Err(e) => missing.push(unreadable(e)),
                },
                SubAgentKind::Intel => match part(r) {
                    Ok(p) => rec.intel = Some(p),
                    Err(e) => missing.push(unreadable(e)),
                },
                SubAgentKind::Enrichment => match part(r) {
                    Ok(p) => rec.enrichment = Some(p),
                    Err(e) => missing.push(unreadable(e)),
                },
                SubAgentKind::Voice => match part(r) {
                    Ok(p) => rec.voice = Some(p),
                    Err(e) => missing.push(unreadable(e)),
                },
            }
        }
        for kind in &rec.target.assigned_sub_agents {
            let has = results.iter().any(|r| r.kind == *kind);
            if has || missing.iter().any(|m| m.sub_agent == *kind) {
                continue;
            }
            let reason = match failures.iter().find(|f| f.kind == *kind) {
                Some(f) => f.last_error.clone().unwrap_or_else(|| "failed".into()),
                None if rec.target.enrichment_status.as_str() == "pending"
                    || rec.target.enrichment_status.as_str() == "processing" =>
                {
                    "not finished yet".into()
                }
                None => "not run".into(),
            };
            missing.push(Missing {
                sub_agent: *kind,
                reason,
            });
        }
        rec.missing = missing;
        rec
    }

    /// Every warning of every result, with the sub-agent that raised it, plus one per
    /// missing sub-agent ("no research: …").
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let metas = [
            ("research", self.research.as_ref().map(|p| &p.meta)),
            ("intel", self.intel.as_ref().map(|p| &p.meta)),
            ("enrichment", self.enrichment.as_ref().map(|p| &p.meta)),
            ("voice", self.voice.as_ref().map(|p| &p.meta)),
        ];
        for (who, meta) in metas {
            for w in meta.map(|m| m.warnings.as_slice()).unwrap_or_default() {
                out.push(format!("{who}: {w}"));
            }
        }
        for m in &self.missing {
            out.push(format!("no {}: {}", m.sub_agent, m.reason));
        }
        out
    }
}
