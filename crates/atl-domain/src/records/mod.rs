//! The typed contract between the sub-agents and everything that reads their results.
//!
//! Agents produce these types; the store keeps them as JSON (`result_data`), and the
//! export, the executives view, the voice agent and the API read them back as these types,
//! by field. A renamed field is therefore a compile error, not an empty column.
//!
//! Each stored result is one record ([`ResearchBrief`], [`IntelReport`],
//! [`EnrichmentRecord`], [`CallScript`]) with the run's [`RunMeta`] beside its fields in
//! the same JSON object.

mod enrichment;
mod intel;
mod research;
mod voice;

pub use enrichment::{
    ContactOutcome, Email, EmailStatus, EnrichmentRecord, Organization, Person, Phone, PhoneKind,
};
pub use intel::{Competitor, IntelReport};
pub use research::{NewsItem, ResearchBrief, Signal, SignalKind};
pub use voice::{Audio, CallScript, Objection};

use crate::SubAgentKind;
use crate::money::Money;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One provider call of a run, as it was priced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostPart {
    pub provider: String,
    /// The model, or the endpoint for a lookup (`people_match`, `search`).
    pub model: String,
    /// `None` when the provider's price was unknown (never reported as zero).
    #[serde(rename = "cost_nano_usd")]
    pub cost: Option<Money>,
    #[serde(default)]
    pub tokens_in: u64,
    #[serde(default)]
    pub cached_tokens_in: u64,
    #[serde(default)]
    pub tokens_out: u64,
    /// Paid lookups (credits) the call consumed.
    #[serde(default)]
    pub lookups: u64,
    #[serde(default)]
    pub tts_characters: u64,
    /// The call was answered from the evidence cache, at no cost.
    #[serde(default)]
    pub from_cache: bool,
}

/// What every run records beside its record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    #[serde(default)]
    pub prompt_version: String,
    /// Made through the sandbox: invented data, never to be taken for real.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synthetic: bool,
    #[serde(default)]
    pub cost_breakdown: Vec<CostPart>,
    /// What did not stop the run but a user should know ("company site not read").
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// A record and its run's meta, stored as one JSON object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamped<T> {
    #[serde(flatten)]
    pub record: T,
    #[serde(flatten)]
    pub meta: RunMeta,
}

/// Any sub-agent's record.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentOutput {
    Research(Box<ResearchBrief>),
    Intel(Box<IntelReport>),
    Enrichment(Box<EnrichmentRecord>),
    Voice(Box<CallScript>),
}

impl AgentOutput {
    pub fn kind(&self) -> SubAgentKind {
        match self {
            AgentOutput::Research(_) => SubAgentKind::Research,
            AgentOutput::Intel(_) => SubAgentKind::Intel,
            AgentOutput::Enrichment(_) => SubAgentKind::Enrichment,
            AgentOutput::Voice(_) => SubAgentKind::Voice,
        }
    }
}

/// Why a stored result could not be read as its record.
#[derive(Debug, thiserror::Error)]
#[error("stored {kind} result does not fit its record: {source}")]
pub struct DecodeError {
    pub kind: SubAgentKind,
    #[source]
    pub source: serde_json::Error,
}

/// The stored JSON of a record and its meta.
pub fn encode<T: Serialize>(record: &T, meta: &RunMeta) -> Value {
    let mut v = serde_json::to_value(record).unwrap_or(Value::Null);
    if let (Value::Object(map), Ok(Value::Object(m))) = (&mut v, serde_json::to_value(meta)) {
        map.extend(m);
    }
    v
}

/// A stored result read back as its record and meta.
pub fn decode<T: DeserializeOwned>(
    kind: SubAgentKind,
    data: &Value,
) -> Result<Stamped<T>, DecodeError> {
    Stamped::<T>::deserialize(data).map_err(|source| DecodeError { kind, source })
}

/// A stored result read back as the record its kind says it is.
pub fn decode_output(
    kind: SubAgentKind,
    data: &Value,
) -> Result<(AgentOutput, RunMeta), DecodeError> {
    /// The record as `T`, wrapped as the output variant `wrap`.
    fn read<T: DeserializeOwned>(
        kind: SubAgentKind,
        data: &Value,
        wrap: fn(Box<T>) -> AgentOutput,
    ) -> Result<(AgentOutput, RunMeta), DecodeError> {
        let s = decode::<T>(kind, data)?;
        Ok((wrap(Box::new(s.record)), s.meta))
    }
    match kind {
        SubAgentKind::Research => read(kind, data, AgentOutput::Research),
        SubAgentKind::Intel => read(kind, data, AgentOutput::Intel),
        SubAgentKind::Enrichment => read(kind, data, AgentOutput::Enrichment),
        SubAgentKind::Voice => read(kind, data, AgentOutput::Voice),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::{Provenance, SourceKind, Sourced};

    #[test]
    fn a_record_round_trips_with_its_meta_in_one_object() {
        let brief = ResearchBrief {
            overview: Some(Sourced::new(
                "Makes anvils".into(),
                Provenance::new(SourceKind::Website).with_url("https://acme.example/"),
            )),
            sources: vec!["https://acme.example/".into()],
            site_read: true,
            ..ResearchBrief::default()
        };
        let meta = RunMeta {
            prompt_version: "research/2".into(),
            synthetic: true,
            warnings: vec!["w".into()],
            ..RunMeta::default()
        };
        let v = encode(&brief, &meta);
        assert_eq!(v["prompt_version"], "research/2");
        assert_eq!(v["overview"]["source"], "website");
        let back = decode::<ResearchBrief>(SubAgentKind::Research, &v).unwrap();
        assert_eq!(back.record, brief);
        assert_eq!(back.meta, meta);
        let (out, _) = decode_output(SubAgentKind::Research, &v).unwrap();
        assert_eq!(out.kind(), SubAgentKind::Research);
        // An enrichment record without its required outcome is an error, not a blank.
        assert!(decode_output(SubAgentKind::Enrichment, &serde_json::json!({})).is_err());
    }

    #[test]
    fn absent_optional_fields_read_as_none_and_defaults() {
        let v = serde_json::json!({
            "contact": {"name": "Jo Smith", "source": "input"},
            "contact_outcome": {"outcome": "moved", "to_company": "Globex", "source": "apollo"},
        });
        let r = decode::<EnrichmentRecord>(SubAgentKind::Enrichment, &v)
            .unwrap()
            .record;
        let c = r.contact.expect("the contact");
        assert_eq!((c.first_name, c.title, c.email), (None, None, None));
        assert!(!c.name_hidden);
        assert!(matches!(
            r.contact_outcome,
            ContactOutcome::Moved {
                to_domain: None,
                ..
            }
        ));
        assert_eq!(r.organization, Organization::default());
        let empty = serde_json::json!({});
        let brief = decode::<ResearchBrief>(SubAgentKind::Research, &empty).unwrap();
        assert_eq!(brief.record, ResearchBrief::default());
        assert_eq!(brief.meta, RunMeta::default());
        let intel = decode::<IntelReport>(SubAgentKind::Intel, &empty).unwrap();
        assert_eq!(intel.record, IntelReport::default());
    }
}
