//! Where a field came from. Every field a user sees carries its [`Provenance`]: the kind
//! of source, the evidence URL when there is one, and when it was observed. A value no
//! tool returned is never shown as fact: what a model wrote from its own knowledge is
//! marked [`SourceKind::Model`] and shown as such.

use serde::{Deserialize, Deserializer, Serialize};

/// The kind of source a value rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The uploaded file.
    Input,
    Apollo,
    Hunter,
    /// The company's own website, read in this run (or from the evidence cache).
    Website,
    /// A web search result.
    Search,
    /// A model's own knowledge or inference, with no evidence behind it.
    Model,
}

impl SourceKind {
    pub const ALL: [SourceKind; 6] = [
        SourceKind::Input,
        SourceKind::Apollo,
        SourceKind::Hunter,
        SourceKind::Website,
        SourceKind::Search,
        SourceKind::Model,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Input => "input",
            SourceKind::Apollo => "apollo",
            SourceKind::Hunter => "hunter",
            SourceKind::Website => "website",
            SourceKind::Search => "search",
            SourceKind::Model => "model",
        }
    }

    /// Whether a value from this source is evidence (anything but a model's word).
    pub fn is_evidence(self) -> bool {
        self != SourceKind::Model
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub source: SourceKind,
    /// The page or record the value was read from, when it has an address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_url: Option<String>,
    /// When the source was observed (RFC 3339), for a value read from a tool; a date
    /// (`2026-11-30`) for a dated page or news item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
    /// True when the value was served from the evidence cache (observed in an earlier
    /// run, at `observed_at`) rather than bought again.
    #[serde(default, skip_serializing_if = "is_false")]
    pub from_cache: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Provenance {
    pub fn new(source: SourceKind) -> Provenance {
        Provenance {
            source,
            evidence_url: None,
            observed_at: None,
            from_cache: false,
        }
    }

    pub fn model() -> Provenance {
        Provenance::new(SourceKind::Model)
    }

    pub fn input() -> Provenance {
        Provenance::new(SourceKind::Input)
    }

    pub fn with_url(mut self, url: impl Into<String>) -> Provenance {
        self.evidence_url = Some(url.into());
        self
    }

    pub fn with_url_opt(mut self, url: Option<String>) -> Provenance {
        self.evidence_url = url;
        self
    }

    pub fn observed(mut self, at: impl Into<String>) -> Provenance {
        self.observed_at = Some(at.into());
        self
    }

    pub fn cached(mut self, from_cache: bool) -> Provenance {
        self.from_cache = from_cache;
        self
    }

    /// A short readable form for a spreadsheet cell: `apollo 2026-11-30`,
    /// `search https://… 2026-10-01`, `model knowledge`.
    pub fn label(&self) -> String {
        let mut out = match self.source {
            SourceKind::Model => "model knowledge".to_string(),
            s => s.as_str().to_string(),
        };
        if let Some(u) = &self.evidence_url {
            out.push(' ');
            out.push_str(u);
        }
        if let Some(at) = &self.observed_at {
            out.push(' ');
            out.push_str(at.get(..10).unwrap_or(at));
        }
        if self.from_cache {
            out.push_str(" (cached)");
        }
        out
    }
}

/// A value with its provenance, serialised flat: `{"value": …, "source": "apollo",
/// "evidence_url": …, "observed_at": …}`.
///
/// For results stored before provenance existed, a bare value (`"Acme makes anvils"`)
/// still reads back, as a model's word: it has no evidence behind it that we can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    #[serde(flatten)]
    pub provenance: Provenance,
}

impl<T> Sourced<T> {
    pub fn new(value: T, provenance: Provenance) -> Sourced<T> {
        Sourced { value, provenance }
    }

    pub fn source(&self) -> SourceKind {
        self.provenance.source
    }

    /// Whether this value rests on evidence (not a model's word).
    pub fn is_supported(&self) -> bool {
        self.provenance.source.is_evidence()
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced {
            value: f(self.value),
            provenance: self.provenance,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SourcedRepr<T> {
    Full {
        value: T,
        #[serde(flatten)]
        provenance: Provenance,
    },
    Bare(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sourced<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match SourcedRepr::deserialize(d)? {
            SourcedRepr::Full { value, provenance } => Sourced { value, provenance },
            SourcedRepr::Bare(value) => Sourced {
                value,
                provenance: Provenance::model(),
            },
        })
    }
}

/// A piece of text a researcher would state as a fact, with where it came from.
pub type Claim = Sourced<String>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sourced_values_are_flat_and_bare_values_read_as_model_knowledge() {
        let c = Claim::new(
            "Acme makes anvils".into(),
            Provenance::new(SourceKind::Website)
                .with_url("https://acme.example/")
                .observed("2026-11-30T10:00:00Z"),
        );
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            json!({"value": "Acme makes anvils", "source": "website",
                   "evidence_url": "https://acme.example/", "observed_at": "2026-11-30T10:00:00Z"})
        );
        assert_eq!(serde_json::from_value::<Claim>(v).unwrap(), c);
        let old: Claim = serde_json::from_value(json!("An old overview")).unwrap();
        assert_eq!(old.source(), SourceKind::Model);
        assert!(!old.is_supported());
        assert_eq!(
            c.provenance.label(),
            "website https://acme.example/ 2026-11-30"
        );
        assert_eq!(Provenance::model().label(), "model knowledge");
    }
}
