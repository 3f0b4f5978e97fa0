//! Knobs: latency and faults per route family, settable at start and at runtime.
//!
//! JSON form (every field optional; unknown fields are rejected so a typo in a test
//! does not silently leave a fault switched off):
//! ```json
//! {"seed": 7,
//!  "chat": {"latency": {"kind": "log_normal", "median_ms": 40, "sigma": 0.5},
//!           "faults": {"rate_limit": {"every_nth": 3}, "retry_after_secs": 2,
//!                      "schema_miss": {"fenced": {"every_nth": 2}}, "uncited": {"probability": 0.1}},
//!           "outage": {"start_after_secs": 5, "for_secs": 10}},
//!  "anthropic": {"faults": {"overloaded": {"probability": 0.1}}},
//!  "limits": {"apollo": {"tier": "free"}, "deepseek": {"concurrency": 4}},
//!  "dead_domains": {"share": 0.1}}
//! ```
//!
//! A knob that only one family understands (for example `truncated_audio` outside
//! `cartesia`) is refused by [`SandboxConfig::validate`], which `POST /_sandbox/config`
//! and [`crate::Sandbox::start`] run.

pub use crate::knobs::{DeadDomains, Outage, OutageMode, SchemaMisses, Trigger};
pub use crate::limits::{LimitSpec, Limits};
pub use crate::provider::Family;
use serde::{Deserialize, Serialize};

/// Added before a reply is produced. Delays are drawn from a deterministic generator
/// seeded by (config seed, family, sequence number), so a sequential test run sees the
/// same delays every time; concurrent runs see the same multiset in a different order.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    #[default]
    None,
    Fixed {
        ms: u64,
    },
    /// `median_ms * exp(sigma * N(0,1))`, capped at 60 s so a fat tail cannot look like a hang.
    LogNormal {
        median_ms: f64,
        sigma: f64,
    },
}

/// Faults a family can inject. When several fire on one request the first in this
/// order wins: hang, rate_limit, quota_exhausted, overloaded, server_error, malformed.
/// The answer-shaping faults after `hang_ms` apply only to a healthy reply, each on its
/// own, and only in the families named on them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// The vendor's rate-limit reply: 429 with `Retry-After` and its rate-limit headers
    /// (Hunter signals rate limits with 403 and no headers, and so does the sandbox).
    pub rate_limit: Trigger,
    /// The vendor's non-retryable "out of credits" reply (OpenAI 429 insufficient_quota,
    /// DeepSeek/OpenRouter/Cerebras 402, Anthropic 402, Apollo 403, Tavily 432, Hunter 429,
    /// Brave 402, Cartesia 402).
    pub quota_exhausted: Trigger,
    /// Anthropic 529 `overloaded_error`; 503 in the other families.
    pub overloaded: Trigger,
    /// 500 in the vendor's error shape.
    pub server_error: Trigger,
    /// HTTP 200 whose body is cut in half (invalid JSON / truncated WAV or HTML).
    pub malformed: Trigger,
    /// Hold the request for `hang_ms` (or until the sandbox shuts down), then 503.
    pub hang: Trigger,
    /// Value of `Retry-After` on rate-limit replies.
    pub retry_after_secs: u64,
    pub hang_ms: u64,
    /// chat, anthropic: the JSON answer misses its schema in one chosen way.
    pub schema_miss: SchemaMisses,
    /// chat, anthropic: every citation field of the JSON answer is emptied.
    pub uncited: Trigger,
    /// chat, anthropic: every person's name in the JSON answer is someone else's.
    pub other_person: Trigger,
    /// hunter: the verifier answers HTTP 202, "verification still running" (its slow
    /// SMTP check); the finder is not affected.
    pub pending: Trigger,
    /// cartesia: the WAV header claims the whole clip; the stream stops about halfway.
    pub truncated_audio: Trigger,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            rate_limit: Trigger::default(),
            quota_exhausted: Trigger::default(),
            overloaded: Trigger::default(),
            server_error: Trigger::default(),
            malformed: Trigger::default(),
            hang: Trigger::default(),
            retry_after_secs: 1,
            hang_ms: 300_000,
            schema_miss: SchemaMisses::default(),
            uncited: Trigger::default(),
            other_person: Trigger::default(),
            pending: Trigger::default(),
            truncated_audio: Trigger::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FamilyConfig {
    pub latency: Latency,
    pub faults: Faults,
    /// A window, measured from the moment this config was set, during which every
    /// request of the family fails the way the provider fails when it is down.
    pub outage: Option<Outage>,
}

/// Everything that can be tuned. `Default` is "fast and healthy": no latency, no faults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Mixed into the latency/fault generator (content is seeded by the request alone).
    pub seed: u64,
    pub chat: FamilyConfig,
    pub anthropic: FamilyConfig,
    pub apollo: FamilyConfig,
    pub cartesia: FamilyConfig,
    pub tavily: FamilyConfig,
    pub brave: FamilyConfig,
    pub hunter: FamilyConfig,
    pub sites: FamilyConfig,
    pub serper: FamilyConfig,
    /// Per-key rate limits per provider (none by default: nothing is refused).
    pub limits: Limits,
    /// Company sites that are down for good (for per-domain circuit breakers).
    pub dead_domains: DeadDomains,
}

/// [`SandboxConfig::family`] and [`SandboxConfig::family_mut`], from one list of
/// `Family => field`.
macro_rules! family_fields {
    ($($family:ident => $field:ident),* $(,)?) => {
        impl SandboxConfig {
            pub fn family(&self, family: Family) -> &FamilyConfig {
                match family {
                    $(Family::$family => &self.$field,)*
                }
            }

            pub fn family_mut(&mut self, family: Family) -> &mut FamilyConfig {
                match family {
                    $(Family::$family => &mut self.$field,)*
                }
            }
        }
    };
}

family_fields! {
    Chat => chat, Anthropic => anthropic, Apollo => apollo, Cartesia => cartesia,
    Tavily => tavily, Brave => brave, Hunter => hunter, Sites => sites, Serper => serper,
}

impl SandboxConfig {
    /// Same knobs for every family (handy for benchmarks: "50 ms everywhere").
    pub fn with_all(family: FamilyConfig) -> Self {
        let mut config = SandboxConfig::default();
        for f in Family::ALL {
            *config.family_mut(f) = family;
        }
        config
    }

    /// Refuse knobs that would silently do nothing: a family-specific fault set on
    /// another family, an unknown tier, an outage status outside 100..=999, a share
    /// outside [0, 1].
    pub fn validate(&self) -> Result<(), String> {
        for family in Family::ALL {
            let fc = self.family(family);
            let f = &fc.faults;
            let llm = matches!(family, Family::Chat | Family::Anthropic);
            let misplaced = [
                ("schema_miss", !llm && f.schema_miss.any_set()),
                ("uncited", !llm && f.uncited.is_set()),
                ("other_person", !llm && f.other_person.is_set()),
                ("pending", family != Family::Hunter && f.pending.is_set()),
                (
                    "truncated_audio",
                    family != Family::Cartesia && f.truncated_audio.is_set(),
                ),
            ];
            if let Some((name, _)) = misplaced.iter().find(|(_, bad)| *bad) {
                return Err(format!(
                    "{}.faults.{name} does nothing in that family",
                    family.as_str()
                ));
            }
            if let Some(o) = &fc.outage {
                o.validate()
                    .map_err(|e| format!("{}.outage: {e}", family.as_str()))?;
            }
        }
        self.limits.validate()?;
        self.dead_domains.validate()
    }
}
