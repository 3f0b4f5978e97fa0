//! The knobs that go beyond "fail this request": outage windows, the ways a language
//! model misses its JSON schema, and company sites that are down for good.

use serde::{Deserialize, Serialize};

/// `{"start_after_secs": 5, "for_secs": 10, "status": 503}`: from 5 s after the config
/// was set, for 10 s (`for_secs` absent: until the config changes), every request of the
/// family fails as that provider fails when it is down: OpenAI-compatible routes answer
/// 503 with their error envelope, Anthropic 529 `overloaded_error`, the others 503 in
/// their own error shape. `status` replaces the code; `"mode": "reset"` drops the
/// connection instead of answering at all.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Outage {
    pub start_after_secs: f64,
    pub for_secs: Option<f64>,
    pub status: Option<u16>,
    pub mode: OutageMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageMode {
    /// Answer with the provider's overload / server-error reply.
    #[default]
    Status,
    /// Close the connection before any byte of a reply.
    Reset,
}

impl Outage {
    /// Whether `elapsed` (since the config was set) falls inside the window.
    pub(crate) fn covers(&self, elapsed_secs: f64) -> bool {
        elapsed_secs >= self.start_after_secs
            && self
                .for_secs
                .is_none_or(|n| elapsed_secs < self.start_after_secs + n)
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(self.start_after_secs >= 0.0 && self.start_after_secs.is_finite()) {
            return Err("start_after_secs must be a finite number >= 0".into());
        }
        if self.for_secs.is_some_and(|n| !(n >= 0.0 && n.is_finite())) {
            return Err("for_secs must be a finite number >= 0".into());
        }
        if self.status.is_some_and(|s| !(100..=999).contains(&s)) {
            return Err("status must be an HTTP status code (100..=999)".into());
        }
        Ok(())
    }
}

/// The ways real models miss a JSON schema in JSON mode, each with its own trigger so a
/// test can ask for exactly one; `mix` picks one of the kinds that the schema allows, by
/// the request's hash. A kind with nothing to act on (no array with `maxItems`, no
/// number) leaves the answer as it is.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchemaMisses {
    /// A key the schema does not declare, at the top level.
    pub extra_key: Trigger,
    /// A field the schema declares as nullable is left out (a required one when no
    /// field is nullable).
    pub missing_nullable: Trigger,
    /// An array one item longer than its `maxItems`.
    pub too_many_items: Trigger,
    /// A number sent as a string with thousands separators (`"1,000"`).
    pub number_as_string: Trigger,
    /// The JSON inside a ```` ```json ```` fence with a sentence before and after.
    pub fenced: Trigger,
    /// One of the above, chosen per request.
    pub mix: Trigger,
}

impl SchemaMisses {
    pub(crate) fn any_set(&self) -> bool {
        [
            self.extra_key,
            self.missing_nullable,
            self.too_many_items,
            self.number_as_string,
            self.fenced,
            self.mix,
        ]
        .iter()
        .any(Trigger::is_set)
    }
}

/// Company sites that never answer properly: a `share` of registrable domains (chosen
/// by the hash of the domain and the config seed) plus any listed by name. Each dead
/// domain fails the same way every time: 404, 503, or a hang of `timeout_ms` (then 503).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadDomains {
    pub share: f64,
    pub domains: Vec<String>,
    pub timeout_ms: u64,
}

impl Default for DeadDomains {
    fn default() -> Self {
        DeadDomains {
            share: 0.0,
            domains: Vec::new(),
            timeout_ms: 30_000,
        }
    }
}

/// How a dead domain fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeadKind {
    NotFound,
    Unavailable,
    Timeout,
}

impl DeadDomains {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if (0.0..=1.0).contains(&self.share) {
            Ok(())
        } else {
            Err("dead_domains.share must be in [0, 1]".into())
        }
    }

    /// How `registrable` (already reduced to its registrable domain) fails, if it is dead.
    pub(crate) fn kind(&self, registrable: &str, seed: u64) -> Option<DeadKind> {
        let h = crate::synth::mix(crate::synth::fnv1a(registrable.as_bytes()) ^ seed);
        let listed = self
            .domains
            .iter()
            .any(|d| crate::people::registrable_domain(d) == registrable);
        let drawn = (h >> 11) as f64 / (1u64 << 53) as f64 <= self.share && self.share > 0.0;
        let kind = match h % 3 {
            0 => DeadKind::NotFound,
            1 => DeadKind::Unavailable,
            _ => DeadKind::Timeout,
        };
        (listed || drawn).then_some(kind)
    }
}

/// When a fault fires. Both conditions may be set; either one firing is enough.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Trigger {
    /// Chance per request in [0, 1], drawn from the same deterministic generator as latency.
    pub probability: f64,
    /// Fire on the Nth, 2Nth, … request of the family since the last config change
    /// (0 = never). Counting restarts on every `set_config`, so a test that flips a fault
    /// on knows exactly which request will fail.
    pub every_nth: u64,
}

impl Trigger {
    pub fn every(n: u64) -> Self {
        Trigger {
            probability: 0.0,
            every_nth: n,
        }
    }

    pub fn probability(p: f64) -> Self {
        Trigger {
            probability: p,
            every_nth: 0,
        }
    }

    pub(crate) fn fires(&self, seq: u64, uniform: f64) -> bool {
        (self.every_nth > 0 && seq.is_multiple_of(self.every_nth)) || uniform < self.probability
    }

    /// Whether the trigger can ever fire.
    pub fn is_set(&self) -> bool {
        self.every_nth > 0 || self.probability > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_window_bounds() {
        let o = Outage {
            start_after_secs: 1.0,
            for_secs: Some(2.0),
            ..Outage::default()
        };
        assert!(!o.covers(0.5) && o.covers(1.0) && o.covers(2.9) && !o.covers(3.0));
        let open = Outage {
            for_secs: None,
            ..o
        };
        assert!(open.covers(1e6));
        assert!(
            Outage {
                status: Some(42),
                ..o
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn dead_share_is_about_right_and_stable() {
        let d = DeadDomains {
            share: 0.2,
            ..DeadDomains::default()
        };
        let dead = (0..2000)
            .filter(|i| d.kind(&format!("company{i}.com"), 7).is_some())
            .count();
        assert!((300..500).contains(&dead), "{dead}");
        assert_eq!(d.kind("acme.com", 7), d.kind("acme.com", 7));
        let listed = DeadDomains {
            domains: vec!["www.acme.com".into()],
            ..DeadDomains::default()
        };
        assert!(listed.kind("acme.com", 0).is_some());
        assert!(DeadDomains::default().kind("acme.com", 0).is_none());
    }
}
