//! Rate-limit knobs: per provider, a named tier (the provider's published figures, see
//! [`crate::tiers`]) and/or explicit numbers, which win over the tier's.
//!
//! ```json
//! {"limits": {"apollo": {"tier": "free"},
//!             "openai": {"rpm": 3, "tpm": 20000},
//!             "deepseek": {"concurrency": 2}}}
//! ```
//! Counting is per API key (whatever credential the request carries: `Authorization`,
//! `x-api-key`, `X-Subscription-Token`, `api_key=`), in fixed windows that open on a
//! key's first request. A provider without an entry is not limited.

use crate::provider::Provider;
use crate::tiers;
pub(crate) use crate::tiers::{LimitKind, Rule};
use serde::{Deserialize, Serialize};

/// Limits for one provider. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSpec {
    /// A preset: `free`, `tier1`, … (which names exist depends on the provider).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Requests per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rps: Option<u64>,
    /// Requests per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpm: Option<u64>,
    /// Requests per hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rph: Option<u64>,
    /// Requests per day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpd: Option<u64>,
    /// Tokens per minute (language models): the prompt's estimate plus the requested
    /// output budget, counted when the request is admitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpm: Option<u64>,
    /// Requests in flight at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u64>,
    /// Units per 30 days: transcript characters for Cartesia, requests elsewhere. Running
    /// out answers the provider's "quota exhausted" reply, not a rate limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly: Option<u64>,
}

impl LimitSpec {
    pub fn tier(name: &str) -> Self {
        LimitSpec {
            tier: Some(name.to_string()),
            ..LimitSpec::default()
        }
    }
}

/// One optional [`LimitSpec`] per provider that throttles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deepseek: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openai: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cerebras: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openrouter: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anthropic: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apollo: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hunter: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tavily: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brave: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serper: Option<LimitSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cartesia: Option<LimitSpec>,
}

impl Limits {
    pub(crate) fn get(&self, p: Provider) -> Option<&LimitSpec> {
        match p {
            Provider::DeepSeek => self.deepseek.as_ref(),
            Provider::OpenAi => self.openai.as_ref(),
            Provider::Cerebras => self.cerebras.as_ref(),
            Provider::OpenRouter => self.openrouter.as_ref(),
            Provider::Anthropic => self.anthropic.as_ref(),
            Provider::Apollo => self.apollo.as_ref(),
            Provider::Hunter => self.hunter.as_ref(),
            Provider::Tavily => self.tavily.as_ref(),
            Provider::Brave => self.brave.as_ref(),
            Provider::Serper => self.serper.as_ref(),
            Provider::Cartesia => self.cartesia.as_ref(),
            Provider::Sites => None,
        }
    }

    fn all(&self) -> [(Provider, Option<&LimitSpec>); 11] {
        [
            Provider::DeepSeek,
            Provider::OpenAi,
            Provider::Cerebras,
            Provider::OpenRouter,
            Provider::Anthropic,
            Provider::Apollo,
            Provider::Hunter,
            Provider::Tavily,
            Provider::Brave,
            Provider::Serper,
            Provider::Cartesia,
        ]
        .map(|p| (p, self.get(p)))
    }

    /// Every named tier must exist for its provider.
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (p, spec) in self.all() {
            if let Some(name) = spec.and_then(|s| s.tier.as_deref())
                && !tiers::exists(p, name)
            {
                return Err(format!(
                    "limits.{}.tier: unknown tier {name:?} (known: {})",
                    p.as_str(),
                    tiers::names(p).join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// The rules for one request to `endpoint` (the route path) of `p`.
pub(crate) fn rules(limits: &Limits, p: Provider, endpoint: &str) -> Vec<Rule> {
    let spec = limits.get(p);
    let mut rules = match spec.and_then(|s| s.tier.as_deref()) {
        Some(tier) => tiers::preset(p, tier, endpoint),
        None if spec.is_none() => tiers::reported_when_unlimited(p, endpoint),
        None => Vec::new(),
    };
    if let Some(s) = spec {
        let explicit = [
            (LimitKind::Concurrency, s.concurrency),
            (LimitKind::Rps, s.rps),
            (LimitKind::Rpm, s.rpm),
            (LimitKind::Rph, s.rph),
            (LimitKind::Rpd, s.rpd),
            (LimitKind::Tpm, s.tpm),
            (LimitKind::Monthly, s.monthly),
        ];
        for (kind, value) in explicit {
            let Some(limit) = value else { continue };
            let limit = tiers::endpoint_share(p, endpoint, kind, limit);
            let per_endpoint = tiers::per_endpoint(p, kind);
            rules.retain(|r| r.kind != kind);
            rules.push(Rule {
                kind,
                limit,
                per_endpoint,
                enforce: true,
            });
        }
    }
    rules.sort_by_key(|r| r.kind);
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_numbers_override_the_tier_and_bulk_gets_a_tenth() {
        let limits = Limits {
            apollo: Some(LimitSpec {
                tier: Some("free".into()),
                rpm: Some(20),
                ..LimitSpec::default()
            }),
            ..Limits::default()
        };
        let single = rules(&limits, Provider::Apollo, "/api/v1/people/match");
        let rpm = single.iter().find(|r| r.kind == LimitKind::Rpm);
        assert_eq!(rpm.map(|r| r.limit), Some(20));
        assert!(
            single
                .iter()
                .any(|r| r.kind == LimitKind::Rph && r.limit == 200)
        );
        let bulk = rules(&limits, Provider::Apollo, "/api/v1/people/bulk_match");
        let rpm = bulk.iter().find(|r| r.kind == LimitKind::Rpm);
        assert_eq!(rpm.map(|r| r.limit), Some(2));
        assert!(rules(&Limits::default(), Provider::OpenAi, "/v1/chat/completions").is_empty());
        let unknown = Limits {
            openai: Some(LimitSpec::tier("platinum")),
            ..Limits::default()
        };
        assert!(unknown.validate().is_err());
    }
}
