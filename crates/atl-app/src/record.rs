//! One target with its four results read as the typed contract: what the export, the
//! executives view, the API's target view and the dashboard all show.

use atl_domain::records::{
    self, CallScript, EnrichmentRecord, IntelReport, Person, ResearchBrief, RunMeta, Stamped,
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

/// A person's fields as texts, the way the export's columns and the executives view
/// show them: the e-mail and the phone each split into their parts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PersonFields<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub title: Option<&'a str>,
    pub seniority: Option<&'a str>,
    pub email: Option<&'a str>,
    pub email_status: Option<&'a str>,
    pub email_provider_status: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub phone_type: Option<&'a str>,
    pub linkedin: Option<&'a str>,
}

impl<'a> PersonFields<'a> {
    pub(crate) fn of(p: &'a Person) -> PersonFields<'a> {
        let email = p.email.as_ref();
        let phone = p.phone.as_ref();
        PersonFields {
            first_name: p.first_name.as_deref(),
            last_name: p.last_name.as_deref(),
            title: p.title.as_ref().map(|t| t.value.as_str()),
            seniority: p.seniority.as_ref().map(|t| t.value.as_str()),
            email: email.map(|e| e.address.as_str()),
            email_status: email.map(|e| e.status.as_str()),
            email_provider_status: email.and_then(|e| e.provider_status.as_deref()),
            phone: phone.map(|x| x.number.as_str()),
            phone_type: phone.map(|x| x.kind.as_str()),
            linkedin: p.linkedin_url.as_ref().map(|l| l.value.as_str()),
        }
    }
}

/// A sub-agent that produced nothing, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Missing {
    pub sub_agent: SubAgentKind,
    pub reason: String,
}

/// "research: result unreadable: …", the way the export lists it.
impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.sub_agent, self.reason)
    }
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
            let read = match r.kind {
                SubAgentKind::Research => part(r).map(|p| rec.research = Some(p)),
                SubAgentKind::Intel => part(r).map(|p| rec.intel = Some(p)),
                SubAgentKind::Enrichment => part(r).map(|p| rec.enrichment = Some(p)),
                SubAgentKind::Voice => part(r).map(|p| rec.voice = Some(p)),
            };
            if let Err(e) = read {
                missing.push(unreadable(e));
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

    /// A sub-agent's run meta and confidence, when it has a result.
    fn run(&self, kind: SubAgentKind) -> Option<(&RunMeta, Option<f64>)> {
        fn of<T>(part: &Option<Part<T>>) -> Option<(&RunMeta, Option<f64>)> {
            part.as_ref().map(|p| (&p.meta, p.confidence))
        }
        match kind {
            SubAgentKind::Research => of(&self.research),
            SubAgentKind::Intel => of(&self.intel),
            SubAgentKind::Enrichment => of(&self.enrichment),
            SubAgentKind::Voice => of(&self.voice),
        }
    }

    /// A sub-agent's confidence in its result (none without a result, or without a figure).
    pub fn confidence(&self, kind: SubAgentKind) -> Option<f64> {
        self.run(kind).and_then(|(_, confidence)| confidence)
    }

    /// Every warning of every result, with the sub-agent that raised it, plus one per
    /// missing sub-agent ("no research: …").
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for &who in SubAgentKind::ALL {
            let meta = self.run(who).map(|(meta, _)| meta);
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
